package sign

import (
	"bytes"
	"context"
	"github.com/vbdt/vbdt/verify"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
)

// A document approved by another tool (an approval signature, no number fields) is numbered
// with two new unsigned signature fields: the approval still verifies, the change is only
// form filling, the number shows, and a later signature covers it all.
func TestStampForeignDocument(t *testing.T) {
	fx := setup(t, testpki.RSA)
	approved := filepath.Join(fx.dir, "approved.pdf")
	if _, err := SignFile(context.Background(), fx.doc, approved, Request{Signer: fx.approv, Chain: fx.approv.Chain, Field: "other-tool"}); err != nil {
		t.Fatal(err)
	}
	numbered := filepath.Join(fx.dir, "numbered.pdf")
	req := StampRequest{In: approved, Out: numbered, NumberLine: "Số: 15/QĐ-UBND",
		DateLine: "Hà Nội, ngày 05 tháng 01 năm 2026", Font: fx.font}
	res, err := Stamp(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != StampNewFields || len(res.Checks) != 1 || !res.Checks[0].Intact {
		t.Fatalf("result %+v", res)
	}
	orig, _ := os.ReadFile(approved)
	got, _ := os.ReadFile(numbered)
	if !bytes.HasPrefix(got, orig) {
		t.Fatal("the approved bytes are not a prefix of the numbered document")
	}
	reports, err := verify.AnalyzeChanges(numbered)
	if err != nil || len(reports) != 1 || reports[0].Worst != verify.ModFormFill || !reports[0].Allowed {
		t.Fatalf("changes %+v %v", reports, err)
	}
	if out := pdfsig(t, numbered); !strings.Contains(out, "Signature is Valid.") || strings.Contains(out, "Digest Mismatch") {
		t.Fatalf("pdfsig:\n%s", out)
	}
	text, _ := exec.Command("pdftotext", "-raw", "-f", "1", "-l", "1", numbered, "-").Output()
	if !strings.Contains(string(text), "15/QĐ-UBND") || !strings.Contains(string(text), "ngày 05 tháng 01 năm 2026") {
		t.Errorf("the number does not show on page 1:\n%s", text)
	}
	doc, err := pdf.OpenFile(numbered)
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanStamp(doc, StampOptions{})
	doc.Close()
	if err == nil || !strings.Contains(err.Error(), "already numbered") {
		t.Fatalf("a second numbering: %v", err)
	}
	issued := filepath.Join(fx.dir, "issued.pdf")
	if _, err := SignFile(context.Background(), numbered, issued, Request{Signer: fx.org, Chain: fx.org.Chain}); err != nil {
		t.Fatal(err)
	}
	mustValidBy(t, issued, 2, false)
}

// A certification with DocMDP P=1 permits no change: the number is refused and nothing is written.
func TestStampRefusesP1(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	certified := filepath.Join(fx.dir, "certified.pdf")
	if _, err := SignFile(context.Background(), fx.doc, certified, Request{Signer: fx.org, Chain: fx.org.Chain, DocMDP: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(fx.dir, "numbered.pdf")
	_, err := Stamp(StampRequest{In: certified, Out: out, NumberLine: "Số: 1/QĐ-UBND", DateLine: "x", Font: fx.font})
	if err == nil || !strings.Contains(err.Error(), "P=1") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a file was written")
	}
}
