package fsutil

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SyncDirs makes everything written under the folders durable: one syncfs per file system,
// much cheaper than an fsync per file.
func SyncDirs(dirs ...string) error {
	seen := map[uint64]bool{}
	for _, d := range dirs {
		f, err := os.Open(d)
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err == nil && seen[st.Dev] {
			f.Close()
			continue
		}
		seen[st.Dev] = true
		err = unix.Syncfs(int(f.Fd()))
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Writeback wraps a file being written so that its pages start going to disk every few
// megabytes, while the writing goes on: the sync that makes a large file durable then finds
// little left to write, instead of all of it.
func Writeback(f *os.File) io.Writer { return &writeback{f: f} }

type writeback struct {
	f         *os.File
	off, from int64
}

// writebackEvery is how much is written between two starts of writeback.
const writebackEvery = 8 << 20

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.from >= writebackEvery {
		// only starts the writing; a failure shows at the sync
		unix.SyncFileRange(int(w.f.Fd()), w.from, w.off-w.from, unix.SYNC_FILE_RANGE_WRITE)
		w.from = w.off
	}
	return n, err
}
