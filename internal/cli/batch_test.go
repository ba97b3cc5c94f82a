package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/ui"
)

// On a terminal, a single document's failure is said once (the command's error on stderr),
// not also as a result line; a batch's failures are listed with the other results.
func TestSingleFailureSaidOnce(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	set, err := testpki.Generate(testpki.ECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := set.Get(testpki.Organization)
	p12, err := pkcs12.Modern.Encode(id.Key, id.Cert, set.Chain(testpki.Organization)[1:], "1234")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("org.p12", p12, 0o600)
	os.WriteFile("bad.pdf", []byte("not a PDF"), 0o644)
	os.WriteFile("worse.pdf", []byte("nor this"), 0o644)
	run := func(args ...string) string {
		var out, errb bytes.Buffer
		streams := ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb, OutTTY: true, ErrTTY: true}
		Run(context.Background(), args, streams, func(k string) string {
			return map[string]string{"VBDT_PIN": "1234", "NO_COLOR": "1", "HOME": dir}[k]
		}, BuildInfo{})
		return out.String() + errb.String()
	}
	if all := run("sign", "--key", "file:org.p12", "bad.pdf", "-o", "out.pdf"); strings.Count(all, "not a PDF") != 1 {
		t.Errorf("a single failure is not said exactly once:\n%s", all)
	}
	if all := run("sign", "--key", "file:org.p12", "bad.pdf", "worse.pdf", "--out", filepath.Join(dir, "out")); strings.Count(all, "not a PDF") != 2 {
		t.Errorf("a batch's failures are not each listed once:\n%s", all)
	}
}
