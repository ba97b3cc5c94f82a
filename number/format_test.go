package number

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var hanoi = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

func TestFormatNumberPadding(t *testing.T) {
	for n, want := range map[int]string{1: "01", 5: "05", 9: "09", 10: "10", 11: "11", 99: "99", 100: "100", 1234: "1234"} {
		if got := FormatNumber(n); got != want {
			t.Errorf("FormatNumber(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every abbreviation of Appendix III formats and parses back, in its exact case.
func TestEveryAbbreviation(t *testing.T) {
	want := []string{"NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB",
		"TTr", "HĐ", "CĐ", "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB", "SY", "SL", "TrS"}
	if len(Types()) != len(want) {
		t.Fatalf("%d types, want %d", len(Types()), len(want))
	}
	for i, abbr := range want {
		dt := Types()[i]
		if dt.Abbr != abbr || dt.Name == "" {
			t.Errorf("type %d = %+v, want %s", i, dt, abbr)
		}
		kind := KindTyped
		if IsCopy(abbr) {
			kind = KindCopy
		}
		n, err := Notation(NotationRequest{Kind: kind, Type: abbr, Issuer: "UBND"})
		if err != nil {
			t.Fatalf("%s: %v", abbr, err)
		}
		if n != abbr+"-UBND" {
			t.Errorf("%s: notation %q", abbr, n)
		}
		c := Code{Number: 7, Notation: n}
		parsed, err := ParseCode("Số: " + c.String())
		if err != nil {
			t.Fatal(err)
		}
		parts, err := parsed.Parts()
		if err != nil || parts.Kind != kind || parts.Type != abbr || parts.Issuer != "UBND" {
			t.Errorf("%s: parts %+v %v", abbr, parts, err)
		}
		// exact case matters: the wrong case is refused with the right spelling suggested
		if lower := strings.ToLower(abbr); lower != abbr {
			_, err := Notation(NotationRequest{Kind: kind, Type: lower, Issuer: "UBND"})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("did you mean %q", abbr)) {
				t.Errorf("%s: lower case %q gave %v", abbr, lower, err)
			}
		}
	}
}

func TestNotationKinds(t *testing.T) {
	tests := []struct {
		req  NotationRequest
		want string
		err  string
	}{
		{NotationRequest{Kind: KindTyped, Type: "QĐ", Issuer: "UBND"}, "QĐ-UBND", ""},
		{NotationRequest{Kind: KindLetter, Issuer: "BNV", Unit: "VP"}, "BNV-VP", ""},
		{NotationRequest{Kind: KindCopy, Type: "SY", Issuer: "UBND"}, "SY-UBND", ""},
		{NotationRequest{Kind: KindLegal, Type: "QĐ", Issuer: "TTg"}, "QĐ-TTg", ""},
		{NotationRequest{Kind: KindLegal, Type: "NĐ", Issuer: "CP"}, "NĐ-CP", ""},
		{NotationRequest{Kind: KindTyped, Type: "QD", Issuer: "UBND"}, "", `did you mean "QĐ"`},
		{NotationRequest{Kind: KindTyped, Type: "XYZ", Issuer: "UBND"}, "", "unknown document type"},
		{NotationRequest{Kind: KindTyped, Type: "SY", Issuer: "UBND"}, "", "is a copy form"},
		{NotationRequest{Kind: KindCopy, Type: "QĐ", Issuer: "UBND"}, "", "is not a copy form"},
		{NotationRequest{Kind: KindTyped, Type: "CV", Issuer: "UBND"}, "", "công văn has no type abbreviation"},
		{NotationRequest{Kind: KindLetter, Issuer: "UBND"}, "", "drafting unit"},
		{NotationRequest{Kind: KindTyped, Type: "QĐ", Issuer: "UB ND"}, "", "letters and digits"},
		{NotationRequest{Kind: KindTyped, Type: "QĐ", Issuer: strings.Repeat("A", 28)}, "", "longer than 30"},
		{NotationRequest{Kind: KindLegal, Type: "QyĐ", Issuer: "UBND"}, "", "unknown document type"},
	}
	for _, tt := range tests {
		got, err := Notation(tt.req)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: err %v, want %q", tt.req, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v = %q, %v; want %q", tt.req, got, err, tt.want)
		}
	}
}

// format -> parse -> format gives the same text, for every kind.
func TestCodeRoundTrip(t *testing.T) {
	for _, c := range []Code{
		{Number: 15, Notation: "QĐ-UBND"}, {Number: 5, Notation: "BNV-VP"}, {Number: 7, Notation: "SY-UBND"},
		{Number: 9, Year: 2025, Notation: "QĐ-TTg"}, {Number: 7816, Notation: "VPCP-TTĐT"}, {Number: 100, Notation: "QĐ-HĐTĐKT"},
	} {
		s := c.String()
		p, err := ParseCode(s)
		if err != nil || p != c || p.String() != s {
			t.Errorf("%s -> %+v (%v) -> %s", s, p, err, p.String())
		}
		req, err := p.Parts()
		if err != nil {
			t.Fatal(err)
		}
		n, err := Notation(req)
		if err != nil || n != c.Notation {
			t.Errorf("%s: rebuilt notation %q %v", s, n, err)
		}
	}
	if got := (Code{Number: 9, Year: 2025, Notation: "QĐ-TTg"}).String(); got != "09/2025/QĐ-TTg" {
		t.Errorf("legal: %s", got)
	}
}

func TestParseCodeErrors(t *testing.T) {
	for _, s := range []string{"", "15", "15/", "/QĐ-UBND", "15/QĐ", "15 /QĐ-UBND", "0/QĐ-UBND", "15/QĐ-UB ND", "abc/QĐ-UBND",
		"123456789012/QĐ-UBND", "15/" + strings.Repeat("A-", 16) + "A", "10/0010/QĐ-TTg"} {
		if _, err := ParseCode(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCode(%q) = %v, want malformed", s, err)
		}
	}
	c, err := ParseCode("5/QĐ-UBND") // some systems drop the zero
	if err != nil || c.String() != "05/QĐ-UBND" {
		t.Errorf("lenient number: %v %v", c, err)
	}
}

func TestDateLine(t *testing.T) {
	tests := []struct {
		date string
		want string
	}{
		{"2026-01-05", "Hà Nội, ngày 05 tháng 01 năm 2026"},
		{"2026-02-28", "Hà Nội, ngày 28 tháng 02 năm 2026"},
		{"2026-03-09", "Hà Nội, ngày 09 tháng 3 năm 2026"},
		{"2026-10-10", "Hà Nội, ngày 10 tháng 10 năm 2026"},
		{"2026-12-31", "Hà Nội, ngày 31 tháng 12 năm 2026"},
	}
	for _, tt := range tests {
		d, _ := time.ParseInLocation("2006-01-02", tt.date, hanoi)
		got := DateLine("Hà Nội", d)
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.date, got, tt.want)
		}
		place, back, err := ParseDateLine(got, hanoi)
		if err != nil || place != "Hà Nội" || !back.Equal(d) || DateLine(place, back) != got {
			t.Errorf("round trip %q: %q %v %v", got, place, back, err)
		}
	}
	for _, bad := range []string{"Hà Nội ngày 5", "Hà Nội, ngày 31 tháng 02 năm 2026", "Huế, ngày 00 tháng 1 năm 2026", ", ngày 1 tháng 1 năm 2026"} {
		if _, _, err := ParseDateLine(bad, hanoi); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseDateLine(%q) = %v", bad, err)
		}
	}
}

