// Package testenv gives tests the real parts they need — the test PKI on disk, a SoftHSM2
// token, external tools — and skips a test whose part is missing locally but fails it in CI
// (CI set), where .ci/run installs every part so that nothing is skipped.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki"
)

// Need skips or, in CI, fails t when missing is not "".
func Need(t testing.TB, missing string) {
	t.Helper()
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must have every test part, but this one is missing: %s", missing)
	}
	t.Skipf("missing %s (scripts/test.sh installs it)", missing)
}

// NeedTools requires commands on PATH.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		Need(t, strings.Join(missing, ", "))
	}
}

// PKI writes the test PKI in every algorithm to dir.
func PKI(t testing.TB, dir string) map[testpki.Alg]*testpki.Set {
	t.Helper()
	sets, err := testpki.WriteAll(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sets
}
