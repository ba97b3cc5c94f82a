//go:build !linux

package fsutil

import "os"

// replaceUnnamed is Linux's; elsewhere a named temporary file is used.
func replaceUnnamed(dir, path string, perm os.FileMode, durable bool, write func(f *os.File) error) (bool, error) {
	return false, nil
}
