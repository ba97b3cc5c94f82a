// Package sign makes PAdES signatures (ETSI.CAdES.detached) on PDF documents with the
// appearances Decree 30/2020/NĐ-CP prescribes, as incremental updates that leave every earlier
// byte — and so every earlier signature — intact. Hashing streams the file, so memory does not
// grow with the document.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/verify"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
)

// Space reserved for the CMS (bytes, before hex encoding): a B-B CMS with a three-certificate
// chain is about 3.5 KB; a timestamp token with the TSA's chain adds as much again.
const (
	DefaultContentsSize    = 8192
	DefaultContentsSizeTSA = 16384
)

// Request describes one signature.
type Request struct {
	Signer           crypto.Signer
	Chain            []*x509.Certificate // signer's certificate first
	Hash             crypto.Hash         // SHA-256 when zero
	PSS              bool                // RSA-PSS instead of PKCS#1 v1.5
	Time             time.Time           // the signing time in /M (now when zero)
	Reason, Location string
	// Field is the signature field's name (unique names are made when empty).
	Field string
	// ExistingField signs the existing, empty signature field Field (drawn in its own
	// rectangle) instead of adding one: after a certification the only signature strict
	// validators accept.
	ExistingField bool
	// NewVisibleField allows a new visible signature field after a certification, which
	// Acrobat accepts and strict validators (EU DSS, pyHanko) reject.
	NewVisibleField bool
	// Visible places the signature; nil makes it invisible.
	Visible *Placement
	// TextFields are created empty and unlocked before signing (the approver's number and date),
	// PreparedFields as empty signature fields (the organization's seal), for later steps.
	TextFields     []pdf.TextField
	PreparedFields []pdf.SignatureField
	Font           *pdf.Font // for TextFields
	// DocMDP certifies the document with this permission (2: form filling and signing).
	DocMDP int
	// ContentsSize reserves space for the CMS (DefaultContentsSize, or DefaultContentsSizeTSA
	// with a TSA, when zero).
	ContentsSize int
	// TSA, when set, timestamps the signature value: a B-T signature.
	TSA *TSA
	// Level is the PAdES level to reach: B-T and above need TSA; B-LT then adds the validation
	// data of every signature of the document (LTV.Evidence), B-LTA a document timestamp (by
	// LTV.TSA, else TSA). Empty: B-T with a TSA, else B-B.
	Level Level
	LTV   LTV
}

// Placement is a visible signature's page, rectangle and drawing.
type Placement struct {
	Page    int
	Rect    pdf.Rect
	Drawing pdf.Drawing
}

// Result describes a made signature.
type Result struct {
	Field     string
	ByteRange [4]int64
	Size      int64  // bytes of the signed document
	Timestamp string // the document timestamp's field, at B-LTA
	// evidence is what B-LT gathers validation data for: every intact signature
	evidence []*verify.Evidence
	// inMemory holds the signed document when it was made in memory: B-LT reads it there
	inMemory io.ReaderAt
}

