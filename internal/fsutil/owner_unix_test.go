//go:build unix

package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A replaced file keeps its permission bits, owner and group (an in-place signature of a 0600
// or 0640 file must not make it readable by everyone, nor the clerk's file root's).
func TestReplaceKeepsModeAndOwner(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0o600, 0o640, 0o444} {
		p := filepath.Join(dir, fmt.Sprintf("%o.pdf", mode))
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		uid, gid := os.Getuid(), os.Getgid()
		if uid == 0 { // as root (CI), the file belongs to someone else
			uid, gid = 1234, 5678
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteFileAtomic(p, []byte("new"), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		st := fi.Sys().(*syscall.Stat_t)
		if b, _ := os.ReadFile(p); string(b) != "new" || fi.Mode().Perm() != mode || int(st.Uid) != uid || int(st.Gid) != gid {
			t.Errorf("%o: %q, mode %v, owner %d:%d, want %v %d:%d", mode, b, fi.Mode().Perm(), st.Uid, st.Gid, mode, uid, gid)
		}
	}
}
