package exchange

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func clientFor(t testing.TB, url, system, secret string) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: url, SystemID: system, Secret: secret, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// vbdt's client against the stand-in: a document to several recipients, received, acknowledged,
// answered with a status that goes back to the sender, and the sender's delivery list.
func TestClientServerRoundTrip(t *testing.T) {
	update := sharedFile(t, "edoc_update.edxml") // From 000.00.00.G22, To H41, H14, G17
	status03 := sharedFile(t, "status_acceptance_03.edxml")
	srv, addr := newTestServer(t, ServerConfig{})
	url := "http://" + addr
	g22 := clientFor(t, url, "000.00.00.G22", sdkG22Secret)
	h41 := clientFor(t, url, "000.00.00.H41", sdkH41Secret)
	ctx := context.Background()
	dir := t.TempDir()
	doc := filepath.Join(dir, "update.edxml")
	os.WriteFile(doc, update, 0o644)

	docID, err := g22.Send(ctx, doc, MessageEdoc, nil)
	if err != nil || len(docID) != 24 {
		t.Fatalf("send: %q %v", docID, err)
	}
	if n, err := h41.CountReceived(ctx, MessageEdoc); err != nil || n != 1 {
		t.Fatalf("count: %d %v", n, err)
	}
	inbox, err := h41.Received(ctx, MessageEdoc)
	if err != nil || len(inbox) != 1 || inbox[0].From != "000.00.00.G22" {
		t.Fatalf("inbox: %+v %v", inbox, err)
	}
	got, err := h41.GetEdoc(ctx, inbox[0].DocID)
	if err != nil || string(got) != string(update) {
		t.Fatalf("getEdoc: %d bytes, %v", len(got), err)
	}
	// ReceiveAll: on disk, acknowledged; the inbox is then empty
	in := t.TempDir()
	res := ReceiveAll(ctx, h41, inbox, in, 2)
	if res[0].Err != nil || res[0].Outcome != "received" {
		t.Fatalf("receive: %+v", res[0])
	}
	if data, _ := os.ReadFile(res[0].Path); string(data) != string(update) {
		t.Fatal("the received file is not the document sent")
	}
	if left, _ := h41.Received(ctx, MessageEdoc); len(left) != 0 {
		t.Fatalf("the inbox still lists %+v after done", left)
	}
	// the answer goes back to G22
	st := filepath.Join(dir, "status.edxml")
	os.WriteFile(st, status03, 0o644)
	if _, err := h41.Send(ctx, st, MessageStatus, nil); err != nil {
		t.Fatal(err)
	}
	answers, err := g22.Received(ctx, MessageStatus)
	if err != nil || len(answers) != 1 || answers[0].From != "000.00.00.H41" || answers[0].MessageType != MessageStatus {
		t.Fatalf("G22's status inbox: %+v %v", answers, err)
	}
	// the delivery list: a row per recipient, H41's done
	rows, err := g22.Sent(ctx, MessageEdoc, docID)
	if err != nil || len(rows) != 3 {
		t.Fatalf("sent: %+v %v", rows, err)
	}
	for _, r := range rows {
		if (r.ReceiveStatus == AckDone) != (r.ToCode == "000.00.00.H41") || r.SenderDocID != docID {
			t.Errorf("row %+v", r)
		}
	}
	// the directory
	var codes []string
	if err := g22.Agencies(ctx, func(a Agency) error { codes = append(codes, a.Code); return nil }); err != nil || len(codes) != len(srv.cfg.Directory) {
		t.Fatalf("agencies %v %v", codes, err)
	}
}