// SignFile signs in and writes the signed document to out, atomically: out is complete or
// unchanged. in and out may be the same path (an in-place replace).
func SignFile(ctx context.Context, in, out string, r Request) (*Result, error) {
	doc, err := pdf.OpenFile(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	defer doc.Close()
	res, err := signDoc(ctx, doc, out, r, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	return res, nil
}

// signDoc signs an opened document into out, atomically (see fsutil.Replace); durable false
// leaves syncing to the caller (fsutil.ReplaceUnsynced).
func signDoc(ctx context.Context, doc *pdf.Doc, out string, r Request, durable bool) (res *Result, err error) {
	replace := fsutil.Replace
	if !durable {
		replace = fsutil.ReplaceUnsynced
	}
	err = replace(out, 0o644, func(f *os.File) error {
		if res, err = Sign(ctx, doc, f, r); err != nil || !r.Level.AtLeast(LevelLT) {
			return err
		}
		l := r.LTV
		l.Timestamp = r.Level == LevelLTA
		if l.TSA == nil {
			l.TSA = r.TSA
		}
		// the signatures were checked as the document was signed: not again
		x, err := extendAppend(ctx, f, res.Size, l, res.evidence, false, res.inMemory)
		if err == nil {
			res.Size, res.Timestamp = x.Size, x.Timestamp
		}
		return err
	})
	return res, err
}

// Output is where a signed document is written. A document read whole into memory is hashed
// and signed there and written once; a larger one is read back from out to hash and its
// signature patched in place.
type Output interface {
	io.Writer
	io.ReaderAt
	io.WriterAt
}

// Sign writes the original document to out followed by the signature's incremental update,
// with the byte range and the CMS filled in. A signature the document's earlier signatures do
// not permit is refused (*NotPermitted) before the key is used, and the result is checked
// again before it is written.
func Sign(ctx context.Context, doc *pdf.Doc, out Output, r Request) (*Result, error) {
	if len(r.Chain) == 0 || r.Signer == nil {
		return nil, errors.New("no signing key or certificate")
	}
	if r.Hash == 0 {
		r.Hash = crypto.SHA256
	}
	if r.Level.AtLeast(LevelT) && r.TSA == nil {
		return nil, fmt.Errorf("a %s signature needs a time-stamping authority (--tsa)", r.Level)
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if r.ContentsSize == 0 {
		r.ContentsSize = DefaultContentsSize
		if r.TSA != nil {
			r.ContentsSize = DefaultContentsSizeTSA
		}
	}
	if r.Field == "" {
		r.Field = fmt.Sprintf("Signature%d", time.Now().UnixNano()%1e9)
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return nil, err
	}
	if err := checkPermits(doc, &r, sigs); err != nil {
		return nil, err
	}
	inc := doc.NewIncrement()
	sig := inc.Reserve()
	inc.Put(sig, sigDict(r))
	if len(r.TextFields) > 0 {
		if r.Font == nil {
			return nil, errors.New("text fields need a font")
		}
		if err := inc.AddTextFields(r.TextFields, r.Font); err != nil {
			return nil, err
		}
	}
	field := pdf.SignatureField{Name: r.Field, Page: 1}
	if v := r.Visible; v != nil {
		field.Page, field.Rect, field.Appearance = v.Page, v.Rect, v.Drawing
	}
	if r.ExistingField {
		err = inc.SignField(r.Field, sig, field.Appearance)
	} else {
		err = inc.AddSignature(field, sig)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range r.PreparedFields { // after the signature's own field, in the signing order
		if err := inc.AddUnsignedSignature(f); err != nil {
			return nil, err
		}
	}
	if r.DocMDP != 0 {
		if err := inc.Certify(sig); err != nil {
			return nil, err
		}
	}
	// Every earlier signature is checked again in the result, by the strict reading unless a
	// new visible field was asked for: a document that fails is not written.
	strict := verify.Strictness{NewVisibleSignatureFields: r.NewVisibleField}
	var der []byte
	var ts *timestamp.Timestamp
	br, total, checks, inMemory, err := appendSigned(doc, out, inc, sig, r.ContentsSize, r.Hash, len(sigs) > 0, strict, func(digest []byte) ([]byte, error) {
		der, ts, err = r.cms(ctx, digest)
		return der, err
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Field: r.Field, ByteRange: br, Size: total, inMemory: inMemory}
	// what long-term validation gathers evidence for: every signature rechecked, or this one
	if checks != nil {
		for _, c := range checks {
			if e := c.Evidence(); c.Intact && e != nil {
				res.evidence = append(res.evidence, e)
			}
		}
	} else {
		contents := make([]byte, r.ContentsSize) // the /Contents string: the CMS and its zero padding
		copy(contents, der)
		e := &verify.Evidence{Field: r.Field, Signer: r.Chain[0], Certs: r.Chain, VRIKey: pdf.VRIKey(contents), Time: r.Time, Signature: true}
		if ts != nil {
			e.Time, e.Proven, e.Certs = ts.Time, true, append(slices.Clone(r.Chain), ts.Certificates...)
			for _, c := range ts.Certificates { // the token's signer, checked when it came
				if slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
					e.TSA = c
				}
			}
		}
		res.evidence = []*verify.Evidence{e}
	}
	return res, nil
}

// appendSigned writes doc to out followed by inc, whose object sig is a signature dictionary
// with the placeholders of sigDict: the byte range is filled in, and /Contents with what sign
// makes of the digest of the signed ranges. With recheck, every earlier signature is checked
// again in the result, by strict, and an error leaves what was written to be thrown away.
func appendSigned(doc *pdf.Doc, out Output, inc *pdf.Increment, sig pdf.Ref, contentsSize int, h crypto.Hash,
	recheckEarlier bool, strict verify.Strictness, sign func(digest []byte) ([]byte, error)) (br [4]int64, total int64, checks []verify.Check, inMemory io.ReaderAt, err error) {
	w, err := inc.Bytes()
	if err != nil {
		return br, 0, nil, nil, err
	}
	// Locate the placeholders inside the signature object and fill in the byte range: it
	// depends only on sizes, so it is written with the increment.
	inc0 := doc.Size()
	objAt := w.Offsets[sig.Num] - inc0
	body := w.Bytes[objAt:]
	brAt := bytes.Index(body, []byte(byteRangePlaceholder))
	ctAt := bytes.Index(body, []byte("/Contents <"))
	if brAt < 0 || ctAt < 0 {
		return br, 0, nil, nil, errors.New("signature placeholders not found")
	}
	total = inc0 + int64(len(w.Bytes))
	contentsStart := inc0 + objAt + int64(ctAt) + int64(len("/Contents "))
	contentsEnd := contentsStart + 2 + int64(2*contentsSize)
	br = [4]int64{0, contentsStart, contentsEnd, total - contentsEnd}
	brText := fmt.Sprintf("[0 %d %d %d]", br[1], br[2], br[3])
	copy(body[brAt:], brText+strings.Repeat(" ", len(byteRangePlaceholder)-len(brText)))
	hexAt := w.Bytes[contentsStart+1-inc0 : contentsEnd-1-inc0]
	signDigest := func(digest []byte) error {
		value, err := sign(digest)
		if err != nil {
			return err
		}
		return putHex(hexAt, value)
	}
	if mem := doc.Bytes(); mem != nil {
		// The whole document is in memory: hash and sign there, then write it once.
		d := h.New()
		d.Write(mem)
		d.Write(w.Bytes[:contentsStart-inc0])
		d.Write(w.Bytes[contentsEnd-inc0:])
		if err := signDigest(d.Sum(nil)); err != nil {
			return br, 0, nil, nil, err
		}
		if recheckEarlier {
			if checks, err = recheck(appended{bytes.NewReader(mem), int64(len(mem)), w.Bytes}, total, strict); err != nil {
				return br, 0, nil, nil, err
			}
		}
		if _, have := out.(tail); !have {
			if _, err := out.Write(mem); err != nil {
				return br, 0, nil, nil, err
			}
		}
		if _, err := out.Write(w.Bytes); err != nil {
			return br, 0, nil, nil, err
		}
		return br, total, checks, appended{bytes.NewReader(mem), int64(len(mem)), w.Bytes}, nil
	}
	// A large document streams: copy it (unless out holds it already), append the increment, hash the written ranges back
	// from the output and patch the signature into its place.
	if _, have := out.(tail); !have {
		src, err := doc.Original()
		if err != nil {
			return br, 0, nil, nil, err
		}
		if n, err := io.Copy(out, src); err != nil {
			return br, 0, nil, nil, err
		} else if n != inc0 {
			return br, 0, nil, nil, fmt.Errorf("copied %d bytes of %d", n, inc0)
		}
	}
	if _, err := out.Write(w.Bytes); err != nil {
		return br, 0, nil, nil, err
	}
	digest, err := pdf.HashRanges(out, h, br)
	if err != nil {
		return br, 0, nil, nil, err
	}
	if err := signDigest(digest); err != nil {
		return br, 0, nil, nil, err
	}
	if _, err := out.WriteAt(hexAt, contentsStart+1); err != nil {
		return br, 0, nil, nil, err
	}
	if recheckEarlier {
		if checks, err = recheck(out, total, strict); err != nil {
			return br, 0, nil, nil, err
		}
	}
	return br, total, checks, nil, nil
}

// cms makes the CMS SignedData over digest, with a signature timestamp when r has a TSA.
func (r Request) cms(ctx context.Context, digest []byte) (der []byte, ts *timestamp.Timestamp, err error) {
	creq := cms.Request{Signer: r.Signer, Chain: r.Chain, Hash: r.Hash, PSS: r.PSS, Digest: digest}
	if r.TSA != nil {
		creq.Unsigned = func(sig []byte) ([][]byte, error) {
			var token []byte
			if token, ts, err = r.TSA.Stamp(ctx, sig); err != nil {
				return nil, err
			}
			return [][]byte{cms.EncodeAttribute(cms.OIDTimeStampToken, token)}, nil
		}
	}
	der, err = cms.Build(creq)
	if errors.Is(err, cms.ErrKeyType) {
		return nil, nil, batch.Fatal(err) // the key cannot sign this way, for any document
	}
	return der, ts, err
}

// putHex writes data as upper-case hex digits at the start of dst (a /Contents placeholder of
// zeros) or reports that it does not fit.
func putHex(dst, data []byte) error {
	if 2*len(data) > len(dst) {
		return fmt.Errorf("the signature (%d bytes) does not fit the %d bytes reserved", len(data), len(dst)/2)
	}
	const digits = "0123456789ABCDEF"
	for i, c := range data {
		dst[2*i], dst[2*i+1] = digits[c>>4], digits[c&15]
	}
	return nil
}

// byteRangePlaceholder is wide enough for four offsets of files up to 9.9 GB.
const byteRangePlaceholder = "[0 0000000000 0000000000 0000000000]"

func sigDict(r Request) []byte {
	var b strings.Builder
	b.WriteString("/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached")
	fmt.Fprintf(&b, " /M %s", pdf.TextString(pdf.Date(r.Time)).PDFString())
	if r.Reason != "" {
		fmt.Fprintf(&b, " /Reason %s", pdf.TextString(r.Reason).PDFString())
	}
	if r.Location != "" {
		fmt.Fprintf(&b, " /Location %s", pdf.TextString(r.Location).PDFString())
	}
	if r.DocMDP != 0 {
		fmt.Fprintf(&b, " /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>]", r.DocMDP)
	}
	return placeholderDict(b.String(), r.ContentsSize)
}

// placeholderDict is a signature dictionary with entries, then a /ByteRange placeholder and
// a /Contents of contentsSize zero bytes, for appendSigned to fill in.
func placeholderDict(entries string, contentsSize int) []byte {
	var b bytes.Buffer
	b.Grow(len(entries) + 2*contentsSize + 64)
	b.WriteString("<< " + entries)
	b.WriteString(" /ByteRange " + byteRangePlaceholder + " /Contents <")
	zeros := b.AvailableBuffer()[:2*contentsSize]
	for i := range zeros {
		zeros[i] = '0'
	}
	b.Write(zeros)
	b.WriteString("> >>")
	return b.Bytes()
}
