package envelope

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// Variations of other producers, and broken inputs, found by an adversarial review: each is
// read as a careful reader of XML 1.0 and QCVN 102 would.
func TestProducerVariants(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 variant"))
	doc := func(header, attachments string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader>` + header +
			`</MessageHeader></edXMLHeader><edXMLBody><edXMLManifest><Reference><ContentId>cid:1</ContentId><ContentType>application/pdf</ContentType>` +
			`<AttachmentName>a.pdf</AttachmentName></Reference></edXMLManifest></edXMLBody></edXMLEnvelope>` + attachments + `</edXML>`
	}
	att := func(cid, content string) string {
		return `<Attachment><ContentId>` + cid + `</ContentId><AttachmentName>a.pdf</AttachmentName><ContentType>application/pdf</ContentType>` +
			`<ContentTransferEncoded>` + content + `</ContentTransferEncoded></Attachment>`
	}
	rulesOf := func(t *testing.T, data []byte) (*Envelope, map[string]Severity, error) {
		e, err := Read(bytes.NewReader(data), ReadOptions{})
		if err != nil {
			return nil, nil, err
		}
		rules := map[string]Severity{}
		for _, f := range Validate(e) {
			if rules[f.Rule] != Error {
				rules[f.Rule] = f.Severity
			}
		}
		return e, rules, nil
	}

	// two AttachmentEncoded wrappers: both attachments read, the split reported
	two := doc("<Subject>s</Subject>", "<AttachmentEncoded>"+att("cid:1", b64)+"</AttachmentEncoded><AttachmentEncoded>"+att("cid:2", b64)+"</AttachmentEncoded>")
	e, rules, err := rulesOf(t, []byte(two))
	if err != nil || len(e.attached) != 2 || rules["attachments-split"] != Warning {
		t.Errorf("two wrappers: %v %d %v", err, len(e.attached), rules)
	}
	// the same ContentId on two attachments: an error
	if _, rules, _ := rulesOf(t, []byte(doc("<Subject>s</Subject>", "<AttachmentEncoded>"+att("cid:1", b64)+att("cid:1", b64)+"</AttachmentEncoded>"))); rules["attachment.duplicate"] != Error {
		t.Errorf("duplicate ContentId: %v", rules)
	}
	// an empty StatusCode element still makes a status message, reported as such
	if e, rules, _ := rulesOf(t, []byte(doc("<From><OrganId>000.00.00.H41</OrganId></From><StatusCode></StatusCode>", ""))); !e.IsStatus() || rules["status.code"] != Error {
		t.Errorf("empty StatusCode: status %v, %v", e != nil && e.IsStatus(), rules)
	}
	// <ContentTransferEncoded/>: an empty attachment, not the text after it
	if e, rules, err := rulesOf(t, []byte(doc("<Subject>s</Subject>", "<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><ContentTransferEncoded/>\n   <AttachmentName>a.pdf</AttachmentName></Attachment></AttachmentEncoded>"))); err != nil ||
		rules["attachment.empty"] != Error || rules["base64-wrapped"] != "" || e.attached[0].Name != "a.pdf" {
		t.Errorf("self-closing content: %v %v", err, rules)
	}
	// a ContentTransferEncoded of another namespace is not streamed as ours
	foreign := doc("<Subject>s</Subject>", `<AttachmentEncoded>`+att("cid:1", b64)+`<x:Attachment xmlns:x="urn:other"><x:ContentTransferEncoded>not base64!</x:ContentTransferEncoded></x:Attachment></AttachmentEncoded>`)
	if e, _, err := rulesOf(t, []byte(foreign)); err != nil || len(e.attached) != 1 {
		t.Errorf("foreign content: %v", err)
	}
	// text after the root: read, and reported
	if _, rules, err := rulesOf(t, []byte(two+"\njunk")); err != nil || rules["text-outside-root"] != Warning {
		t.Errorf("trailing text: %v %v", err, rules)
	}
	// DTD declarations in any case and place are refused
	for _, bad := range []string{`<!doctype edXML>` + two, strings.Replace(two, "<Subject>s</Subject>", "<Subject><!ELEMENT x ANY></Subject>", 1)} {
		if _, err := Read(strings.NewReader(bad), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "DTD") {
			t.Errorf("a DTD declaration read: %v", err)
		}
	}
	// encodings: UTF-16 with its BOM; .NET's utf-16 label over UTF-8 bytes; UTF8 without a dash
	u16 := utf16.Encode([]rune(strings.Replace(two, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)))
	var le bytes.Buffer
	le.Write([]byte{0xFF, 0xFE})
	for _, c := range u16 {
		le.Write([]byte{byte(c), byte(c >> 8)})
	}
	for name, data := range map[string][]byte{"utf-16le": le.Bytes(), "utf-16 label": []byte(strings.Replace(two, `encoding="UTF-8"`, `encoding="utf-16"`, 1)),
		"UTF8": []byte(strings.Replace(two, `encoding="UTF-8"`, `encoding="UTF8"`, 1))} {
		var out bytes.Buffer
		e, err := Read(bytes.NewReader(data), ReadOptions{Attachment: func(int, *Attachment) (io.Writer, error) { return &out, nil }})
		if err != nil || len(e.attached) != 2 || !strings.HasPrefix(out.String(), "%PDF-1.4 variant") {
			t.Errorf("%s: %v (%q)", name, err, out.String())
		}
	}
	if _, err := Read(strings.NewReader(strings.Replace(two, `encoding="UTF-8"`, `encoding="Shift_JIS"`, 1)), ReadOptions{}); err == nil {
		t.Error("an unsupported encoding is read")
	}
}

// Unpack: a zip that is not the SDK's one-entry wrapping is kept and named as a zip; a name too
// long for a file system is cut, its extension kept.
func TestUnpackNames(t *testing.T) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range []string{"a.txt", "b.txt"} {
		w, _ := zw.Create(n)
		w.Write([]byte(n))
	}
	zw.Close()
	long := strings.Repeat("Quyết định ", 30) + ".pdf"
	e := &Envelope{Header: MessageHeader{Subject: "s"}, Attachments: []Attachment{
		{ContentID: "cid:1", Name: "hai-tep.doc", ContentType: "application/zip"},
		{ContentID: "cid:2", Name: long, ContentType: "application/pdf"}}}
	var out bytes.Buffer
	if err := Write(&out, e, contentsOf([][]byte{zb.Bytes(), []byte("%PDF-1.4 long")})); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	u, err := Unpack(UnpackRequest{In: &out, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if u.Attachments[0].File != "hai-tep.doc.zip" || u.Attachments[0].Zipped {
		t.Errorf("a two-entry zip unpacked as %+v", u.Attachments[0])
	}
	f := u.Attachments[1].File
	if len(f) > 200 || !strings.HasSuffix(f, ".pdf") || !strings.HasPrefix(long, strings.TrimSuffix(f, ".pdf")) {
		t.Errorf("long name unpacked as %q (%d bytes)", f, len(f))
	}
	names, _ := os.ReadDir(dir)
	if !slices.ContainsFunc(names, func(d os.DirEntry) bool { return d.Name() == f }) {
		t.Errorf("%s not in %s", f, filepath.Base(dir))
	}
}

// BenchmarkReadFragmentedText reads a Subject cut into 200 000 pieces by comments: text pieces
// and repeated siblings are gathered in linear time (they were quadratic).
func BenchmarkReadFragmentedText(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>`)
	for range 200_000 {
		sb.WriteString("a<!---->")
	}
	sb.WriteString(`</Subject><ToPlaces>`)
	for range 50_000 {
		sb.WriteString("<Place>p</Place>")
	}
	sb.WriteString(`</ToPlaces></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>`)
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		e, err := Read(strings.NewReader(data), ReadOptions{})
		if err != nil || len(e.Header.Subject) != 200_000 || len(e.Header.ToPlaces) != 50_000 {
			b.Fatal(err)
		}
	}
}
