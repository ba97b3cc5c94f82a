package testenv

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/vbdt/vbdt/internal/testpki"
)

// TSA is a loopback RFC 3161 time-stamping authority whose back end is `openssl ts -reply`,
// signing with the test PKI's TSA certificate (critical timeStamping EKU).
type TSA struct {
	URL    string
	server *httptest.Server
}

// StartTSA serves timestamps on 127.0.0.1 using the TSA of the test PKI written in pkiDir.
func StartTSA(pkiDir string, alg testpki.Alg) (*TSA, error) {
	if _, err := exec.LookPath("openssl"); err != nil {
		return nil, fmt.Errorf("openssl not found")
	}
	dir, err := os.MkdirTemp("", "vbdt-tsa-")
	if err != nil {
		return nil, err
	}
	f := testpki.FilesFor(pkiDir, testpki.TSA, alg)
	cfg := filepath.Join(dir, "tsa.cnf")
	os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o644)
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = %s
serial = $dir/serial
crypto_device = builtin
signer_cert = %s
certs = %s
signer_key = %s
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`, dir, f.Cert, f.Chain, f.Key)), 0o644)
	var mu sync.Mutex // openssl's serial file is not safe for concurrent replies
	t := &TSA{}
	t.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		q, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		qf, rf := filepath.Join(dir, "q.tsq"), filepath.Join(dir, "r.tsr")
		os.WriteFile(qf, q, 0o644)
		out, err := exec.Command("openssl", "ts", "-reply", "-config", cfg, "-queryfile", qf, "-out", rf).CombinedOutput()
		if err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		resp, _ := os.ReadFile(rf)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.URL = t.server.URL
	return t, nil
}

// Close stops the TSA.
func (t *TSA) Close() { t.server.Close() }
