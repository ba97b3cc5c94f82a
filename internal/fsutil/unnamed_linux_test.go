package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// On Linux file systems that support O_TMPFILE (ext4, tmpfs, xfs, btrfs), the unnamed way is
// the one taken.
func TestUnnamedIsUsed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.pdf")
	done, err := replaceUnnamed(dir, p, 0o644, false, func(f *os.File) error { _, err := f.WriteString("%PDF-1.7"); return err })
	if !done || err != nil {
		t.Fatalf("done %v, %v", done, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "%PDF-1.7" {
		t.Fatalf("got %q", b)
	}
}
