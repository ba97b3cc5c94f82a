package verify_test

// The verification corpus: documents made legitimately (vbdt's own Decree 30 flow, a second
// implementation, pdfsig's NSS signer, B-T and document timestamps) and attacked (from PDF
// 32000-1 §12.8, ETSI EN 319 142-1/319 102-1, the 2019 "Breaking PDF Signatures" and 2021
// "Shadow Attacks" papers), each with the document indication and sub-indication verify.File
// must give, and poppler's pdfsig run on each as a second opinion.
//
// Where pdfsig (poppler 22.12) is wrong or blind, and why (each such case asserts that pdfsig
// indeed says "Signature is Valid." so that this table stays true):
//
//	case(s)                                  pdfsig says   why pdfsig is wrong / blind
//	---------------------------------------  ------------  ----------------------------------------------
//	content changed / page appended /        valid         it checks each signature's byte range only and
//	pages removed after a signature                        ignores incremental updates after it ("Not
//	                                                       total document signed" is all it prints)
//	annotation after DocMDP P=1 or P=2       valid         it ignores DocMDP permissions altogether
//	FieldMDP-locked field filled             valid         it ignores FieldMDP (/Lock) altogether
//	/Reason or /M rewritten later            valid         it shows the final revision's signature
//	                                                       dictionary, unsigned entries and all
//	copied signature dictionary (two         valid         it does not see that two dictionaries claim
//	dictionaries, one signed revision)                     the same signed bytes
//	shadow hide / replace (redefined          valid         later revisions are not analysed (as above)
//	XObject, appearance or field value)
//	expired / revoked certificate            valid*        * its "Signature Validation" line is about the
//	                                                       CMS only; the certificate verdict is on the
//	                                                       "Certificate Validation" line (logged, and
//	                                                       seen to say Expired / Revoked, with NSS)
//	untrusted root                           valid         it trusts its own NSS database (where the corpus
//	                                                       put the test roots), not vbdt's anchors
//	a /ByteRange (re-signed) that leaves     valid         it accepts a range that does not reach the end of
//	the end of its revision unsigned                       its revision ("Not total document signed")
//	file truncated inside the last revision  valid         it reconstructs the file, drops the cut signature
//	                                                       without a word and calls the first one valid
//	document timestamp copied from another   (skipped)     pdfsig 22.12 does not validate ETSI.RFC3161
//	file                                                   ("Signature has not yet been verified"); its
//	                                                       blocks are left out of the count
//
// pdfsig is right (and agrees with vbdt) on what changes the signed bytes or the CMS: digest
// mismatches, a forged /ByteRange, /Contents emptied, the certificate replaced.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/sign"
	"github.com/vbdt/vbdt/verify"
)

// corpus holds what every case shares: the PKI, the base documents, a TSA, and the fixtures
// built once on first use.
type corpus struct {
	dir, pki     string
	sets         map[testpki.Alg]*testpki.Set
	anchors      []*x509.Certificate
	font         *pdf.Font
	sigImg, seal *pdf.Image
	tsa          *testenv.TSA
	nss          string // an NSS database trusting the test roots, "" without NSS tools

	mu    sync.Mutex
	files map[string]*fixtureFile
}

type fixtureFile struct {
	once sync.Once
	path string
	err  string
}

// file returns the fixture named name, building it with make on first use.
func (c *corpus) file(t testing.TB, name string, make func(t testing.TB, out string)) string {
	t.Helper()
	c.mu.Lock()
	f := c.files[name]
	if f == nil {
		f = &fixtureFile{path: filepath.Join(c.dir, name+".pdf")}
		c.files[name] = f
	}
	c.mu.Unlock()
	f.once.Do(func() {
		ft := &fixtureT{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != errFixture {
					panic(r)
				}
			}()
			make(ft, f.path)
		}()
		f.err = ft.msg
	})
	if f.err != "" {
		t.Fatalf("fixture %s: %s", name, f.err)
	}
	return f.path
}

var errFixture = fmt.Errorf("fixture failed")

// fixtureT records a fixture's failure so that every case using it fails with it, not only the
// first one that built it.
type fixtureT struct {
	testing.TB
	msg string
}

func (f *fixtureT) Fatal(args ...any) { f.msg = fmt.Sprint(args...); panic(errFixture) }
func (f *fixtureT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(errFixture)
}
func (f *fixtureT) Helper() {}

func newCorpus(t *testing.T) *corpus {
	t.Helper()
	testenv.NeedTools(t, "pdfsig", "qpdf", "openssl")
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	c := &corpus{dir: t.TempDir(), files: map[string]*fixtureFile{}}
	c.pki = filepath.Join(c.dir, "pki")
	c.sets = testenv.PKI(t, c.pki)
	for _, alg := range testpki.Algs {
		c.anchors = append(c.anchors, c.sets[alg].Get(testpki.Root).Cert)
	}
	if c.font, err = pdf.LoadFont(face.Regular); err != nil {
		t.Fatal(err)
	}
	sigPNG, sealPNG, err := testpki.WriteImages(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.sigImg, err = pdf.LoadPNG(sigPNG); err != nil {
		t.Fatal(err)
	}
	if c.seal, err = pdf.LoadPNG(sealPNG); err != nil {
		t.Fatal(err)
	}
	for _, pages := range []int{1, 2} {
		data, err := pdf.Sample(pages, face.Regular, 2)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(c.dir, fmt.Sprintf("base%d.pdf", pages)), data)
	}
	if c.tsa, err = testenv.StartTSA(c.pki, testpki.RSA); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.tsa.Close)
	var roots []string
	for _, alg := range testpki.Algs {
		roots = append(roots, testpki.FilesFor(c.pki, testpki.Root, alg).Cert)
	}
	c.nss = nssDB(t, c.dir, c.pki, roots, testpki.FilesFor(c.pki, testpki.Approver, testpki.RSA).P12, testpki.Password)
	return c
}

func (c *corpus) base(pages int) string {
	return filepath.Join(c.dir, fmt.Sprintf("base%d.pdf", pages))
}

