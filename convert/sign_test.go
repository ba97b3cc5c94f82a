package convert_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/sign"
)

// The copy signature stage (vbdt convert sign): a converted PDF/A-1b document signed in the
// role copy is an incremental update of it, still PDF/A-1b for PDFBox Preflight, and its
// sidecar records the signature and the new size and SHA-256.
func TestSignConverted(t *testing.T) {
	testenv.NeedTools(t, "qpdf")
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	testenv.PKI(t, pkiDir)
	scans := filepath.Join(dir, "H99.2026.03")
	os.MkdirAll(scans, 0o755)
	if err := testpki.WriteJPEG(filepath.Join(scans, "01.jpg"), testpki.ScanPage(200, 7), 200); err != nil {
		t.Fatal(err)
	}
	docs, err := convert.PlanFolders([]string{scans}, filepath.Join(dir, "pdfa"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(docs[0], convert.Options{Part: convert.PDFA1B, Profile: convert.ProfileND30, Producer: "test"}); err != nil {
		t.Fatal(err)
	}
	out := docs[0].Out
	before, _ := os.ReadFile(out)

	key, err := keys.Open("file:"+testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA).P12,
		keys.Options{Getenv: func(string) string { return testpki.Password }})
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	face, err := fonts.Find("")
	if err != nil {
		testenv.Need(t, err.Error())
	}
	font, err := pdf.LoadFont(face.Regular)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pdf.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r := sign.Request{Signer: key, Chain: key.Chain, Time: time.Now()}
	err = sign.Appearance{Role: nd30.Copy, CopyForm: "SAO Y", CopyAgency: "UBND tỉnh Thử Nghiệm (TEST)", Font: font}.Apply(doc, &r)
	doc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.SignFile(context.Background(), out, out, r); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(out)
	if !bytes.HasPrefix(after, before) || len(after) == len(before) {
		t.Fatal("the signature is not an incremental update of the converted document")
	}
	if b, err := exec.Command("qpdf", "--check", out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, b)
	}
	preflightAll(t, []string{out})
	side, changed, err := convert.RecordSignatures(out)
	if err != nil || !changed || side.Bytes != int64(len(after)) || len(side.Signatures) != 1 || side.Signatures[0].Field == "" {
		t.Fatalf("the sidecar does not record the signature: %+v, changed %v, %v", side, changed, err)
	}
	if _, changed, err := convert.RecordSignatures(out); err != nil || changed {
		t.Fatalf("recording again: changed %v, %v", changed, err)
	}
	if err := convert.CheckFixity(out); err != nil {
		t.Fatalf("the signed document fails its own fixity: %v", err)
	}
	// a text layer now would break the signature: refused
	if _, _, err := convert.AddOCR(context.Background(), out, convert.OCROptions{Font: font}); err == nil || !strings.Contains(err.Error(), "is signed") {
		t.Fatalf("OCR of a signed document: %v", err)
	}
	// and a file put in its place is not what the sidecar records
	if err := os.WriteFile(out, before, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := convert.CheckFixity(out); err == nil {
		t.Fatal("a replaced document passes its fixity check")
	}
}
