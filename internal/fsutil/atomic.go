// Package fsutil holds the file operations that keep user data safe: atomic replacement.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFileAtomic writes data to path so that path holds either its old content or all of
// data, never a part.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return Replace(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// Replace makes path hold what write writes, atomically: write fills a temporary file in the
// same folder, which is synced and renamed over path only if write succeeds; otherwise it is
// removed and path is untouched. Readers of path never see a partial file, even after a crash.
func Replace(path string, perm os.FileMode, write func(f *os.File) error) error {
	return replace(path, perm, true, write)
}

// ReplaceUnsynced is Replace without making the result durable: readers still never see a
// partial file, but after a power cut the file may be lost. The caller must call SyncDirs for
// its folder before it records the file as done (a batch syncs once per group of files).
func ReplaceUnsynced(path string, perm os.FileMode, write func(f *os.File) error) error {
	return replace(path, perm, false, write)
}

func replace(path string, perm os.FileMode, durable bool, write func(f *os.File) error) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		// a replaced file keeps its mode, owner and group: a 0600 file must not become
		// readable by everyone, nor a clerk's file root's
		write = keepAttributes(fi, write)
	}
	if done, err := replaceUnnamed(dir, path, perm, durable, write); done {
		return err
	}
	return replaceNamed(dir, path, perm, durable, write)
}

// keepAttributes gives the new file old's permission bits, owner and group before write fills
// it; a replacement that cannot keep them fails rather than change them.
func keepAttributes(old os.FileInfo, write func(f *os.File) error) func(f *os.File) error {
	return func(f *os.File) error {
		if err := f.Chmod(old.Mode().Perm()); err != nil {
			return fmt.Errorf("keeping the mode of %s: %w", f.Name(), err)
		}
		if err := chownLike(f, old); err != nil {
			return fmt.Errorf("keeping the owner of %s: %w", f.Name(), err)
		}
		return write(f)
	}
}

// replaceNamed writes a temporary file beside path and renames it over path.
func replaceNamed(dir, path string, perm os.FileMode, durable bool, write func(f *os.File) error) error {
	f, err := createTemp(dir, tempPrefix(path), perm)
	if err != nil {
		return err
	}
	if err := finish(f, durable, write); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	if durable {
		syncDir(dir)
	}
	return nil
}

// finish writes f, syncs it when durable, and closes it.
func finish(f *os.File, durable bool, write func(f *os.File) error) error {
	err := write(f)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// CreateTemp creates a new file in dir named prefix and a random suffix, with perm (less the
// umask): a file written in place and renamed to its name when complete.
func CreateTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	return createTemp(dir, prefix, perm)
}

func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// createTemp creates a new file named prefix and a random suffix in dir, with perm (less the
// umask) from the start: os.CreateTemp's 0600 would need a chmod, a second change of the inode.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}
