package testenv

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/internal/testpki"
)

// Endpoint is a loopback port held open from before the test PKI is made, so that its URL
// can go into the certificates (testpki.URLs); the service started on it later takes the
// listener over, leaving no moment in which another process could take the port.
type Endpoint struct {
	URL string // http://127.0.0.1:PORT
	l   net.Listener
}

// Reserve opens an endpoint on 127.0.0.1; an endpoint no service took is closed with t.
func Reserve(t testing.TB) *Endpoint {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &Endpoint{URL: "http://" + l.Addr().String(), l: l}
}

// Server is an HTTP service of the tests on an endpoint. It counts the requests it gets, so
// that a test can tell whether a validator went online or used what the document embeds.
type Server struct {
	URL  string
	srv  *httptest.Server
	reqs atomic.Int64
}

func serve(t testing.TB, ep *Endpoint, h http.Handler) *Server {
	s := &Server{URL: ep.URL}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		h.ServeHTTP(w, r)
	}))
	s.srv.Listener.Close()
	s.srv.Listener = ep.l
	s.srv.Start()
	t.Cleanup(s.Close)
	return s
}

// Requests is how many requests the server has had.
func (s *Server) Requests() int { return int(s.reqs.Load()) }

// Close stops the server; t's cleanup also does.
func (s *Server) Close() { s.srv.Close() }

// ServeCRL serves the DER CRL crl (see testpki.Set.CRL) on every path of ep.
func ServeCRL(t testing.TB, ep *Endpoint, crl []byte) *Server {
	return serveBytes(t, ep, "application/pkix-crl", crl)
}

// ServeIssuer serves cert in DER on every path of ep, as an AIA caIssuers URL does.
func ServeIssuer(t testing.TB, ep *Endpoint, cert *x509.Certificate) *Server {
	return serveBytes(t, ep, "application/pkix-cert", cert.Raw)
}

func serveBytes(t testing.TB, ep *Endpoint, contentType string, data []byte) *Server {
	return serve(t, ep, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(data)
	}))
}

// OCSP is a real OCSP responder, `openssl ocsp`, behind a counting reverse proxy on an
// endpoint. openssl cannot bind to loopback only (it listens on every address, on a port it
// picks), so the proxy holds the URL the certificates name.
type OCSP struct {
	*Server
	cmd    *exec.Cmd
	exited chan struct{} // closed once openssl has ended and been waited for
	once   sync.Once
}

// StartOCSP answers for the certificates issuer (Root or Intermediate) signed, as listed by
// set.Index: good, revoked at the time revoked gives (whole seconds), or unknown for any other
// serial. The answers, valid for an hour, are signed by the set's delegated OCSP responder
// when issuer issued it (Intermediate), else by issuer itself, as RFC 6960 allows a CA. A
// responder that does not start fails t with openssl's error output.
func StartOCSP(t testing.TB, ep *Endpoint, set *testpki.Set, issuer testpki.Role, revoked map[*x509.Certificate]time.Time) *OCSP {
	t.Helper()
	NeedTools(t, "openssl")
	dir := t.TempDir()
	signer := set.Get(issuer)
	for _, r := range set.Issued(issuer) {
		if r == testpki.OCSP {
			signer = set.Get(testpki.OCSP)
		}
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	for name, data := range map[string][]byte{
		"ca.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: set.Get(issuer).Cert.Raw}),
		"signer.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.Cert.Raw}),
		"signer.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"index.txt":  set.Index(issuer, revoked),
		// openssl refuses a database in which two valid lines share a subject, unless told
		"index.txt.attr": []byte("unique_subject = no\n"),
	} {
		if err := os.WriteFile(path(name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stderr, err := os.Create(path("stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	logged := func() string { b, _ := os.ReadFile(path("stderr")); return string(b) }
	// -port 0: openssl picks a free port and prints it; -ignore_err: a malformed request
	// must not end the responder.
	cmd := exec.Command("openssl", "ocsp", "-port", "0", "-index", path("index.txt"), "-CA", path("ca.pem"),
		"-rsigner", path("signer.pem"), "-rkey", path("signer.key"), "-rmd", "sha256", "-nmin", "60", "-ignore_err")
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &OCSP{cmd: cmd, exited: make(chan struct{})}
	t.Cleanup(o.Close)
	port := make(chan string, 1)
	go func() {
		// "ACCEPT [::]:PORT PID=…" comes once openssl listens; the rest is drained, then
		// waited for (Wait closes the pipe, so reading must end first).
		accept := regexp.MustCompile(`^ACCEPT .*:(\d+)\b`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := accept.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		for sc.Scan() {
		}
		cmd.Wait()
		close(o.exited)
	}()
	var backend *url.URL
	select {
	case p := <-port:
		backend = &url.URL{Scheme: "http", Host: "127.0.0.1:" + p}
	case <-o.exited:
		t.Fatalf("%s ended before listening:\n%s", cmd, logged())
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not listen within 15s:\n%s", cmd, logged())
	}
	// openssl listens before it reads its files, so it is ready only once it answers.
	probe, err := ocsp.CreateRequest(set.Get(issuer).Cert, set.Get(issuer).Cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := client.Post(backend.String(), "application/ocsp-request", bytes.NewReader(probe))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == "application/ocsp-response" {
				break
			}
		}
		select {
		case <-o.exited:
			t.Fatalf("%s ended:\n%s", cmd, logged())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer (%v):\n%s", cmd, err, logged())
		}
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(backend) },
		// openssl answers one request per connection, one connection at a time
		Transport: &http.Transport{DisableKeepAlives: true, ResponseHeaderTimeout: 15 * time.Second},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, fmt.Sprintf("openssl ocsp: %v\n%s", err, logged()), http.StatusBadGateway)
		},
	}
	o.Server = serve(t, ep, proxy)
	return o
}

// Close stops the proxy and kills openssl; t's cleanup also does.
func (o *OCSP) Close() {
	o.once.Do(func() {
		if o.Server != nil {
			o.Server.Close()
		}
		o.cmd.Process.Kill()
		<-o.exited
	})
}
