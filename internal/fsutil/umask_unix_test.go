//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// umask reads the process's file mode creation mask.
func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}
