package envelope

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// interop reads a sample of the national platform's SDK from ../shared; it is never copied here.
func interop(t *testing.T, name string) *os.File {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "interop", "edxml", name)
	f, err := os.Open(p)
	if err != nil {
		testenv.Need(t, fmt.Sprintf("the interop sample %s (../shared beside the repository): %v", p, err))
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadHeaderInteropDocuments(t *testing.T) {
	for _, tc := range []struct{ file, from, fromName, number, date string }{
		{"edoc_new.edxml", "002.00.20.H13", "UBND xã Hòa Tiến", "74fass22", "2019/01/16"}, // junk before <?xml, a non-numeric CodeNumber
		{"edoc_update.edxml", "000.00.00.G22", "Văn phòng Chính phủ", "7816", "2018/09/28"},
		{"edoc_replacement.edxml", "000.00.00.G22", "Văn phòng Chính phủ", "7816", "2018/09/28"},
		{"edoc_revocation.edxml", "000.00.00.G22", "Văn phòng Chính phủ", "7816", "2018/09/28"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h, err := ReadHeader(interop(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !h.IsDocument() || h.From.OrganID != tc.from || !strings.HasPrefix(h.From.OrganName, tc.fromName) {
				t.Errorf("from %+v", h.From)
			}
			if h.DocumentID != "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" || h.CodeText() != tc.number+"/VPCP-TTĐT" {
				t.Errorf("ids %q %q", h.DocumentID, h.CodeText())
			}
			if h.Promulgation.Date != tc.date || h.DocumentType.TypeName != "Công văn" || !strings.HasPrefix(h.Subject, "V/v kết nối") {
				t.Errorf("header %+v", h)
			}
			if len(h.To) == 0 || h.Signer.FullName != "Nguyen Thanh Phuc" {
				t.Errorf("to %v signer %+v", h.To, h.Signer)
			}
		})
	}
}

func TestReadHeaderInteropStatus(t *testing.T) {
	h, err := ReadHeader(interop(t, "status_acceptance_03.edxml"))
	if err != nil {
		t.Fatal(err)
	}
	if h.IsDocument() || h.StatusCode != "03" {
		t.Fatalf("status %q", h.StatusCode)
	}
}

func TestReadHeaderPrefixIndependent(t *testing.T) {
	doc := `<?xml version="1.0"?><e:edXML xmlns:e="` + Namespace + `"><x:edXMLEnvelope xmlns:x="` + Namespace + `"><x:edXMLHeader>` +
		`<y:MessageHeader xmlns:y="` + Namespace + `"><y:From><y:OrganId>000.00.00.H49</y:OrganId><y:OrganName>UBND</y:OrganName></y:From>` +
		`<y:Code><y:CodeNumber>15</y:CodeNumber><y:CodeNotation>QĐ-UBND</y:CodeNotation></y:Code><y:Subject> Về việc X </y:Subject>` +
		`</y:MessageHeader></x:edXMLHeader></x:edXMLEnvelope></e:edXML>`
	h, err := ReadHeader(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if h.CodeText() != "15/QĐ-UBND" || h.Subject != "Về việc X" || h.From.OrganID != "000.00.00.H49" {
		t.Fatalf("%+v", h)
	}
}

func TestReadHeaderRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":              "",
		"not xml":            strings.Repeat("x", 2000),
		"other root":         `<root xmlns="` + Namespace + `"/>`,
		"other ns":           `<edXML xmlns="urn:other"><MessageHeader/></edXML>`,
		"no header":          `<edXML xmlns="` + Namespace + `"></edXML>`,
		"external":           `<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML xmlns="` + Namespace + `"><MessageHeader><Subject>&x;</Subject></MessageHeader></edXML>`,
		"header in wrong ns": `<edXML xmlns="` + Namespace + `"><MessageHeader xmlns="urn:x"/></edXML>`,
	} {
		if _, err := ReadHeader(strings.NewReader(doc)); !errors.Is(err, ErrNotEdXML) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzReadHeader(f *testing.F) {
	f.Add([]byte(`<edXML xmlns="` + Namespace + `"><MessageHeader><Code><CodeNumber>1</CodeNumber></Code></MessageHeader></edXML>`))
	f.Add([]byte("1212<?xml version=\"1.0\"?><edXML/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(strings.NewReader(string(data)))
		if err == nil && h == nil {
			t.Fatal("nil header without error")
		}
		if err != nil && !errors.Is(err, ErrNotEdXML) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}

// What the incoming register records comes from the header: the sender, the code as written,
// the date as yyyy-mm-dd.
func TestIncoming(t *testing.T) {
	h := MessageHeader{From: Organization{OrganID: "000.00.00.G22", OrganName: "Văn phòng Chính phủ"}, DocumentID: "d",
		Code: Code{Number: "7816", Notation: "VPCP-TTĐT"}, Promulgation: Promulgation{Date: "2015/09/30"}, Subject: "V/v",
		DocumentType: DocumentType{TypeName: "Công văn"}}
	want := Incoming{Organ: "Văn phòng Chính phủ", OrganID: "000.00.00.G22", Code: "7816/VPCP-TTĐT", Date: "2015-09-30", DocumentID: "d", Subject: "V/v", TypeName: "Công văn"}
	if got := h.Incoming(); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
}
