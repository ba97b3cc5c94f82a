package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vbdt/vbdt/verify"
)

// CheckOptions say how far a file is checked.
type CheckOptions struct {
	Limits Limits
	// SignatureBytes bounds the envelopes whose XML-DSig signature is checked (the signature
	// covers the whole file, attachments included, which is then held in memory; default 256 MiB).
	SignatureBytes int64
	// PDFBytes bounds the PDF attachments whose signatures are checked (default 512 MiB).
	PDFBytes int64
	// TempDir is where PDF attachments are spooled to be checked (default the system's).
	TempDir string
}

// Report is what validation found in one file.
type Report struct {
	File     string    `json:"file"`
	Kind     string    `json:"kind,omitempty"` // "document" or "status"
	Valid    bool      `json:"valid"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Findings []Finding `json:"findings"`
	// Envelope is what was read (nil when the file is not an envelope).
	Envelope *Envelope `json:"-"`
}

// ErrUnreadable is a file that could not be read at all (not one that is not an envelope).
var ErrUnreadable = errors.New("unreadable")

// CheckFile validates an envelope file: its structure and fields (Validate), its XML-DSig
// signature when it has one, and the signatures of its PDF attachments, with vbdt verify's
// integrity checks. A file that is not well-formed, or not an envelope, is a report with an
// error finding; only a file that cannot be opened or read is an error (ErrUnreadable).
func CheckFile(path string, o CheckOptions) (*Report, error) {
	if o.SignatureBytes <= 0 {
		o.SignatureBytes = 256 << 20
	}
	if o.PDFBytes <= 0 {
		o.PDFBytes = 512 << 20
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is a folder", ErrUnreadable, path)
	}
	rep := &Report{File: path}
	var pdfs []*pdfSpool
	defer func() {
		for _, p := range pdfs {
			p.remove()
		}
	}()
	e, err := Read(f, ReadOptions{Limits: o.Limits, Attachment: func(i int, a *Attachment) (io.Writer, error) {
		p := &pdfSpool{limit: o.PDFBytes, dir: o.TempDir, a: a}
		pdfs = append(pdfs, p)
		return p, nil
	}})
	var se *SyntaxError
	switch {
	case errors.As(err, &se):
		rep.add(Finding{Severity: Error, Rule: "xml.syntax", Pos: se.Pos, Message: se.Msg})
		return rep.done(), nil
	case errors.Is(err, ErrNotEdXML):
		rep.add(Finding{Severity: Error, Rule: "edxml.root", Pos: Pos{1, 1}, Message: strings.TrimPrefix(err.Error(), ErrNotEdXML.Error()+": ")})
		return rep.done(), nil
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	rep.Envelope = e
	rep.Kind = "document"
	if e.IsStatus() {
		rep.Kind = "status"
	}
	for _, fd := range Validate(e) {
		rep.add(fd)
	}
	if e.Signed {
		rep.signature(f, fi.Size(), o.SignatureBytes, e)
	}
	for _, p := range pdfs {
		rep.pdf(p, e)
	}
	return rep.done(), nil
}

func (r *Report) add(f Finding) {
	r.Findings = append(r.Findings, f)
}

func (r *Report) done() *Report {
	r.Errors, r.Warnings = 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case Error:
			r.Errors++
		case Warning:
			r.Warnings++
		}
	}
	r.Valid = r.Errors == 0
	return r
}

// signature checks the envelope's XML-DSig signature.
func (r *Report) signature(f *os.File, size, limit int64, e *Envelope) {
	path := "edXML/edXMLEnvelope/edXMLHeader/Signature"
	pos := e.positions[path]
	if size > limit {
		r.add(Finding{Severity: Warning, Rule: "signature.not-checked", Pos: pos, Path: path,
			Message: fmt.Sprintf("the envelope is larger than %d bytes: its signature was not checked", limit)})
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		r.add(Finding{Severity: Error, Rule: "signature.invalid", Pos: pos, Path: path, Message: err.Error()})
		return
	}
	res, err := VerifySignature(f, limit)
	if err != nil {
		r.add(Finding{Severity: Error, Rule: "signature.invalid", Pos: pos, Path: path, Message: err.Error()})
		return
	}
	for _, q := range res.Quirks {
		if strings.HasSuffix(q, dsigJunkQuirk) || q == dsigNamespaceQuirk {
			continue // the reader reported these already
		}
		r.add(Finding{Severity: Warning, Rule: "signature.quirk", Pos: pos, Path: path, Message: q})
	}
	switch {
	case res.Valid:
		who := "an unnamed signer"
		if res.Signer != nil {
			who = res.Signer.Subject.String()
		}
		r.add(Finding{Severity: Info, Rule: "signature.valid", Pos: pos, Path: path,
			Message: fmt.Sprintf("the envelope's %s signature by %s verifies (its certificate's trust is not judged here)", res.Algorithm, who)})
	case res.Signer == nil && len(res.Certificates) == 0:
		// nothing to check it with: not a broken signature, an unverifiable one
		r.add(Finding{Severity: Warning, Rule: "signature.unverifiable", Pos: pos, Path: path, Message: "the envelope's signature cannot be checked: " + res.Problem})
	default:
		r.add(Finding{Severity: Error, Rule: "signature.invalid", Pos: pos, Path: path, Message: "the envelope's signature does not verify: " + res.Problem})
	}
}

// pdf checks the signatures of a PDF attachment.
func (r *Report) pdf(p *pdfSpool, e *Envelope) {
	if p.f == nil {
		return // not a PDF
	}
	path, pos := attachmentPath+"/Attachment", Pos{}
	for i, a := range e.attached {
		if a.attached == p.a.attached {
			path += nth(i)
			pos = e.positions[path]
		}
	}
	name := p.a.Name
	if p.over {
		r.add(Finding{Severity: Warning, Rule: "attachment.pdf-not-checked", Pos: pos, Path: path,
			Message: fmt.Sprintf("%s is larger than %d bytes: its signatures were not checked", name, p.limit)})
		return
	}
	checks, err := verify.CheckReader(p.f, p.n)
	if err != nil {
		r.add(Finding{Severity: Error, Rule: "attachment.pdf", Pos: pos, Path: path, Message: fmt.Sprintf("%s is not a readable PDF: %v", name, err)})
		return
	}
	if len(checks) == 0 {
		r.add(Finding{Severity: Info, Rule: "attachment.pdf-unsigned", Pos: pos, Path: path, Message: name + " carries no signature"})
		return
	}
	for _, c := range checks {
		if c.Intact {
			r.add(Finding{Severity: Info, Rule: "attachment.pdf-signature", Pos: pos, Path: path,
				Message: fmt.Sprintf("%s: the signature %s by %s is intact (vbdt verify judges its trust)", name, c.Field, c.Signer)})
		} else {
			r.add(Finding{Severity: Error, Rule: "attachment.pdf-signature", Pos: pos, Path: path,
				Message: fmt.Sprintf("%s: the signature %s by %s is broken: %s", name, c.Field, c.Signer, c.Problem)})
		}
	}
}

// pdfSpool keeps an attachment that starts like a PDF in a temporary file, to be checked;
// other attachments pass through.
type pdfSpool struct {
	a     *Attachment
	dir   string
	limit int64
	head  []byte
	f     *os.File
	n     int64
	over  bool
	not   bool
}

func (p *pdfSpool) Write(b []byte) (int, error) {
	n := len(b)
	if p.not || p.over {
		return n, nil
	}
	if p.f == nil {
		p.head = append(p.head, b...)
		if len(p.head) < 1024 && !bytes.Contains(p.head, []byte("%PDF-")) {
			return n, nil
		}
		if !bytes.Contains(p.head[:min(len(p.head), 1024)], []byte("%PDF-")) {
			p.not, p.head = true, nil
			return n, nil
		}
		f, err := os.CreateTemp(p.dir, "vbdt-envelope-*.pdf")
		if err != nil {
			return 0, err
		}
		p.f = f
		b, p.head = p.head, nil
	}
	if p.n+int64(len(b)) > p.limit {
		p.over = true
		return n, nil
	}
	w, err := p.f.Write(b)
	p.n += int64(w)
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (p *pdfSpool) remove() {
	if p.f != nil {
		p.f.Close()
		os.Remove(p.f.Name())
	}
}
