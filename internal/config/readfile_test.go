//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A configuration that never ends (/dev/zero) or a huge file gives an error quickly, within
// the documented 1 MiB bound; a FIFO nobody writes to does not hang.
func TestLoadRefusesEndlessFiles(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte("agency:\n  place: Huế\n"+strings.Repeat("# padding\n", 200_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, path := range map[string]string{"/dev/zero": "/dev/zero", "2 MB file": huge, "FIFO": fifo} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Load(path, func(string) string { return "" })
				done <- err
			}()
			select {
			case err := <-done:
				if name == "FIFO" {
					return // an empty configuration, read at once
				}
				if err == nil {
					t.Fatal("no error")
				}
				t.Log(err)
				if !strings.Contains(err.Error(), "larger than 1048576 bytes") {
					t.Errorf("got %v, want the 1 MiB bound named", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("still reading after 20 s")
			}
		})
	}
}
