// Package evidence fetches what a long-term-validation (PAdES B-LT) signature needs besides
// itself: RFC 3161 timestamps, the missing certificates of a chain (AIA), and revocation evidence
// (OCSP answers and CRLs), online or from files.
//
// Everything fetched is checked before it is used or kept: an answer that does not verify is as
// useless as no answer, and keeping one would make every later run trust it. A Fetcher asks each
// responder once per run however many documents share a certificate (single flight, memo), and
// once across runs too when it has a Cache directory, so that a batch of 10 000 documents signed
// with one certificate costs one OCSP request, not 10 000.
package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vbdt/vbdt/internal/redact"
)

// Defaults and bounds of what is fetched.
const (
	// DefaultTimeout bounds one request of a Fetcher without a Client: evidence answers are
	// small, and a responder that takes longer is down for practical purposes.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxAge is how long an OCSP answer or a CRL without nextUpdate is used.
	DefaultMaxAge = 24 * time.Hour
	// DefaultMaxCRL bounds a CRL (national CAs publish CRLs of several MiB).
	DefaultMaxCRL = 32 << 20
	// CertificateMaxAge is how long a certificate fetched through AIA is kept: it does not
	// change, but the URL may come to serve a renewed one.
	CertificateMaxAge = 30 * 24 * time.Hour
	// maxOCSPResponse and maxCertificates bound an OCSP answer and an AIA download.
	maxOCSPResponse = 1 << 20
	maxCertificates = 1 << 20
	// clockSkew is how far in the future an answer's thisUpdate may be: clocks differ.
	clockSkew = 5 * time.Minute
)

// Fetcher gets OCSP answers, CRLs and certificates over HTTP for a whole run: bounded in size,
// checked, and remembered — each answer until it expires and each failure for the Fetcher's
// life, so that one dead responder costs one timeout per run, not one per document. Concurrent
// requests for the same thing share one network request. With Cache set, checked answers are
// also kept on disk for later runs and other processes. The zero value is ready to use; a
// Fetcher is safe for concurrent use and must not be copied after first use.
type Fetcher struct {
	// Client makes the requests (default: one with a DefaultTimeout timeout).
	Client *http.Client
	// Cache is the directory where answers are kept between runs and shared between processes
	// ("" keeps them in memory only). The CLI passes DefaultCacheDir.
	Cache string
	// MaxAge bounds the use of an OCSP answer or CRL without nextUpdate (DefaultMaxAge when 0).
	MaxAge time.Duration
	// MaxCRL bounds a CRL's size in bytes (DefaultMaxCRL when 0).
	MaxCRL int64
	// OCSPURL, when set, is asked instead of the responders the certificates name (a local
	// OCSP proxy, or a responder a CA announced outside its certificates).
	OCSPURL string
	// Offline forbids every network request: evidence then comes from Files only.
	Offline bool
	// PublicOnly refuses responders at loopback, private and link-local addresses (for a
	// Fetcher without a Client): the URLs come from the documents, which may be anyone's.
	PublicOnly bool
	// Files is evidence given as files (see LoadFiles); it is used before the network.
	Files *Files
	// Now is the clock answers are judged by (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	flights  map[string]*flight
	requests atomic.Int64
	links    sync.Map // issued's answers, and ChainsTo's chains
}

// NewFetcher returns a Fetcher that makes its requests with client (nil: one with a
// DefaultTimeout timeout), without a disk cache.
func NewFetcher(client *http.Client) *Fetcher { return &Fetcher{Client: client} }

// flight is one fetch, shared by everyone who asks for the same thing while it runs and after.
type flight struct {
	ready chan struct{}
	value any
	until time.Time // when a value expires; failures are kept for the Fetcher's life
	err   error
	// abandoned: the fetch stopped because its caller's context ended, which says nothing
	// about the responder, so whoever waited asks again rather than inherit the failure.
	abandoned bool
}

// request is one thing to fetch.
type request struct {
	kind  string // "ocsp", "crl" or "cert": part of the key and the cache's sub-directory
	url   string
	body  []byte // POSTed as application/ocsp-request when set; GET otherwise
	bind  []byte // what else the answer's check depends on (the issuer certificate)
	limit int64
	// accept checks an answer, fetched or read from the cache, and says until when it may be
	// used. Only accepted answers are remembered.
	accept func(der []byte, now time.Time) (value any, until time.Time, err error)
}

// key names the request in memory and on disk: a hash, so that neither URLs (which may hold
// credentials) nor certificates appear in file names.
func (r request) key() string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(r.kind), []byte(r.url), r.body, r.bind} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Requests is the number of network requests made so far (answers from memory or the disk
// cache do not count): tests and benchmarks assert with it that each responder is asked once.
func (f *Fetcher) Requests() int64 { return f.requests.Load() }

func (f *Fetcher) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fetcher) maxAge() time.Duration {
	if f.MaxAge > 0 {
		return f.MaxAge
	}
	return DefaultMaxAge
}

func (f *Fetcher) maxCRL() int64 {
	if f.MaxCRL > 0 {
		return f.MaxCRL
	}
	return DefaultMaxCRL
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	c := &http.Client{Timeout: DefaultTimeout}
	if f.PublicOnly {
		d := &net.Dialer{Timeout: DefaultTimeout, Control: publicOnly}
		c.Transport = &http.Transport{DialContext: d.DialContext, Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: DefaultTimeout}
	}
	return c
}

