package register

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/number"
)

// column of a printed register (Decree 30 Appendix IV) and how an entry fills it.
type column struct {
	title string
	width float64 // mm, on landscape A4
	value func(e Entry) string
}

func dmy(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

func summary(e Entry) string {
	if e.TypeName == "" || strings.HasPrefix(strings.ToLower(e.Subject), strings.ToLower(e.TypeName)) {
		return e.Subject
	}
	return e.TypeName + " " + e.Subject
}

func remarks(e Entry) string {
	var parts []string
	if e.Void {
		parts = append(parts, "Đã hủy số: "+e.VoidReason)
	}
	for _, a := range e.History {
		if a.Action == "correct" {
			parts = append(parts, fmt.Sprintf("Đính chính %s ngày %s (%s)", a.Field, a.At.Format("02/01/2006"), a.Reason))
		}
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	return strings.Join(parts, "; ")
}

func blank(Entry) string { return "" }

// The 10 columns of the outgoing register (sổ đăng ký văn bản đi).
var outgoingColumns = []column{
	{"Số, ký hiệu văn bản", 30, func(e Entry) string { return e.Code }},
	{"Ngày tháng văn bản", 22, func(e Entry) string { return dmy(e.Date) }},
	{"Tên loại và trích yếu nội dung văn bản", 64, summary},
	{"Người ký", 28, func(e Entry) string { return e.Signer }},
	{"Nơi nhận văn bản", 35, func(e Entry) string { return strings.Join(e.Recipients, "\n") }},
	{"Đơn vị, người nhận bản lưu", 24, func(e Entry) string { return e.ArchiveUnit }},
	{"Số lượng bản", 14, func(e Entry) string {
		if e.Copies == 0 {
			return ""
		}
		return strconv.Itoa(e.Copies)
	}},
	{"Ngày chuyển", 18, blank},
	{"Ký nhận", 18, blank},
	{"Ghi chú", 24, remarks},
}

// The 10 columns of the incoming register (sổ đăng ký văn bản đến).
var incomingColumns = []column{
	{"Ngày đến", 22, func(e Entry) string { return dmy(e.Date) }},
	{"Số đến", 14, func(e Entry) string { return number.FormatNumber(e.Number) }},
	{"Tác giả", 38, func(e Entry) string { return e.sender().Organ }},
	{"Số, ký hiệu văn bản", 32, func(e Entry) string { return e.sender().Code }},
	{"Ngày tháng văn bản", 22, func(e Entry) string { return dmy(e.sender().Date) }},
	{"Tên loại và trích yếu nội dung văn bản", 67, summary},
	{"Đơn vị hoặc người nhận", 30, func(e Entry) string { return e.Handler }},
	{"Ngày chuyển", 18, blank},
	{"Ký nhận", 14, blank},
	{"Ghi chú", 20, remarks},
}

func (e Entry) sender() Sender {
	if e.Sender == nil {
		return Sender{}
	}
	return *e.Sender
}

func columnsFor(d Direction) []column {
	if d == Incoming {
		return incomingColumns
	}
	return outgoingColumns
}

// BookInfo heads a printed register.
type BookInfo struct {
	Agency    string // the agency's name
	Year      int
	Direction Direction
	Font      fonts.Face // PDF only
}

func (b BookInfo) title() string {
	if b.Direction == Incoming {
		return "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
	}
	return "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
}

// WriteBookCSV writes the register of one direction with the Vietnamese column headings.
func WriteBookCSV(w io.Writer, b BookInfo, es []Entry) error {
	cw := csv.NewWriter(w)
	cols := columnsFor(b.Direction)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.title
	}
	cw.Write(row)
	for _, e := range es {
		for i, c := range cols {
			row[i] = c.value(e)
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// printable replaces what the PDF fonts cannot hold — characters outside the Basic Multilingual
// Plane, such as emoji — with U+FFFD, so that a summary the register accepts always prints.
func printable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, s)
}

// WriteBookPDF prints the register of one direction on landscape A4 in a font with Vietnamese
// glyphs, the heading row repeated on every page.
func WriteBookPDF(w io.Writer, b BookInfo, es []Entry) error {
	const lineH, margin = 4.2, 10.0
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, margin)
	pdf.SetCreator("vbdt", true)
	pdf.SetTitle(fmt.Sprintf("%s năm %d", b.title(), b.Year), true)
	for style, path := range map[string]string{"": b.Font.Regular, "B": b.Font.Bold} {
		ttf, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("font: %w", err)
		}
		pdf.AddUTF8FontFromBytes("serif", style, ttf)
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("font %s: %w", path, err)
		}
	}
	cols := columnsFor(b.Direction)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	_, pageH := pdf.GetPageSize()
	var row func(cells []string, heading bool)
	row = func(cells []string, heading bool) {
		style, align := "", "L"
		if heading {
			style, align = "B", "C"
		}
		pdf.SetFont("serif", style, 9)
		lines := make([][]string, len(cells))
		height := lineH
		for i, c := range cells {
			for _, para := range strings.Split(printable(c), "\n") {
				lines[i] = append(lines[i], pdf.SplitText(para, cols[i].width-2)...)
			}
			height = max(height, float64(len(lines[i]))*lineH+1)
		}
		if pdf.GetY()+height > pageH-margin {
			pdf.AddPage()
			if !heading {
				row(titles, true) // the heading row again on every page
				pdf.SetFont("serif", style, 9)
			}
		}
		x, y := pdf.GetX(), pdf.GetY()
		for i, c := range cols {
			pdf.Rect(x, y, c.width, height, "D")
			for j, l := range lines[i] {
				pdf.SetXY(x+1, y+0.5+float64(j)*lineH)
				pdf.CellFormat(c.width-2, lineH, l, "", 0, align, false, 0, "")
			}
			x += c.width
		}
		pdf.SetXY(margin, y+height)
	}
	pdf.AddPage()
	pdf.SetFont("serif", "B", 14)
	pdf.CellFormat(0, 7, printable(b.Agency), "", 1, "C", false, 0, "")
	pdf.CellFormat(0, 8, b.title(), "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "", 12)
	pdf.CellFormat(0, 7, fmt.Sprintf("Năm %d", b.Year), "", 1, "C", false, 0, "")
	pdf.Ln(3)
	row(titles, true)
	for _, e := range es {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.value(e)
		}
		row(cells, false)
	}
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

// WriteExport writes entries for other programs: CSV with snake_case headings, or JSON Lines.
func WriteExport(w io.Writer, format string, es []Entry) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, e := range es {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "agency", "series", "direction", "year", "number", "code", "type", "type_name", "subject", "signer",
			"recipients", "date", "copies", "archive_unit", "handler", "note", "doc_hash", "sender_organ", "sender_organ_id",
			"sender_code", "sender_date", "sender_document_id", "created_at", "created_by", "void", "void_reason"})
		for _, e := range es {
			s := e.sender()
			cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Agency, e.Series, string(e.Direction), strconv.Itoa(e.Year),
				strconv.Itoa(e.Number), e.Code, e.Type, e.TypeName, e.Subject, e.Signer, strings.Join(e.Recipients, "\n"),
				e.Date, strconv.Itoa(e.Copies), e.ArchiveUnit, e.Handler, e.Note, e.DocHash, s.Organ, s.OrganID, s.Code, s.Date,
				s.DocumentID, e.CreatedAt.Format(time.RFC3339Nano), e.CreatedBy, strconv.FormatBool(e.Void), e.VoidReason})
		}
		cw.Flush()
		return cw.Error()
	}
	return invalid("export format %q: use csv or json", format)
}
