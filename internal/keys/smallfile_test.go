//go:build unix

package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki"
)

// Files that never end (/dev/zero) or never begin (a FIFO nobody writes to) give an error
// quickly: a PIN source, a key file and a certificate file alike.
func TestOpenRefusesEndlessFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	fifo := filepath.Join(t.TempDir(), "pin.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// an anonymous pipe with its writer attached, as from a shell's <(…), still gives a PIN
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString(testpki.Password + "\n")
	w.Close()
	k, err := Open("file:"+testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA).P12+"?pin-source=/dev/fd/"+strconv.Itoa(int(r.Fd())), Options{Getenv: env()})
	if err != nil {
		t.Fatalf("PIN from a pipe: %v", err)
	}
	k.Close()

	key := "file:" + testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA).P12
	for name, uri := range map[string]string{
		"pin-source /dev/zero":    key + "?pin-source=file:/dev/zero",
		"pin-source FIFO":         key + "?pin-source=" + fifo,
		"key file /dev/zero":      "file:/dev/zero",
		"certificate /dev/zero":   "file:" + testpki.FilesFor(pkiDir, testpki.Approver, testpki.RSA).Key + "?cert=/dev/zero",
		"key file is a FIFO":      "file:" + fifo,
		"key file is a directory": "file:" + t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Open(uri, Options{Getenv: env()})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("no error")
				}
				t.Log(err)
				if strings.Contains(name, "/dev/zero") && !strings.Contains(err.Error(), "larger than") {
					t.Errorf("got %v, want a size error", err)
				}
				if strings.HasPrefix(name, "pin-source") && !errors.Is(err, ErrUnavailable) {
					t.Errorf("got %v, want ErrUnavailable", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("still reading after 20 s")
			}
		})
	}
}
