package sign

// Adversarial tests of the change analysis (verify.AnalyzeChanges), written by an independent tester
// from the 2019 "Breaking PDF Signatures" and 2021 "Shadow Attacks" families: incremental
// updates appended after a certification (DocMDP P=1/P=2) or an approval signature that change
// what the document shows and must be rejected, and legitimate updates (as form fillers,
// pyHanko and PAdES B-LTA make them) that must be accepted. Each was a wrong verdict once.
//
// The increments are written raw (helpers rawIncrement/lastBody below), the way an attacker
// would, on documents vbdt itself signed.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/testpki/pdfedit"
	"github.com/vbdt/vbdt/verify"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// The byte-level editing helpers, shared with the other packages' attack tests.
var (
	qpdfJSON     = pdfedit.QPDFJSON
	refNum       = pdfedit.RefNum
	objByT       = pdfedit.ObjByT
	decoded      = pdfedit.Decoded
	stream       = pdfedit.Stream
	flate        = pdfedit.Flate
	rawIncrement = pdfedit.RawIncrement
	appendRaw    = pdfedit.AppendRaw
	lastBody     = pdfedit.LastBody
)

// ---- helpers -------------------------------------------------------------------------------

// pageAndContents returns page 1's object number and its (single) content stream's.
func pageAndContents(t *testing.T, path string) (page, contents int) {
	t.Helper()
	objs := qpdfJSON(t, path)
	pages := objs[strconv.Itoa(refNum(t, objs[strconv.Itoa(refNum(t, objs["trailer"]["/Root"]))]["/Pages"]))]
	page = refNum(t, pages["/Kids"].([]any)[0])
	return page, refNum(t, objs[strconv.Itoa(page)]["/Contents"])
}

// setV replaces a field's /V string.
func setV(body, v string) string {
	return regexp.MustCompile(`/V\s*\([^)]*\)`).ReplaceAllString(body, "/V ("+v+")")
}

// analyze runs verify.AnalyzeChanges and fails on an error.
func analyze(t *testing.T, path string) []verify.ChangeReport {
	t.Helper()
	r, err := verify.AnalyzeChanges(path)
	if err != nil {
		t.Fatalf("verify.AnalyzeChanges: %v", err)
	}
	return r
}

// rendered reports whether the whole file renders (page 1) differently from the revision that
// ends at size bytes: the update changed what the document shows.
func rendered(t *testing.T, path string, size int64) bool {
	t.Helper()
	data, _ := os.ReadFile(path)
	prefix := filepath.Join(t.TempDir(), "signed-revision.pdf")
	os.WriteFile(prefix, data[:size], 0o644)
	render := func(p string) []byte {
		out, err := exec.Command("pdftoppm", "-r", "20", "-gray", "-f", "1", "-l", "1", p).Output()
		if err != nil {
			t.Fatalf("pdftoppm %s: %v", p, err)
		}
		return out
	}
	return !bytes.Equal(render(path), render(prefix))
}

