package fsutil

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// replaceUnnamed writes path through an unnamed file in dir (O_TMPFILE) that gets its name only
// when complete: a crash leaves nothing behind, and the folder changes once (one link) instead
// of twice (a temporary name, then a rename). An existing path is replaced by linking the file
// under a temporary name and renaming that over it. done is false when the file system cannot
// make unnamed files or /proc is not mounted: the caller then uses a named temporary file.
func replaceUnnamed(dir, path string, perm os.FileMode, durable bool, write func(f *os.File) error) (done bool, err error) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return false, nil
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return false, nil
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := write(f); err != nil {
		return true, err
	}
	if durable {
		if err := f.Sync(); err != nil {
			return true, err
		}
	}
	link := func(name string) error {
		return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
	}
	err = link(path)
	if errors.Is(err, unix.EEXIST) {
		err = linkAndRename(dir, path, link)
	}
	if err != nil {
		return true, &os.PathError{Op: "link", Path: path, Err: err}
	}
	if durable {
		syncDir(dir)
	}
	return true, nil
}

// linkAndRename gives the file a free temporary name in dir and renames it over path.
func linkAndRename(dir, path string, link func(name string) error) error {
	for range 100 {
		tmp := filepath.Join(dir, tempPrefix(path)+strconv.FormatUint(rand.Uint64(), 36))
		err := link(tmp)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	return errors.New("no free temporary name")
}