// req is a request signed by role's key of alg.
func (c *corpus) req(role testpki.Role, alg testpki.Alg) sign.Request {
	id := c.sets[alg].Get(role)
	return sign.Request{Signer: id.Key, Chain: c.sets[alg].Chain(role)}
}

func signFile(t testing.TB, in, out string, r sign.Request) {
	t.Helper()
	if _, err := sign.SignFile(context.Background(), in, out, r); err != nil {
		t.Fatalf("sign %s: %v", in, err)
	}
}

// signRole signs as a Decree 30 role, the way vbdt sign --role does.
func (c *corpus) signRole(t testing.TB, in, out string, r sign.Request, a sign.Appearance) {
	t.Helper()
	doc, err := pdf.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	err = a.Apply(doc, &r)
	doc.Close()
	if err != nil {
		t.Fatal(err)
	}
	signFile(t, in, out, r)
}

// increment appends what edit writes with vbdt's own incremental writer.
func increment(t testing.TB, in, out string, edit func(inc *pdf.Increment) error) string {
	t.Helper()
	doc, err := pdf.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	inc := doc.NewIncrement()
	if err := edit(inc); err != nil {
		t.Fatal(err)
	}
	w, err := inc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, out, append(readFile(t, in), w.Bytes...))
	return out
}

// ---- shared fixtures -------------------------------------------------------------------------

// The Decree 30 flow as vbdt demo makes it: the approver certifies (P=2) with the number and
// date fields and the organization's prepared field, the clerk stamps the number, the
// organization signs its prepared field.
func (c *corpus) approved(t testing.TB) string {
	return c.file(t, "nd30-1-approved", func(t testing.TB, out string) {
		c.signRole(t, c.base(1), out, c.req(testpki.Approver, testpki.RSA), sign.Appearance{Role: nd30.Approver, Image: c.sigImg, Seal: c.seal, Font: c.font})
	})
}

func (c *corpus) numbered(t testing.TB) string {
	in := c.approved(t)
	return c.file(t, "nd30-2-numbered", func(t testing.TB, out string) {
		if _, err := sign.Stamp(sign.StampRequest{In: in, Out: out, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026"}); err != nil {
			t.Fatal(err)
		}
	})
}

func (c *corpus) issued(t testing.TB) string {
	in := c.numbered(t)
	return c.file(t, "nd30-3-issued", func(t testing.TB, out string) {
		c.signRole(t, in, out, c.req(testpki.Organization, testpki.RSA), sign.Appearance{Role: nd30.Issuer, Seal: c.seal})
	})
}

// approval is base1 with an invisible approval signature "a1".
func (c *corpus) approval(t testing.TB) string {
	return c.file(t, "approval", func(t testing.TB, out string) {
		r := c.req(testpki.Approver, testpki.ECDSA)
		r.Field, r.Reason = "a1", "Đồng ý"
		signFile(t, c.base(1), out, r)
	})
}

// twoApprovals is approval with a second approval signature "a2" by the organization.
func (c *corpus) twoApprovals(t testing.TB) string {
	in := c.approval(t)
	return c.file(t, "two-approvals", func(t testing.TB, out string) {
		r := c.req(testpki.Organization, testpki.ECDSA)
		r.Field = "a2"
		signFile(t, in, out, r)
	})
}

// certified is base1 certified with DocMDP p into "cert", with a prepared empty signature
// field "later" (P=2 and P=3).
func (c *corpus) certified(t testing.TB, p int) string {
	return c.file(t, fmt.Sprintf("certified-p%d", p), func(t testing.TB, out string) {
		r := c.req(testpki.Approver, testpki.ECDSA)
		r.Field, r.DocMDP = "cert", p
		if p != 1 {
			r.PreparedFields = []pdf.SignatureField{{Name: "later", Page: 1, Rect: pdf.Rect{X1: 300, Y1: 60, X2: 500, Y2: 110}}}
		}
		signFile(t, c.base(1), out, r)
	})
}

// form objects, numbered after base1's own
type formObjs struct {
	docObjs
	amt, apAmt, free, apFree, lk, ov, apOv, inner, helv int
}

func (c *corpus) formNums(t testing.TB) formObjs {
	o := objects(t, c.base(1))
	n := o.size
	return formObjs{docObjs: o, amt: n, apAmt: n + 1, free: n + 2, apFree: n + 3, lk: n + 4, ov: n + 5, apOv: n + 6, inner: n + 7, helv: n + 8}
}

// prepared is base1 with a form made before any signature: the text field "amt" (100 VND),
// the empty text field "free", the empty signature field "lk" whose /Lock locks "amt", and an
// overlay annotation "ov" whose appearance draws the form XObject "inner", empty-looking: the
// shadow documents' prepared objects.
func (c *corpus) prepared(t testing.TB) string {
	return c.file(t, "form-prepared", func(t testing.TB, out string) {
		in := c.base(1)
		f := c.formNums(t)
		objs := qpdfJSON(t, in)
		pagesRef := fmt.Sprintf("%d 0 R", f.pages)
		ap := func(w, h float64, content string) string {
			return stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %g %g] /Resources << /Font << /Helv %d 0 R >> >>", w, h, f.helv), content)
		}
		page := lastBody(t, in, f.page)
		if _, ok := objs[fmt.Sprint(f.page)]["/Annots"]; ok {
			t.Fatal("the base page already has annotations")
		}
		page = insertKey(page, fmt.Sprintf("/Annots [%d 0 R %d 0 R %d 0 R %d 0 R]", f.amt, f.free, f.lk, f.ov))
		appendRaw(t, in, out, map[int]string{
			f.root: fmt.Sprintf("<< /Type /Catalog /Pages %s /AcroForm << /Fields [%d 0 R %d 0 R %d 0 R] /DR << /Font << /Helv %d 0 R >> >> /DA (/Helv 0 Tf 0 g) >> >>",
				pagesRef, f.amt, f.free, f.lk, f.helv),
			f.page:   page,
			f.amt:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (amt) /V (100 VND) /DA (/Helv 12 Tf 0 g) /Rect [70 80 270 100] /P %d 0 R /F 4 /AP << /N %d 0 R >> >>", f.page, f.apAmt),
			f.apAmt:  ap(200, 20, "/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (100 VND) Tj ET EMC"),
			f.free:   fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (free) /DA (/Helv 12 Tf 0 g) /Rect [300 80 500 100] /P %d 0 R /F 4 /AP << /N %d 0 R >> >>", f.page, f.apFree),
			f.apFree: ap(200, 20, "/Tx BMC EMC"),
			f.lk:     fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (lk) /Rect [0 0 0 0] /P %d 0 R /F 132 /Lock << /Type /SigFieldLock /Action /Include /Fields [(amt)] >> >>", f.page),
			f.ov:     fmt.Sprintf("<< /Type /Annot /Subtype /Square /Rect [50 560 550 680] /F 4 /C [] /Border [0 0 0] /P %d 0 R /AP << /N %d 0 R >> >>", f.page, f.apOv),
			f.apOv:   stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 500 120] /Resources << /XObject << /In %d 0 R >> >>", f.inner), "/In Do"),
			f.inner:  stream("/Type /XObject /Subtype /Form /BBox [0 0 500 120] /Resources << >>", " "),
			f.helv:   "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		}, nil)
	})
}

// formSigned is prepared signed in its field "lk" with DocMDP p (0: an approval signature).
func (c *corpus) formSigned(t testing.TB, p int) string {
	in := c.prepared(t)
	return c.file(t, fmt.Sprintf("form-signed-p%d", p), func(t testing.TB, out string) {
		r := c.req(testpki.Approver, testpki.ECDSA)
		r.Field, r.ExistingField, r.DocMDP = "lk", true, p
		signFile(t, in, out, r)
	})
}

// fillField redefines a text field of the prepared form with a new value and appearance.
func (c *corpus) fillField(t testing.TB, in, out, name, value string) string {
	f := c.formNums(t)
	field, ap := f.free, f.apFree
	if name == "amt" {
		field, ap = f.amt, f.apAmt
	}
	body := lastBody(t, in, field)
	if strings.Contains(body, "/V (") {
		body = regexp.MustCompile(`/V \([^)]*\)`).ReplaceAllString(body, "/V ("+value+")")
	} else {
		body = insertKey(body, "/V ("+value+")")
	}
	return appendRaw(t, in, out, map[int]string{
		field: body,
		ap: stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Helv %d 0 R >> >>", f.helv),
			"/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td ("+value+") Tj ET EMC"),
	}, nil)
}

