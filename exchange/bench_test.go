package exchange

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/envelope"
)

// BenchmarkSendGet: sendEdoc of a 1 MB envelope and getEdoc + updateStatus of it, through the
// stand-in on loopback and vbdt's client (one pair per iteration, GOMAXPROCS goroutines).
func BenchmarkSendGet(b *testing.B) {
	dir := b.TempDir()
	pdf := filepath.Join(dir, "doc.pdf")
	data := make([]byte, 750_000)
	rand.Read(data)
	os.WriteFile(pdf, append([]byte("%PDF-1.7\n"), data...), 0o644)
	env := filepath.Join(dir, "env.edxml")
	e := &envelope.Envelope{Header: envelope.MessageHeader{From: envelope.Organization{OrganID: "000.00.00.G22", OrganName: "G22"},
		To: []envelope.Organization{{OrganID: "000.00.00.H41"}}, DocumentID: "000.00.00.G22,2026/11/30,1/QĐ-UBND",
		Code: envelope.Code{Number: "1", Notation: "QĐ-UBND"}, Promulgation: envelope.Promulgation{Date: "2026/11/30"},
		DocumentType: envelope.DocumentType{TypeName: "Quyết định"}, Subject: "Bench", Signer: envelope.Signer{FullName: "A"}},
		Trace: &envelope.TraceHeaderList{Business: &envelope.Business{DocType: "0"}}, Attachments: []envelope.Attachment{{File: pdf}}}
	if _, err := envelope.Pack(envelope.PackRequest{Envelope: e, Out: env}); err != nil {
		b.Fatal(err)
	}
	_, addr := newTestServer(b, ServerConfig{})
	url := "http://" + addr
	g22 := clientFor(b, url, "000.00.00.G22", sdkG22Secret)
	h41 := clientFor(b, url, "000.00.00.H41", sdkH41Secret)
	ctx := context.Background()
	fi, _ := os.Stat(env)
	b.SetBytes(2 * fi.Size())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g22.Send(ctx, env, MessageEdoc, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	inbox, err := h41.Received(ctx, MessageEdoc)
	if err != nil {
		b.Fatal(err)
	}
	next := make(chan Received, len(inbox))
	for _, it := range inbox {
		next <- it
	}
	close(next)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			it, ok := <-next
			if !ok {
				return
			}
			if _, err := h41.GetEdoc(ctx, it.DocID); err != nil {
				b.Fatal(err)
			}
			if err := h41.UpdateStatus(ctx, it.DocID, AckDone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
