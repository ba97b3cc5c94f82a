package envelope

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// interopFiles lists the platform SDK's sample messages in ../shared/interop/edxml.
func interopFiles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "interop", "edxml", "*.edxml"))
	if len(files) == 0 {
		testenv.Need(t, "../shared/interop/edxml (../shared beside the repository)")
	}
	return files
}

// readAll reads an envelope, keeping each attachment's decoded bytes.
func readAll(t testing.TB, data []byte) (*Envelope, [][]byte) {
	t.Helper()
	var bufs []*bytes.Buffer
	e, err := Read(bytes.NewReader(data), ReadOptions{Attachment: func(int, *Attachment) (io.Writer, error) {
		b := &bytes.Buffer{}
		bufs = append(bufs, b)
		return b, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	var contents [][]byte
	for _, a := range e.Attachments {
		if a.attached == 0 {
			t.Fatalf("attachment %s has no content", a.ContentID)
		}
		contents = append(contents, bufs[a.attached-1].Bytes())
	}
	return e, contents
}

func contentsOf(bs [][]byte) []Content {
	var out []Content
	for _, b := range bs {
		out = append(out, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	}
	return out
}

// structure lists an XML document's elements in order as depth, namespace and local name,
// leaving out XML-DSig Signatures (written by Sign, not Write).
func structure(t *testing.T, data []byte) []string {
	t.Helper()
	data = data[bytes.IndexByte(data, '<'):]
	dec := xml.NewDecoder(bytes.NewReader(data))
	var out []string
	depth, skip := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
			if skip > 0 || x.Name.Local == "Signature" {
				skip++
				continue
			}
			out = append(out, strings.Repeat(" ", depth)+x.Name.Space+" "+x.Name.Local)
		case xml.EndElement:
			depth--
			if skip > 0 {
				skip--
			}
		}
	}
}

// lineDiff shows where two listings part.
func lineDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			g, w := got[i:min(len(got), i+5)], want[i:min(len(want), i+5)]
			return fmt.Sprintf("at element %d:\nwritten: %q\nSDK:     %q", i, g, w)
		}
	}
	return ""
}

// sortedWithin sorts the children of the named elements in a structure listing.
func sortedWithin(lines []string, names ...string) []string {
	out := slices.Clone(lines)
	for i := 0; i < len(out); i++ {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(out[i], " "+n) }) {
			continue
		}
		depth := len(out[i]) - len(strings.TrimLeft(out[i], " "))
		j := i + 1
		for j < len(out) && len(out[j])-len(strings.TrimLeft(out[j], " ")) > depth {
			j++
		}
		slices.Sort(out[i+1 : j])
	}
	return out
}

// sameModel compares what two reads of an envelope say, leaving out where things were read.
func sameModel(t *testing.T, name string, a, b *Envelope) {
	t.Helper()
	if !reflect.DeepEqual(a.Header, b.Header) {
		t.Errorf("%s: headers differ:\n%+v\n%+v", name, a.Header, b.Header)
	}
	if !reflect.DeepEqual(a.Trace, b.Trace) {
		t.Errorf("%s: traces differ:\n%+v\n%+v", name, a.Trace, b.Trace)
	}
	strip := func(as []Attachment) []Attachment {
		var out []Attachment
		for _, x := range as {
			out = append(out, Attachment{ContentID: x.ContentID, Name: x.Name, Description: x.Description, ContentType: x.ContentType, Size: x.Size, SHA256: x.SHA256})
		}
		return out
	}
	if !reflect.DeepEqual(strip(a.Attachments), strip(b.Attachments)) {
		t.Errorf("%s: attachments differ:\n%+v\n%+v", name, strip(a.Attachments), strip(b.Attachments))
	}
}

