package verify

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/vbdt/vbdt/internal/pdf"
)

// FuzzCheckCMS: the integrity check never crashes on a hostile /Contents, which it reaches with
// a well-formed byte range around it.
func FuzzCheckCMS(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00}, false)
	f.Add([]byte{0x30, 0x80}, true)
	f.Fuzz(func(t *testing.T, cms []byte, docTimestamp bool) {
		if len(cms) > 4096 {
			return
		}
		var file bytes.Buffer
		file.WriteString("%PDF-1.7\n" + string(bytes.Repeat([]byte{'%'}, 91)))
		start := int64(file.Len())
		file.WriteString("<" + hex.EncodeToString(cms) + ">")
		end := int64(file.Len())
		file.WriteString("\n%%EOF\n")
		size := int64(file.Len())
		s := pdf.Signature{Contents: cms, ContentsHex: true, SubFilter: "ETSI.CAdES.detached",
			ByteRange: []int64{0, start, end, size - end}}
		if docTimestamp {
			s.SubFilter = "ETSI.RFC3161"
		}
		if c := CheckSignature(bytes.NewReader(file.Bytes()), size, s); c.Intact {
			t.Fatalf("random bytes verified as a signature")
		}
	})
}