// pdfsigSummary is pdfsig's verdict lines, for the log.
func pdfsigSummary(t *testing.T, path string) string {
	var keep []string
	for _, l := range strings.Split(pdfsig(t, path), "\n") {
		if ll := strings.ToLower(l); strings.Contains(ll, "signature validation") || strings.Contains(ll, "total document signed") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	return strings.Join(keep, " | ")
}

func signedSize(t *testing.T, path string) int64 {
	t.Helper()
	checks, err := verify.CheckFile(path)
	if err != nil || len(checks) == 0 {
		t.Fatalf("checks %+v %v", checks, err)
	}
	return checks[0].SignedSize
}

// report returns the report of the signature in field, or nil.
func report(reports []verify.ChangeReport, field string) *verify.ChangeReport {
	for i := range reports {
		if reports[i].Field == field {
			return &reports[i]
		}
	}
	return nil
}

// wantRejected fails when the report of the signature in field allows the update (a false
// negative) or is missing.
func wantRejected(t *testing.T, path string, field string, why string) {
	t.Helper()
	reports := analyze(t, path)
	r := report(reports, field)
	if r == nil {
		t.Errorf("FALSE NEGATIVE (%s): no report for signature %s at all: %+v; pdfsig: %s", why, field, reports, pdfsigSummary(t, path))
		return
	}
	if r.Allowed {
		t.Errorf("FALSE NEGATIVE (%s): signature %s: %+v; pdfsig: %s", why, field, *r, pdfsigSummary(t, path))
	} else {
		t.Logf("rejected as it should be: %+v", *r)
	}
}

// wantAllowed fails when the report of the signature in field rejects the update (a false
// positive).
func wantAllowed(t *testing.T, path string, field string, why string) {
	t.Helper()
	reports := analyze(t, path)
	if r := report(reports, field); r == nil || !r.Allowed {
		t.Errorf("FALSE POSITIVE (%s): %+v", why, reports)
	}
}

// certified signs fx.doc with DocMDP p into an invisible field "cert".
func certified(t *testing.T, fx *fixture, p int) string {
	t.Helper()
	out := filepath.Join(fx.dir, fmt.Sprintf("certified-p%d.pdf", p))
	if _, err := SignFile(context.Background(), fx.doc, out, Request{Signer: fx.approv, Chain: fx.approv.Chain, DocMDP: p, Field: "cert"}); err != nil {
		t.Fatal(err)
	}
	return out
}

// overlay is page content that paints over the decision's body (a white box) and draws a blue
// bar where the text was: what the forged revisions show.
const overlay = "\nq 1 1 1 rg 50 560 500 120 re f 0 0 1 rg 70 600 300 30 re f Q\n"

// ---- false negatives: content changes judged allowed -----------------------------------------

// The content stream of the signed page is redefined under its own number, with three ways of
// making the analysis misfile it: the new trailer names it as the information dictionary
// (classified by object number as "Info" → LTA, which even P=1 permits); its dictionary says
// /Type /Info (classified by the new object's own /Type); its dictionary says /Type /ObjStm or
// /Type /XRef (a "container", skipped without comparison). Viewers ignore /Type on a content
// stream and draw the new content.
func TestAttackContentStreamMislabelled(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	for _, p := range []int{1, 2} {
		signed := certified(t, fx, p)
		_, contents := pageAndContents(t, signed)
		forged := decoded(t, signed, contents) + overlay
		for name, tc := range map[string]struct {
			body    string
			trailer map[string]string
		}{
			"trailer-Info-points-at-content": {flate("", forged), map[string]string{"/Info": fmt.Sprintf("%d 0 R", contents)}},
			"Type-Info":                      {flate("/Type /Info", forged), nil},
			"Type-ObjStm":                    {flate("/Type /ObjStm /N 0 /First 0", forged), nil},
			"Type-XRef":                      {flate("/Type /XRef /W [1 1 1] /Size 0", forged), nil},
			"control-plain-redefinition":     {flate("", forged), nil},
		} {
			t.Run(fmt.Sprintf("P=%d/%s", p, name), func(t *testing.T) {
				out := appendRaw(t, signed, filepath.Join(fx.dir, fmt.Sprintf("p%d-%s.pdf", p, name)), map[int]string{contents: tc.body}, tc.trailer)
				if !rendered(t, out, signedSize(t, out)) {
					t.Fatal("the forged revision renders as the signed one: the attack did not take")
				}
				if d := os.Getenv("FINDINGS_DUMP"); d != "" {
					os.WriteFile(filepath.Join(d, filepath.Base(out)), must(os.ReadFile(out)), 0o644)
				}
				wantRejected(t, out, "cert", "page content stream redefined: "+name)
			})
		}
	}
}

// A reference in the signed revision to an object number the signed revision does not define
// (a null there, ignored by viewers) is filled in later: the page shows new content, and only
// an "added" object appears in the diff. pyHanko requires every object of a later revision to be
// explained by a rule; vbdt counts added objects as harmless.
func TestAttackDanglingReferenceFilledLater(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	page, contents := pageAndContents(t, fx.doc)
	// the document as prepared by the attacker before it is certified: a second content stream
	// for page 1 that does not exist yet (object 500, beyond the cross-reference)
	pageBody := strings.Replace(lastBody(t, fx.doc, page), fmt.Sprintf("/Contents %d 0 R", contents), fmt.Sprintf("/Contents [%d 0 R 500 0 R]", contents), 1)
	prepared := appendRaw(t, fx.doc, filepath.Join(fx.dir, "prepared.pdf"), map[int]string{page: pageBody}, map[string]string{"/Size": "501"})
	signed := filepath.Join(fx.dir, "dangling-p1.pdf")
	if _, err := SignFile(context.Background(), prepared, signed, Request{Signer: fx.approv, Chain: fx.approv.Chain, DocMDP: 1, Field: "cert"}); err != nil {
		t.Fatal(err)
	}
	if checks, err := verify.CheckFile(signed); err != nil || len(checks) != 1 || !checks[0].Intact || !checks[0].WholeFile {
		t.Fatalf("fixture: %+v %v", checks, err)
	}
	out := appendRaw(t, signed, filepath.Join(fx.dir, "dangling-filled.pdf"), map[int]string{500: stream("", overlay)}, nil)
	if !rendered(t, out, signedSize(t, out)) {
		t.Fatal("the filled-in reference does not show")
	}
	wantRejected(t, out, "cert", "object 500, referenced by the signed page but undefined there, defined after a P=1 certification")
}

// The certification's signature field is moved under a new parent field (its /Kids): vbdt lists
// only top-level fields as signatures, so after the move the document has no signature for
// verify.AnalyzeChanges to judge — every change goes unjudged, while pdfsig (and Acrobat) still find and
// show the signature.
func TestAttackSignatureHiddenByNesting(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	signed := certified(t, fx, 1)
	objs := qpdfJSON(t, signed)
	root := refNum(t, objs["trailer"]["/Root"])
	sigField := objByT(t, objs, "cert")
	page, contents := pageAndContents(t, signed)
	_ = page
	cat := lastBody(t, signed, root)
	re := regexp.MustCompile(`/Fields\s*\[[^\]]*\]`)
	cat = re.ReplaceAllString(cat, "/Fields [900 0 R]")
	field := lastBody(t, signed, sigField)
	field = strings.Replace(field, "/T (cert)", "/T (cert) /Parent 900 0 R", 1)
	out := appendRaw(t, signed, filepath.Join(fx.dir, "nested.pdf"), map[int]string{
		root:     cat,
		sigField: field,
		900:      fmt.Sprintf("<< /T (wrap) /Kids [%d 0 R] >>", sigField),
		contents: flate("", decoded(t, signed, contents)+overlay),
	}, nil)
	t.Logf("pdfsig: %s", pdfsigSummary(t, out))
	if !strings.Contains(pdfsig(t, out), "Signature is Valid") {
		t.Fatal("pdfsig does not see the nested signature")
	}
	wantRejected(t, out, "wrap.cert", "P=1 signature nested under a new parent and page content replaced")
}

// formDoc is a P=2-certified form whose fields are not all one-widget top-level fields:
//   - "kidsig": a signature field with a separate widget (as Acrobat makes them), signed after
//     the certification by a second signer;
//   - "amt": a text field with a separate widget; "grp.so": a text field under a parent;
//     both locked by the certification's field /Lock (Include [amt grp.so]);
//   - "note": a hidden FreeText annotation (markup, with an author /T) covering the body.
func formDoc(t *testing.T, fx *fixture) (path string, obj map[string]int) {
	t.Helper()
	page, contents := pageAndContents(t, fx.doc)
	objs := qpdfJSON(t, fx.doc)
	root := refNum(t, objs["trailer"]["/Root"])
	pagesRef := objs[strconv.Itoa(root)]["/Pages"].(string)
	resources := objs[strconv.Itoa(page)]["/Resources"].(string)
	const (
		kidsig, w1, amt, w2, grp, so, lk, note, helv, apAmt, apSo, apNote = 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125
	)
	ap := func(w, h float64, content string) string {
		return stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %g %g] /Resources << /Font << /Helv %d 0 R >> >>", w, h, helv), content)
	}
	pageBody := fmt.Sprintf("<< /Type /Page /Parent %s /Contents %d 0 R /Resources %s /Annots [%d 0 R %d 0 R %d 0 R %d 0 R %d 0 R] >>",
		pagesRef, contents, resources, w1, w2, so, lk, note)
	prepared := appendRaw(t, fx.doc, filepath.Join(fx.dir, "form.pdf"), map[int]string{
		root: fmt.Sprintf("<< /Type /Catalog /Pages %s /AcroForm << /Fields [%d 0 R %d 0 R %d 0 R %d 0 R] /DR << /Font << /Helv %d 0 R >> >> /DA (/Helv 0 Tf 0 g) >> >>",
			pagesRef, kidsig, amt, grp, lk, helv),
		page:   pageBody,
		kidsig: fmt.Sprintf("<< /FT /Sig /T (kidsig) /Kids [%d 0 R] >>", w1),
		w1:     fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %d 0 R /Rect [300 100 500 160] /P %d 0 R /F 4 >>", kidsig, page),
		amt:    fmt.Sprintf("<< /FT /Tx /T (amt) /V (100 VND) /DA (/Helv 12 Tf 0 g) /Kids [%d 0 R] >>", w2),
		w2:     fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %d 0 R /Rect [70 500 270 520] /P %d 0 R /F 4 /AP << /N %d 0 R >> >>", amt, page, apAmt),
		grp:    fmt.Sprintf("<< /T (grp) /Kids [%d 0 R] >>", so),
		so: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Parent %d 0 R /T (so) /V (15) /DA (/Helv 12 Tf 0 g) /Rect [70 470 270 490] /P %d 0 R /F 4 /AP << /N %d 0 R >> >>",
			grp, page, apSo),
		lk: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (lk) /Rect [0 0 0 0] /P %d 0 R /F 132 /Lock << /Type /SigFieldLock /Action /Include /Fields [(amt) (grp.so)] >> >>", page),
		note: fmt.Sprintf("<< /Type /Annot /Subtype /FreeText /T (Reviewer) /Contents (VOID) /Rect [50 560 550 680] /F 2 /DA (/Helv 24 Tf 1 0 0 rg) /P %d 0 R /AP << /N %d 0 R >> >>",
			page, apNote),
		helv:   "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		apAmt:  ap(200, 20, "/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (100 VND) Tj ET EMC"),
		apSo:   ap(200, 20, "/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (15) Tj ET EMC"),
		apNote: ap(500, 120, "1 1 1 rg 0 0 500 120 re f BT /Helv 48 Tf 1 0 0 rg 20 40 Td (VOID - CANCELLED) Tj ET"),
	}, nil)
	cert := filepath.Join(fx.dir, "form-cert.pdf")
	if _, err := SignFile(context.Background(), prepared, cert, Request{Signer: fx.approv, Chain: fx.approv.Chain, DocMDP: 2, Field: "lk", ExistingField: true}); err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(fx.dir, "form-signed.pdf")
	if _, err := SignFile(context.Background(), cert, both, Request{Signer: fx.org, Chain: fx.org.Chain, Field: "kidsig", ExistingField: true}); err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("FINDINGS_DUMP"); d != "" {
		b, _ := os.ReadFile(both)
		os.WriteFile(filepath.Join(d, "form-signed.pdf"), b, 0o644)
	}
	// (pdfsig 22.12 lists a signature field with a separate widget as unsigned; vbdt and
	// pdfcpu verify it)
	checks, _ := verify.CheckFile(both)
	// in signing order: the certification first
	if len(checks) != 2 || !checks[0].Intact || !checks[1].Intact || checks[0].Field != "lk" || checks[0].DocMDP != 2 || checks[0].Lock == nil {
		t.Fatalf("fixture: %d checks, %v", len(checks), checks)
	}
	if r := report(analyze(t, both), "lk"); !r.Allowed {
		t.Fatalf("fixture: signing kidsig after the certification is rejected: %+v", r)
	}
	return both, map[string]int{"w1": w1, "w2": w2, "so": so, "note": note, "helv": helv}
}