// Refusals and failures: a wrong secret, a sender refused, a document for a system that does
// not exist, a dropped connection (retried), a slow platform (the deadline wins).
func TestClientServerFailures(t *testing.T) {
	update := sharedFile(t, "edoc_update.edxml")
	dir := t.TempDir()
	doc := filepath.Join(dir, "update.edxml")
	os.WriteFile(doc, update, 0o644)
	ctx := context.Background()

	_, addr := newTestServer(t, ServerConfig{RejectFrom: []string{"000.00.00.H41"}})
	url := "http://" + addr
	var api *APIError
	if _, err := clientFor(t, url, "000.00.00.G22", "wrong-secret").Received(ctx, MessageEdoc); !errors.As(err, &api) || !strings.Contains(api.Desc, "does not match") {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := clientFor(t, url, "000.00.00.H41", sdkH41Secret).Send(ctx, doc, MessageEdoc, []string{"000.00.00.G22"}); !errors.As(err, &api) || !strings.Contains(api.Desc, "tu choi") {
		t.Errorf("refused sender: %v", err)
	}
	if _, err := clientFor(t, url, "000.00.00.G22", sdkG22Secret).Send(ctx, doc, MessageEdoc, []string{"000.00.00.X99"}); !errors.As(err, &api) || !strings.Contains(api.Desc, "000.00.00.X99") {
		t.Errorf("unknown recipient: %v", err)
	}
	if _, err := clientFor(t, url, "000.00.00.G22", sdkG22Secret).Send(ctx, doc, MessageStatus, nil); !errors.As(err, &api) {
		t.Errorf("a document sent as a status: %v", err)
	}

	// a dropped connection: the list call is retried and succeeds
	s, err := NewServer(ServerConfig{Dir: t.TempDir(), Systems: []System{{"000.00.00.G22", sdkG22Secret}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		s.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	if _, err := clientFor(t, flaky.URL, "000.00.00.G22", sdkG22Secret).Received(ctx, MessageEdoc); err != nil || calls.Load() != 2 {
		t.Errorf("after a dropped connection: %v (%d calls)", err, calls.Load())
	}

	// a slow platform: the caller's deadline ends the call
	_, slowAddr := newTestServer(t, ServerConfig{Delay: 2 * time.Second})
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := clientFor(t, "http://"+slowAddr, "000.00.00.G22", sdkG22Secret).Received(dctx, MessageEdoc); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("slow platform: %v after %v", err, time.Since(start))
	}
}

// A receive interrupted after the file was written and before the acknowledgement: the next
// run acknowledges it without downloading it again; an inbox item that is not an envelope is
// kept aside and acknowledged fail.
func TestReceiveResumesAndRejects(t *testing.T) {
	update := sharedFile(t, "edoc_update.edxml")
	srv, addr := newTestServer(t, ServerConfig{})
	url := "http://" + addr
	g22 := clientFor(t, url, "000.00.00.G22", sdkG22Secret)
	h41 := clientFor(t, url, "000.00.00.H41", sdkH41Secret)
	ctx := context.Background()
	dir := t.TempDir()
	doc := filepath.Join(dir, "update.edxml")
	os.WriteFile(doc, update, 0o644)
	if _, err := g22.Send(ctx, doc, MessageEdoc, nil); err != nil {
		t.Fatal(err)
	}
	inbox, _ := h41.Received(ctx, MessageEdoc)
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, inbox[0].DocID+".edxml"), update, 0o644) // the earlier run's
	res := ReceiveAll(ctx, h41, inbox, in, 1)
	if res[0].Outcome != "acknowledged" || res[0].Err != nil {
		t.Fatalf("resume: %+v", res[0])
	}
	// the platform's copy of a second document is damaged: kept aside, acknowledged fail
	if _, err := g22.Send(ctx, doc, MessageEdoc, []string{"000.00.00.H41"}); err != nil {
		t.Fatal(err)
	}
	inbox, _ = h41.Received(ctx, MessageEdoc)
	if len(inbox) != 1 {
		t.Fatalf("inbox %+v", inbox)
	}
	sender, err := srv.st.delivery(ctx, "000.00.00.H41", inbox[0].DocID)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(srv.st.messagePath(sender), update[:len(update)/2], 0o600)
	res = ReceiveAll(ctx, h41, inbox, in, 1)
	if res[0].Outcome != "rejected" || res[0].Err == nil || !strings.HasSuffix(res[0].Path, ".invalid.edxml") {
		t.Fatalf("damaged: %+v", res[0])
	}
	if left, _ := h41.Received(ctx, MessageEdoc); len(left) != 0 {
		t.Fatalf("a rejected document is still listed: %+v", left)
	}
	if rows, _ := g22.Sent(ctx, MessageEdoc, ""); rows[len(rows)-1].ReceiveStatus != AckFail {
		t.Errorf("its sender sees %+v", rows[len(rows)-1])
	}
}
