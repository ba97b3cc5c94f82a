package verify

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
)

// The HTML report is one self-contained page: inline CSS, no script, no external resource,
// so that an archivist can open it offline, attach it to the file's record and print it on A4.
// Every string that comes from a PDF (names, reasons, field names) is hostile: html/template
// escapes it for the context it lands in.

//go:embed report.html.tmpl
var htmlFiles embed.FS

var htmlTmpl = template.Must(template.New("report.html.tmpl").Funcs(htmlFuncs).ParseFS(htmlFiles, "report.html.tmpl"))

// WriteHTML writes the reports as one HTML page, one section per document. Nothing is written
// when the page cannot be rendered.
func WriteHTML(w io.Writer, reports []*Report) error {
	var rs []*Report
	for _, r := range reports {
		if r != nil {
			rs = append(rs, r)
		}
	}
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, rs); err != nil {
		return fmt.Errorf("verify: rendering the HTML report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlBi is a bilingual label: Vietnamese first, English in smaller text.
type htmlBi struct{ VI, EN string }

// htmlVerdictView is how the page shows an indication.
type htmlVerdictView struct {
	Class string // pass, fail, indet: the CSS class
	Icon  string
	htmlBi
}

var htmlFuncs = template.FuncMap{
	"verdict":       htmlVerdict,
	"subIndication": htmlSubIndication,
	"role":          htmlRole,
	"level":         htmlLevel,
	"docMDP":        htmlDocMDP,
	"fieldLock":     htmlFieldLock,
	"timeSource":    htmlTimeSource,
	"revocation":    htmlRevocation,
	"modification":  htmlModification,
	"severity":      htmlSeverity,
	"when":          htmlWhen,
	"day":           htmlDay,
	"bytes":         htmlBytes,
	"cn":            htmlCN,
	"title":         htmlTitle,
	"inc":           func(i int) int { return i + 1 },
	"checkClass":    htmlCheckClass,
	"checkIcon":     htmlCheckIcon,
	"count":         htmlCount,
}

func htmlVerdict(i Indication) htmlVerdictView {
	switch i {
	case TotalPassed:
		return htmlVerdictView{"pass", "✓", htmlBi{"Hợp lệ", "Valid"}}
	case TotalFailed:
		return htmlVerdictView{"fail", "✗", htmlBi{"Không hợp lệ", "Invalid"}}
	}
	return htmlVerdictView{"indet", "?", htmlBi{"Chưa xác định", "Indeterminate"}}
}

// htmlSubIndication says a sub-indication in plain words.
func htmlSubIndication(s SubIndication) htmlBi {
	switch s {
	case FormatFailure:
		return htmlBi{"Tệp hoặc chữ ký sai định dạng", "The file or the signature is malformed"}
	case HashFailure:
		return htmlBi{"Nội dung đã ký bị thay đổi sau khi ký", "The signed content was altered after signing"}
	case SigCryptoFailure:
		return htmlBi{"Giá trị chữ ký không khớp với chứng thư số", "The signature value does not match the certificate"}
	case Revoked:
		return htmlBi{"Chứng thư số của người ký đã bị thu hồi", "The signer's certificate has been revoked"}
	case Expired:
		return htmlBi{"Chứng thư số đã hết hạn tại thời điểm ký", "The certificate had expired at the signing time"}
	case NotYetValid:
		return htmlBi{"Chứng thư số chưa có hiệu lực tại thời điểm ký", "The certificate was not yet valid at the signing time"}
	case SigConstraintsFailure:
		return htmlBi{"Chữ ký không đáp ứng yêu cầu (thể thức, quyền thay đổi văn bản)", "The signature does not meet the constraints (profile, permitted changes)"}
	case ChainConstraintsFailure:
		return htmlBi{"Chuỗi chứng thư số không đáp ứng yêu cầu", "The certificate chain does not meet the constraints"}
	case CryptoConstraintsNoPOE:
		return htmlBi{"Thuật toán mật mã không còn an toàn và không có bằng chứng thời gian", "A weak algorithm and no proof of the signing time"}
	case NoCertificateChainFound:
		return htmlBi{"Không xác định được chuỗi chứng thư đến CA gốc tin cậy", "No chain to a trusted root certificate"}
	case RevokedNoPOE:
		return htmlBi{"Chứng thư số bị thu hồi và không chứng minh được chữ ký có trước khi thu hồi", "Revoked, and nothing proves the signature existed before"}
	case OutOfBoundsNoPOE:
		return htmlBi{"Ngoài thời hạn hiệu lực của chứng thư số và không có bằng chứng thời gian", "Outside the certificate's validity, and no proof of the signing time"}
	case TryLater:
		return htmlBi{"Chưa lấy được thông tin thu hồi chứng thư, hãy kiểm tra lại sau", "Revocation information is not available yet: try again later"}
	case NoSignatureFound:
		return htmlBi{"Tài liệu không có chữ ký số", "The document carries no signature"}
	}
	return htmlBi{string(s), ""}
}

// htmlRole names a Decree 30 role.
func htmlRole(r nd30.Role) htmlBi {
	switch r {
	case nd30.Approver:
		return htmlBi{"Người có thẩm quyền", "Competent person (approver)"}
	case nd30.Issuer:
		return htmlBi{"Cơ quan, tổ chức", "Issuing organization"}
	case nd30.Attachment:
		return htmlBi{"Cơ quan, tổ chức – văn bản kèm theo", "Organization – attachment"}
	case nd30.Copy:
		return htmlBi{"Cơ quan, tổ chức – bản sao điện tử", "Organization – electronic copy"}
	case nd30.Plain:
		return htmlBi{"Chữ ký thông thường", "Plain signature"}
	case "":
		return htmlBi{}
	}
	return htmlBi{string(r), ""}
}

// htmlLevel explains a PAdES baseline level.
func htmlLevel(l string) htmlBi {
	switch l {
	case "B-B":
		return htmlBi{"Cơ bản, không có dấu thời gian", "Basic, no timestamp"}
	case "B-T":
		return htmlBi{"Có dấu thời gian", "With a trusted timestamp"}
	case "B-LT":
		return htmlBi{"Có dấu thời gian và dữ liệu kiểm tra dài hạn", "Timestamp and long-term validation data"}
	case "B-LTA":
		return htmlBi{"Lưu trữ dài hạn: thêm dấu thời gian tài liệu", "Long-term archival: document timestamp added"}
	case "document timestamp":
		return htmlBi{"Dấu thời gian tài liệu", "Document timestamp"}
	}
	return htmlBi{}
}

// htmlDocMDP says what a certification signature's DocMDP permission lets later revisions do.
func htmlDocMDP(p int) htmlBi {
	switch p {
	case 1:
		return htmlBi{"Không cho phép bất kỳ thay đổi nào", "No changes permitted"}
	case 2:
		return htmlBi{"Chỉ cho phép điền biểu mẫu và ký", "Form filling and signing only"}
	case 3:
		return htmlBi{"Cho phép điền biểu mẫu, ký và thêm chú thích", "Form filling, signing and annotations"}
	}
	return htmlBi{fmt.Sprintf("P=%d", p), ""}
}

// htmlFieldLock says which fields a FieldMDP lock freezes.
func htmlFieldLock(l *pdf.FieldLock) htmlBi {
	if l == nil {
		return htmlBi{}
	}
	fields := strings.Join(l.Fields, ", ")
	switch l.Action {
	case "All":
		return htmlBi{"Khóa mọi trường của biểu mẫu", "Locks every form field"}
	case "Include":
		return htmlBi{"Khóa các trường: " + fields, "Locks these fields"}
	case "Exclude":
		return htmlBi{"Khóa mọi trường, trừ: " + fields, "Locks every field except these"}
	}
	return htmlBi{l.Action + " " + fields, ""}
}

// htmlTimeSourceView is where a signature's time comes from and whether it is proven.
type htmlTimeSourceView struct {
	htmlBi
	Proven bool
}

func htmlTimeSource(s string) htmlTimeSourceView {
	switch s {
	case "signature timestamp":
		return htmlTimeSourceView{htmlBi{"Được chứng minh bằng dấu thời gian của chữ ký", "Proven by the signature timestamp"}, true}
	case "document timestamp":
		return htmlTimeSourceView{htmlBi{"Được chứng minh bằng dấu thời gian tài liệu", "Proven by a document timestamp"}, true}
	case "claimed signing time (unproven)":
		return htmlTimeSourceView{htmlBi{"Chỉ là thời gian người ký tự khai, chưa được chứng minh", "Only claimed by the signer, not proven"}, false}
	case "validation time":
		return htmlTimeSourceView{htmlBi{"Không có bằng chứng thời gian: kiểm tra theo thời điểm kiểm tra", "No proof of time: checked at the validation time"}, false}
	case "":
		return htmlTimeSourceView{}
	}
	return htmlTimeSourceView{htmlBi{s, ""}, false}
}

// htmlRevocationView is how the page shows a revocation status.
type htmlRevocationView struct {
	htmlBi
	Class string
}

func htmlRevocation(status string) htmlRevocationView {
	switch status {
	case "good":
		return htmlRevocationView{htmlBi{"Chưa bị thu hồi", "Not revoked"}, "ok"}
	case "revoked":
		return htmlRevocationView{htmlBi{"Đã bị thu hồi", "Revoked"}, "bad"}
	case "unknown":
		return htmlRevocationView{htmlBi{"Không xác định được", "Unknown"}, "warn"}
	case "not required":
		return htmlRevocationView{htmlBi{"Không yêu cầu (chứng thư không khai báo dịch vụ thu hồi)", "Not required (no revocation service named)"}, "ok"}
	case "":
		return htmlRevocationView{htmlBi{"Không có thông tin", "No information"}, "warn"}
	}
	return htmlRevocationView{htmlBi{status, ""}, "warn"}
}

func htmlModification(m Modification) htmlBi {
	switch m {
	case ModNone, "":
		return htmlBi{"Không có thay đổi", "No changes"}
	case ModLTA:
		return htmlBi{"Chỉ thêm dữ liệu kiểm tra và siêu dữ liệu", "Validation data and metadata only"}
	case ModFormFill:
		return htmlBi{"Điền biểu mẫu và ký", "Form filling and signatures"}
	case ModAnnotations:
		return htmlBi{"Thêm chú thích", "Annotations"}
	case ModOther:
		return htmlBi{"Thay đổi khác", "Other changes"}
	}
	return htmlBi{string(m), ""}
}

// htmlSeverityView is how the page shows a finding's severity.
type htmlSeverityView struct {
	htmlBi
	Class, Icon string
}

func htmlSeverity(s Severity) htmlSeverityView {
	switch s {
	case Failure:
		return htmlSeverityView{htmlBi{"Lỗi", "Failure"}, "failure", "✗"}
	case Warning:
		return htmlSeverityView{htmlBi{"Cảnh báo", "Warning"}, "warning", "!"}
	}
	return htmlSeverityView{htmlBi{"Thông tin", "Info"}, "info", "i"}
}

// htmlCheckClass is the class of a check row: ok, or bad (warn when the signature is only
// indeterminate: the check could not be completed rather than failed).
func htmlCheckClass(ok bool, sig Indication) string {
	switch {
	case ok:
		return "ok"
	case sig == Indeterminate:
		return "warn"
	}
	return "bad"
}

// htmlCheckIcon is the mark of a check row's class.
func htmlCheckIcon(class string) string {
	switch class {
	case "ok":
		return "✓"
	case "warn":
		return "!"
	}
	return "✗"
}

// htmlZone is Vietnam's time (UTC+7, no daylight saving): the page shows every time in it,
// whatever zone the verifier ran in.
var htmlZone = time.FixedZone("UTC+7", 7*60*60)

func htmlWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(htmlZone).Format("15:04:05 02/01/2006") + " (UTC+7)"
}

func htmlDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(htmlZone).Format("02/01/2006")
}

