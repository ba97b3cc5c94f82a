package verify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// htmlHostile is what a forged PDF may put in any string the report shows.
const htmlHostile = `<script>alert(1)</script>" onload="x`

// htmlTestReports are a passing Decree 30 document, a tampered one whose signer has a htmlHostile
// name, and one whose chain ends at an unknown root.
func htmlTestReports() []*Report {
	validated := time.Date(2025, 3, 14, 2, 30, 0, 0, time.UTC)
	nationalRoot := "Cục Chứng thực số và Bảo mật thông tin (Root CA)"
	approverCert := &CertInfo{
		Subject:   "CN=Nguyễn Văn An,OU=Văn phòng,O=Ủy ban nhân dân tỉnh Hà Nam,C=VN",
		Issuer:    "CN=CA phục vụ các cơ quan Đảng và Nhà nước,O=Ban Cơ yếu Chính phủ,C=VN",
		Serial:    "5401a2b3c4d5e6f7",
		NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		SHA256:    "3f1c9a0e55d2b7a4c1e8f9063d2a7b5c4e1f0a9d8c7b6a5f4e3d2c1b0a9f8e7d",
		Key:       "RSA-2048",
		UID:       "CCCD:001085012345",
	}
	issuerCert := &CertInfo{
		Subject:   "CN=Ủy ban nhân dân tỉnh Hà Nam,O=Ủy ban nhân dân tỉnh Hà Nam,C=VN",
		Issuer:    approverCert.Issuer,
		Serial:    "5401a2b3c4d5e6f8",
		NotBefore: approverCert.NotBefore,
		NotAfter:  approverCert.NotAfter,
		SHA256:    "aa1c9a0e55d2b7a4c1e8f9063d2a7b5c4e1f0a9d8c7b6a5f4e3d2c1b0a9f8e7d",
		Key:       "RSA-2048",
		UID:       "MST:0700123456",
	}
	chain := []string{approverCert.Subject, approverCert.Issuer, "CN=" + nationalRoot}
	trusted := Trust{Result: Result{OK: true}, Chain: chain, Root: "CN=" + nationalRoot, National: nationalRoot, Anchor: "pinned"}
	tsa := &CertInfo{Subject: "CN=TSA Ban Cơ yếu Chính phủ,C=VN", Issuer: "CN=" + nationalRoot}
	signed := time.Date(2025, 3, 10, 1, 15, 0, 0, time.UTC)

	passed := &Report{
		File: "QD-125-UBND.pdf", Size: 284113, Revisions: 3, Pages: 2, Profile: "nd30",
		Indication: TotalPassed,
		Signatures: []Signature{{
			Field: "SigApprover", Kind: "signature", SubFilter: "ETSI.CAdES.detached",
			Role: nd30.Approver, Revision: 1, SignedSize: 201000, Level: "B-LT", DocMDP: 2,
			Signer:  approverCert,
			Claimed: Claimed{Name: "Nguyễn Văn An", Reason: "Phê duyệt", Location: "Hà Nam", Time: signed},
			Time:    signed, TimeSource: "signature timestamp",
			Timestamp:  &TimestampInfo{Time: signed, TSA: tsa, Trusted: true},
			Integrity:  Result{OK: true},
			Trust:      trusted,
			Revocation: Revocation{Status: "good", Source: "DSS OCSP"},
			Changes:    Changes{Worst: ModFormFill, Allowed: true, Items: []string{"chữ ký SigIssuer được thêm", "trường Số, Ngày được điền"}},
			Indication: TotalPassed,
		}, {
			Field: "SigIssuer", Kind: "signature", SubFilter: "ETSI.CAdES.detached",
			Role: nd30.Issuer, Revision: 2, SignedSize: 270500, Level: "B-LT",
			FieldLock: &pdf.FieldLock{Action: "Include", Fields: []string{"SoVanBan", "NgayBanHanh"}},
			Signer:    issuerCert,
			Time:      signed.Add(time.Hour), TimeSource: "signature timestamp",
			Timestamp:  &TimestampInfo{Time: signed.Add(time.Hour), TSA: tsa, Trusted: true},
			Integrity:  Result{OK: true},
			Trust:      trusted,
			Revocation: Revocation{Status: "good", Source: "DSS OCSP"},
			Changes:    Changes{Worst: ModLTA, Allowed: true},
			Indication: TotalPassed,
		}},
		Findings:    []Finding{{Severity: Info, Code: "ND30_PROFILE_OK", Text: "Văn bản đúng thể thức Nghị định 30: chữ ký người có thẩm quyền, rồi chữ ký cơ quan."}},
		ValidatedAt: validated, Online: true,
	}

	evil := &CertInfo{Subject: "CN=" + htmlHostile + ",O=" + htmlHostile, Issuer: "CN=" + htmlHostile, UID: htmlHostile, Key: "RSA-2048"}
	failed := &Report{
		File: htmlHostile + ".pdf", Size: 99000, Revisions: 2, Pages: 1, Profile: "nd30",
		Indication: TotalFailed, SubIndication: HashFailure, Reason: "signature SigApprover: " + htmlHostile,
		Signatures: []Signature{{
			Field: htmlHostile, Kind: "signature", SubFilter: "adbe.pkcs7.detached",
			Role: nd30.Approver, Revision: 1, SignedSize: 98000, Level: "B-B", DocMDP: 1,
			Signer:  evil,
			Claimed: Claimed{Name: htmlHostile, Reason: htmlHostile, Location: htmlHostile, ContactInfo: htmlHostile, Time: signed},
			Time:    validated, TimeSource: "claimed signing time (unproven)",
			Integrity:  Result{Problem: "message digest mismatch: " + htmlHostile},
			Trust:      Trust{Result: Result{OK: true}, Chain: []string{htmlHostile}, Root: htmlHostile, Anchor: "system"},
			Revocation: Revocation{Status: "revoked", Source: "online OCSP", Revoked: signed.Add(-time.Hour), Problem: htmlHostile},
			Changes:    Changes{Worst: ModOther, Allowed: false, Items: []string{htmlHostile, "page 1 content replaced"}},
			Indication: TotalFailed, SubIndication: HashFailure, Reason: htmlHostile,
			Findings: []Finding{{Severity: Failure, Code: "HASH_MISMATCH", Text: htmlHostile}, {Severity: Warning, Code: "NO_TIMESTAMP", Text: "no signature timestamp"}},
		}},
		Findings:    []Finding{{Severity: Failure, Code: "ND30_NO_ISSUER", Text: "thiếu chữ ký của cơ quan, tổ chức " + htmlHostile}},
		ValidatedAt: validated,
	}

	indeterminate := &Report{
		File: "CV-88-BTC.pdf", Size: 1234567, Revisions: 2, Pages: 5,
		Indication: Indeterminate, SubIndication: NoCertificateChainFound, Reason: "the chain ends at an unknown root",
		Signatures: []Signature{{
			Field: "Signature1", Kind: "signature", SubFilter: "ETSI.CAdES.detached",
			Role: nd30.Plain, Revision: 1, SignedSize: 1230000, CoversWholeFile: false, Level: "B-T",
			Signer: &CertInfo{Subject: "CN=Trần Thị Bình,O=Công ty ABC,C=VN", Issuer: "CN=Unknown CA", UID: "CCCD:079190000111"},
			Time:   signed, TimeSource: "signature timestamp",
			Timestamp:  &TimestampInfo{Time: signed, Trusted: false, Problem: "TSA not trusted"},
			Integrity:  Result{OK: true},
			Trust:      Trust{Result: Result{Problem: "no chain to a trusted root"}, Chain: []string{"CN=Trần Thị Bình", "CN=Unknown CA"}, Root: "CN=Unknown CA"},
			Revocation: Revocation{Status: "unknown", Problem: "no OCSP response embedded"},
			Changes:    Changes{Worst: ModNone, Allowed: true},
			Indication: Indeterminate, SubIndication: NoCertificateChainFound,
		}, {
			Field: "DocTS", Kind: "document timestamp", Revision: 2, SignedSize: 1234000, Level: "document timestamp",
			Signer: tsa,
			Time:   signed.Add(2 * time.Hour), TimeSource: "document timestamp",
			Integrity:  Result{OK: true},
			Trust:      Trust{Result: Result{Problem: "TSA chain unknown"}},
			Revocation: Revocation{Status: "not required"},
			Changes:    Changes{Worst: ModNone, Allowed: true},
			Indication: Indeterminate, SubIndication: NoCertificateChainFound,
		}},
		ValidatedAt: validated,
	}
	return []*Report{passed, failed, indeterminate}
}

