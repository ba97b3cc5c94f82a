package sign

import (
	"context"
	"errors"
	"fmt"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/verify"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// fieldNames lists a document's form fields by name.
func fieldNames(t *testing.T, path string) map[string]pdf.Field {
	t.Helper()
	doc, err := pdf.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	fields, err := doc.Fields()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pdf.Field{}
	for _, f := range fields {
		out[f.Name] = f
	}
	return out
}

// signAs applies a role's appearance to in and signs it into out with key.
func signAs(t *testing.T, in, out string, key *keys.Key, a Appearance, tsa *TSA) error {
	t.Helper()
	doc, err := pdf.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	r := Request{Signer: key, Chain: key.Chain, TSA: tsa, Time: time.Now()}
	if err := a.Apply(doc, &r); err != nil {
		return err
	}
	_, err = SignFile(context.Background(), in, out, r)
	return err
}

func images(t *testing.T, dir string) (sig, seal *pdf.Image) {
	t.Helper()
	sigPNG, sealPNG, err := testpki.WriteImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sig, err = pdf.LoadPNG(sigPNG); err != nil {
		t.Fatal(err)
	}
	if seal, err = pdf.LoadPNG(sealPNG); err != nil {
		t.Fatal(err)
	}
	return sig, seal
}

// The Decree 30 flow — approver (DocMDP P=2), the clerk's number, the organization's seal —
// makes no change a strict validator rejects: the issuer signs the field the approver
// prepared before certifying (no field is added after the certification), every signature is
// intact with only form filling after it, by vbdt's whitelist analysis and by pdfsig, qpdf and
// pdfcpu. RSA and ECDSA, with and without a TSA, file keys and a SoftHSM2 token.
func TestDecree30FlowStrict(t *testing.T) {
	fx := setup(t, testpki.RSA)
	testenv.NeedTools(t, "openssl")
	sigImg, seal := images(t, fx.dir)
	type signers struct{ approver, org *keys.Key }
	cases := map[string]func(t *testing.T) signers{}
	for _, alg := range testpki.Algs {
		cases[string(alg)] = func(t *testing.T) signers {
			open := func(r testpki.Role) *keys.Key { return mustKey(t, "file:"+testpki.FilesFor(fx.pki, r, alg).P12) }
			return signers{open(testpki.Approver), open(testpki.Organization)}
		}
	}
	var hsm *testpki.SoftHSM
	cases["softhsm"] = func(t *testing.T) signers {
		if m := testpki.SoftHSMMissing(); m != "" || !keys.PKCS11Supported {
			testenv.Need(t, "SoftHSM2 and cgo: "+m)
		}
		if hsm == nil {
			var err error
			if hsm, err = testpki.LoadSoftHSM(filepath.Join(fx.dir, "tok"), fx.pki, "strict"); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("SOFTHSM2_CONF", hsm.Conf)
		open := func(obj string) *keys.Key {
			return mustKey(t, "pkcs11:token=strict;object="+obj+"?module-path="+hsm.Module)
		}
		return signers{open("approver-rsa"), open("organization-ecdsa")}
	}
	tsa, err := testenv.StartTSA(fx.pki, testpki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	defer tsa.Close()
	for name, keysFor := range cases {
		for _, withTSA := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tsa=%v", name, withTSA), func(t *testing.T) {
				k := keysFor(t)
				var ts *TSA
				if withTSA {
					ts = &TSA{URL: tsa.URL}
				}
				dir := t.TempDir()
				approved, numbered, issued := filepath.Join(dir, "1.pdf"), filepath.Join(dir, "2.pdf"), filepath.Join(dir, "3.pdf")
				if err := signAs(t, fx.doc, approved, k.approver, Appearance{Role: nd30.Approver, Image: sigImg, Seal: seal, Font: fx.font}, ts); err != nil {
					t.Fatal(err)
				}
				before := fieldNames(t, approved)
				prepared, ok := before[nd30.IssuerField]
				if !ok || prepared.Signed || prepared.Type != "Sig" || !prepared.Visible() {
					t.Fatalf("the approver did not prepare the organization's field: %+v", prepared)
				}
				if _, err := Stamp(StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND",
					DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026"}); err != nil {
					t.Fatal(err)
				}
				if err := signAs(t, numbered, issued, k.org, Appearance{Role: nd30.Issuer, Seal: seal}, ts); err != nil {
					t.Fatal(err)
				}
				after := fieldNames(t, issued)
				for name := range after {
					if _, ok := before[name]; !ok {
						t.Errorf("field %s was added after the certification", name)
					}
				}
				if f := after[nd30.IssuerField]; !f.Signed || f.Rect != prepared.Rect {
					t.Errorf("the organization did not sign its prepared field in place: %+v, prepared %+v", f, prepared)
				}
				mustValid(t, issued, 2)
				reports, err := verify.AnalyzeChanges(issued)
				if err != nil {
					t.Fatal(err)
				}
				if len(reports) != 2 || reports[0].Worst != verify.ModFormFill || !reports[0].Allowed || !reports[1].Allowed {
					t.Fatalf("strict analysis: %+v", reports)
				}
				if withTSA {
					checks, _ := verify.CheckFile(issued)
					for _, c := range checks {
						if c.Level != "B-T" {
							t.Errorf("%s: level %s", c.Field, c.Level)
						}
					}
				}
			})
		}
	}
}

