//go:build !unix

package fsutil

import "os"

func umask() os.FileMode { return 0 }
