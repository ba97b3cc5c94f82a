package sign

import (
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

	"github.com/vbdt/vbdt/internal/evidence"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/verify"
)

// Level is a PAdES baseline level (ETSI EN 319 142-1 §6): B-B a signature; B-T with a
// signature timestamp; B-LT with the validation data of its certificates in the document
// (/DSS); B-LTA then a document timestamp over everything, renewed before its TSA's
// certificate expires.
type Level string

const (
	LevelB   Level = "B-B"
	LevelT   Level = "B-T"
	LevelLT  Level = "B-LT"
	LevelLTA Level = "B-LTA"
)

// Levels in order.
var Levels = []Level{LevelB, LevelT, LevelLT, LevelLTA}

// ParseLevel reads a level, in any case, with or without "B-".
func ParseLevel(s string) (Level, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(u, "B-") {
		u = "B-" + u
	}
	for _, l := range Levels {
		if string(l) == u {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown signature level %q (B-B, B-T, B-LT or B-LTA)", s)
}

// AtLeast reports whether l is level m or above.
func (l Level) AtLeast(m Level) bool { return levelRank(l) >= levelRank(m) }

func levelRank(l Level) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// LTV says where long-term validation material comes from.
type LTV struct {
	// Evidence fetches (or, offline, looks up) OCSP responses, CRLs and missing certificates.
	Evidence *evidence.Fetcher
	// TSA makes document timestamps; Timestamp asks for one after the validation data.
	TSA       *evidence.TSA
	Timestamp bool
	// Field names the document timestamp's field (a unique name when empty).
	Field string
	// ContentsSize reserves room for the timestamp token (DefaultContentsSizeTSA when zero).
	ContentsSize int
	// Now is the time of the update (time.Now when zero): the VRI entries' /TU, and the time
	// revocation is judged at for a signature whose time no timestamp proves.
	Now time.Time
	// Roots complete chains whose documents leave their root out (most do): the trust anchors.
	Roots []*x509.Certificate
	// RenewBefore, when set, makes ExtendFile a renewal: only a document whose last document
	// timestamp's TSA certificate expires before it is extended (NotDue otherwise).
	RenewBefore time.Time
}

// NotDue says why a document needs no renewal.
type NotDue struct{ Reason string }

func (e *NotDue) Error() string { return e.Reason }

// renewal says why a document whose signatures are checks needs no renewal before horizon;
// nil when it does.
func renewal(checks []verify.Check, horizon time.Time) *NotDue {
	var last *verify.Check
	for i, c := range checks {
		if c.DocTimestamp() && c.Intact && (last == nil || c.SignedSize > last.SignedSize) {
			last = &checks[i]
		}
	}
	switch {
	case last == nil:
		return &NotDue{"no document timestamp to renew (vbdt ltv extend --timestamp adds the first)"}
	case last.Certificate() != nil && last.Certificate().NotAfter.After(horizon):
		return &NotDue{fmt.Sprintf("the last document timestamp's TSA certificate is valid until %s", last.Certificate().NotAfter.Format(time.DateOnly))}
	}
	return nil // due; a timestamp whose TSA cannot be known is no evidence for long
}

// ExtendResult says what an extension made.
type ExtendResult struct {
	Timestamp string // the document timestamp's field, when one was added
	Size      int64  // bytes of the result
}

// ExtendFile adds long-term validation material to every signature of in (made by vbdt or any
// other tool) and writes the result to out atomically; in and out may be the same path.
// Earlier revisions are copied byte for byte. Errors do not name in (the batch engine does).
// ErrNothingToAdd: the document holds this validation data already and no timestamp was asked;
// *NotDue: a renewal (o.RenewBefore) is not due. Its signatures are checked once, on in, before
// anything is copied.
func ExtendFile(ctx context.Context, in, out string, o LTV) (*ExtendResult, error) {
	src, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, err
	}
	checks, err := verify.CheckReader(src, fi.Size())
	if err != nil {
		return nil, err
	}
	if !o.RenewBefore.IsZero() {
		if nd := renewal(checks, o.RenewBefore); nd != nil {
			return nil, nd
		}
	}
	evs := []*verify.Evidence{}
	for _, c := range checks {
		if e := c.Evidence(); c.Intact && e != nil {
			evs = append(evs, e)
		}
	}
	var res *ExtendResult
	err = fsutil.Replace(out, 0o644, func(f *os.File) error {
		n, err := io.Copy(f, io.NewSectionReader(src, 0, fi.Size()))
		if err != nil {
			return err
		}
		// a document from elsewhere has its signatures checked again after the timestamp
		res, err = extendAppend(ctx, f, n, o, evs, true, nil)
		return err
	})
	return res, err
}

// ErrNothingToAdd says that a document holds the validation data an extension would add.
var ErrNothingToAdd = errors.New("the document holds this validation data already")

// allIn reports whether every VRI entry's key is in keys.
func allIn(vris []pdf.VRI, keys map[string]bool) bool {
	for _, v := range vris {
		if _, ok := keys[v.Key]; !ok {
			return false
		}
	}
	return true
}

// extendAppend appends to f, which holds a document of size bytes, a DSS update with the
// validation data of the signatures evs, then with o.Timestamp a document timestamp, after
// which, with recheckEarlier, every earlier signature is checked again. inMemory, when not
// nil, holds the same bytes as f, to read them from.
func extendAppend(ctx context.Context, f *os.File, size int64, o LTV, evs []*verify.Evidence, recheckEarlier bool, inMemory io.ReaderAt) (*ExtendResult, error) {
	if o.Evidence == nil {
		return nil, errors.New("no source of validation data")
	}
	if o.Timestamp && o.TSA == nil {
		return nil, errors.New("a document timestamp needs a TSA (--tsa)")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var src io.ReaderAt = f
	if inMemory != nil {
		src = inMemory
	}
	doc, err := pdf.Open(io.NewSectionReader(src, 0, size), size)
	if err != nil {
		return nil, err
	}
	dss, vris, have, err := gatherValidation(ctx, doc, evs, o)
	if err != nil {
		return nil, err
	}
	res := &ExtendResult{Size: size}
	inc := doc.NewIncrement()
	added, err := inc.AddDSS(dss, vris)
	if err != nil {
		return nil, err
	}
	if added == 0 && !o.Timestamp && allIn(vris, have.VRI) {
		return nil, ErrNothingToAdd
	}
	w, err := inc.Bytes()
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(w.Bytes, size); err != nil {
		return nil, err
	}
	res.Size = size + int64(len(w.Bytes))
	if !o.Timestamp {
		return res, nil
	}
	doc, err = pdf.Open(io.NewSectionReader(f, 0, res.Size), res.Size)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(res.Size, io.SeekStart); err != nil {
		return nil, err
	}
	field, total, err := docTimestamp(ctx, doc, tail{f}, o, recheckEarlier)
	if err != nil {
		return nil, err
	}
	res.Timestamp, res.Size = field, total
	return res, nil
}

// gatherValidation collects the validation data of the signatures and document timestamps
// evs of doc (and returns the DSS doc has): their chains completed, OCSP responses or CRLs for each certificate, and a VRI
// entry for each. One the document's DSS already has a VRI entry for keeps it when fresh data
// cannot be had. A certificate revoked before the time a timestamp proves (or, without one,
// before now) is an error: such a signature cannot be made long-term.
func gatherValidation(ctx context.Context, doc *pdf.Doc, evs []*verify.Evidence, o LTV) (pdf.DSS, []pdf.VRI, *pdf.DSS, error) {
	var dss pdf.DSS
	have, err := doc.DSS()
	if err != nil {
		return dss, nil, nil, err
	}
	seen := map[string]bool{}
	add := func(dst *[][]byte, items ...[]byte) {
		for _, b := range items {
			if k := string(b); !seen[k] {
				seen[k] = true
				*dst = append(*dst, b)
			}
		}
	}
	var vris []pdf.VRI
	stored := append(have.Certificates(), o.Roots...) // the certificates every chain may use
	for _, e := range evs {
		pool := append(slices.Clone(e.Certs), stored...)
		// revocation counts against a signature up to the time a timestamp by a trusted TSA
		// proves; a time the signer only claims (or any TSA asserts) proves nothing, so any
		// revocation until now counts
		at, tsa := e.Time, e.TSA
		if !e.Signature {
			tsa = e.Signer // a document timestamp's time is its own TSA's word
		}
		if !e.Proven || !o.Evidence.ChainsTo(tsa, pool, o.Roots, e.Time, x509.ExtKeyUsageTimeStamping) {
			at = o.Now
		}
		vri := pdf.VRI{Key: e.VRIKey, Time: o.Now}
		kept := false
		for _, leaf := range []*x509.Certificate{e.Signer, e.TSA} {
			if leaf == nil {
				continue
			}
			m, err := o.Evidence.Collect(ctx, append([]*x509.Certificate{leaf}, pool...), at)
			if m != nil {
				// a revocation found is decisive, even among other failures
				if err := revokedBefore(m, at); err != nil {
					return dss, nil, nil, fmt.Errorf("signature %s: %w", e.Field, err)
				}
			}
			if err != nil && have.VRI[e.VRIKey] {
				// revocation data given earlier stays: years on, a signer's responder may be
				// gone, and renewing the archive timestamp must not depend on it
				kept = true
				break
			}
			if err != nil {
				return dss, nil, nil, fmt.Errorf("signature %s: %w", e.Field, err)
			}
			for _, cert := range m.Certs {
				add(&dss.Certs, cert.Raw)
				vri.Certs = append(vri.Certs, cert.Raw)
			}
			add(&dss.OCSPs, m.OCSPs...)
			add(&dss.CRLs, m.CRLs...)
			vri.OCSPs = append(vri.OCSPs, m.OCSPs...)
			vri.CRLs = append(vri.CRLs, m.CRLs...)
		}
		if !kept {
			vris = append(vris, vri)
		}
	}
	if len(evs) == 0 {
		return dss, nil, nil, errors.New("no intact signature to give validation data")
	}
	return dss, vris, have, nil
}

// tail is an Output that already holds the document it was opened from: only what follows
// is written.
type tail struct{ *os.File }

// docTimestamp appends a document timestamp (/Type /DocTimeStamp, ETSI.RFC3161) in a new
// invisible signature field over the whole of doc, which out already holds; with
// recheckEarlier, every earlier signature is checked again in the result.
func docTimestamp(ctx context.Context, doc *pdf.Doc, out tail, o LTV, recheckEarlier bool) (string, int64, error) {
	size := o.ContentsSize
	if size == 0 {
		size = DefaultContentsSizeTSA // a token with a long chain of RSA-4096 certificates
	}
	field := o.Field
	if field == "" {
		field = fmt.Sprintf("DocTimeStamp%d", time.Now().UnixNano()%1e9)
	}
	sigs, err := doc.Signatures()
	if err != nil {
		return "", 0, err
	}
	inc := doc.NewIncrement()
	sig := inc.Reserve()
	inc.Put(sig, placeholderDict("/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161", size))
	if err := inc.AddSignature(pdf.SignatureField{Name: field, Page: 1}, sig); err != nil {
		return "", 0, err
	}
	h := o.TSA.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	_, total, _, _, err := appendSigned(doc, out, inc, sig, size, h, recheckEarlier && len(sigs) > 0, verify.Strictness{}, func(digest []byte) ([]byte, error) {
		return o.TSA.StampDigest(ctx, digest, h)
	})
	return field, total, err
}

// revokedBefore is an error when a certificate of m was revoked at or before at: a signature
// made after its certificate's revocation (or, without a timestamp, one whose certificate is
// revoked now) cannot become a long-term one.
func revokedBefore(m *evidence.Material, at time.Time) error {
	for _, s := range m.Status {
		if s.RevokedBy(at) {
			return fmt.Errorf("the certificate of %q was revoked at %s (%s), before the signature's proven time (or now, without a timestamp) %s: no validation data was added",
				s.Cert.Subject.CommonName, s.RevokedAt.UTC().Format(time.RFC3339), s.Source, at.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