// Changes to existing widgets and annotations that the rules file as form filling:
//   - the separate widget of the already-signed signature field "kidsig" gets a new appearance
//     (widgetKeys: any widget without /T may change /AP; the field it belongs to is not looked up,
//     so neither "already signed" nor FieldMDP is checked);
//   - the separate widget of the locked text field "amt" gets a new appearance (value unchanged:
//     the page shows 999,999 while /V says 100) — FieldMDP bypassed;
//   - the locked field "grp.so" is filled: the lock names it by its full name, the change carries
//     its partial name "so", so Locks("so") is false;
//   - the hidden FreeText annotation "note" is unhidden (/F 2 → 4): a markup annotation's author
//     /T makes it look like a field, and /F is a fill key.
func TestAttackFormRulesMisapplied(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	signed, o := formDoc(t, fx)
	newAP := func(w, h float64, content string) string {
		return stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %g %g] /Resources << /Font << /Helv %d 0 R >> >>", w, h, o["helv"]), content)
	}
	for _, tc := range []struct {
		name string
		objs func() map[int]string
		sig  string // the signature whose report must reject it
	}{
		{"signed-sigfield-widget-AP", func() map[int]string {
			return map[int]string{
				o["w1"]: regexp.MustCompile(`/AP\s*<<\s*/N \d+ 0 R\s*>>`).ReplaceAllString(lastBody(t, signed, o["w1"]), "/AP << /N 900 0 R >>"),
				900:     newAP(200, 60, "BT /Helv 14 Tf 0 0 1 rg 5 25 Td (Signed: The Minister) Tj ET"),
			}
		}, "kidsig"},
		{"locked-field-kid-widget-AP", func() map[int]string {
			return map[int]string{
				o["w2"]: regexp.MustCompile(`/AP\s*<<\s*/N \d+ 0 R\s*>>`).ReplaceAllString(lastBody(t, signed, o["w2"]), "/AP << /N 900 0 R >>"),
				900:     newAP(200, 20, "/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (999,999 VND) Tj ET EMC"),
			}
		}, "lk"},
		{"locked-hierarchical-field-filled", func() map[int]string {
			b := regexp.MustCompile(`/AP\s*<<\s*/N \d+ 0 R\s*>>`).ReplaceAllString(lastBody(t, signed, o["so"]), "/AP << /N 900 0 R >>")
			return map[int]string{
				o["so"]: setV(b, "99"),
				900:     newAP(200, 20, "/Tx BMC BT /Helv 12 Tf 0 g 2 5 Td (99) Tj ET EMC"),
			}
		}, "lk"},
		{"hidden-markup-annotation-revealed", func() map[int]string {
			return map[int]string{o["note"]: regexp.MustCompile(`/F 2\b`).ReplaceAllString(lastBody(t, signed, o["note"]), "/F 4")}
		}, "lk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := tc.objs()
			for n, b := range objs {
				if n != 900 && b == lastBody(t, signed, n) {
					t.Fatalf("object %d unchanged: %s", n, b)
				}
			}
			out := appendRaw(t, signed, filepath.Join(fx.dir, tc.name+".pdf"), objs, nil)
			if !rendered(t, out, int64(len(must(os.ReadFile(signed))))) {
				t.Fatal("no visible change")
			}
			wantRejected(t, out, tc.sig, tc.name)
		})
	}
}

