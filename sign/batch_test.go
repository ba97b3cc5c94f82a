package sign

import (
	"bufio"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/testpki"
)

func TestBatchJournalAndResume(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	data, _ := os.ReadFile(fx.doc)
	in, out := filepath.Join(fx.dir, "in"), filepath.Join(fx.dir, "out")
	os.MkdirAll(in, 0o755)
	os.MkdirAll(out, 0o755)
	var items []batch.Item
	for i := range 5 {
		p := filepath.Join(in, fmt.Sprintf("%d.pdf", i))
		if i == 3 {
			os.WriteFile(p, []byte("not a pdf"), 0o644)
		} else {
			os.WriteFile(p, data, 0o644)
		}
		items = append(items, batch.Item{In: p, Out: filepath.Join(out, fmt.Sprintf("%d.pdf", i))})
	}
	journal := filepath.Join(out, ".journal")
	run := func() batch.Summary {
		b := &Batch{Workers: 2, Journal: journal, Request: Request{Signer: fx.org, Chain: fx.org.Chain}}
		sum, err := b.Run(context.Background(), items)
		if err != nil {
			t.Fatal(err)
		}
		sum.Elapsed = 0
		return sum
	}
	if sum := run(); sum != (batch.Summary{Total: 5, Done: 4, Failed: 1}) {
		t.Fatalf("first run %+v", sum)
	}
	f, _ := os.Open(journal)
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	f.Close()
	if lines != 4 {
		t.Fatalf("journal has %d lines, want 4 (the signed files, after they were synced)", lines)
	}
	for _, it := range items {
		if _, err := os.Stat(it.Out); (err == nil) == (it.In == items[3].In) {
			t.Errorf("%s: output exists = %v", it.In, err == nil)
		}
	}
	// a rerun signs nothing twice; an output lost since is signed again
	os.Remove(items[0].Out)
	if sum := run(); sum != (batch.Summary{Total: 5, Done: 1, Skipped: 3, Failed: 1}) {
		t.Fatalf("resume %+v", sum)
	}
	mustValid(t, items[0].Out, 1)
}

// In place, a document already carrying this key's signature over its whole revision — a run
// killed after the replace and before the journal line, or the same files named another way —
// is not signed again, journal or not.
func TestInPlaceNeverTwice(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	data, _ := os.ReadFile(fx.doc)
	dir := filepath.Join(fx.dir, "docs")
	os.MkdirAll(dir, 0o755)
	var items []batch.Item
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("%d.pdf", i))
		os.WriteFile(p, data, 0o644)
		items = append(items, batch.Item{In: p, Out: p})
	}
	sign := func(items []batch.Item, journal string) batch.Summary {
		b := &Batch{Workers: 2, Journal: journal, Request: Request{Signer: fx.org, Chain: fx.org.Chain}}
		sum, err := b.Run(context.Background(), items)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := sign(items, ""); sum.Done != 3 {
		t.Fatalf("first run %+v", sum)
	}
	// no journal at all, then by absolute paths with a fresh journal: nothing is signed twice
	abs := make([]batch.Item, len(items))
	for i, it := range items {
		p, _ := filepath.Abs(it.In)
		abs[i] = batch.Item{In: p, Out: p}
	}
	for _, run := range [][]batch.Item{items, abs} {
		if sum := sign(run, filepath.Join(t.TempDir(), "j")); sum.Done != 0 || sum.Skipped != 3 {
			t.Fatalf("rerun %+v", sum)
		}
	}
	for _, it := range items {
		mustValid(t, it.In, 1)
	}
	// another key signs them
	b := &Batch{Workers: 1, Request: Request{Signer: fx.approv, Chain: fx.approv.Chain}}
	if sum, err := b.Run(context.Background(), items[:1]); err != nil || sum.Done != 1 {
		t.Fatalf("another key: %+v %v", sum, err)
	}
}

// failingSigner is a key whose every signature fails, as a token pulled out mid-batch.
type failingSigner struct{ *Request }

func (f failingSigner) Public() crypto.PublicKey { return f.Chain[0].PublicKey }
func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("%w: CKR_PIN_INCORRECT on the per-signature login", keys.ErrPINIncorrect)
}

// A key that cannot sign stops the batch at once: one document fails, the rest are not tried,
// and the key's error keeps its cause (a wrong per-signature PIN exits 11, not 1).
func TestDeadKeyStopsTheBatch(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	data, _ := os.ReadFile(fx.doc)
	var items []batch.Item
	for i := range 50 {
		p := filepath.Join(fx.dir, fmt.Sprintf("%02d.pdf", i))
		os.WriteFile(p, data, 0o644)
		items = append(items, batch.Item{In: p, Out: p + ".signed"})
	}
	req := Request{Chain: fx.org.Chain}
	req.Signer = failingSigner{&req}
	b := &Batch{Workers: 2, Request: req}
	sum, err := b.Run(context.Background(), items)
	var fatal *batch.FatalError
	if !errors.As(err, &fatal) || !errors.Is(err, keys.ErrPINIncorrect) || sum.Done != 0 || sum.Failed > 2 || sum.NotAttempted() < 48 {
		t.Fatalf("%+v %v", sum, err)
	}
}