// rawContent finds an attachment's Base64 text in an envelope's bytes by plain searching, and
// decodes it: an oracle independent of the streaming reader.
func rawContent(t *testing.T, data []byte) []byte {
	t.Helper()
	s := string(data)
	i := strings.Index(s, "ContentTransferEncoded")
	i += strings.Index(s[i:], ">") + 1
	j := i + strings.Index(s[i:], "<")
	b, err := base64.StdEncoding.DecodeString(s[i:j])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInteropSamples(t *testing.T) {
	for _, path := range interopFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			e, contents := readAll(t, data)
			// validated: quirks are warnings, nothing is an error
			rules := map[string]bool{}
			for _, f := range Validate(e) {
				rules[f.Rule] = true
				if f.Severity == Error {
					t.Errorf("%d:%d: %s [%s]", f.Line, f.Col, f.Message, f.Rule)
				}
				if f.Line == 0 {
					t.Errorf("finding without a position: %+v", f)
				}
			}
			status := strings.HasPrefix(name, "status")
			if e.IsStatus() != status || (!status && (len(e.Attachments) != 1 || !e.Signed || !rules["signature-namespace"])) {
				t.Errorf("status %v, %d attachments, signed %v, rules %v", e.IsStatus(), len(e.Attachments), e.Signed, rules)
			}
			if bytes.HasPrefix(data, []byte("1212")) && !rules["junk-before-xml"] {
				t.Error("the junk before the XML is not reported")
			}
			// round trip: written by Write, read again, the same model; the same elements as the SDK's
			var out bytes.Buffer
			if err := Write(&out, e, contentsOf(contents)); err != nil {
				t.Fatal(err)
			}
			again, _ := readAll(t, out.Bytes())
			sameModel(t, name, e, again)
			got, want := structure(t, out.Bytes()), structure(t, data)
			if strings.HasPrefix(name, "status_") {
				// these samples order From's, ResponseFor's and StaffInfo's children otherwise than the
				// SDK's documents and status.edxml, which vbdt follows
				got, want = sortedWithin(got, "From", "ResponseFor", "StaffInfo"), sortedWithin(want, "From", "ResponseFor", "StaffInfo")
			}
			if !slices.Equal(got, want) {
				t.Errorf("the layout differs from the SDK's:\n%s", lineDiff(got, want))
			}
			if status {
				return
			}
			// the attachment is the Base64 in the file, and unpacks to its zip's only entry
			raw := rawContent(t, data)
			if !bytes.Equal(raw, contents[0]) {
				t.Fatalf("the attachment read (%d bytes) is not the Base64 in the file (%d bytes)", len(contents[0]), len(raw))
			}
			zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
			if err != nil || len(zr.File) != 1 {
				t.Fatalf("zip: %v", err)
			}
			rc, _ := zr.File[0].Open()
			entry, _ := io.ReadAll(rc)
			dir := t.TempDir()
			u, err := Unpack(UnpackRequest{In: bytes.NewReader(data), Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			unpacked, err := os.ReadFile(filepath.Join(dir, u.Attachments[0].File))
			if err != nil || !bytes.Equal(unpacked, entry) || u.Attachments[0].File != e.Attachments[0].Name || !u.Attachments[0].Zipped {
				t.Fatalf("unpacked %s (zipped %v): %d bytes, want the zip entry's %d (%v)", u.Attachments[0].File, u.Attachments[0].Zipped, len(unpacked), len(entry), err)
			}
			// unpack → pack: an equivalent envelope (the same header and trace, the same file inside)
			meta, err := ReadMeta(filepath.Join(dir, "meta.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			repacked := filepath.Join(t.TempDir(), "again.edxml")
			if _, err := Pack(PackRequest{Envelope: meta, Dir: dir, Out: repacked}); err != nil {
				t.Fatal(err)
			}
			rdata, _ := os.ReadFile(repacked)
			re, rcontents := readAll(t, rdata)
			if !reflect.DeepEqual(re.Header, e.Header) || !reflect.DeepEqual(re.Trace, e.Trace) {
				t.Errorf("unpack then pack changed the header or trace")
			}
			ra := re.Attachments[0]
			if ra.Name != e.Attachments[0].Name || ra.ContentType != "application/zip" || ra.ContentID != e.Attachments[0].ContentID {
				t.Errorf("repacked attachment %+v", ra)
			}
			zr2, err := zip.NewReader(bytes.NewReader(rcontents[0]), int64(len(rcontents[0])))
			if err != nil || len(zr2.File) != 1 || zr2.File[0].Name != zr.File[0].Name {
				t.Fatalf("repacked zip: %v", err)
			}
			rc2, _ := zr2.File[0].Open()
			if entry2, _ := io.ReadAll(rc2); !bytes.Equal(entry2, entry) {
				t.Error("the repacked zip holds other bytes")
			}
		})
	}
}

// A document packed by vbdt: the layout of the SDK's own samples, element for element.
func TestWriteMatchesSDKLayout(t *testing.T) {
	files := interopFiles(t)
	sample, err := os.ReadFile(files[slices.IndexFunc(files, func(f string) bool { return filepath.Base(f) == "edoc_update.edxml" })])
	if err != nil {
		t.Fatal(err)
	}
	e, contents := readAll(t, sample)
	// a model built from nothing but the fields, as pack builds it
	fresh := &Envelope{Header: e.Header, Trace: e.Trace, Attachments: []Attachment{{ContentID: "cid:209", Name: e.Attachments[0].Name,
		Description: e.Attachments[0].Description, ContentType: "application/zip"}}}
	var out bytes.Buffer
	if err := Write(&out, fresh, contentsOf(contents)); err != nil {
		t.Fatal(err)
	}
	if got, want := structure(t, out.Bytes()), structure(t, sample); !slices.Equal(got, want) {
		t.Errorf("layout:\n%s\n---\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// prefixes as the SDK writes them
	for _, s := range []string{`<edXML xmlns="` + Namespace + `">`, `<edXML:edXMLEnvelope xmlns:edXML="` + Namespace + `">`,
		"<AttachmentEncoded>", `<edXML:ContentTransferEncoded xmlns:edXML="` + Namespace + `">UEsDB`} {
		if !bytes.Contains(out.Bytes(), []byte(s)) {
			t.Errorf("no %s", s)
		}
	}
}

// Attachments stream through pack and unpack: a large one comes out byte for byte.
func TestPackUnpackLarge(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 24<<20+7)
	rand.Read(big)
	pdfPath := filepath.Join(dir, "vb.pdf")
	os.WriteFile(pdfPath, append([]byte("%PDF-1.7\n"), big...), 0o644)
	txt := filepath.Join(dir, "ghi chú.txt")
	os.WriteFile(txt, []byte("Nội dung kèm theo\n"), 0o644)
	e := &Envelope{Header: MessageHeader{From: Organization{OrganID: "000.00.00.H49", OrganName: "UBND tỉnh"},
		To: []Organization{{OrganID: "000.00.00.G22", OrganName: "Văn phòng Chính phủ"}}, DocumentID: "000.00.00.H49,2026/11/29,15/QĐ-UBND",
		Code: Code{Number: "15", Notation: "QĐ-UBND"}, Promulgation: Promulgation{Place: "Hà Nội", Date: "2026/11/29"},
		DocumentType: DocumentType{Type: "1", TypeDetail: "0", TypeName: "Quyết định"}, Subject: "Về việc thử", Signer: Signer{FullName: "Nguyễn Văn A"}},
		Trace:       &TraceHeaderList{Hops: []TraceHeader{{OrganID: "000.00.00.H49", Timestamp: "2026/11/29 10:00:00"}}, Business: &Business{DocType: "0", Paper: "0"}},
		Attachments: []Attachment{{File: "vb.pdf"}, {File: "ghi chú.txt"}}}
	out := filepath.Join(dir, "out.edxml")
	packed, err := Pack(PackRequest{Envelope: e, Dir: dir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if packed.Attachments[0].ContentType != "application/pdf" || !packed.Attachments[1].Zipped || packed.Attachments[1].ContentType != "application/zip" {
		t.Fatalf("%+v", packed.Attachments)
	}
	f, _ := os.Open(out)
	defer f.Close()
	ud := t.TempDir()
	u, err := Unpack(UnpackRequest{In: f, Dir: ud})
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range []string{pdfPath, txt} {
		want, _ := os.ReadFile(src)
		got, err := os.ReadFile(filepath.Join(ud, u.Attachments[i].File))
		if err != nil || !bytes.Equal(got, want) || u.Attachments[i].File != filepath.Base(src) {
			t.Errorf("%s: unpacked as %s, %d bytes, want %d", src, u.Attachments[i].File, len(got), len(want))
		}
	}
	if sum := sha256.Sum256(append([]byte("%PDF-1.7\n"), big...)); u.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) || packed.Attachments[0].SHA256 != u.Attachments[0].SHA256 {
		t.Errorf("fixity %s / %s", packed.Attachments[0].SHA256, u.Attachments[0].SHA256)
	}
	for _, fd := range Validate(u) {
		if fd.Severity == Error {
			t.Errorf("%s", fd.Message)
		}
	}
	// a second unpack into the same folder refuses to replace files, unless forced
	f.Seek(0, 0)
	if _, err := Unpack(UnpackRequest{In: f, Dir: ud}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("unpack over existing files: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(ud, ".vbdt-unpack-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// What producers send that the SDK does not write: read, and reported.
func TestReadTolerates(t *testing.T) {
	head := `<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader><From><OrganId>000.00.00.H49</OrganId><OrganName>A</OrganName></From>` +
		`<Code><CodeNotation>QĐ-UBND</CodeNotation><CodeNumber>15</CodeNumber></Code><DocumentId>8f14e45f-ceea-467f-a0e4-cfd0d6a1d0e2</DocumentId><Subject/>` +
		`</MessageHeader></edXMLHeader></edXMLEnvelope><AttachmentEncoded><Attachment><ContentTransferEncoded>`
	body := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 hello world, wrapped"))
	wrapped := body[:8] + "&#13;&#10;" + body[8:16] + "\r\n " + body[16:]
	tail := `</ContentTransferEncoded><ContentId>cid:x</ContentId><AttachmentName>a.pdf</AttachmentName><ContentType>application/pdf</ContentType></Attachment></AttachmentEncoded></edXML>`
	e, contents := func() (*Envelope, []byte) {
		var b bytes.Buffer
		e, err := Read(strings.NewReader(head+wrapped+tail), ReadOptions{Attachment: func(int, *Attachment) (io.Writer, error) { return &b, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return e, b.Bytes()
	}()
	if string(contents) != "%PDF-1.4 hello world, wrapped" || e.Header.CodeText() != "15/QĐ-UBND" {
		t.Fatalf("%q %q", contents, e.Header.CodeText())
	}
	if len(e.Attachments) != 1 || e.Attachments[0].Name != "a.pdf" || e.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("metadata after the content is lost: %+v", e.Attachments)
	}
	rules := map[string][]Severity{}
	for _, f := range Validate(e) {
		rules[f.Rule] = append(rules[f.Rule], f.Severity)
	}
	for rule, sev := range map[string]Severity{"base64-wrapped": Warning, "documentid.uuid": Warning, "manifest.unreferenced-attachment": Error, "required": Error} {
		if !slices.Contains(rules[rule], sev) {
			t.Errorf("rule %s: %q, want %q (all: %v)", rule, rules[rule], sev, rules)
		}
	}
}

// Hostile or broken input: an error naming the place, never a panic or an unbounded read.
func TestReadRejects(t *testing.T) {
	ok := `<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>x</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>` +
		`<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><ContentTransferEncoded>QUJD</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>`
	if _, err := Read(strings.NewReader(ok), ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		doc  string
		lim  Limits
		want string
	}{
		"truncated in header":  {ok[:60], Limits{}, "truncated"},
		"truncated in content": {ok[:strings.Index(ok, "QUJD")+2], Limits{}, "truncated"},
		"bad base64":           {strings.Replace(ok, "QUJD", "QU*D", 1), Limits{}, "invalid Base64"},
		"short base64":         {strings.Replace(ok, "QUJD", "QUJ", 1), Limits{}, "cut short"},
		"after padding":        {strings.Replace(ok, "QUJD", "QQ==QUJD", 1), Limits{}, "invalid Base64"},
		// deep inside what the SIMD decoder takes: the offset is still counted from the content's start
		"bad base64 far in": {strings.Replace(ok, "QUJD", strings.Repeat("QUJD", 300_000)+"Q*JD", 1), Limits{}, "invalid Base64 at byte 1200001 "},
		"entity in content": {strings.Replace(ok, "QUJD", "QU&amp;D", 1), Limits{}, "entity"},
		"doctype":           {`<!DOCTYPE edXML [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>` + ok, Limits{}, "DOCTYPE"},
		"deep":              {strings.Replace(ok, "<Subject>x</Subject>", strings.Repeat("<a>", 40)+strings.Repeat("</a>", 40), 1), Limits{}, "nested deeper"},
		"many elements":     {strings.Replace(ok, "<Subject>x</Subject>", strings.Repeat("<a/>", 200), 1), Limits{Elements: 100}, "more than 100 elements"},
		"large header":      {strings.Replace(ok, "<Subject>x</Subject>", "<Subject>"+strings.Repeat("x", 5000)+"</Subject>", 1), Limits{HeaderBytes: 4096}, "exceed"},
		"large attachment":  {ok, Limits{AttachmentBytes: 2}, "larger than 2 bytes"},
		"second root":       {ok + "<edXML/>", Limits{}, "second root"},
		"undefined entity":  {strings.Replace(ok, ">x<", ">&xx;<", 1), Limits{}, "entity"},
	}
	for name, c := range cases {
		_, err := Read(strings.NewReader(c.doc), ReadOptions{Limits: c.lim})
		var se *SyntaxError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		} else if !errors.As(err, &se) && !errors.Is(err, ErrNotEdXML) {
			t.Errorf("%s: %T is neither a SyntaxError nor ErrNotEdXML", name, err)
		} else if se != nil && se.Line == 0 {
			t.Errorf("%s: no position in %v", name, err)
		}
	}
	for name, doc := range map[string]string{"empty": "", "junk": strings.Repeat("x", 2000), "other root": `<a xmlns="` + Namespace + `"/>`} {
		if _, err := Read(strings.NewReader(doc), ReadOptions{}); !errors.Is(err, ErrNotEdXML) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzRead: any input is read without a panic; what reads, written and read again, is the same.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "interop", "edxml", "status*.edxml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader><To><OrganId>1</OrganId></To><OtherInfo><X>1</X></OtherInfo></MessageHeader>` +
		`<TraceHeaderList><Bussiness><BussinessDocType>3</BussinessDocType><ReplacementInfoList><ReplacementInfo><DocumentId>d</DocumentId></ReplacementInfo></ReplacementInfoList></Bussiness></TraceHeaderList>` +
		`</edXMLHeader><edXMLBody><edXMLManifest><Reference><ContentId>cid:1</ContentId></Reference></edXMLManifest></edXMLBody></edXMLEnvelope>` +
		`<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><ContentTransferEncoded>QUJD</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var bufs []*bytes.Buffer
		e, err := Read(bytes.NewReader(data), ReadOptions{Limits: Limits{AttachmentBytes: 1 << 20}, Attachment: func(int, *Attachment) (io.Writer, error) {
			b := &bytes.Buffer{}
			bufs = append(bufs, b)
			return b, nil
		}})
		if err != nil {
			return
		}
		Validate(e)
		var contents []Content
		var keep []Attachment
		for _, a := range e.Attachments {
			if a.attached == 0 {
				continue
			}
			keep = append(keep, a)
			b := bufs[a.attached-1].Bytes()
			contents = append(contents, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		}
		e.Attachments = keep
		var out bytes.Buffer
		if err := Write(&out, e, contents); err != nil {
			t.Fatal(err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), ReadOptions{})
		if err != nil {
			t.Fatalf("written envelope unreadable: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(normalize(e), normalize(again)) {
			t.Fatalf("round trip changed the model:\n%+v\n%+v", normalize(e), normalize(again))
		}
	})
}

// normalize is what a written envelope must keep of a read one: what Write writes.
func normalize(e *Envelope) Envelope {
	n := Envelope{Header: e.Header, Trace: e.Trace}
	h := &n.Header
	if e.IsStatus() { // a status message's elements only
		n.Trace = nil
		*h = MessageHeader{From: h.From, ResponseFor: h.ResponseFor, StaffInfo: h.StaffInfo, StatusCode: h.StatusCode,
			Description: h.Description, Timestamp: h.Timestamp}
	} else { // a document's
		h.StaffInfo, h.StatusCode, h.Description, h.Timestamp = nil, "", "", ""
	}
	for _, a := range e.Attachments {
		if a.attached != 0 && !e.IsStatus() {
			n.Attachments = append(n.Attachments, Attachment{ContentID: a.ContentID, Name: a.Name, Description: a.Description, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
	}
	return n
}