// publicOnly refuses a connection to an address that is not a public one (loopback, private,
// link-local, unspecified), checked on the address dialled, after name resolution, so that a
// name resolving to an inside address is refused too.
func publicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("the address %s is not a public one (documents name the responders; --allow-private-urls allows inside addresses)", host)
	}
	return nil
}

// fetch returns the accepted answer to r: from memory, from the disk cache, or from the
// network, asking at most once at a time per key.
func (f *Fetcher) fetch(ctx context.Context, r request) (any, error) {
	if err := checkURL(r.url); err != nil {
		return nil, err
	}
	key := r.key()
	return f.memo(ctx, key, func(ctx context.Context) (any, time.Time, error) { return f.resolve(ctx, key, r) })
}

// memo returns what resolve finds for key, calling it once for everyone who asks at the same
// time or later: a value until its expiry, a failure for the Fetcher's life. A resolve cut
// short by its caller's context is forgotten, and whoever waited for it tries again.
func (f *Fetcher) memo(ctx context.Context, key string, resolve func(context.Context) (any, time.Time, error)) (any, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f.mu.Lock()
		if f.flights == nil {
			f.flights = map[string]*flight{}
		}
		fl, ok := f.flights[key]
		if ok && fl.expired(f.now()) {
			delete(f.flights, key)
			ok = false
		}
		if ok {
			f.mu.Unlock()
			select {
			case <-fl.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if fl.abandoned {
				continue
			}
			return fl.value, fl.err
		}
		fl = &flight{ready: make(chan struct{})}
		f.flights[key] = fl
		f.mu.Unlock()
		fl.value, fl.until, fl.err = resolve(ctx)
		if fl.err != nil && ctx.Err() != nil {
			fl.abandoned = true
			f.mu.Lock()
			if f.flights[key] == fl {
				delete(f.flights, key)
			}
			f.mu.Unlock()
		}
		close(fl.ready)
		return fl.value, fl.err
	}
}

// expired tells whether a finished flight's answer may no longer be used. A running flight is
// never expired: its answer is about to be fresh.
func (fl *flight) expired(now time.Time) bool {
	select {
	case <-fl.ready:
		return fl.err == nil && !now.Before(fl.until)
	default:
		return false
	}
}

// resolve gets r's answer from the disk cache or the network, keeping a fetched one on disk.
func (f *Fetcher) resolve(ctx context.Context, key string, r request) (any, time.Time, error) {
	if f.Cache != "" {
		if v, until, ok := f.cached(key, r); ok {
			return v, until, nil
		}
		release, v, until, ok, err := f.lock(ctx, key, r)
		if err != nil {
			return nil, time.Time{}, err
		}
		if ok {
			return v, until, nil
		}
		defer release()
	}
	if f.Offline {
		return nil, time.Time{}, errors.New("offline: no network request is made")
	}
	data, err := f.download(ctx, r)
	if err != nil {
		return nil, time.Time{}, err
	}
	v, until, err := r.accept(data, f.now())
	if err != nil {
		return nil, time.Time{}, err
	}
	if f.Cache != "" {
		// a cache that cannot be written only costs requests in later runs
		_ = f.store(key, r.kind, data, until)
	}
	return v, until, nil
}

// download makes r's HTTP request and reads the answer, bounded.
func (f *Fetcher) download(ctx context.Context, r request) ([]byte, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if r.body != nil {
		method, body = http.MethodPost, bytes.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, r.url, body)
	if err != nil {
		return nil, errors.New("bad URL")
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/ocsp-request")
	}
	client := f.client()
	f.requests.Add(1)
	resp, err := client.Do(hr)
	if err != nil {
		return nil, netError(ctx, err, client.Timeout)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return readBounded(ctx, resp.Body, r.limit, client.Timeout)
}

// readBounded reads at most limit bytes, failing beyond.
func readBounded(ctx context.Context, r io.Reader, limit int64, timeout time.Duration) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, netError(ctx, err, timeout)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the answer is larger than %d bytes", limit)
	}
	return data, nil
}

// checkURL accepts http and https URLs only: certificates also name ldap:// and file:// ones,
// which vbdt does not follow.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("not an http or https URL")
	}
	return nil
}

// TimeoutError is a request that got no answer in time.
type TimeoutError struct {
	After time.Duration // the client's timeout; 0 when the context's deadline ended it
	Err   error
}

func (e *TimeoutError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("timed out after %s", e.After)
	}
	return "timed out: the deadline passed"
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout tells net.Error users that this is a timeout.
func (e *TimeoutError) Timeout() bool { return true }

// netError says plainly why a request failed: the url.Error around it repeats the URL (the
// caller names it already) and a timeout deserves words a person understands.
func netError(ctx context.Context, err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Err: err}
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{After: timeout, Err: err}
	}
	return err
}

// Error is a failure to get evidence or a timestamp: what was asked for, from where, and why it
// failed. Its text hides any password in a URL.
type Error struct {
	What string // "TSA http://…", "OCSP http://…", "CRL http://…", "AIA http://…"
	Err  error

	secret string // a password to hide too, wherever it appears
}

func (e *Error) Error() string { return scrub(redact.String(e.What+": "+e.Err.Error()), e.secret) }
func (e *Error) Unwrap() error { return e.Err }

// joinErrors joins the failures of the sources tried, in order, into one error whose text
// lists them all.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &multiError{errs}
}

type multiError struct{ errs []error }

func (m *multiError) Error() string {
	parts := make([]string, len(m.errs))
	for i, e := range m.errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (m *multiError) Unwrap() []error { return m.errs }