// overlay is page content that paints over the decision's body and draws a blue bar.
const overlay = "\nq 1 1 1 rg 50 560 500 120 re f 0 0 1 rg 70 600 300 30 re f Q\n"

// ---- the cases -------------------------------------------------------------------------------

type corpusCase struct {
	name  string
	build func(t testing.TB, c *corpus, dir string) string
	// opts changes the options (default: the corpus anchors, offline)
	opts   func(t testing.TB, c *corpus, o *verify.Options)
	want   verify.Indication
	sub    verify.SubIndication
	reason string // a substring of the document's reason
	check  func(t testing.TB, r *verify.Report)
	// pdfsigWrong says why pdfsig calls every signature valid where vbdt must not; pdfsigBlind
	// why pdfsig's signature line cannot see what vbdt judges (the certificate's status).
	pdfsigWrong, pdfsigBlind string
	// pdfsigSays overrides what pdfsig must say otherwise: "valid" or "invalid".
	pdfsigSays string
	// pdfsigCert is a substring of pdfsig's certificate validation, when it has an NSS database.
	pdfsigCert string
}

const (
	whyLaterRevisions = "pdfsig checks each signature's byte range and ignores every incremental update after it"
	whyDocMDP         = "pdfsig ignores DocMDP permissions"
	whyFieldMDP       = "pdfsig ignores FieldMDP locks"
	whyDictRewritten  = "pdfsig shows the final revision's signature dictionary, its unsigned entries rewritten"
	whyCertStatus     = "pdfsig's Signature Validation line is about the CMS only; the certificate's status is on its Certificate Validation line"
)