// A document certified with DocMDP P=1 refuses every further signature, in every role, before
// the key is used and without writing anything.
func TestSignRefusesP1(t *testing.T) {
	fx := setup(t, testpki.RSA)
	_, seal := images(t, fx.dir)
	certified := filepath.Join(fx.dir, "p1.pdf")
	if err := signAs(t, fx.doc, certified, fx.approv, Appearance{Role: nd30.Plain, Certify: 1}, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Appearance{{Role: nd30.Plain}, {Role: nd30.Plain, Visible: true, Font: fx.font}, {Role: nd30.Issuer, Seal: seal, Rect: &pdf.Rect{X1: 100, Y1: 100, X2: 200, Y2: 200}},
		{Role: nd30.Attachment, Code: "15/QĐ-UBND", Font: fx.font}} {
		out := filepath.Join(fx.dir, "out-"+string(a.Role)+".pdf")
		err := signAs(t, certified, out, fx.org, a, nil)
		var np *NotPermitted
		if !errors.As(err, &np) || !strings.Contains(np.Permission, "P=1") {
			t.Errorf("%s: %v, want a refusal by P=1", a.Role, err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a file was written", a.Role)
		}
	}
}

// After a certification (P=2 or P=3) a new visible signature field is refused unless asked
// for, while an invisible one and an existing empty field are signed; the opt-in's result is
// still intact for pdfsig, and the strict analysis names the rule it breaks.
func TestNewVisibleFieldAfterCertification(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	for _, p := range []int{2, 3} {
		certified := filepath.Join(fx.dir, fmt.Sprintf("p%d.pdf", p))
		if _, err := SignFile(context.Background(), fx.doc, certified, Request{Signer: fx.approv, Chain: fx.approv.Chain, DocMDP: p, Field: "cert",
			PreparedFields: []pdf.SignatureField{{Name: "later", Page: 1, Rect: pdf.Rect{X1: 300, Y1: 100, X2: 500, Y2: 150}}}}); err != nil {
			t.Fatal(err)
		}
		visible := Appearance{Role: nd30.Plain, Visible: true, Font: fx.font}
		out := filepath.Join(fx.dir, fmt.Sprintf("p%d-visible.pdf", p))
		var np *NotPermitted
		if err := signAs(t, certified, out, fx.org, visible, nil); !errors.As(err, &np) || !strings.Contains(np.Hint, "later") {
			t.Fatalf("P=%d: a new visible field: %v", p, err)
		}
		visible.NewField = true
		if err := signAs(t, certified, out, fx.org, visible, nil); err != nil {
			t.Fatalf("P=%d with --new-field: %v", p, err)
		}
		mustValidBy(t, out, 2, false)
		reports, err := verify.AnalyzeChanges(out)
		if err != nil || reports[0].Allowed || !strings.Contains(strings.Join(reports[0].Problems, ";"), "new visible signature field") {
			t.Errorf("P=%d: strict analysis of the opt-in: %+v %v", p, reports, err)
		}
		invisible := filepath.Join(fx.dir, fmt.Sprintf("p%d-invisible.pdf", p))
		if err := signAs(t, certified, invisible, fx.org, Appearance{Role: nd30.Plain}, nil); err != nil {
			t.Fatalf("P=%d invisible: %v", p, err)
		}
		existing := filepath.Join(fx.dir, fmt.Sprintf("p%d-existing.pdf", p))
		if err := signAs(t, certified, existing, fx.org, Appearance{Role: nd30.Plain, Visible: true, Font: fx.font, Field: "later"}, nil); err != nil {
			t.Fatalf("P=%d into the existing field: %v", p, err)
		}
		for _, path := range []string{invisible, existing} {
			mustValidBy(t, path, 2, path == existing) // pdfcpu fails on the empty field "later"
			if reports, err := verify.AnalyzeChanges(path); err != nil || !reports[0].Allowed {
				t.Errorf("P=%d %s: %+v %v", p, filepath.Base(path), reports, err)
			}
		}
		if f := fieldNames(t, existing)["later"]; !f.Signed || f.Rect != (pdf.Rect{X1: 300, Y1: 100, X2: 500, Y2: 150}) {
			t.Errorf("P=%d: the existing field was not signed in place: %+v", p, f)
		}
	}
}

// Decree 30's order: the organization seals a numbered document only, and a sealed document
// is not numbered afterwards (its signature would not cover the number).
func TestNumberBeforeSeal(t *testing.T) {
	fx := setup(t, testpki.RSA)
	sigImg, seal := images(t, fx.dir)
	approved := filepath.Join(fx.dir, "approved.pdf")
	if err := signAs(t, fx.doc, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Font: fx.font}, nil); err != nil {
		t.Fatal(err)
	}
	sealed := filepath.Join(fx.dir, "sealed.pdf")
	var np *NotPermitted
	if err := signAs(t, approved, sealed, fx.org, Appearance{Role: nd30.Issuer, Seal: seal}, nil); !errors.As(err, &np) || !strings.Contains(np.Reason, "no number yet") {
		t.Fatalf("sealing an unnumbered document: %v", err)
	}
	// sealed another way (the prepared field signed directly): numbering is refused
	doc, _ := pdf.OpenFile(approved)
	r := Request{Signer: fx.org, Chain: fx.org.Chain, Field: nd30.IssuerField, ExistingField: true}
	doc.Close()
	if _, err := SignFile(context.Background(), approved, sealed, r); err != nil {
		t.Fatal(err)
	}
	_, err := Stamp(StampRequest{In: sealed, Out: filepath.Join(fx.dir, "late.pdf"), NumberLine: "Số: 15/QĐ-UBND", DateLine: "x"})
	if !errors.As(err, &np) || !strings.Contains(np.Reason, "already sealed") {
		t.Fatalf("numbering a sealed document: %v", err)
	}
}

// RSA-PSS and PKCS#1 v1.5, RSA and ECDSA, PKCS#12 and PEM keys, all through the batch: each
// signs a document that verifies (PSS on an ECDSA key is a clear error, not a panic).
func TestBatchKeyTypesAndPadding(t *testing.T) {
	fx := setup(t, testpki.RSA)
	for _, alg := range testpki.Algs {
		files := testpki.FilesFor(fx.pki, testpki.Organization, alg)
		for kind, uri := range map[string]string{"p12": "file:" + files.P12, "pem": "file:" + files.Key + "?cert=" + files.Cert} {
			for _, pss := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s-pss=%v", alg, kind, pss)
				t.Run(name, func(t *testing.T) {
					key := mustKey(t, uri)
					out := filepath.Join(fx.dir, name+".pdf")
					var res []batch.Result
					b := &Batch{Workers: 2, Request: Request{Signer: key, Chain: key.Chain, PSS: pss},
						OnResult: func(r batch.Result) { res = append(res, r) }}
					sum, err := b.Run(t.Context(), []batch.Item{{In: fx.doc, Out: out}})
					if len(res) != 1 || (err != nil) != (pss && alg == testpki.ECDSA) {
						t.Fatalf("%+v %v", sum, err)
					}
					if pss && alg == testpki.ECDSA {
						if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "RSA-PSS needs an RSA key") {
							t.Fatalf("PSS with ECDSA: %v", res[0].Err)
						}
						return
					}
					if res[0].Err != nil {
						t.Fatal(res[0].Err)
					}
					mustValid(t, out, 1)
				})
			}
		}
	}
}