// ---- false positives: legitimate updates rejected ---------------------------------------------

// Acrobat fills a text field by rewriting its existing appearance stream in place (same object
// number) along with /V; pyHanko accepts this by default (allow_in_place_appearance_stream_changes)
// when the stream is used by that field only. vbdt calls the rewritten XObject an "other change".
func TestAttackInPlaceAppearanceRewrite(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	sigImg, _ := images(t, fx.dir)
	approved := filepath.Join(fx.dir, "approved.pdf")
	if err := signAs(t, fx.doc, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Font: fx.font}, nil); err != nil {
		t.Fatal(err)
	}
	objs := qpdfJSON(t, approved)
	so := objByT(t, objs, "vbdt_so")
	apN := refNum(t, objs[strconv.Itoa(so)]["/AP"].(map[string]any)["/N"])
	bbox := objs[strconv.Itoa(apN)]["/BBox"].([]any)
	field := setV(lastBody(t, approved, so), "15/QD-UBND")
	out := appendRaw(t, approved, filepath.Join(fx.dir, "inplace.pdf"), map[int]string{
		so:  field,
		apN: stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %v %v] /Resources << >>", bbox[2], bbox[3]), "/Tx BMC EMC"),
	}, nil)
	wantAllowed(t, out, "vbdt_approver", "text field filled with its appearance stream rewritten in place (Acrobat)")
}

