package number

import (
	"strings"
	"testing"
)

func TestSeriesSelection(t *testing.T) {
	n := Numbering{Series: []Series{
		{Name: "qd", Kind: SeriesOutgoing, Types: []string{"QĐ"}},
		{Name: "chung", Kind: SeriesOutgoing},
		{Name: "mat", Kind: SeriesSecret},
		{Name: "hdtd", Kind: SeriesBody, Issuer: "HĐTĐKT", Types: []string{"QĐ", "TB"}},
		{Name: "sao", Kind: SeriesCopy},
		{Name: "qppl-qd", Kind: SeriesLegal, Types: []string{"QĐ"}},
		{Name: "den", Kind: SeriesIncoming},
	}}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ abbr, name, want, err string }{
		{"QĐ", "", "qd", ""},
		{"TB", "", "chung", ""},
		{"CV", "", "chung", ""},
		{"SY", "", "sao", ""},
		{"TrS", "", "sao", ""},
		{"QĐ", "mat", "mat", ""},
		{"TB", "hdtd", "hdtd", ""},
		{"KH", "hdtd", "", "does not number KH"},
		{"QĐ", "qppl-qd", "qppl-qd", ""},
		{"QĐ", "nope", "", "no series \"nope\""},
		{"SY", "chung", "", "does not number SY"},
	} {
		s, err := n.ForType(tc.abbr, tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s/%s: err %v, want %q", tc.abbr, tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || s.Name != tc.want {
			t.Errorf("%s/%s: %q %v, want %q", tc.abbr, tc.name, s.Name, err, tc.want)
		}
	}
	body, _ := n.Find("hdtd")
	if got, _ := body.NotationFor("QĐ", "UBND", ""); got != "QĐ-HĐTĐKT" {
		t.Errorf("advisory body notation %q", got)
	}
	legal, _ := n.Find("qppl-qd")
	if got, _ := legal.NotationFor("QĐ", "UBND", ""); got != "QĐ-UBND" {
		t.Errorf("legal notation %q", got)
	}
	chung, _ := n.Find("chung")
	if got, _ := chung.NotationFor("CV", "UBND", "VP"); got != "UBND-VP" {
		t.Errorf("letter notation %q", got)
	}
	if in, err := n.Incoming(); err != nil || in.Name != "den" {
		t.Errorf("incoming %v %v", in, err)
	}
	if err := (Numbering{Series: DefaultSeries()}).Validate(); err != nil {
		t.Errorf("default series: %v", err)
	}
}

func TestSeriesValidate(t *testing.T) {
	for _, tc := range []struct {
		series []Series
		err    string
	}{
		{[]Series{{Name: "a", Kind: SeriesOutgoing}, {Name: "a", Kind: SeriesCopy}}, "defined twice"},
		{[]Series{{Name: "a b", Kind: SeriesOutgoing}}, "one word"},
		{[]Series{{Name: "a", Kind: "weird"}}, "unknown kind"},
		{[]Series{{Name: "a", Kind: SeriesOutgoing, Types: []string{"Qd"}}}, "did you mean"},
		{[]Series{{Name: "a", Kind: SeriesOutgoing, Types: []string{"SY"}}}, "kind copy"},
		{[]Series{{Name: "a", Kind: SeriesCopy, Types: []string{"QĐ"}}}, "not a copy form"},
		{[]Series{{Name: "a", Kind: SeriesLegal}}, "exactly one type"},
		{[]Series{{Name: "a", Kind: SeriesIncoming, Types: []string{"QĐ"}}}, "takes no types"},
		{[]Series{{Name: "a", Kind: SeriesIncoming}, {Name: "b", Kind: SeriesIncoming}}, "only one incoming"},
		{[]Series{{Name: "a", Kind: SeriesOutgoing, Types: []string{"QĐ"}}, {Name: "b", Kind: SeriesOutgoing, Types: []string{"QĐ"}}}, "both series"},
	} {
		err := Numbering{Series: tc.series}.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.series, err, tc.err)
		}
	}
}
