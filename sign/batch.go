package sign

import (
	"context"
	"crypto/x509"
	"fmt"
	"github.com/vbdt/vbdt/verify"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/pdf"
)

// Batch signs many documents with one key on the batch engine: workers open, prepare and hash
// in parallel; one goroutine makes every signature (one token session). A key that fails to
// sign stops the batch at once; a document replaced in place that already carries this key's
// signature over its whole revision is not signed again (a run killed after the replace, before
// the journal line).
type Batch struct {
	Workers int
	Journal string // "" for none
	Request Request
	// Prepare completes the request for one document (role, appearance); it may be nil.
	Prepare func(doc *pdf.Doc, r *Request) error
	// OnResult hears of every document attempted.
	OnResult func(batch.Result)
	// After, when set, is called with each output signed, or found signed by this key already,
	// before the batch counts it done (vbdt convert sign records it in the document's sidecar).
	After func(out string) error
}

// Run signs the items; see batch.Engine.Run.
func (b *Batch) Run(ctx context.Context, items []batch.Item) (batch.Summary, error) {
	req := b.Request
	if req.Signer != nil {
		ss := newSerialSigner(req.Signer)
		defer ss.stop()
		req.Signer = ss
	}
	e := &batch.Engine{Workers: b.Workers, Journal: b.Journal, OnResult: b.OnResult,
		Do: func(ctx context.Context, it batch.Item) (batch.Outcome, error) { return b.one(ctx, it, req) }}
	return e.Run(ctx, items)
}

func (b *Batch) one(ctx context.Context, it batch.Item, r Request) (batch.Outcome, error) {
	doc, err := pdf.OpenFile(it.In)
	if err != nil {
		return batch.Outcome{}, err
	}
	defer doc.Close()
	if b.Prepare != nil {
		if err := b.Prepare(doc, &r); err != nil {
			return batch.Outcome{}, err
		}
	}
	if r.Field != "" {
		if f, err := doc.Field(r.Field); err == nil && (f.Signed || !r.ExistingField) {
			return batch.Outcome{Skipped: fmt.Sprintf("already has the signature field %s", r.Field)}, b.after(it.Out)
		}
	}
	if it.InPlace() && len(r.Chain) > 0 && lastSignedBy(doc, r.Chain[0]) {
		return batch.Outcome{Skipped: "already signed by this key (its last signature covers the whole file)"}, b.after(it.Out)
	}
	// a replaced input is synced at once; new files are synced by group by the engine
	res, err := signDoc(ctx, doc, it.Out, r, it.InPlace())
	if err != nil {
		return batch.Outcome{}, err
	}
	return batch.Outcome{Bytes: res.Size}, b.after(it.Out)
}

func (b *Batch) after(out string) error {
	if b.After == nil {
		return nil
	}
	return b.After(out)
}

// lastSignedBy reports whether the document's last revision is a signature by cert covering
// the whole file, intact, or is followed only by its long-term validation material (a DSS
// update, a document timestamp): a run killed after replacing the document in place.
func lastSignedBy(doc *pdf.Doc, cert *x509.Certificate) bool {
	checks, err := verify.CheckReader(doc.ReaderAt(), doc.Size())
	if err != nil {
		return false
	}
	var last *verify.Check
	for i, c := range checks {
		if !c.DocTimestamp() && (last == nil || c.SignedSize > last.SignedSize) {
			last = &checks[i]
		}
	}
	if last == nil || !last.Intact || !last.Certificate().Equal(cert) {
		return false
	}
	if last.WholeFile {
		return true
	}
	reports, err := verify.AnalyzeChecks(doc.ReaderAt(), doc.Size(), []verify.Check{*last}, verify.Strictness{})
	return err == nil && len(reports) == 1 && !verify.Worse(reports[0].Worst, verify.ModLTA)
}
