// Package number holds the Decree 30/2020/NĐ-CP rules for document numbers and notations
// (số, ký hiệu), the place-and-date line, and the edXML DocumentId: pure functions that format
// and parse, with no storage and no I/O. The register lives in number/register.
package number

import (
	"slices"
	"strings"
)

// DocType is a document type of Decree 30 Appendix III with its abbreviation.
type DocType struct {
	Abbr string // exact mixed case, e.g. "QyĐ", "CTr", "TrS"
	Name string // Vietnamese name, e.g. "Quyết định"
}

// LetterAbbr stands for công văn (and thư công), which have no abbreviation of their own: their
// notation is <agency>-<drafting unit>. It is accepted wherever a type abbreviation is.
const LetterAbbr = "CV"

var appendixIII = []DocType{
	{"NQ", "Nghị quyết"}, {"QĐ", "Quyết định"}, {"CT", "Chỉ thị"}, {"QC", "Quy chế"},
	{"QyĐ", "Quy định"}, {"TC", "Thông cáo"}, {"TB", "Thông báo"}, {"HD", "Hướng dẫn"},
	{"CTr", "Chương trình"}, {"KH", "Kế hoạch"}, {"PA", "Phương án"}, {"ĐA", "Đề án"},
	{"DA", "Dự án"}, {"BC", "Báo cáo"}, {"BB", "Biên bản"}, {"TTr", "Tờ trình"},
	{"HĐ", "Hợp đồng"}, {"CĐ", "Công điện"}, {"BGN", "Bản ghi nhớ"}, {"BTT", "Bản thỏa thuận"},
	{"GUQ", "Giấy ủy quyền"}, {"GM", "Giấy mời"}, {"GGT", "Giấy giới thiệu"}, {"GNP", "Giấy nghỉ phép"},
	{"PG", "Phiếu gửi"}, {"PC", "Phiếu chuyển"}, {"PB", "Phiếu báo"},
	{"SY", "Bản sao y"}, {"SL", "Bản sao lục"}, {"TrS", "Bản trích sao"},
}

// Legal-normative document types (Law on Promulgation of Legal Documents): their own series and
// the statutory notation form <n>/<year>/<type>-<issuer>.
var legalTypes = []DocType{
	{"NQ", "Nghị quyết"}, {"NĐ", "Nghị định"}, {"QĐ", "Quyết định"}, {"TT", "Thông tư"},
	{"TTLT", "Thông tư liên tịch"}, {"NQLT", "Nghị quyết liên tịch"}, {"CT", "Chỉ thị"},
}

// CopyAbbrs are the copy forms; they share one series.
var CopyAbbrs = []string{"SY", "SL", "TrS"}

// Types returns the Appendix III table.
func Types() []DocType { return slices.Clone(appendixIII) }

// LegalTypes returns the legal-normative types.
func LegalTypes() []DocType { return slices.Clone(legalTypes) }

// LookupType finds an administrative type (Appendix III, or CV for công văn) by its exact
// abbreviation.
func LookupType(abbr string) (DocType, bool) {
	if abbr == LetterAbbr {
		return DocType{LetterAbbr, "Công văn"}, true
	}
	return lookup(appendixIII, abbr)
}

// ResolveType finds an administrative (or, with legal, a legal-normative) type by its exact
// abbreviation, or says which abbreviation was probably meant.
func ResolveType(abbr string, legal bool) (DocType, error) {
	if legal {
		if t, ok := LookupLegalType(abbr); ok {
			return t, nil
		}
		return DocType{}, unknownType(legalTypes, abbr)
	}
	if t, ok := LookupType(abbr); ok {
		return t, nil
	}
	return DocType{}, unknownType(appendixIII, abbr)
}

// LookupLegalType finds a legal-normative type by its abbreviation.
func LookupLegalType(abbr string) (DocType, bool) { return lookup(legalTypes, abbr) }

func lookup(table []DocType, abbr string) (DocType, bool) {
	for _, t := range table {
		if t.Abbr == abbr {
			return t, true
		}
	}
	return DocType{}, false
}

// suggest finds the abbreviation a mistyped one was probably meant to be (case, D for Đ).
func suggest(table []DocType, abbr string) string {
	for _, t := range table {
		if strings.EqualFold(t.Abbr, abbr) {
			return t.Abbr
		}
	}
	// typed without the Vietnamese letter: QD for QĐ
	norm := func(s string) string {
		return strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(s, "Đ", "D"), "đ", "d"))
	}
	for _, t := range table {
		if norm(t.Abbr) == norm(abbr) {
			return t.Abbr
		}
	}
	return ""
}

// IsCopy reports whether abbr is a copy form (SY, SL, TrS).
func IsCopy(abbr string) bool { return slices.Contains(CopyAbbrs, abbr) }