func corpusCases() []corpusCase {
	passed := func(name string, build func(t testing.TB, c *corpus, dir string) string) corpusCase {
		return corpusCase{name: name, build: build, want: verify.TotalPassed}
	}
	changed := func(name string, build func(t testing.TB, c *corpus, dir string) string, reason, pdfsigWrong string) corpusCase {
		return corpusCase{name: name, build: build, want: verify.TotalFailed, sub: verify.SigConstraintsFailure, reason: reason, pdfsigWrong: pdfsigWrong}
	}
	freeText := func(base func(t testing.TB, c *corpus) string) func(t testing.TB, c *corpus, dir string) string {
		return func(t testing.TB, c *corpus, dir string) string {
			return increment(t, base(t, c), filepath.Join(dir, "annotated.pdf"), func(inc *pdf.Increment) error {
				return inc.AddFreeText(1, pdf.Rect{X1: 100, Y1: 100, X2: 300, Y2: 140}, "ĐÃ XEM")
			})
		}
	}
	cert := func(p int) func(t testing.TB, c *corpus) string {
		return func(t testing.TB, c *corpus) string { return c.certified(t, p) }
	}
	approval := func(t testing.TB, c *corpus) string { return c.approval(t) }

	return []corpusCase{
		// ---- legitimate ----------------------------------------------------------------------
		{name: "legit/nd30-approver-stamp-organization", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string { return c.issued(t) },
			check: func(t testing.TB, r *verify.Report) {
				if len(r.Signatures) != 2 || r.Signatures[0].DocMDP != 2 || r.Signatures[0].Changes.Worst != verify.ModFormFill ||
					r.Signatures[0].Role != nd30.Approver || !r.Signatures[1].CoversWholeFile {
					t.Errorf("signatures: %+v", r.Signatures)
				}
			}},
		{name: "legit/nd30-demo-issued-profile-nd30", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string { return c.issued(t) },
			opts:  func(t testing.TB, c *corpus, o *verify.Options) { o.Profile = verify.ProfileND30 },
			check: func(t testing.TB, r *verify.Report) {
				if r.Profile != "nd30" {
					t.Errorf("profile %q", r.Profile)
				}
				for _, f := range r.Findings {
					if f.Severity == verify.Failure {
						t.Errorf("profile failure: %+v", f)
					}
				}
			}},
		{name: "legit/nd30-number-stamped-after-P2", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string { return c.numbered(t) },
			check: func(t testing.TB, r *verify.Report) {
				if s := r.Signatures[0]; s.CoversWholeFile || s.Changes.Worst != verify.ModFormFill {
					t.Errorf("the stamp is not seen as a form fill: %+v", s.Changes)
				}
			}},
		{name: "legit/nd30-approved-only-profile-fails", want: verify.TotalFailed, sub: verify.SigConstraintsFailure, reason: "organization has not signed",
			build: func(t testing.TB, c *corpus, dir string) string { return c.approved(t) },
			opts:  func(t testing.TB, c *corpus, o *verify.Options) { o.Profile = verify.ProfileND30 },
			// the document's signatures are valid; only the Decree 30 profile fails it
			pdfsigBlind: "pdfsig knows nothing of Decree 30: the signature itself is valid"},
		passed("legit/form-fill-after-P2", func(t testing.TB, c *corpus, dir string) string {
			return c.fillField(t, c.formSigned(t, 2), filepath.Join(dir, "filled.pdf"), "free", "15/QD-UBND")
		}),
		passed("legit/unlocked-field-filled-after-FieldMDP-approval", func(t testing.TB, c *corpus, dir string) string {
			return c.fillField(t, c.formSigned(t, 0), filepath.Join(dir, "filled.pdf"), "free", "15/QD-UBND")
		}),
		passed("legit/approval-into-prepared-field-after-P2", func(t testing.TB, c *corpus, dir string) string {
			out := filepath.Join(dir, "second.pdf")
			r := c.req(testpki.Organization, testpki.RSA)
			r.Field, r.ExistingField = "later", true
			signFile(t, c.certified(t, 2), out, r)
			return out
		}),
		passed("legit/two-approval-signatures", func(t testing.TB, c *corpus, dir string) string { return c.twoApprovals(t) }),
		{name: "legit/B-T-loopback-TSA", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string {
				out := filepath.Join(dir, "bt.pdf")
				r := c.req(testpki.Organization, testpki.ECDSA)
				r.TSA = &sign.TSA{URL: c.tsa.URL}
				signFile(t, c.base(1), out, r)
				return out
			},
			check: func(t testing.TB, r *verify.Report) {
				s := r.Signatures[0]
				if s.Level != "B-T" || s.TimeSource != "signature timestamp" || s.Timestamp == nil || !s.Timestamp.Trusted ||
					time.Since(s.Time) > time.Minute {
					t.Errorf("level %s, time source %q, timestamp %+v", s.Level, s.TimeSource, s.Timestamp)
				}
			}},
		passed("legit/peersign-approval-ECDSA", func(t testing.TB, c *corpus, dir string) string {
			f := testpki.FilesFor(c.pki, testpki.Approver, testpki.ECDSA)
			out := filepath.Join(dir, "peer.pdf")
			testenv.PeerSignPDF(t, c.base(1), out, f.Key, f.Cert, 0)
			return out
		}),
		{name: "legit/peersign-certified-P2-RSA", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string {
				f := testpki.FilesFor(c.pki, testpki.Approver, testpki.RSA)
				out := filepath.Join(dir, "peer.pdf")
				testenv.PeerSignPDF(t, c.base(1), out, f.Key, f.Cert, 2)
				return out
			},
			check: func(t testing.TB, r *verify.Report) {
				if r.Signatures[0].DocMDP != 2 {
					t.Errorf("DocMDP %d", r.Signatures[0].DocMDP)
				}
			}},
		passed("legit/pdfsig-NSS-signature", func(t testing.TB, c *corpus, dir string) string {
			if c.nss == "" {
				testenv.Need(t, "certutil and pk12util (libnss3-tools)")
			}
			out := filepath.Join(dir, "nss.pdf")
			cmd := exec.Command("pdfsig", "-add-signature", "-nssdir", "sql:"+c.nss, "-nick", nssNick(t, c.nss),
				"-reason", "pdfsig NSS", c.base(1), out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("pdfsig -add-signature: %v\n%s", err, b)
			}
			return out
		}),
		{name: "legit/document-timestamp-after-approval", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string { return c.docTimestamped(t) },
			check: func(t testing.TB, r *verify.Report) {
				if len(r.Signatures) != 2 || r.Signatures[1].Kind != "document timestamp" || r.Signatures[1].TimeSource != "document timestamp" ||
					r.Signatures[1].Indication != verify.TotalPassed {
					t.Errorf("signatures: %+v", r.Signatures)
				}
			}},
		passed("legit/document-timestamp-after-P1", func(t testing.TB, c *corpus, dir string) string {
			return addDocTimestamp(t, c.certified(t, 1), filepath.Join(dir, "dts.pdf"), func(b []byte) []byte { return c.tsaToken(t, b) })
		}),
		passed("legit/annotation-after-P3", freeText(cert(3))),
		passed("legit/annotation-after-approval", freeText(approval)),

		// ---- later revisions: changes the signatures do not permit -----------------------------
		changed("attack/content-changed-after-approval", func(t testing.TB, c *corpus, dir string) string {
			return increment(t, c.approval(t), filepath.Join(dir, "forged.pdf"), func(inc *pdf.Increment) error {
				return inc.ReplacePageContent(1, []byte("BT /F1 40 Tf 100 400 Td (FORGED) Tj ET"))
			})
		}, "", whyLaterRevisions),
		changed("attack/content-stream-redefined-after-nd30-issue", func(t testing.TB, c *corpus, dir string) string {
			in := c.issued(t)
			o := objects(t, in)
			return appendRaw(t, in, filepath.Join(dir, "forged.pdf"), map[int]string{o.contents: flate("", decoded(t, in, o.contents)+overlay)}, nil)
		}, "", whyLaterRevisions),
		changed("attack/page-appended-after-approval", func(t testing.TB, c *corpus, dir string) string {
			in := c.approval(t)
			o := objects(t, in)
			objs := qpdfJSON(t, in)
			pages := lastBody(t, in, o.pages)
			count := int(objs[fmt.Sprint(o.pages)]["/Count"].(float64))
			pages = regexp.MustCompile(`/Kids\s*\[`).ReplaceAllString(pages, fmt.Sprintf("/Kids [%d 0 R ", o.size)) // before page 1
			pages = regexp.MustCompile(`/Count\s+\d+`).ReplaceAllString(pages, fmt.Sprintf("/Count %d", count+1))
			return appendRaw(t, in, filepath.Join(dir, "appended.pdf"), map[int]string{
				o.pages:    pages,
				o.size:     fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << >> >>", o.pages, o.size+1),
				o.size + 1: stream("", "0 0 1 rg 70 600 300 30 re f"),
			}, nil)
		}, "", whyLaterRevisions),
		changed("attack/pages-removed-after-approval", func(t testing.TB, c *corpus, dir string) string {
			signed := c.file(t, "approval-2pages", func(t testing.TB, out string) {
				r := c.req(testpki.Approver, testpki.ECDSA)
				r.Field = "a1"
				signFile(t, c.base(2), out, r)
			})
			o := objects(t, signed)
			pages := lastBody(t, signed, o.pages)
			pages = regexp.MustCompile(`/Kids\s*\[[^\]]*\]`).ReplaceAllString(pages, fmt.Sprintf("/Kids [%d 0 R]", o.page))
			pages = regexp.MustCompile(`/Count\s+\d+`).ReplaceAllString(pages, "/Count 1")
			return appendRaw(t, signed, filepath.Join(dir, "removed.pdf"), map[int]string{o.pages: pages}, nil)
		}, "", whyLaterRevisions),
		changed("attack/annotation-after-P1", freeText(cert(1)), "", whyDocMDP),
		changed("attack/annotation-after-P2", freeText(cert(2)), "", whyDocMDP),
		changed("attack/FieldMDP-locked-field-filled", func(t testing.TB, c *corpus, dir string) string {
			return c.fillField(t, c.formSigned(t, 0), filepath.Join(dir, "filled.pdf"), "amt", "999,999 VND")
		}, "locked", whyFieldMDP),
		changed("attack/reason-rewritten-later", func(t testing.TB, c *corpus, dir string) string {
			return c.rewriteSigDict(t, dir, func(body string) string {
				return regexp.MustCompile(`/Reason (\([^)]*\)|<[0-9A-Fa-f]*>)`).ReplaceAllString(body, "/Reason (Rejected)")
			})
		}, "signature dictionary", whyDictRewritten),
		changed("attack/M-rewritten-later", func(t testing.TB, c *corpus, dir string) string {
			return c.rewriteSigDict(t, dir, func(body string) string {
				return regexp.MustCompile(`/M \([^)]*\)`).ReplaceAllString(body, "/M (D:20200101000000+07'00')")
			})
		}, "signature dictionary", whyDictRewritten),
		changed("attack/shadow-hide-nested-xobject-after-P2", func(t testing.TB, c *corpus, dir string) string {
			f := c.formNums(t)
			return appendRaw(t, c.formSigned(t, 2), filepath.Join(dir, "shadow.pdf"), map[int]string{
				f.inner: stream("/Type /XObject /Subtype /Form /BBox [0 0 500 120] /Resources << >>", "1 1 1 rg 0 0 500 120 re f 0 0 1 rg 20 40 300 30 re f"),
			}, nil)
		}, "", whyLaterRevisions),
		changed("attack/shadow-hide-nested-xobject-after-approval", func(t testing.TB, c *corpus, dir string) string {
			f := c.formNums(t)
			return appendRaw(t, c.formSigned(t, 0), filepath.Join(dir, "shadow.pdf"), map[int]string{
				f.inner: stream("/Type /XObject /Subtype /Form /BBox [0 0 500 120] /Resources << >>", "1 1 1 rg 0 0 500 120 re f 0 0 1 rg 20 40 300 30 re f"),
			}, nil)
		}, "", whyLaterRevisions),
		changed("attack/shadow-overlay-appearance-redefined-after-P2", func(t testing.TB, c *corpus, dir string) string {
			f := c.formNums(t)
			return appendRaw(t, c.formSigned(t, 2), filepath.Join(dir, "shadow.pdf"), map[int]string{
				f.apOv: stream("/Type /XObject /Subtype /Form /BBox [0 0 500 120] /Resources << >>", "1 1 1 rg 0 0 500 120 re f"),
			}, nil)
		}, "", whyLaterRevisions),
		changed("attack/shadow-replace-field-value-after-P1", func(t testing.TB, c *corpus, dir string) string {
			return c.fillField(t, c.formSigned(t, 1), filepath.Join(dir, "replaced.pdf"), "free", "PAID")
		}, "", whyDocMDP),
		{name: "attack/copied-signature-dictionary-overlaps", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "overlaps",
			build: func(t testing.TB, c *corpus, dir string) string {
				in := c.approval(t)
				o := objects(t, in)
				objs := qpdfJSON(t, in)
				field := objByT(t, objs, "a1")
				sig := refNum(t, objs[fmt.Sprint(field)]["/V"])
				cat := regexp.MustCompile(`/Fields\s*\[`).ReplaceAllString(lastBody(t, in, o.root), fmt.Sprintf("/Fields [%d 0 R ", o.size+1))
				body := regexp.MustCompile(`/Reason (\([^)]*\)|<[0-9A-Fa-f]*>)`).ReplaceAllString(lastBody(t, in, sig), "/Reason (Phe duyet lan hai)")
				return appendRaw(t, in, filepath.Join(dir, "copied.pdf"), map[int]string{
					o.root:     cat,
					o.size:     body,
					o.size + 1: fmt.Sprintf("<< /FT /Sig /T (copy) /V %d 0 R /Rect [0 0 0 0] /F 132 /Type /Annot /Subtype /Widget /P %d 0 R >>", o.size, o.page),
				}, nil)
			},
			pdfsigWrong: "pdfsig does not notice two signature dictionaries claiming the same signed bytes"},

		// ---- the signed bytes and the CMS -------------------------------------------------------
		changed("attack/sneaky-signature-new-visible-field-after-P2", func(t testing.TB, c *corpus, dir string) string {
			return increment(t, c.certified(t, 2), filepath.Join(dir, "sneaky.pdf"), func(inc *pdf.Increment) error {
				r := pdf.Rect{X1: 50, Y1: 560, X2: 550, Y2: 680}
				return inc.AddUnsignedSignature(pdf.SignatureField{Name: "sneaky", Page: 1, Rect: r, Appearance: pdf.Line(c.font, "ĐÃ HỦY", r)})
			})
		}, "new visible signature field", whyDocMDP),
		{name: "attack/USF-byterange-removed", want: verify.TotalFailed, sub: verify.FormatFailure,
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				for i := s.brStart; i < s.brEnd; i++ {
					data[i] = ' '
				}
				out := filepath.Join(dir, "usf.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/USF-contents-null", want: verify.TotalFailed, sub: verify.FormatFailure,
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				copy(data[s.br[1]:], "null")
				for i := s.br[1] + 4; i < s.br[2]; i++ {
					data[i] = ' '
				}
				out := filepath.Join(dir, "usf.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byte-changed-in-signed-range", want: verify.TotalFailed, sub: verify.HashFailure, reason: "digest mismatch",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				i := strings.Index(string(data), "Creator")
				data[i] = 'c'
				out := filepath.Join(dir, "tampered.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byterange-moved", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "ByteRange",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				setByteRange(t, data, s, [4]int64{0, s.br[1] - 40, s.br[2] - 40, s.br[3] + 40})
				out := filepath.Join(dir, "moved.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byterange-points-at-other-signature", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "ByteRange",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.twoApprovals(t))
				sp := spots(t, data)
				first, second := sp[0], sp[1]
				setByteRange(t, data, second, [4]int64{0, first.br[1], first.br[2], int64(len(data)) - first.br[2]})
				out := filepath.Join(dir, "other.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byterange-past-end-of-file", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "past the end",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				setByteRange(t, data, s, [4]int64{0, s.br[1], s.br[2], s.br[3] + 1000})
				out := filepath.Join(dir, "past.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byterange-shortened", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "not the end of a revision",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				setByteRange(t, data, s, [4]int64{0, s.br[1], s.br[2], 10})
				out := filepath.Join(dir, "few.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/byterange-covers-a-few-bytes-resigned", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "not the end of a revision",
			// a signature made over a range that leaves the end of its revision unsigned
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				br := [4]int64{0, s.br[1], s.br[2], 10}
				setByteRange(t, data, s, br)
				h := crypto.SHA256.New()
				h.Write(data[:br[1]])
				h.Write(data[br[2] : br[2]+br[3]])
				id := c.sets[testpki.ECDSA].Get(testpki.Approver)
				der, err := cms.Build(cms.Request{Signer: id.Key, Chain: c.sets[testpki.ECDSA].Chain(testpki.Approver), Hash: crypto.SHA256, Digest: h.Sum(nil)})
				if err != nil {
					t.Fatal(err)
				}
				putCMS(t, data, s, der)
				out := filepath.Join(dir, "few.pdf")
				writeFile(t, out, data)
				return out
			},
			pdfsigWrong: "pdfsig accepts a /ByteRange that leaves the end of the revision unsigned (it only prints \"Not total document signed\")"},
		{name: "attack/file-truncated", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "",
			build: func(t testing.TB, c *corpus, dir string) string {
				in := c.twoApprovals(t)
				data := readFile(t, in)
				s := spots(t, data)[1]
				// cut inside the second signature's second range, keeping a well-formed file end
				// from the first revision's
				cut := s.br[2] + s.br[3]/2
				out := filepath.Join(dir, "truncated.pdf")
				writeFile(t, out, data[:cut])
				return out
			},
			pdfsigWrong: "pdfsig reconstructs the truncated file, silently drops the second signature and calls the first valid"},
		{name: "attack/contents-all-zeros", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "empty",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				for i := s.br[1] + 1; i < s.br[2]-1; i++ {
					data[i] = '0'
				}
				out := filepath.Join(dir, "zeros.pdf")
				writeFile(t, out, data)
				return out
			}},
		{name: "attack/contents-empty-string", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "",
			build: func(t testing.TB, c *corpus, dir string) string {
				data := readFile(t, c.approval(t))
				s := spots(t, data)[0]
				data[s.br[1]+1] = '>'
				for i := s.br[1] + 2; i < s.br[2]; i++ {
					data[i] = ' '
				}
				out := filepath.Join(dir, "empty.pdf")
				writeFile(t, out, data)
				return out
			}},
		// ETSI EN 319 102-1 would say INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND; PAdES (EN 319
		// 142-1 §6.3) requires the signing certificate in the SignedData, so its absence is a
		// malformed PAdES signature: vbdt follows the stricter reading
		{name: "attack/signer-certificate-dropped", want: verify.TotalFailed, sub: verify.FormatFailure, reason: "certificate is not in the signature", pdfsigSays: "invalid",
			build: func(t testing.TB, c *corpus, dir string) string {
				return rewriteCMS(t, c.approval(t), filepath.Join(dir, "nocert.pdf"), 0, func(f [][]byte) [][]byte {
					return append(f[:3:3], f[4:]...) // version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos
				})
			}},
		{name: "attack/signer-certificate-replaced", want: verify.TotalFailed, sub: verify.SigCryptoFailure, reason: "does not verify",
			build: func(t testing.TB, c *corpus, dir string) string {
				set := c.sets[testpki.ECDSA]
				real := set.Get(testpki.Approver).Cert
				// the attacker's certificate: the signer's issuer and serial, another key
				key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				tmpl := *real
				tmpl.PublicKey, tmpl.Raw, tmpl.RawTBSCertificate, tmpl.RawSubjectPublicKeyInfo = nil, nil, nil, nil
				tmpl.SubjectKeyId = nil
				der, err := x509.CreateCertificate(rand.Reader, &tmpl, set.Get(testpki.Intermediate).Cert, key.Public(), set.Get(testpki.Intermediate).Key)
				if err != nil {
					t.Fatal(err)
				}
				fake, _ := x509.ParseCertificate(der)
				chain := set.Chain(testpki.Approver)
				return rewriteCMS(t, c.approval(t), filepath.Join(dir, "replaced.pdf"), 0, func(f [][]byte) [][]byte {
					f[3] = certificatesField(append([]*x509.Certificate{fake}, chain[1:]...)...)
					return f
				})
			}},
		{name: "attack/document-timestamp-copied-from-another-file", want: verify.TotalFailed, sub: verify.HashFailure, reason: "document timestamp",
			pdfsigBlind: "pdfsig 22.12 does not validate document timestamps (\"Signature has not yet been verified\")",
			build: func(t testing.TB, c *corpus, dir string) string {
				other := c.docTimestamped(t)
				data := readFile(t, other)
				sp := spots(t, data)
				token := cmsOf(t, data, sp[len(sp)-1])
				return addDocTimestamp(t, c.twoApprovals(t), filepath.Join(dir, "copied-dts.pdf"), func([]byte) []byte { return token })
			}},

		// ---- the certificate ------------------------------------------------------------------
		{name: "attack/untrusted-root", want: verify.Indeterminate, sub: verify.NoCertificateChainFound, reason: "not trusted",
			build:       func(t testing.TB, c *corpus, dir string) string { return c.approval(t) },
			opts:        func(t testing.TB, c *corpus, o *verify.Options) { o.Anchors = nil },
			pdfsigBlind: "pdfsig trusts its own NSS database (where the corpus put the test roots), not vbdt's anchors"},
		{name: "attack/expired-certificate-claimed-time", want: verify.TotalFailed, sub: verify.Expired, reason: "expired",
			build: func(t testing.TB, c *corpus, dir string) string {
				return c.signWithCert(t, dir, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour), "", false)
			},
			pdfsigBlind: whyCertStatus, pdfsigCert: "Expired"},
		{name: "attack/expired-certificate-B-T", want: verify.TotalFailed, sub: verify.Expired, reason: "signature timestamp",
			build: func(t testing.TB, c *corpus, dir string) string {
				return c.signWithCert(t, dir, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour), "", true)
			},
			pdfsigBlind: whyCertStatus, pdfsigCert: "Expired"},
		{name: "attack/revoked-online-OCSP-B-T", want: verify.TotalFailed, sub: verify.Revoked, reason: "revoked",
			build: func(t testing.TB, c *corpus, dir string) string {
				srv := c.ocsp(t, time.Now().Add(-30*time.Minute))
				return c.signWithCert(t, dir, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), srv.URL, true)
			},
			opts:        func(t testing.TB, c *corpus, o *verify.Options) { o.Offline = false },
			pdfsigBlind: whyCertStatus, pdfsigCert: "Revoked"},
		{name: "attack/revoked-online-OCSP-claimed-time", want: verify.TotalFailed, sub: verify.Revoked, reason: "revoked",
			build: func(t testing.TB, c *corpus, dir string) string {
				srv := c.ocsp(t, time.Now().Add(-30*time.Minute))
				return c.signWithCert(t, dir, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), srv.URL, false)
			},
			opts:        func(t testing.TB, c *corpus, o *verify.Options) { o.Offline = false },
			pdfsigBlind: whyCertStatus, pdfsigCert: "Revoked"},
		{name: "attack/revoked-OCSP-embedded-in-DSS-B-T", want: verify.TotalFailed, sub: verify.Revoked, reason: "revoked",
			build: func(t testing.TB, c *corpus, dir string) string {
				signed := c.signWithCert(t, dir, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), "http://127.0.0.1:9/ocsp", true)
				data := readFile(t, signed)
				cert := certOf(t, data)
				set := c.sets[testpki.ECDSA]
				resp := set.Get(testpki.OCSP)
				now := time.Now()
				der, err := ocsp.CreateResponse(set.Get(testpki.Intermediate).Cert, resp.Cert, ocsp.Response{Status: ocsp.Revoked,
					SerialNumber: cert.SerialNumber, RevokedAt: now.Add(-30 * time.Minute), RevocationReason: ocsp.KeyCompromise,
					ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour), Certificate: resp.Cert}, resp.Key)
				if err != nil {
					t.Fatal(err)
				}
				o := objects(t, signed)
				return appendRaw(t, signed, filepath.Join(dir, "dss.pdf"), map[int]string{
					o.root: insertKey(lastBody(t, signed, o.root), fmt.Sprintf("/DSS << /OCSPs [%d 0 R] >>", o.size)),
					o.size: stream("", string(der)),
				}, nil)
			},
			check: func(t testing.TB, r *verify.Report) {
				if rv := r.Signatures[0].Revocation; rv.Source != "DSS OCSP" {
					t.Errorf("revocation %+v", rv)
				}
			},
			pdfsigBlind: whyCertStatus},
		{name: "legit/good-online-OCSP", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string {
				srv := c.ocsp(t, time.Time{})
				return c.signWithCert(t, dir, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), srv.URL, false)
			},
			opts: func(t testing.TB, c *corpus, o *verify.Options) { o.Offline = false },
			check: func(t testing.TB, r *verify.Report) {
				if rv := r.Signatures[0].Revocation; rv.Status != "good" || rv.Source != "online OCSP" {
					t.Errorf("revocation %+v", rv)
				}
			}},
		{name: "legit/OCSP-offline-try-later", want: verify.Indeterminate, sub: verify.TryLater, reason: "revocation",
			build: func(t testing.TB, c *corpus, dir string) string {
				srv := c.ocsp(t, time.Time{})
				return c.signWithCert(t, dir, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), srv.URL, false)
			},
			pdfsigBlind: "pdfsig's signature line does not depend on revocation"},
	}
}