func TestDocumentID(t *testing.T) {
	d := time.Date(2015, 9, 30, 0, 0, 0, 0, hanoi)
	c := Code{Number: 7816, Notation: "VPCP-TTĐT"}
	id := DocumentID("000.00.00.G22", d, c)
	if id != "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" {
		t.Fatalf("DocumentID = %q", id)
	}
	organ, back, code, err := ParseDocumentID(id, hanoi)
	if err != nil || organ != "000.00.00.G22" || !back.Equal(d) || code != c || DocumentID(organ, back, code) != id {
		t.Fatalf("round trip: %q %v %+v %v", organ, back, code, err)
	}
	for _, bad := range []string{"8b1f6c3a-7f1e-4a53-9a52-2f6d9c1e0a11", "X,2015/9/30,1/QĐ-UBND", "X,2015/02/30,1/QĐ-UBND", ",2015/09/30,1/QĐ-UBND", "X,2015/09/30,QĐ", "X,-001/01/10,1/QĐ-X", "X,2015/9/300,1/QĐ-X"} {
		if _, _, _, err := ParseDocumentID(bad, hanoi); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseDocumentID(%q) = %v", bad, err)
		}
	}
}

// The year changes at midnight in Hà Nội, not in UTC.
func TestYearBoundary(t *testing.T) {
	late := time.Date(2026, 12, 31, 23, 30, 0, 0, hanoi) // 16:30 UTC
	early := time.Date(2027, 1, 1, 0, 10, 0, 0, hanoi)   // 17:10 UTC on 31 December
	if YearOf(late, hanoi) != 2026 || YearOf(late.UTC(), hanoi) != 2026 {
		t.Error("23:30 on 31 December belongs to 2026")
	}
	if YearOf(early, hanoi) != 2027 || YearOf(early.UTC(), hanoi) != 2027 || early.UTC().Year() != 2026 {
		t.Error("00:10 on 1 January belongs to 2027 even though it is still 2026 in UTC")
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"15/QĐ-UBND", "Số: 05/BNV-VP", "09/2025/QĐ-TTg", "1/a-b-c", "0/x-y", "10/0010/Đ-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		again, err := ParseCode(c.String())
		if err != nil || again != c {
			t.Fatalf("%q -> %q -> %+v, %v", s, c.String(), again, err)
		}
		if _, err := c.Parts(); err != nil {
			t.Fatalf("parsed code %q has no parts: %v", c, err)
		}
	})
}

func FuzzParseDocumentID(f *testing.F) {
	f.Add("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
	f.Add("a,2000/02/29,1/QĐ-X")
	f.Add("0,-001/01/10,1/0-0")
	f.Fuzz(func(t *testing.T, s string) {
		organ, d, c, err := ParseDocumentID(s, hanoi)
		if err != nil {
			return
		}
		id := DocumentID(organ, d, c)
		o2, d2, c2, err := ParseDocumentID(id, hanoi)
		if err != nil || o2 != organ || !d2.Equal(d) || c2 != c {
			t.Fatalf("%q -> %q does not round trip: %v", s, id, err)
		}
	})
}
