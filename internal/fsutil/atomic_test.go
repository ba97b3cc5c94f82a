package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Both ways of replacing a file — an unnamed file linked in when complete (Linux) and a named
// temporary file renamed over the target (elsewhere, or when the first cannot be used) — make
// new files, replace existing ones, and leave nothing behind when the write fails.
func TestReplace(t *testing.T) {
	named := func(path string, perm os.FileMode, durable bool, write func(f *os.File) error) error {
		return replaceNamed(filepath.Dir(path), path, perm, durable, write)
	}
	for name, replace := range map[string]func(string, os.FileMode, bool, func(*os.File) error) error{"default": replace, "named": named} {
		for _, durable := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/durable=%v", name, durable), func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, "vbdt.yaml")
				put := func(s string) error {
					return replace(p, 0o644, durable, func(f *os.File) error { _, err := f.WriteString(s); return err })
				}
				if err := put("first"); err != nil { // a new file
					t.Fatal(err)
				}
				if err := put("new content"); err != nil { // over an existing one
					t.Fatal(err)
				}
				b, _ := os.ReadFile(p)
				fi, _ := os.Stat(p)
				if string(b) != "new content" || fi.Mode().Perm() != 0o644&^umask() {
					t.Fatalf("got %q %v", b, fi.Mode())
				}
				failed := errors.New("disk full")
				err := replace(p, 0o644, durable, func(f *os.File) error { f.WriteString("partial"); return failed })
				if !errors.Is(err, failed) {
					t.Fatalf("the write's error was lost: %v", err)
				}
				if b, _ := os.ReadFile(p); string(b) != "new content" {
					t.Fatalf("a failed write changed the file: %q", b)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Fatalf("left behind: %v", entries)
				}
				if err := replace(filepath.Join(dir, "missing", "x"), 0o644, durable, func(*os.File) error { return nil }); err == nil {
					t.Fatal("a write into a missing folder succeeded")
				}
			})
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a")
	if err := WriteFileAtomic(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Fatalf("got %q", b)
	}
}