// PAdES permits validation data and document timestamps after a P=1 certification. pyHanko files
// a rewritten or added XMP metadata stream at LTA level (MetadataUpdateRule) and an invisible
// /DocTimeStamp field at LTA level; vbdt files both as form filling, which P=1 forbids.
func TestAttackLTAUpdatesAfterP1(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	signed := certified(t, fx, 1)
	objs := qpdfJSON(t, signed)
	root := refNum(t, objs["trailer"]["/Root"])
	page, _ := pageAndContents(t, signed)
	cat := lastBody(t, signed, root)

	t.Run("XMP-metadata-added", func(t *testing.T) {
		xmp := `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:ModifyDate>2026-01-05T09:00:00+07:00</xmp:ModifyDate></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
		c := strings.TrimSuffix(strings.TrimSpace(cat), ">>") + " /Metadata 900 0 R>>"
		out := appendRaw(t, signed, filepath.Join(fx.dir, "xmp.pdf"), map[int]string{root: c, 900: stream("/Type /Metadata /Subtype /XML", xmp)}, nil)
		// pyHanko files a metadata update with DSS updates, which P=1 permits; EU DSS files it
		// with form filling, which P=1 does not; vbdt takes the stricter reading
		wantRejected(t, out, "cert", "XMP metadata added after P=1")
	})

	t.Run("document-timestamp", func(t *testing.T) {
		tsa, err := testenv.StartTSA(fx.pki, testpki.RSA)
		if err != nil {
			t.Fatal(err)
		}
		defer tsa.Close()
		const ph = 8192
		placeholder := "/ByteRange [0 0000000000 0000000000 0000000000]"
		c := regexp.MustCompile(`/Fields\s*\[`).ReplaceAllString(cat, "/Fields [901 0 R ")
		pg := regexp.MustCompile(`/Annots\s*\[`).ReplaceAllString(lastBody(t, signed, page), "/Annots [901 0 R ")
		data := rawIncrement(t, signed, map[int]string{
			root: c, page: pg,
			900: fmt.Sprintf("<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 %s /Contents <%s> >>", placeholder, strings.Repeat("0", 2*ph)),
			901: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (dts) /V 900 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>", page),
		}, nil)
		at := bytes.LastIndex(data, []byte(placeholder))
		cs := bytes.LastIndex(data, []byte("/Contents <")) + len("/Contents ")
		ce := cs + 2 + 2*ph
		br := fmt.Sprintf("/ByteRange [0 %d %d %d]", cs, ce, len(data)-ce)
		copy(data[at:], br+strings.Repeat(" ", len(placeholder)-len(br)))
		signedBytes := append(bytes.Clone(data[:cs]), data[ce:]...)
		token, _, err := (&TSA{URL: tsa.URL}).Stamp(context.Background(), signedBytes)
		if err != nil {
			t.Fatal(err)
		}
		copy(data[cs+1:], strings.ToUpper(hex.EncodeToString(token)))
		out := filepath.Join(fx.dir, "dts.pdf")
		os.WriteFile(out, data, 0o644)
		t.Logf("pdfsig: %s", pdfsigSummary(t, out))
		checks, _ := verify.CheckFile(out)
		for _, c := range checks {
			if !c.Intact {
				t.Errorf("FALSE POSITIVE: the document timestamp %s is not intact for vbdt: %s", c.Field, c.Problem)
			}
		}
		wantAllowed(t, out, "cert", "document timestamp (invisible /DocTimeStamp field) after P=1")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Form filling as pypdf does it: the field's /V and /AP, and /NeedAppearances true in the form
// (pyHanko's ACROFORM_EXEMPT_STRICT_COMPARISON lists /NeedAppearances and /Q); and a filler that
// writes the form, held directly in the catalog, as an indirect object of its own (pyHanko
// compares the form's content wherever it is). vbdt calls both other changes.
func TestAttackFormFillerVariants(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	sigImg, _ := images(t, fx.dir)
	approved := filepath.Join(fx.dir, "approved.pdf")
	if err := signAs(t, fx.doc, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Font: fx.font}, nil); err != nil {
		t.Fatal(err)
	}
	objs := qpdfJSON(t, approved)
	root := refNum(t, objs["trailer"]["/Root"])
	so := objByT(t, objs, "vbdt_so")
	apN := objs[strconv.Itoa(so)]["/AP"].(map[string]any)["/N"].(string)
	newAP := setV(lastBody(t, approved, so), "15/QD-UBND")
	newAP = strings.Replace(newAP, "/N "+apN, "/N 900 0 R", 1)
	ap := stream("/Type /XObject /Subtype /Form /BBox [0 0 151 15] /Resources << >>", "/Tx BMC EMC")
	cat := lastBody(t, approved, root)
	formRE := regexp.MustCompile(`/AcroForm\s*(<<(?:[^<>]|<<(?:[^<>]|<<[^<>]*>>)*>>)*>>)`)
	form := formRE.FindStringSubmatch(cat)
	if form == nil {
		t.Fatalf("no direct form in %s", cat)
	}
	t.Run("NeedAppearances", func(t *testing.T) {
		c := strings.Replace(cat, form[0], "/AcroForm "+strings.TrimSuffix(form[1], ">>")+"/NeedAppearances true>>", 1)
		out := appendRaw(t, approved, filepath.Join(fx.dir, "needapp.pdf"), map[int]string{root: c, so: newAP, 900: ap}, nil)
		wantAllowed(t, out, "vbdt_approver", "fill with /NeedAppearances true (pypdf)")
	})
	t.Run("form-made-indirect", func(t *testing.T) {
		c := strings.Replace(cat, form[0], "/AcroForm 901 0 R", 1)
		out := appendRaw(t, approved, filepath.Join(fx.dir, "indirect-form.pdf"), map[int]string{root: c, 901: form[1], so: newAP, 900: ap}, nil)
		wantAllowed(t, out, "vbdt_approver", "fill, the form moved to an indirect object")
	})
}

// Controls from the attack list that the analysis gets right (each must be rejected after the
// P=2 certification of the Decree 30 approver).
func TestAttackControls(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	sigImg, _ := images(t, fx.dir)
	approved := filepath.Join(fx.dir, "approved.pdf")
	if err := signAs(t, fx.doc, approved, fx.approv, Appearance{Role: nd30.Approver, Image: sigImg, Font: fx.font}, nil); err != nil {
		t.Fatal(err)
	}
	objs := qpdfJSON(t, approved)
	root := refNum(t, objs["trailer"]["/Root"])
	page, contents := pageAndContents(t, approved)
	so, issuer := objByT(t, objs, "vbdt_so"), objByT(t, objs, "vbdt_issuer")
	soBody, issuerBody, pageBody, cat := lastBody(t, approved, so), lastBody(t, approved, issuer), lastBody(t, approved, page), lastBody(t, approved, root)
	rectRE := regexp.MustCompile(`/Rect\s*\[[^\]]*\]`)
	bigAP := stream("/Type /XObject /Subtype /Form /BBox [0 0 600 850] /Resources << >>", "1 1 1 rg 0 0 600 850 re f")
	sigDict := "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <00> >>"
	for name, objs := range map[string]map[int]string{
		"fill-with-huge-Rect": {so: rectRE.ReplaceAllString(setV(soBody, "x"), "/Rect [0 0 600 850]")},
		"OpenAction":          {root: strings.TrimSuffix(cat, ">>") + "/OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"},
		"page-AA":             {page: strings.TrimSuffix(pageBody, ">>") + "/AA << /O << /S /JavaScript /JS (1) >> >> >>"},
		"page-Contents":       {page: strings.Replace(pageBody, fmt.Sprintf("/Contents %d 0 R", contents), "/Contents 900 0 R", 1), 900: stream("", overlay)},
		"new-sigfield-visible-but-hidden-flag": {
			page: regexp.MustCompile(`/Annots\s*\[`).ReplaceAllString(pageBody, "/Annots [901 0 R "),
			root: regexp.MustCompile(`/Fields\s*\[`).ReplaceAllString(cat, "/Fields [901 0 R "),
			901:  fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (x) /F 2 /Rect [0 0 600 850] /P %d 0 R /AP << /N 902 0 R >> >>", page),
			902:  bigAP},
		"sign-existing-field-and-move": {issuer: rectRE.ReplaceAllString(strings.Replace(issuerBody, "/Type", "/V 900 0 R /Type", 1), "/Rect [0 0 600 850]"), 900: sigDict},
		"sign-existing-field-add-Kids": {issuer: strings.Replace(issuerBody, "/Type", "/V 900 0 R /Kids [901 0 R] /Type", 1), 900: sigDict,
			901: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %d 0 R /Rect [0 0 600 850] /P %d 0 R /AP << /N 902 0 R >> >>", issuer, page), 902: bigAP},
		"annotation-freed":   {so: ""},
		"annotation-removed": {page: regexp.MustCompile(fmt.Sprintf(`%d 0 R\s*`, so)).ReplaceAllString(pageBody, "")},
		"trailer-Root":       {900: strings.Replace(cat, "/Type", "/OpenAction << /S /JavaScript /JS (1) >> /Type", 1)},
	} {
		t.Run(name, func(t *testing.T) {
			tr := map[string]string(nil)
			if name == "trailer-Root" {
				tr = map[string]string{"/Root": "900 0 R"}
			}
			out := appendRaw(t, approved, filepath.Join(fx.dir, name+".pdf"), objs, tr)
			if _, err := verify.AnalyzeChanges(out); err != nil {
				t.Logf("analysis error (counts as refused): %v", err)
				return
			}
			wantRejected(t, out, "vbdt_approver", name)
		})
	}
}

// A certified document whose signature field a later revision drops from the form, with the
// page content replaced: the signature is still reported, as broken, not silently forgotten.
func TestSignatureRemovedFromForm(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	signed := certified(t, fx, 2)
	objs := qpdfJSON(t, signed)
	root := refNum(t, objs["trailer"]["/Root"])
	_, contents := pageAndContents(t, signed)
	cat := regexp.MustCompile(`/Fields\s*\[[^\]]*\]`).ReplaceAllString(lastBody(t, signed, root), "/Fields []")
	out := appendRaw(t, signed, filepath.Join(fx.dir, "removed.pdf"), map[int]string{
		root:     cat,
		contents: flate("", decoded(t, signed, contents)+overlay),
	}, nil)
	wantRejected(t, out, "cert", "the signature field dropped from the form and the page content replaced")
	checks, err := verify.CheckFile(out)
	if err != nil || len(checks) != 1 || checks[0].Intact || !strings.Contains(checks[0].Problem, "no longer in the document's form") {
		t.Fatalf("checks %+v %v", checks, err)
	}
}

// A /DSS prepared before signing whose parts point at the page (a VRI entry, the /Certs array,
// the DSS itself by the catalog's /DSS): a later revision rewrites the page under its own
// number. That it is "reachable from the DSS" does not make the page validation data: the
// change is a page change, which no signature permits (pdf.dssObjects, dssShaped).
func TestAttackDSSShadow(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	page, contents := pageAndContents(t, fx.doc)
	root := refNum(t, qpdfJSON(t, fx.doc)["trailer"]["/Root"])
	catalog := lastBody(t, fx.doc, root)
	for name, dss := range map[string]string{
		"VRI-entry":  fmt.Sprintf("<< /Type /DSS /VRI << /%s %d 0 R >> >>", strings.Repeat("0", 40), page),
		"Certs":      fmt.Sprintf("<< /Type /DSS /Certs %d 0 R >>", page),
		"DSS-itself": fmt.Sprintf("%d 0 R", page),
	} {
		t.Run(name, func(t *testing.T) {
			i := strings.LastIndex(catalog, ">>")
			prepared := appendRaw(t, fx.doc, filepath.Join(fx.dir, name+"-prepared.pdf"), map[int]string{root: catalog[:i] + " /DSS " + dss + " " + catalog[i:]}, nil)
			signed := filepath.Join(fx.dir, name+"-signed.pdf")
			if _, err := SignFile(context.Background(), prepared, signed, Request{Signer: fx.approv, Chain: fx.approv.Chain, Field: "cert"}); err != nil {
				t.Fatal(err)
			}
			pageBody := strings.Replace(lastBody(t, signed, page), fmt.Sprintf("/Contents %d 0 R", contents), "/Contents 900 0 R", 1)
			out := appendRaw(t, signed, filepath.Join(fx.dir, name+"-attacked.pdf"),
				map[int]string{page: pageBody, 900: stream("", decoded(t, signed, contents)+overlay)}, map[string]string{"/Size": "901"})
			if !rendered(t, out, signedSize(t, out)) {
				t.Fatal("the forged page renders as the signed one: the attack did not take")
			}
			wantRejected(t, out, "cert", "the page rewritten through a DSS pointing at it: "+name)
		})
	}
}

// The labels that grant a permission (validation data, the information dictionary, the XMP
// metadata) come from an object's role in the signed revision, never from its own /Type: a
// content stream the attacker gave /Type /DSS, /Info or /Metadata before the signing is still
// the page's content when it is rewritten (found by review).
func TestAttackContentStreamTypedBeforeSigning(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	_, contents := pageAndContents(t, fx.doc)
	orig := decoded(t, fx.doc, contents)
	for _, p := range []int{0, 1, 2} {
		for _, typ := range []string{"DSS", "Info", "Metadata", "VRI", "XObject"} {
			name := fmt.Sprintf("P%d-Type-%s", p, typ)
			t.Run(name, func(t *testing.T) {
				prepared := appendRaw(t, fx.doc, filepath.Join(fx.dir, name+"-prepared.pdf"), map[int]string{contents: flate("/Type /"+typ, orig)}, nil)
				signed := filepath.Join(fx.dir, name+"-signed.pdf")
				if _, err := SignFile(context.Background(), prepared, signed, Request{Signer: fx.approv, Chain: fx.approv.Chain, Field: "cert", DocMDP: p}); err != nil {
					t.Fatal(err)
				}
				out := appendRaw(t, signed, filepath.Join(fx.dir, name+"-attacked.pdf"), map[int]string{contents: flate("/Type /"+typ, orig+overlay)}, nil)
				if !rendered(t, out, signedSize(t, out)) {
					t.Fatal("the attack did not take")
				}
				wantRejected(t, out, "cert", name)
			})
		}
	}
}

// Parts of the page that a DSS prepared before the signing also lists, so that they have a DSS
// part's shape: the page's /Contents array as /Certs or a VRI entry's /Cert, the page tree's
// /Kids as /OCSPs, the page's /Font or /XObject dictionary as the /VRI. Rewritten after a
// P=1 certification, they are page changes, not validation data (found by review).
func TestAttackDSSShapedPageParts(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	page, contents := pageAndContents(t, fx.doc)
	root := refNum(t, qpdfJSON(t, fx.doc)["trailer"]["/Root"])
	catalog, pageBody := lastBody(t, fx.doc, root), lastBody(t, fx.doc, page)
	pages := refNum(t, qpdfJSON(t, fx.doc)[strconv.Itoa(page)]["/Parent"])
	resNum := refNum(t, qpdfJSON(t, fx.doc)[strconv.Itoa(page)]["/Resources"])
	resBody := lastBody(t, fx.doc, resNum)
	withDSS := func(dss string) string {
		i := strings.LastIndex(catalog, ">>")
		return catalog[:i] + " /DSS " + dss + " " + catalog[i:]
	}
	fontRE := regexp.MustCompile(`/Font\s*<<\s*/(\S+)\s+(\d+) 0 R\s*>>`)
	font := fontRE.FindStringSubmatch(resBody)
	if font == nil {
		t.Fatalf("no single-font /Font dictionary in the resources: %s", resBody)
	}
	contentsArray := strings.Replace(pageBody, fmt.Sprintf("/Contents %d 0 R", contents), "/Contents 800 0 R", 1)
	overlaid := func(signed string) map[int]string {
		return map[int]string{800: "[900 0 R]", 900: stream("", decoded(t, signed, contents)+overlay)}
	}
	cases := map[string]struct {
		prep   map[int]string
		attack func(signed string) map[int]string
	}{
		"Contents-array-as-Certs": {map[int]string{root: withDSS("<< /Type /DSS /Certs 800 0 R >>"), page: contentsArray,
			800: fmt.Sprintf("[%d 0 R]", contents)}, overlaid},
		"Contents-array-as-VRI-Cert": {map[int]string{root: withDSS(fmt.Sprintf("<< /Type /DSS /VRI << /%s << /Cert 800 0 R >> >> >>", strings.Repeat("A", 40))),
			page: contentsArray, 800: fmt.Sprintf("[%d 0 R]", contents)}, overlaid},
		"Kids-array-as-OCSPs": {map[int]string{root: withDSS("<< /Type /DSS /OCSPs 800 0 R >>"),
			pages: regexp.MustCompile(`/Kids\s*\[[^\]]*\]`).ReplaceAllString(lastBody(t, fx.doc, pages), "/Kids 800 0 R"),
			800:   fmt.Sprintf("[%d 0 R]", page)},
			func(signed string) map[int]string {
				pb := strings.Replace(lastBody(t, signed, page), fmt.Sprintf("/Contents %d 0 R", contents), "/Contents 900 0 R", 1)
				return map[int]string{800: "[899 0 R]", 899: pb, 900: stream("", decoded(t, signed, contents)+overlay)}
			}},
		"Font-dict-as-VRI": {map[int]string{root: withDSS("<< /Type /DSS /VRI 800 0 R >>"),
			resNum: fontRE.ReplaceAllString(resBody, "/Font 800 0 R"), 800: fmt.Sprintf("<< /%s %s 0 R >>", font[1], font[2])},
			func(string) map[int]string {
				return map[int]string{800: fmt.Sprintf("<< /%s 900 0 R >>", font[1]), 900: "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"}
			}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			prepared := appendRaw(t, fx.doc, filepath.Join(fx.dir, name+"-prepared.pdf"), c.prep, map[string]string{"/Size": "802"})
			signed := filepath.Join(fx.dir, name+"-signed.pdf")
			if _, err := SignFile(context.Background(), prepared, signed, Request{Signer: fx.approv, Chain: fx.approv.Chain, Field: "cert", DocMDP: 1}); err != nil {
				t.Fatal(err)
			}
			out := appendRaw(t, signed, filepath.Join(fx.dir, name+"-attacked.pdf"), c.attack(signed), map[string]string{"/Size": "901"})
			if !rendered(t, out, signedSize(t, out)) {
				t.Fatal("the forged page renders as the signed one: the attack did not take")
			}
			wantRejected(t, out, "cert", name)
		})
	}
}