// htmlBytes writes a size with Vietnamese digit grouping (1.234.567 byte).
func htmlBytes(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String() + " byte"
	}
	return b.String() + " byte"
}

// htmlCN is the common name of a distinguished name as vbdt writes them ("CN=…,O=…"), or the
// whole name when it has none.
func htmlCN(dn string) string {
	for _, part := range htmlSplitDN(dn) {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "CN") {
			return strings.TrimSpace(v)
		}
	}
	return dn
}

// htmlSplitDN splits a distinguished name at the commas that are not escaped.
func htmlSplitDN(dn string) []string {
	var parts []string
	start, esc := 0, false
	for i := 0; i < len(dn); i++ {
		switch {
		case esc:
			esc = false
		case dn[i] == '\\':
			esc = true
		case dn[i] == ',' || dn[i] == '+':
			parts = append(parts, dn[start:i])
			start = i + 1
		}
	}
	return append(parts, dn[start:])
}

func htmlTitle(rs []*Report) string {
	const t = "Kết quả kiểm tra chữ ký số"
	if len(rs) == 1 {
		return t + " – " + rs[0].File
	}
	return t
}

// htmlCount counts the reports with the indication.
func htmlCount(rs []*Report, i Indication) int {
	n := 0
	for _, r := range rs {
		if r.Indication == i {
			n++
		}
	}
	return n
}
