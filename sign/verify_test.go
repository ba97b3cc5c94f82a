package sign

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/internal/pdf"
)

// FuzzCheckCMS: the CMS parser behind CheckFile never crashes on hostile /Contents.
func FuzzCheckCMS(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Add([]byte{0x30, 0x80})
	dir := f.TempDir()
	file := filepath.Join(dir, "doc")
	os.WriteFile(file, make([]byte, 4096), 0o644)
	fh, err := os.Open(file)
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	f.Fuzz(func(t *testing.T, cms []byte) {
		if len(cms) > 1000 {
			return
		}
		gap := int64(2 + 2*len(cms))
		c := &Check{}
		checkOne(fh, 4096, pdf.Signature{Contents: cms, ByteRange: []int64{0, 100, 100 + gap, 4096 - 100 - gap}}, c)
	})
}