// rewriteSigDict redefines the signature dictionary of approval's "a1" in a later revision,
// its /ByteRange and /Contents copied.
func (c *corpus) rewriteSigDict(t testing.TB, dir string, edit func(string) string) string {
	in := c.approval(t)
	objs := qpdfJSON(t, in)
	sig := refNum(t, objs[fmt.Sprint(objByT(t, objs, "a1"))]["/V"])
	body := lastBody(t, in, sig)
	if edit(body) == body {
		t.Fatalf("the edit does not change the dictionary: %.200s", body)
	}
	return appendRaw(t, in, filepath.Join(dir, "spoofed.pdf"), map[int]string{sig: edit(body)}, nil)
}

// docTimestamped is approval with a document timestamp by the corpus TSA.
func (c *corpus) docTimestamped(t testing.TB) string {
	in := c.approval(t)
	return c.file(t, "approval-dts", func(t testing.TB, out string) {
		addDocTimestamp(t, in, out, func(signed []byte) []byte { return c.tsaToken(t, signed) })
	})
}

// signWithCert signs base1 with the approver's ECDSA key under a certificate issued by the
// intermediate for the validity given, naming ocspURL, with a signature timestamp when bt.
func (c *corpus) signWithCert(t testing.TB, dir string, notBefore, notAfter time.Time, ocspURL string, bt bool) string {
	set := c.sets[testpki.ECDSA]
	inter := set.Get(testpki.Intermediate)
	key := set.Get(testpki.Approver).Key
	cert := issue(t, inter.Cert, inter.Key, key.Public(), "Trần Thị Thử (TEST)", notBefore, notAfter, ocspURL)
	r := sign.Request{Signer: key, Chain: append([]*x509.Certificate{cert}, set.Chain(testpki.Approver)[1:]...), Hash: crypto.SHA256}
	if bt {
		r.TSA = &sign.TSA{URL: c.tsa.URL}
	}
	out := filepath.Join(dir, "signed-with-cert.pdf")
	signFile(t, c.base(1), out, r)
	return out
}

