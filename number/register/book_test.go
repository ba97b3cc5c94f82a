package register

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/number"
)

func bookEntries(t *testing.T) (out, in []Entry) {
	s := open(t, backends()[0].new(t))
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, hanoi)
	s.Now = func() time.Time { return now }
	for i := range 40 { // enough rows for a second page
		r := request(strings.Repeat("về việc ban hành quy chế làm việc của Ủy ban nhân dân tỉnh ", 1+i%3), now)
		r.Signer, r.Recipients, r.Copies, r.ArchiveUnit = "Nguyễn Văn Ấn", []string{"Như Điều 3;", "Lưu: VT, VP."}, 5, "Văn phòng"
		if _, err := s.Allocate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Void(ctx, "000.00.00.H99", Ref{Series: "chung", Year: 2026, Number: 2}, "soạn lại", "văn thư"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate(ctx, Request{Agency: "000.00.00.H99", Series: number.Series{Name: "den", Kind: number.SeriesIncoming},
		Direction: Incoming, Subject: "V/v kết nối, liên thông phần mềm", TypeName: "Công văn", Date: now, Location: hanoi, By: "văn thư",
		Handler: "Phòng Hành chính", Sender: &Sender{Organ: "Văn phòng Chính phủ", Code: "7816/VPCP-TTĐT", Date: "2025-12-30"}}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.List(ctx, Filter{Direction: Outgoing})
	in, _ = s.List(ctx, Filter{Direction: Incoming})
	return out, in
}

func TestBookCSV(t *testing.T) {
	out, in := bookEntries(t)
	for _, tc := range []struct {
		d       Direction
		es      []Entry
		heading []string
		row     []string
	}{
		{Outgoing, out, []string{"Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
			"Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"},
			[]string{"02/QĐ-UBND", "05/01/2026"}},
		{Incoming, in, []string{"Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
			"Tên loại và trích yếu nội dung văn bản", "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú"},
			[]string{"05/01/2026", "01", "Văn phòng Chính phủ", "7816/VPCP-TTĐT", "30/12/2025", "Công văn V/v kết nối, liên thông phần mềm", "Phòng Hành chính"}},
	} {
		var buf bytes.Buffer
		if err := WriteBookCSV(&buf, BookInfo{Direction: tc.d, Year: 2026}, tc.es); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], "|") != strings.Join(tc.heading, "|") || len(recs) != len(tc.es)+1 {
			t.Fatalf("%s: heading %q, %d rows", tc.d, recs[0], len(recs))
		}
		row := recs[1]
		if tc.d == Outgoing {
			row = recs[2]
			if !strings.HasPrefix(row[9], "Đã hủy số: soạn lại") || row[3] != "Nguyễn Văn Ấn" || row[6] != "5" {
				t.Errorf("void row %q", row)
			}
		}
		for i, want := range tc.row {
			if row[i] != want {
				t.Errorf("%s column %d = %q, want %q", tc.d, i+1, row[i], want)
			}
		}
	}
}

// The PDF register is checked with poppler: the text comes out in Vietnamese, the font is embedded.
func TestBookPDF(t *testing.T) {
	testenv.NeedTools(t, "pdftotext", "pdffonts", "qpdf")
	face, err := fonts.Find("")
	testenv.Need(t, errString(err))
	out, in := bookEntries(t)
	for _, tc := range []struct {
		d     Direction
		es    []Entry
		wants []string
	}{
		{Outgoing, out, []string{"SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Năm 2026", "Tên loại và trích yếu nội dung văn bản", "Đơn vị, người nhận bản lưu", "40/QĐ-UBND", "Nguyễn Văn Ấn", "Đã hủy số"}},
		{Incoming, in, []string{"SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", "Số đến", "Tác giả", "7816/VPCP-TTĐT", "Văn phòng Chính phủ"}},
	} {
		path := filepath.Join(t.TempDir(), string(tc.d)+".pdf")
		f, _ := os.Create(path)
		if err := WriteBookPDF(f, BookInfo{Agency: "ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM", Year: 2026, Direction: tc.d, Font: face}, tc.es); err != nil {
			t.Fatal(err)
		}
		f.Close()
		raw, err := exec.Command("pdftotext", "-raw", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(raw)), " ") // headings wrap inside their cells
		for _, w := range tc.wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q not in the extracted text", tc.d, w)
			}
		}
		if tc.d == Outgoing && !strings.Contains(string(raw), "\f") {
			t.Errorf("40 rows should take more than one page")
		}
		fontsOut, _ := exec.Command("pdffonts", path).Output()
		for _, line := range strings.Split(string(fontsOut), "\n")[2:] {
			if f := strings.Fields(line); len(f) > 4 && (f[len(f)-5] != "yes" || f[len(f)-3] != "yes") {
				t.Errorf("font not embedded with a ToUnicode map: %s", line)
			}
		}
		if !strings.Contains(string(fontsOut), "CID TrueType") {
			t.Errorf("no TrueType font:\n%s", fontsOut)
		}
		if out, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestExport(t *testing.T) {
	out, _ := bookEntries(t)
	var buf bytes.Buffer
	if err := WriteExport(&buf, "json", out[:3]); err != nil {
		t.Fatal(err)
	}
	var e Entry
	first, _, _ := strings.Cut(buf.String(), "\n")
	if err := json.Unmarshal([]byte(first), &e); err != nil || e.Code != "01/QĐ-UBND" {
		t.Fatalf("json %q: %v", first, err)
	}
	buf.Reset()
	if err := WriteExport(&buf, "csv", out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != len(out)+1 || recs[0][6] != "code" || recs[2][25] != "true" {
		t.Fatalf("csv: %v %d", err, len(recs))
	}
	if err := WriteExport(&buf, "xml", out); err == nil {
		t.Fatal("unknown format accepted")
	}
}
