package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// Small files — PINs, keys, certificates, the configuration — are read through a bounded
// reader: a path naming /dev/zero or a huge file would otherwise be read until memory runs out.
// A FIFO or a device is opened without blocking and read with a deadline, so one nobody writes
// to fails instead of hanging beyond the reach of Ctrl-C.

// PipeTimeout is how long a FIFO or a device may take to give its contents.
const PipeTimeout = 10 * time.Second

// TooLargeError is a file larger than a small file may be.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes", e.Path, e.Limit)
}

// ReadSmall reads the file at path, which must not be larger than limit bytes (a
// *TooLargeError otherwise). Regular files are refused by size before reading; other files
// (pipes, devices) are read up to limit+1 bytes and within PipeTimeout. Directories are refused.
func ReadSmall(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, for ever. It
	// changes nothing for regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory", path)
	case fi.Mode().IsRegular() && fi.Size() > limit:
		return nil, &TooLargeError{path, limit}
	case !fi.Mode().IsRegular():
		// a FIFO or a device: only the poller can interrupt the read
		f.SetReadDeadline(time.Now().Add(PipeTimeout))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, fmt.Errorf("%s: nothing to read after %v", path, PipeTimeout)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{path, limit}
	}
	return data, nil
}