// ocsp serves the ECDSA intermediate's OCSP on loopback, by the test PKI's responder: every
// certificate revoked at revokedAt, or good when it is zero.
func (c *corpus) ocsp(t testing.TB, revokedAt time.Time) *httptest.Server {
	set := c.sets[testpki.ECDSA]
	resp := set.Get(testpki.OCSP)
	return ocspServer(t, set.Get(testpki.Intermediate).Cert, resp.Cert, resp.Key, revokedAt)
}

// TestCorpus verifies every document of the corpus and compares with pdfsig.
func TestCorpus(t *testing.T) {
	start := time.Now()
	c := newCorpus(t)
	t.Cleanup(func() { t.Logf("corpus: %v", time.Since(start).Round(time.Millisecond)) })
	for _, tc := range append(corpusCases(), redTeamCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tc.build(t, c, dir)
			o := verify.Options{Anchors: c.anchors, Offline: true}
			if tc.opts != nil {
				tc.opts(t, c, &o)
			}
			r, err := verify.File(context.Background(), path, o)
			if err != nil {
				t.Errorf("WRONG VERDICT: verify.File: %v; want %s %s", err, tc.want, tc.sub)
				t.Logf("pdfsig: %s", c.pdfsig(t, path).summary())
				return
			}
			var sigs []string
			for _, s := range r.Signatures {
				sigs = append(sigs, fmt.Sprintf("%s[%s %s %s; %s; changes %s]", s.Field, s.Indication, s.SubIndication, s.Reason, s.Level, s.Changes.Worst))
			}
			got := fmt.Sprintf("%s %s %q; signatures: %s", r.Indication, r.SubIndication, r.Reason, strings.Join(sigs, " "))
			if r.Indication != tc.want || r.SubIndication != tc.sub {
				t.Errorf("WRONG VERDICT: got %s, want %s %s", got, tc.want, tc.sub)
			} else if tc.reason != "" && !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", r.Reason, tc.reason)
			} else {
				t.Logf("vbdt: %s", got)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			ps := c.pdfsig(t, path)
			t.Logf("pdfsig: %s", ps.summary())
			switch {
			case tc.pdfsigSays == "invalid":
				if ps.ok() {
					t.Errorf("pdfsig calls the signatures valid:\n%s", ps.out)
				}
			case tc.pdfsigSays == "valid":
				if !ps.ok() {
					t.Errorf("pdfsig does not call the signatures valid:\n%s", ps.out)
				}
			case tc.pdfsigWrong != "" || tc.pdfsigBlind != "":
				if !ps.ok() {
					t.Errorf("pdfsig is documented to call the signatures valid here (%s%s), but says:\n%s", tc.pdfsigWrong, tc.pdfsigBlind, ps.out)
				}
			case tc.want == verify.TotalFailed:
				if ps.ok() {
					t.Errorf("pdfsig calls the signatures valid, vbdt %s: mark the case pdfsigWrong if pdfsig is wrong:\n%s", r.Indication, ps.out)
				}
			default:
				if !ps.ok() {
					t.Errorf("pdfsig does not call the signatures valid, vbdt says %s:\n%s", r.Indication, ps.out)
				}
			}
			if tc.pdfsigCert != "" && c.nss != "" && !strings.Contains(ps.out, tc.pdfsigCert) {
				t.Logf("pdfsig's certificate validation does not say %q (not asserted):\n%s", tc.pdfsigCert, ps.out)
			}
		})
	}
}
