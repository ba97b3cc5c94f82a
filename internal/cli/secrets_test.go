package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"github.com/vbdt/vbdt/internal/ui"
)

// A PIN in a key URI and the password of a register DSN or TSA URL never reach stdout or
// stderr: not in results, messages, errors or JSON, whether the command succeeds or fails.
func TestSecretsNeverPrinted(t *testing.T) {
	const pin, password = "Pin-7f3a9c", "Pw-4e81d2"
	dir := t.TempDir()
	t.Chdir(dir)

	// a key file whose password is the PIN, so that commands given it succeed
	set, err := testpki.Generate(testpki.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := set.Get(testpki.Approver)
	p12, err := pkcs12.Modern.Encode(id.Key, id.Cert, set.Chain(testpki.Approver)[1:], pin)
	if err != nil {
		t.Fatal(err)
	}
	write(t, "signer.p12", p12)
	face, err := fonts.Find("")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pdf.Sample(1, face.Regular, 1)
	if err != nil {
		t.Fatal(err)
	}
	write(t, "doc.pdf", doc)

	key := "file:signer.p12?pin-value=" + pin
	port := closedPort(t)
	deadDSN := fmt.Sprintf("postgres://clerk:%s@127.0.0.1:%d/vbdt?connect_timeout=2", password, port)
	deadQueryDSN := fmt.Sprintf("postgres://clerk@127.0.0.1:%d/vbdt?password=%s&connect_timeout=2", port, password)
	tsa := fmt.Sprintf("https://tsa:%s@127.0.0.1:%d/ts", password, port)
	write(t, "vbdt.yaml", []byte(`agency:
  name: Ủy ban nhân dân tỉnh Thử Nghiệm
  organ_id: 000.00.00.H99
  abbreviation: UBND
keys:
  approver:
    uri: `+key+`
  twice:
    uri: pkcs11:token=A?pin-value=`+pin+`&pin-value=`+pin+`
register: `+deadDSN+`
`))
	write(t, "bad.yaml", []byte(`register: mysql://clerk:`+password+`@db/vbdt
keys:
  approver: `+key+`
`))

	var shown []string // outputs where a masked secret shows
	run := func(t *testing.T, env map[string]string, args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb},
			func(k string) string { return env[k] }, BuildInfo{Version: "test"})
		t.Logf("vbdt %s: exit %d", strings.Join(args, " "), code)
		for name, text := range map[string]string{"stdout": out.String(), "stderr": errb.String()} {
			if strings.Contains(text, pin) || strings.Contains(text, password) {
				t.Errorf("vbdt %s (exit %d) shows a secret on %s:\n%s", strings.Join(args, " "), code, name, text)
			}
			if strings.Contains(text, "REDACTED") {
				shown = append(shown, strings.Join(args, " "))
			}
		}
	}
	env := map[string]string{"NO_COLOR": "1", "HOME": dir}
	commands := [][]string{
		{"config", "show"},
		{"config", "show", "--json"},
		{"config", "check"},
		{"config", "check", "bad.yaml"},
		{"config", "check", "bad.yaml", "--json"},
		{"--config", "bad.yaml", "config", "show"},
		{"keys", "show", key},
		{"keys", "show", key, "--json"},
		{"keys", "show", "approver", "-v"},
		{"keys", "show", "twice"},
		{"keys", "show", "pkcs11:token=A?pin-value=" + pin + "&pin-value=" + pin},
		{"keys", "show", "pkcs11:token=A?module-path=/nonexistent/module.so&pin-value=" + pin},
		{"keys", "show", "file:missing.p12?pin-value=" + pin, "--json"},
		{"keys", "list", "signer.p12?pin-value=" + pin},
		{"keys", "list", "signer.p12?pin-value=" + pin, "--json"},
		{"number", "list", "-v"},
		{"number", "list", "--json"},
		{"number", "issue", "--type", "QĐ", "--subject", "Về việc thử nghiệm", "--register", deadQueryDSN},
		{"number", "show", "1", "--register", deadDSN, "--json"},
		{"sign", "--key", key, "doc.pdf", "-o", "signed.pdf", "-v"},
		{"sign", "--key", "approver", "doc.pdf", "-o", "signed2.pdf", "--json"},
		{"sign", "--key", key, "missing.pdf", "-o", "x.pdf"},
		{"sign", "--key", key, "doc.pdf", "-o", "bt.pdf", "--tsa", tsa},
		{"sign", "--key", key, "doc.pdf", "-o", "bt2.pdf", "--tsa", tsa, "--json"},
	}
	for _, args := range commands {
		run(t, env, args...)
	}
	for _, kv := range [][2]string{{"VBDT_REGISTER", deadDSN}, {"VBDT_REGISTER", deadQueryDSN}, {"VBDT_TSA_URL", tsa}} {
		for _, json := range []string{"--json=false", "--json"} {
			run(t, map[string]string{"NO_COLOR": "1", "HOME": dir, kv[0]: kv[1]}, "config", "show", json)
		}
	}
	if len(shown) < 10 {
		t.Errorf("the secrets were masked in only %d outputs, so the commands hardly showed them: %v", len(shown), shown)
	}

	t.Run("live register", func(t *testing.T) {
		testenv.Need(t, testenv.PostgresMissing())
		pg, err := testenv.StartPostgres()
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Stop()
		dsn, err := pg.Database("secrets")
		if err != nil {
			t.Fatal(err)
		}
		// the test server trusts every login: it ignores the password, vbdt must still hide it
		dsn = strings.Replace(dsn, "postgres@", "postgres:"+password+"@", 1)
		env := map[string]string{"NO_COLOR": "1", "HOME": dir, "VBDT_REGISTER": dsn}
		for _, args := range [][]string{
			{"number", "issue", "--type", "QĐ", "--subject", "Về việc thử nghiệm", "-v"},
			{"number", "issue", "--type", "QĐ", "--subject", "Về việc thử nghiệm", "--json"},
			{"number", "list", "-v"},
			{"number", "show", "1", "--json", "-v"},
			{"number", "check", "-v"},
			{"number", "void", "2", "--reason", "thử", "-v"},
			{"config", "show"},
		} {
			run(t, env, args...)
		}
	})
}

func write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedPort is a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