// Certifying a PDF 1.3 or 1.4 document raises its version to 1.7, so that readers which
// ignore /Perms below 1.5 see the certification.
func TestCertifyRaisesVersion(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	data, _ := os.ReadFile(fx.doc)
	for _, v := range []string{"1.3", "1.4"} {
		old := filepath.Join(fx.dir, "v"+v+".pdf")
		copy(data[5:8], v)
		os.WriteFile(old, data, 0o644)
		out := filepath.Join(fx.dir, "v"+v+"-certified.pdf")
		if _, err := SignFile(context.Background(), old, out, Request{Signer: fx.org, Chain: fx.org.Chain, DocMDP: 2}); err != nil {
			t.Fatal(err)
		}
		doc, err := pdf.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Version(); got != "1.7" {
			t.Errorf("%s: version %s after certifying", v, got)
		}
		doc.Close()
		js, err := exec.Command("qpdf", "--json-output", "--json-key=qpdf", out).Output()
		if err != nil || !strings.Contains(string(js), `"/Version": "/1.7"`) {
			t.Errorf("%s: qpdf does not see /Version 1.7 in the catalog (%v)", v, err)
		}
		verdicts, err := pdf.PdfcpuSignatures(out)
		if err != nil || len(verdicts) != 1 || !verdicts[0].Certified {
			t.Errorf("%s: pdfcpu does not see the certification: %+v %v", v, verdicts, err)
		}
	}
}