func htmlRender(t *testing.T, reports []*Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, reports); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteHTML(t *testing.T) {
	page := htmlRender(t, htmlTestReports())

	for _, want := range []string{
		"<!DOCTYPE html>", `<html lang="vi">`, `<meta charset="utf-8">`,
		"Hợp lệ", "Không hợp lệ", "Chưa xác định", "Valid", "Invalid", "Indeterminate",
		"QD-125-UBND.pdf", "Nguyễn Văn An", "CCCD:001085012345", "Người có thẩm quyền", "Cơ quan, tổ chức",
		"Cục Chứng thực số và Bảo mật thông tin (Root CA)", // the national root
		"Chỉ cho phép điền biểu mẫu và ký",                 // P=2
		"Không cho phép bất kỳ thay đổi nào",               // P=1
		"Được chứng minh bằng dấu thời gian",               // a proven time
		"chưa được chứng minh",                             // a claimed one
		"B-LT", "HASH_FAILURE", "Nội dung đã ký bị thay đổi sau khi ký",
		"NO_CERTIFICATE_CHAIN_FOUND", "Đã bị thu hồi", "chữ ký SigIssuer được thêm",
		"ND30_NO_ISSUER", "Trực tuyến", "Ngoại tuyến", "09:30:00 14/03/2025",
		"Khóa các trường: SoVanBan, NgayBanHanh", "1.234.567 byte", "@media print", "size: A4",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{
		"<script", "alert(1)</script>", `" onload="x`, // the htmlHostile strings, raw
		"<link", " src=", "http://", "https://", "@import", "url(", // external resources
	} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	// every element opened is closed: a cheap check that the page is well-formed
	for _, tag := range []string{"html", "head", "body", "section", "article", "table", "tr", "td", "th", "div", "ul", "li", "span", "details", "footer", "header", "style", "title", "h1", "h2", "h3", "p", "code", "strong", "a"} {
		open := strings.Count(page, "<"+tag+">") + strings.Count(page, "<"+tag+" ")
		if closed := strings.Count(page, "</"+tag+">"); open != closed {
			t.Errorf("<%s> opened %d times, closed %d times", tag, open, closed)
		}
	}
	if n := strings.Count(page, `class="sig `); n != 5 {
		t.Errorf("%d signature cards, want 5", n)
	}
	if n := strings.Count(page, `class="badge badge-big"`); n != 3 {
		t.Errorf("%d verdict badges, want 3", n)
	}
}

func TestWriteHTMLEdgeCases(t *testing.T) {
	// no report, a nil one, a document without signatures
	if page := htmlRender(t, nil); !strings.Contains(page, "Không có tài liệu nào được kiểm tra") {
		t.Error("an empty page does not say it is empty")
	}
	r := &Report{File: "unsigned.pdf", Indication: TotalFailed, SubIndication: NoSignatureFound}
	page := htmlRender(t, []*Report{nil, r})
	for _, want := range []string{"unsigned.pdf", "Tài liệu không có chữ ký số", "Không hợp lệ"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `class="summary"`) {
		t.Error("a single document has a summary table")
	}
	// a failing writer
	errWrite := errors.New("disk full")
	if err := WriteHTML(htmlFailingWriter{errWrite}, []*Report{r}); !errors.Is(err, errWrite) {
		t.Errorf("WriteHTML = %v, want %v", err, errWrite)
	}
}

type htmlFailingWriter struct{ err error }

func (w htmlFailingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestHTMLWords(t *testing.T) {
	// every sub-indication is said in words, not only as its code
	for _, s := range []SubIndication{FormatFailure, HashFailure, SigCryptoFailure, Revoked, Expired, NotYetValid,
		SigConstraintsFailure, ChainConstraintsFailure, CryptoConstraintsNoPOE, NoCertificateChainFound,
		RevokedNoPOE, OutOfBoundsNoPOE, TryLater, NoSignatureFound} {
		if w := htmlSubIndication(s); w.VI == string(s) || w.EN == "" {
			t.Errorf("%s has no words", s)
		}
	}
	for _, r := range nd30.Roles {
		if w := htmlRole(r); w.VI == string(r) || w.EN == "" {
			t.Errorf("role %s has no words", r)
		}
	}
	for _, m := range []Modification{ModNone, ModLTA, ModFormFill, ModAnnotations, ModOther} {
		if w := htmlModification(m); w.EN == "" {
			t.Errorf("modification %s has no words", m)
		}
	}
	for dn, want := range map[string]string{
		"CN=Nguyễn Văn An,O=UBND,C=VN":    "Nguyễn Văn An",
		"O=UBND, CN=Trần Bình":            "Trần Bình",
		`CN=Công ty A\, chi nhánh B,C=VN`: `Công ty A\, chi nhánh B`,
		"O=no common name":                "O=no common name",
	} {
		if got := htmlCN(dn); got != want {
			t.Errorf("htmlCN(%q) = %q, want %q", dn, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 byte", 999: "999 byte", 1000: "1.000 byte", 1234567: "1.234.567 byte"} {
		if got := htmlBytes(n); got != want {
			t.Errorf("htmlBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// Verdict badge colours of report.html.tmpl.
var (
	htmlGreen = [3]uint8{0x1b, 0x7f, 0x3b}
	htmlRed   = [3]uint8{0xc6, 0x28, 0x28}
	htmlAmber = [3]uint8{0xf0, 0xa5, 0x00}
)

// TestHTMLChromium renders the page in headless Chromium: the screenshot must show the
// verdict colours (the CSS applied) and the DOM must hold the signers' names as text.
func TestHTMLChromium(t *testing.T) {
	browser := testenv.Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, htmlTestReports()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	img := browser.Screenshot(t, page, 1000, 1400)
	for name, c := range map[string][3]uint8{"green": htmlGreen, "red": htmlRed, "amber": htmlAmber} {
		n := testenv.CountNear(img, c, 12)
		t.Logf("%s pixels: %d", name, n)
		if n < 500 {
			t.Errorf("%d %s pixels, want > 500: the verdict badges did not render", n, name)
		}
	}
	dom := browser.DOM(t, page)
	for _, want := range []string{"Nguyễn Văn An", "Trần Thị Bình", "Hợp lệ", "Không hợp lệ", "Chưa xác định",
		"&lt;script&gt;alert(1)&lt;/script&gt;\" onload=\"x"} { // the htmlHostile name, as text
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the DOM has a script element")
	}
}
