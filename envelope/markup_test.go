package envelope

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

// Markup inside an attachment's content: comments and processing instructions are passed
// over, CDATA sections are content, an element is an error; the bytes come out whole.
func TestContentMarkup(t *testing.T) {
	payload := bytes.Repeat([]byte("%PDF-1.4 markup test "), 50)
	b64 := base64.StdEncoding.EncodeToString(payload)
	head := `<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>x</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>` +
		`<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><ContentTransferEncoded>`
	tail := `</ContentTransferEncoded><AttachmentName>a.pdf</AttachmentName></Attachment></AttachmentEncoded></edXML>`
	for name, content := range map[string]string{
		"comment":        b64[:40] + "<!-- a > comment -- -->" + b64[40:],
		"pi":             b64[:40] + "<?pi x?>" + b64[40:],
		"cdata whole":    "<![CDATA[" + b64 + "]]>",
		"cdata part":     b64[:100] + "<![CDATA[" + b64[100:200] + "]]>" + b64[200:],
		"cdata wrapped":  "\n<![CDATA[" + b64[:76] + "\n" + b64[76:] + "]]>\n",
		"comment at end": b64 + "<!-- done -->",
	} {
		var out bytes.Buffer
		e, err := Read(strings.NewReader(head+content+tail), ReadOptions{Attachment: func(int, *Attachment) (io.Writer, error) { return &out, nil }})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(out.Bytes(), payload) || e.Attachments[0].Name != "a.pdf" {
			t.Errorf("%s: %d bytes out, want %d (%+v)", name, out.Len(), len(payload), e.Attachments)
		}
	}
	for name, content := range map[string]string{
		"element":          b64[:40] + "<b>x</b>" + b64[40:],
		"unclosed cdata":   "<![CDATA[" + b64,
		"unclosed comment": b64 + "<!-- never",
	} {
		if _, err := Read(strings.NewReader(head+content+tail), ReadOptions{}); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