// plainPage writes a one-page PDF of w × h points with a line of text, no placeholders.
func plainPage(t *testing.T, path string, w, h float64) {
	t.Helper()
	p := fpdf.NewCustom(&fpdf.InitType{UnitStr: "pt", Size: fpdf.SizeType{Wd: w, Ht: h}})
	p.AddPage()
	p.SetFont("Helvetica", "", 8)
	p.Text(10, 20, "TEST")
	if err := p.OutputFileAndClose(path); err != nil {
		t.Fatal(err)
	}
}

func inside(r, box pdf.Rect) bool {
	return r.X1 >= box.X1 && r.Y1 >= box.Y1 && r.X2 <= box.X2 && r.Y2 <= box.Y2 && r.Width() > 0 && r.Height() > 0
}

// Without placeholders, the approver's signature, its number and date fields and the
// organization's prepared field are placed from the page's own box — A5 and a page smaller
// than a signature included — and the whole date line shows.
func TestFallbackPositionsFollowThePage(t *testing.T) {
	fx := setup(t, testpki.RSA)
	sigImg, seal := images(t, fx.dir)
	for name, size := range map[string][2]float64{"A5": {419.5, 595.3}, "A5-landscape": {595.3, 419.5}, "small": {150, 120}} {
		t.Run(name, func(t *testing.T) {
			in, approved, numbered := filepath.Join(fx.dir, name+".pdf"), filepath.Join(fx.dir, name+"-1.pdf"), filepath.Join(fx.dir, name+"-2.pdf")
			plainPage(t, in, size[0], size[1])
			if err := signAs(t, in, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Seal: seal, Font: fx.font}, nil); err != nil {
				t.Fatal(err)
			}
			box := pdf.Rect{X2: size[0], Y2: size[1]}
			for _, f := range fieldNames(t, approved) {
				if !inside(f.Rect, box) {
					t.Errorf("field %s at %+v leaves the page %+v", f.Name, f.Rect, box)
				}
			}
			if _, err := Stamp(StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 28 tháng 11 năm 2026"}); err != nil {
				t.Fatal(err)
			}
			text, _ := exec.Command("pdftotext", "-raw", numbered, "-").Output()
			if !strings.Contains(strings.Join(strings.Fields(string(text)), " "), "tháng 11 năm 2026") {
				t.Errorf("the date line is cut off:\n%s", text)
			}
		})
	}
}

