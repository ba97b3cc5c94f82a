//go:build !linux

package fsutil

import (
	"io"
	"os"
)

// SyncDirs makes the folders' entries durable (without syncfs: an fsync of each folder and
// of each file directly in it).
func SyncDirs(dirs ...string) error {
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if f, err := os.Open(d + string(os.PathSeparator) + e.Name()); err == nil {
					f.Sync()
					f.Close()
				}
			}
		}
		if f, err := os.Open(d); err == nil {
			f.Sync()
			f.Close()
		}
	}
	return nil
}

// Writeback returns f: other systems start no writeback early.
func Writeback(f *os.File) io.Writer { return f }