// Documents signed by a second implementation (digitorus/pdfsign): certified with P=1, 2, 3 and
// approved. Numbering: P=1 refused; P=2/P=3 refused without --new-fields (strict validators
// reject new visible fields after a certification), done with it; an approval gets new fields.
// Signing: invisible signatures are added after P=2/P=3 and approvals, and every earlier
// signature is still intact.
func TestForeignDocuments(t *testing.T) {
	fx := setup(t, testpki.RSA)
	files := testpki.FilesFor(fx.pki, testpki.Approver, testpki.RSA)
	for _, p := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprintf("P=%d", p), func(t *testing.T) {
			foreign := filepath.Join(fx.dir, fmt.Sprintf("peer-%d.pdf", p))
			testenv.PeerSignPDF(t, fx.doc, foreign, files.Key, files.Cert, p)
			checks, err := verify.CheckFile(foreign)
			if err != nil || len(checks) != 1 || !checks[0].Intact || checks[0].DocMDP != p {
				t.Fatalf("vbdt's check of the peer's signature: %+v %v", checks, err)
			}
			numbered := filepath.Join(fx.dir, fmt.Sprintf("peer-%d-numbered.pdf", p))
			req := StampRequest{In: foreign, Out: numbered, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026", Font: fx.font}
			_, err = Stamp(req)
			var np *NotPermitted
			switch p {
			case 0:
				if err != nil {
					t.Fatal(err)
				}
			case 1:
				if !errors.As(err, &np) || !strings.Contains(np.Permission, "P=1") {
					t.Fatalf("numbering under P=1: %v", err)
				}
			default:
				if !errors.As(err, &np) || !strings.Contains(np.Hint, "--new-fields") {
					t.Fatalf("numbering under P=%d without --new-fields: %v", p, err)
				}
				req.NewFields = true
				if _, err = Stamp(req); err != nil {
					t.Fatalf("with --new-fields: %v", err)
				}
			}
			if _, err := os.Stat(numbered); p == 1 && err == nil {
				t.Fatal("a numbered file was written under P=1")
			}
			if p == 1 {
				return
			}
			if out := pdfsig(t, numbered); strings.Count(out, "Signature is Valid.") != 1 {
				t.Fatalf("pdfsig after numbering:\n%s", out)
			}
			// strictly accepted after an approval; after a certification only by Acrobat's reading
			if reports, err := verify.AnalyzeChanges(numbered); err != nil || reports[0].Allowed != (p == 0) {
				t.Errorf("strict analysis of the numbered document: %+v %v", reports, err)
			}
			signed := filepath.Join(fx.dir, fmt.Sprintf("peer-%d-signed.pdf", p))
			if err := signAs(t, foreign, signed, fx.org, Appearance{Role: nd30.Plain}, nil); err != nil {
				t.Fatal(err)
			}
			mustValid(t, signed, 2)
			reports, err := verify.AnalyzeChanges(signed)
			if err != nil || !reports[0].Allowed {
				t.Fatalf("strict analysis after an invisible signature: %+v %v", reports, err)
			}
			if p != 0 {
				err := signAs(t, foreign, signed+".visible", fx.org, Appearance{Role: nd30.Plain, Visible: true, Font: fx.font}, nil)
				if !errors.As(err, &np) {
					t.Fatalf("a new visible field after the peer's certification: %v", err)
				}
			}
		})
	}
}

// The re-check a signer or the stamp makes before writing uses the strict reading unless the
// user asked for Acrobat's: a new visible field after a certification fails it.
func TestRecheckStrictness(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	certified := filepath.Join(fx.dir, "p2.pdf")
	if _, err := SignFile(context.Background(), fx.doc, certified, Request{Signer: fx.approv, Chain: fx.approv.Chain, DocMDP: 2}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(fx.dir, "visible.pdf")
	if err := signAs(t, certified, out, fx.org, Appearance{Role: nd30.Plain, Visible: true, Font: fx.font, NewField: true}, nil); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	fi, _ := f.Stat()
	var np *NotPermitted
	if _, err := recheck(f, fi.Size(), verify.Strictness{}); !errors.As(err, &np) || !strings.Contains(np.Permission, "DocMDP P=2") {
		t.Errorf("strict re-check: %v", err)
	}
	if _, err := recheck(f, fi.Size(), verify.Strictness{NewVisibleSignatureFields: true}); err != nil {
		t.Errorf("Acrobat's re-check: %v", err)
	}
}

// The same flow on a document whose objects sit in object streams behind a cross-reference
// stream (as qpdf and Acrobat write them): the analysis compares compressed objects by place.
func TestDecree30FlowObjectStreams(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	sigImg, seal := images(t, fx.dir)
	doc := filepath.Join(fx.dir, "objstm.pdf")
	if out, err := exec.Command("qpdf", "--object-streams=generate", fx.doc, doc).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, out)
	}
	approved, numbered, issued := filepath.Join(fx.dir, "o1.pdf"), filepath.Join(fx.dir, "o2.pdf"), filepath.Join(fx.dir, "o3.pdf")
	if err := signAs(t, doc, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Seal: seal, Font: fx.font}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Stamp(StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND", DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026"}); err != nil {
		t.Fatal(err)
	}
	if err := signAs(t, numbered, issued, fx.org, Appearance{Role: nd30.Issuer, Seal: seal}, nil); err != nil {
		t.Fatal(err)
	}
	mustValid(t, issued, 2)
	reports, err := verify.AnalyzeChanges(issued)
	if err != nil || len(reports) != 2 || reports[0].Worst != verify.ModFormFill || !reports[0].Allowed {
		t.Fatalf("strict analysis: %+v %v", reports, err)
	}
}

// Signing into a field locked by a signature's FieldMDP is refused.
func TestSignRefusesLockedField(t *testing.T) {
	sigs := []pdf.Signature{{Field: "approver", Lock: &pdf.FieldLock{Action: "All"}}}
	var np *NotPermitted
	if err := checkPermits(nil, &Request{Field: "org", ExistingField: true}, sigs); !errors.As(err, &np) || !strings.Contains(np.Permission, "FieldMDP") {
		t.Errorf("signing a locked field: %v", err)
	}
}
