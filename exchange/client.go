package exchange

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of a Config.
const (
	clientDefaultAttempts  = 3
	clientDefaultMaxAnswer = 64 << 20
	clientConnectTimeout   = 10 * time.Second
	clientHeaderTimeout    = 60 * time.Second
	clientBackoffBase      = 200 * time.Millisecond
	clientBackoffMax       = 5 * time.Second
	clientFilePath         = "xml" // getEdoc/downloadEdoc's filePath, as the SDK's example sends it
	clientPeekMax          = 64 << 10
)

// clientZone is Asia/Ho_Chi_Minh (UTC+7, no daylight saving), the zone of the SDK's timestamps.
var clientZone = time.FixedZone("+07", 7*60*60)

// Config says which platform a client talks to, as whom.
type Config struct {
	// Endpoint is the platform's base URL (http or https), e.g. http://vxpdungchung.vnpt.vn.
	// Call paths are appended to it verbatim, as the SDK does, except that one trailing slash
	// is trimmed first (the SDK would send //sendEdoc). No user info, query or fragment.
	Endpoint string
	// SystemID is the caller's code on the platform (XroadVnpt-systemid, and sendEdoc's from).
	SystemID string
	// Secret keys the HMAC of every request. It is never sent, printed or put in an error:
	// String and GoString redact it.
	Secret string
	// HTTP is the client requests go through. Default: HTTP/1.1, proxies from the
	// environment, 10 s to connect (and for a TLS handshake), 60 s for an answer's headers, no
	// overall timeout (bodies may be large: bound a call with its ctx), redirects not followed.
	HTTP *http.Client
	// Attempts bounds the attempts of a call on a transport error (default 3). Every call but
	// sendEdoc is retried after connection failures (refused, reset, closed before an answer)
	// and after a 502/503/504 whose body is not JSON; sendEdoc only when the request provably
	// never left (a dial error). Backoff 200 ms, 400 ms, … (±25 % jitter, at most 5 s), cut
	// short by the call's ctx. Timeouts, unknown hosts and certificate errors are not retried.
	Attempts int
	// Now is the clock of the signed timestamps. Default: time.Now in Asia/Ho_Chi_Minh
	// (UTC+7). A Now given here is used as it is, zone included.
	Now func() time.Time
	// MaxAnswer bounds the bytes of an answer (default 64 MiB): a JSON answer, the streamed
	// directory, getEdoc's base64 and downloadEdoc's raw document alike.
	MaxAnswer int64
}

// String describes the configuration with its secret redacted.
func (c Config) String() string {
	return fmt.Sprintf("exchange.Config{Endpoint: %q, SystemID: %q, Secret: %s, Attempts: %d, MaxAnswer: %d}",
		clientShowURL(c.Endpoint), c.SystemID, clientRedacted(c.Secret), c.Attempts, c.MaxAnswer)
}

// GoString is String, so that %#v redacts the secret too.
func (c Config) GoString() string { return c.String() }

func clientRedacted(secret string) string {
	if secret == "" {
		return "(empty)"
	}
	return "(redacted)"
}

// clientShowURL is an endpoint fit to print: a password in it is masked.
func clientShowURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(not a URL)"
	}
	return u.Redacted()
}

// Client calls the platform's API as the SDK does (EXCHANGE.md), with timeouts, bounded answers
// and its own retries. Each call builds its header set from scratch with a fresh timestamp:
// nothing accumulates between calls. A Client is safe for concurrent use.
type Client struct {
	endpoint  string
	system    string
	secret    string
	http      *http.Client
	attempts  int
	now       func() time.Time
	maxAnswer int64
}

// String describes the client with its secret redacted.
func (c Client) String() string {
	return fmt.Sprintf("exchange.Client{Endpoint: %q, SystemID: %q, Secret: %s, Attempts: %d, MaxAnswer: %d}",
		clientShowURL(c.endpoint), c.system, clientRedacted(c.secret), c.attempts, c.maxAnswer)
}

// GoString is String, so that %#v redacts the secret too.
func (c Client) GoString() string { return c.String() }

// Endpoint is the platform's base URL the client calls (one trailing slash trimmed).
func (c *Client) Endpoint() string { return c.endpoint }

// SystemID is the caller's code on the platform.
func (c *Client) SystemID() string { return c.system }

// New checks a configuration and returns a client: the endpoint must be an absolute http or
// https URL, SystemID printable ASCII, Secret non-empty.
func New(c Config) (*Client, error) {
	if c.Endpoint == "" {
		return nil, errors.New("exchange: no endpoint (Config.Endpoint)")
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which could hold a password
		}
		return nil, fmt.Errorf("exchange: the endpoint is not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("exchange: the endpoint %q is not an http or https URL", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("exchange: the endpoint %q has no host", u.Redacted())
	case u.User != nil:
		return nil, fmt.Errorf("exchange: the endpoint %q carries user info; the platform uses no HTTP authentication", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("exchange: the endpoint %q has a query or fragment; call paths are appended to it", u.Redacted())
	}
	if c.SystemID == "" {
		return nil, errors.New("exchange: no system id (Config.SystemID)")
	}
	if err := clientCheckValue("Config.SystemID", c.SystemID); err != nil {
		return nil, err
	}
	if c.Secret == "" {
		return nil, errors.New("exchange: no secret (Config.Secret)")
	}
	cl := &Client{
		endpoint:  strings.TrimSuffix(c.Endpoint, "/"),
		system:    c.SystemID,
		secret:    c.Secret,
		http:      c.HTTP,
		attempts:  c.Attempts,
		now:       c.Now,
		maxAnswer: c.MaxAnswer,
	}
	if cl.http == nil {
		cl.http = clientDefaultHTTP()
	}
	if cl.attempts <= 0 {
		cl.attempts = clientDefaultAttempts
	}
	if cl.now == nil {
		cl.now = func() time.Time { return time.Now().In(clientZone) }
	}
	if cl.maxAnswer <= 0 {
		cl.maxAnswer = clientDefaultMaxAnswer
	}
	return cl, nil
}

func clientDefaultHTTP() *http.Client {
	d := &net.Dialer{Timeout: clientConnectTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   clientConnectTimeout,
			ResponseHeaderTimeout: clientHeaderTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		// A redirected POST would become a GET, and the SDK follows none: a 3xx is an answer
		// that is not JSON.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// TransportError is a call that got no usable answer: a network failure, an answer that is not
// JSON, a JSON answer without status, a missing or malformed field, an answer too large.
type TransportError struct {
	Call string // the platform's name of the call, e.g. "getEdoc"
	Err  error
}

func (e *TransportError) Error() string { return e.Call + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// clientSendUnsure is appended to sendEdoc's failures after its body may have gone out.
const clientSendUnsure = "the document may or may not have been delivered: check the sent list (getSentEdocList) before sending it again"

// clientCall is one call of the API as the SDK makes it.
type clientCall struct {
	name        string // the platform's name, for errors
	method      string
	path        string
	contentType string
	own         []Param // the call's own parameters; signedParams orders them
	body        string  // "" (empty, Content-Length: 0) or "{}"; a GET has none
	file        *clientFile
	send        bool // sendEdoc: not idempotent
}

// clientFile is sendEdoc's body: the file's first size bytes, then CRLF.
type clientFile struct {
	path string
	size int64
}

type clientFileBody struct {
	io.Reader
	f *os.File
}

func (b *clientFileBody) Close() error { return b.f.Close() }

func (cf *clientFile) open() (io.ReadCloser, error) {
	f, err := os.Open(cf.path)
	if err != nil {
		return nil, err
	}
	return &clientFileBody{io.MultiReader(io.LimitReader(f, cf.size), strings.NewReader("\r\n")), f}, nil
}

// request builds one attempt's request: a fresh parameter set and timestamp, signed.
func (c *Client) request(ctx context.Context, k *clientCall) (*http.Request, error) {
	var body io.Reader
	switch {
	case k.file != nil:
		rc, err := k.file.open()
		if err != nil {
			return nil, fmt.Errorf("exchange: %s: %w", k.name, err)
		}
		body = rc
	case k.method == http.MethodGet:
	case k.body == "":
		body = http.NoBody
	default:
		body = strings.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.endpoint+k.path, body)
	if err != nil {
		if rc, ok := body.(io.Closer); ok {
			rc.Close()
		}
		return nil, fmt.Errorf("exchange: %s: %w", k.name, err)
	}
	if k.file != nil {
		req.ContentLength = k.file.size + 2
		req.GetBody = k.file.open
	}
	ps := signedParams(c.system, Timestamp(c.now()), k.contentType, k.own...)
	SetHeaders(req.Header, ps, c.secret)
	clientSDKCase(req.Header, ps)
	return req, nil
}

// clientSDKCase renames the headers SetHeaders canonicalised (Xroadvnpt-Docid) to the SDK's
// spelling (XroadVnpt-docId), which Go's transport writes as it is. HTTP names are
// case-insensitive; this only makes the wire look like the SDK's.
func clientSDKCase(h http.Header, ps Params) {
	names := []string{SignHeaderKey, SignHeader, HashHeader, Prefix + "version"}
	for _, p := range ps {
		names = append(names, Prefix+p.Name)
	}
	for _, n := range names {
		canon := textproto.CanonicalMIMEHeaderKey(n)
		if v, ok := h[canon]; ok && canon != n {
			delete(h, canon)
			h[n] = v
		}
	}
}

// do makes a call, retrying as Config.Attempts says. handle reads an answer: it returns
// whether the failure it reports may be retried.
func (c *Client) do(ctx context.Context, k *clientCall, handle func(*http.Response) (retry bool, err error)) error {
	if err := ctx.Err(); err != nil {
		if k.send {
			return &TransportError{k.name, fmt.Errorf("not sent: %w", err)}
		}
		return &TransportError{k.name, err}
	}
	for attempt := 1; ; attempt++ {
		req, err := c.request(ctx, k)
		if err != nil {
			return err
		}
		var retry bool
		resp, err := c.http.Do(req)
		if err != nil {
			retry, err = c.failed(ctx, k, err)
		} else {
			retry, err = handle(resp)
			io.CopyN(io.Discard, resp.Body, 4<<10) // lets a short rest go and the connection be reused
			resp.Body.Close()
		}
		if err == nil || !retry || attempt >= c.attempts || ctx.Err() != nil {
			return err
		}
		if serr := clientSleep(ctx, clientBackoff(attempt)); serr != nil {
			var te *TransportError
			if errors.As(err, &te) {
				err = te.Err
			}
			return &TransportError{k.name, fmt.Errorf("%w, waiting to retry after: %v", serr, err)}
		}
	}
}

// failed classifies an error of http.Client.Do.
func (c *Client) failed(ctx context.Context, k *clientCall, err error) (bool, error) {
	dial := clientIsDial(err)
	switch {
	case k.send && dial:
		return ctx.Err() == nil, &TransportError{k.name, fmt.Errorf("the document was not delivered (no connection to the platform): %w", err)}
	case k.send:
		return false, &TransportError{k.name, fmt.Errorf("%w; %s", err, clientSendUnsure)}
	case ctx.Err() != nil:
		return false, &TransportError{k.name, err}
	}
	return dial || clientRetryable(err), &TransportError{k.name, err}
}

// clientIsDial reports whether err is (or wraps, e.g. in a proxyconnect error) a failure to
// dial: the request provably never left.
func clientIsDial(err error) bool {
	for err != nil {
		if op, ok := err.(*net.OpError); ok && op.Op == "dial" {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// clientRetryable reports whether an idempotent call may be repeated after err: not after a
// timeout waiting for an answer, an unknown host or a TLS/certificate error (as the SDK's retry
// handler), nor after the answer outgrew MaxAnswer; after anything else (refused, reset, EOF).
func clientRetryable(err error) bool {
	var (
		dns     *net.DNSError
		cert    *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		big     *clientTooLarge
		ne      net.Error
	)
	switch {
	case errors.As(err, &dns) && dns.IsNotFound,
		errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &host),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &big),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &ne) && ne.Timeout():
		return false
	}
	return true
}

// clientBackoff is the wait before attempt+1: 200 ms doubled per attempt, at most 5 s, ±25 %.
func clientBackoff(attempt int) time.Duration {
	d := clientBackoffMax
	if attempt < 8 {
		d = min(clientBackoffBase<<(attempt-1), clientBackoffMax)
	}
	return d*3/4 + rand.N(d/2)
}

func clientSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clientTooLarge is an answer longer than MaxAnswer.
type clientTooLarge struct{ max int64 }

func (e *clientTooLarge) Error() string {
	return fmt.Sprintf("the answer is longer than %d bytes (Config.MaxAnswer)", e.max)
}

// clientCapped reads at most max bytes of r and fails with *clientTooLarge if r has more.
type clientCapped struct {
	r    io.Reader
	left int64
	max  int64
}

func (c *clientCapped) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, &clientTooLarge{c.max}
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *Client) capped(r io.Reader) io.Reader {
	return &clientCapped{r: r, left: c.maxAnswer, max: c.maxAnswer}
}

// clientTransport is a TransportError of a call; sendEdoc's say that delivery is unknown.
func clientTransport(k *clientCall, err error) *TransportError {
	if k.send {
		err = fmt.Errorf("%w; %s", err, clientSendUnsure)
	}
	return &TransportError{k.name, err}
}

// clientGateway reports an HTTP status a proxy answers when the platform is unreachable.
func clientGateway(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// clientReadRetry reports whether an idempotent call may be repeated after a failure reading
// its answer.
func clientReadRetry(k *clientCall, err error) bool { return !k.send && clientRetryable(err) }

// clientSkipBOM drops a UTF-8 byte order mark and leading JSON whitespace.
func clientSkipBOM(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.TrimLeft(b, " \t\r\n")
}

// clientSnippet shows the start of a body that is not what was expected.
func clientSnippet(b []byte) string {
	if len(b) == 0 {
		return "an empty body"
	}
	const n = 120
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return fmt.Sprintf("a body starting %q…", b)
	}
	return fmt.Sprintf("the body %q", b)
}

// answer reads a JSON answer whole (bounded by MaxAnswer) and checks its envelope: not a JSON
// object or without status → *TransportError; the platform's refusal → *APIError (whatever
// the HTTP status: the SDK ignores it). It returns the JSON for the call's own fields.
func (c *Client) answer(k *clientCall, resp *http.Response) ([]byte, bool, error) {
	b, err := io.ReadAll(c.capped(resp.Body))
	if err != nil {
		return nil, clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", err))
	}
	return c.envelope(k, resp, b)
}

func (c *Client) envelope(k *clientCall, resp *http.Response, b []byte) ([]byte, bool, error) {
	t := clientSkipBOM(b)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, !k.send && clientGateway(resp.StatusCode),
			clientTransport(k, fmt.Errorf("the platform's answer is not JSON: HTTP %s, %s", resp.Status, clientSnippet(b)))
	}
	var a Answer
	if err := json.Unmarshal(t, &a); err != nil {
		return nil, false, clientTransport(k, fmt.Errorf("the platform's answer has an unreadable status, ErrorCode or ErrorDesc: %v", err))
	}
	if a.Status == "" {
		return nil, false, clientTransport(k, fmt.Errorf("the platform's JSON answer has no status (HTTP %s, %s)", resp.Status, clientSnippet(b)))
	}
	if err := a.Err(); err != nil {
		return nil, false, err
	}
	return t, false, nil
}

// clientReadSized reads a body whose length the answer announced into one buffer of that size
// (io.ReadAll would grow and copy it several times: a getEdoc answer is the whole document).
func clientReadSized(r io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, length+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) { // more than announced: read the rest the usual way
			rest, err := io.ReadAll(r)
			return append(b, rest...), err
		}
	}
}

// clientFields decodes an answer's own fields.
func clientFields(k *clientCall, t []byte, v any) error {
	if err := json.Unmarshal(t, v); err != nil {
		return clientTransport(k, fmt.Errorf("the platform's answer has an unexpected shape: %v", err))
	}
	return nil
}

// clientCheckValue refuses a header value that is not printable ASCII: non-ASCII values are
// signed as UTF-8 but may reach the platform as Latin-1 (EXCHANGE.md §2).
func clientCheckValue(name, v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return fmt.Errorf("exchange: %s %q: only printable ASCII travels safely in a header", name, v)
		}
	}
	return nil
}

func clientRequire(name, v string) error {
	if v == "" {
		return fmt.Errorf("exchange: no %s", name)
	}
	return clientCheckValue(name, v)
}

// clientMessageType checks a messagetype (edoc or status, though any ASCII word is sent).
func clientMessageType(v string) error { return clientRequire("message type", v) }

func (c *Client) jsonCall(name, path string, own []Param, body string) *clientCall {
	return &clientCall{name: name, method: http.MethodPost, path: path, contentType: ContentJSON, own: own, body: body}
}

// clientAgencyJSON is an Agency whose fields may come as JSON strings or numbers.
type clientAgencyJSON struct {
	ID      Flex `json:"id"`
	PID     Flex `json:"pid"`
	Code    Flex `json:"code"`
	Name    Flex `json:"name"`
	Mail    Flex `json:"mail"`
	OldCode Flex `json:"oldCode"`
}

func (a *clientAgencyJSON) agency() Agency {
	return Agency{ID: string(a.ID), PID: string(a.PID), Code: string(a.Code), Name: string(a.Name), Mail: string(a.Mail), OldCode: string(a.OldCode)}
}

// Agencies calls getAgenciesList and gives fn the directory's entries one by one, in the
// answer's order, decoding the answer as it streams in (the real directory has some 111,000
// entries): the list is never held whole. An error of fn stops the call and is returned as
// it is. If the answer puts its status after its data, fn may have seen entries before a
// refusal or a broken answer is known: the entries are the directory only when Agencies
// returns nil. A call is retried only while fn has seen nothing.
func (c *Client) Agencies(ctx context.Context, fn func(Agency) error) error {
	k := c.jsonCall("getAgenciesList", PathAgencies, nil, "")
	return c.do(ctx, k, func(resp *http.Response) (bool, error) {
		seen := false
		retry, err := c.streamAgencies(k, resp, func(a Agency) error {
			seen = true
			return fn(a)
		})
		return retry && !seen, err
	})
}

// clientFnError marks an error of the caller's function, returned as it is.
type clientFnError struct{ err error }

func (e *clientFnError) Error() string { return e.err.Error() }

// clientRecorder remembers the last failure of a read (not EOF), to tell a broken
// connection from a malformed answer when the JSON decoder fails.
type clientRecorder struct {
	r   io.Reader
	err error
}

func (r *clientRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

func (c *Client) streamAgencies(k *clientCall, resp *http.Response, fn func(Agency) error) (bool, error) {
	rec := &clientRecorder{r: c.capped(resp.Body)}
	br := bufio.NewReaderSize(rec, 64<<10)
	first, err := clientPeekFirst(br)
	if err != nil && err != io.EOF {
		return clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", err))
	}
	if err == io.EOF || first != '{' {
		head, _ := br.Peek(512)
		return clientGateway(resp.StatusCode),
			clientTransport(k, fmt.Errorf("the platform's answer is not JSON: HTTP %s, %s", resp.Status, clientSnippet(head)))
	}
	broken := func(err error) (bool, error) {
		var fe *clientFnError
		switch {
		case errors.As(err, &fe):
			return false, fe.err
		case rec.err != nil:
			return clientReadRetry(k, rec.err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", rec.err))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return clientReadRetry(k, err), clientTransport(k, fmt.Errorf("the platform's answer broke off: %w", err))
		}
		return false, clientTransport(k, fmt.Errorf("the platform's answer is not valid JSON or has an unexpected shape: %v", err))
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil { // {
		return broken(err)
	}
	var a Answer
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return broken(err)
		}
		key, _ := t.(string)
		switch {
		case strings.EqualFold(key, "status"):
			err = dec.Decode(&a.Status)
		case strings.EqualFold(key, "ErrorCode"):
			err = dec.Decode(&a.ErrorCode)
		case strings.EqualFold(key, "ErrorDesc"):
			err = dec.Decode(&a.ErrorDesc)
		case strings.EqualFold(key, "data") && (a.Status == "" || a.OK()):
			err = clientStreamList(dec, fn)
		default: // data after a refusal (the SDK reads data only when ErrorCode is "0"), other fields
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return broken(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return broken(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the answer's object")
		}
		return broken(err)
	}
	if a.Status == "" {
		return false, clientTransport(k, fmt.Errorf("the platform's JSON answer has no status (HTTP %s)", resp.Status))
	}
	return false, a.Err()
}

// clientStreamList decodes a JSON list (or null) of agencies, one entry at a time.
func clientStreamList(dec *json.Decoder, fn func(Agency) error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return fmt.Errorf("data is %v, not a list", t)
	}
	for dec.More() {
		var e *clientAgencyJSON
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if e == nil {
			continue
		}
		if err := fn(e.agency()); err != nil {
			return &clientFnError{err}
		}
	}
	_, err = dec.Token() // ]
	return err
}

// clientPeekFirst returns the first byte after an optional UTF-8 BOM and whitespace, which it
// consumes; the byte itself stays in br.
func clientPeekFirst(br *bufio.Reader) (byte, error) {
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
		default:
			return b[0], nil
		}
	}
}

// Send calls sendEdoc: the file's bytes then CRLF as the body (streamed from the file), with
// from = the caller's system, servicetype eDoc, the message type (MessageEdoc or
// MessageStatus), hash-file (the SDK's unpadded hex of the file's SHA-256, computed by reading
// the file first) and, when to is non-empty, to as JSON text (["000.00.00.H41"]). It returns
// the platform's DocId. Send is never retried once its request may have reached the platform:
// its failures then say that delivery is unknown (look at Sent before sending again).
func (c *Client) Send(ctx context.Context, path string, messageType string, to []string) (string, error) {
	if err := clientMessageType(messageType); err != nil {
		return "", err
	}
	for _, t := range to {
		if err := clientRequire("recipient", t); err != nil {
			return "", err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("exchange: sendEdoc: %w", err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	var size int64
	h := sha256.New()
	if err == nil {
		size, err = io.Copy(h, f)
	}
	f.Close()
	if err != nil {
		return "", fmt.Errorf("exchange: sendEdoc: %w", err)
	}
	own := []Param{{"servicetype", ServiceEdoc}, {"messagetype", messageType}, {"hash-file", HashFile(h.Sum(nil))}, {"from", c.system}}
	if len(to) > 0 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // as Gson writes it
		if err := enc.Encode(to); err != nil {
			return "", fmt.Errorf("exchange: sendEdoc: %w", err)
		}
		own = append(own, Param{"to", strings.TrimSuffix(b.String(), "\n")})
	}
	k := &clientCall{name: "sendEdoc", method: http.MethodPost, path: PathSend, contentType: ContentBinary,
		own: own, file: &clientFile{path: path, size: size}, send: true}
	var docID string
	err = c.do(ctx, k, func(resp *http.Response) (bool, error) {
		t, retry, err := c.answer(k, resp)
		if err != nil {
			return retry, err
		}
		var ans struct {
			DocID *Flex `json:"DocId"`
		}
		if err := json.Unmarshal(t, &ans); err != nil || ans.DocID == nil || *ans.DocID == "" {
			return false, &TransportError{k.name, errors.New("the platform said OK without a DocId: the document was probably delivered; check the sent list (getSentEdocList) before sending it again")}
		}
		docID = string(*ans.DocID)
		return false, nil
	})
	return docID, err
}

// clientReceivedJSON is a Received whose fields may come as JSON strings or numbers.
type clientReceivedJSON struct {
	DocID       Flex `json:"docId"`
	ServiceType Flex `json:"serviceType"`
	MessageType Flex `json:"messageType"`
	CreatedTime Flex `json:"created_time"`
	UpdatedTime Flex `json:"updated_time"`
	From        Flex `json:"from"`
	To          Flex `json:"to"`
	Status      Flex `json:"status"`
	StatusDesc  Flex `json:"status_desc"`
}

// Received calls getReceivedEdocList: the inbox of one message type (MessageEdoc or
// MessageStatus).
func (c *Client) Received(ctx context.Context, messageType string) ([]Received, error) {
	if err := clientMessageType(messageType); err != nil {
		return nil, err
	}
	k := c.jsonCall("getReceivedEdocList", PathReceived, []Param{{"servicetype", ServiceEdoc}, {"messagetype", messageType}}, "")
	var list []Received
	err := c.do(ctx, k, func(resp *http.Response) (bool, error) {
		t, retry, err := c.answer(k, resp)
		if err != nil {
			return retry, err
		}
		var ans struct {
			Data []*clientReceivedJSON `json:"data"`
		}
		if err := clientFields(k, t, &ans); err != nil {
			return false, err
		}
		list = make([]Received, 0, len(ans.Data))
		for _, r := range ans.Data {
			if r != nil {
				list = append(list, Received{string(r.DocID), string(r.ServiceType), string(r.MessageType), string(r.CreatedTime),
					string(r.UpdatedTime), string(r.From), string(r.To), string(r.Status), string(r.StatusDesc)})
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// clientSentJSON is a Sent whose fields may come as JSON strings or numbers.
type clientSentJSON struct {
	ServiceType       Flex `json:"serviceType"`
	SenderDocID       Flex `json:"senderDocId"`
	ReceiverDocID     Flex `json:"receiverDocId"`
	FromCode          Flex `json:"fromCode"`
	ToCode            Flex `json:"toCode"`
	Title             Flex `json:"title"`
	Notation          Flex `json:"notation"`
	MessageType       Flex `json:"messageType"`
	SentTime          Flex `json:"sentTime"`
	ReceivedTime      Flex `json:"receivedTime"`
	SendStatus        Flex `json:"sendStatus"`
	SendStatusDesc    Flex `json:"sendStatusDesc"`
	ReceiveStatus     Flex `json:"receiveStatus"`
	ReceiveStatusDesc Flex `json:"receiveStatusDesc"`
}

// Sent calls getSentEdocList: the deliveries of what the caller sent, of one message type,
// of one document when docID (the sender's DocId) is not empty.
func (c *Client) Sent(ctx context.Context, messageType, docID string) ([]Sent, error) {
	if err := clientMessageType(messageType); err != nil {
		return nil, err
	}
	own := []Param{{"servicetype", ServiceEdoc}, {"messagetype", messageType}}
	if docID != "" {
		if err := clientCheckValue("docId", docID); err != nil {
			return nil, err
		}
		own = append(own, Param{"docId", docID})
	}
	k := c.jsonCall("getSentEdocList", PathSent, own, "")
	var list []Sent
	err := c.do(ctx, k, func(resp *http.Response) (bool, error) {
		t, retry, err := c.answer(k, resp)
		if err != nil {
			return retry, err
		}
		var ans struct {
			Data []*clientSentJSON `json:"data"`
		}
		if err := clientFields(k, t, &ans); err != nil {
			return false, err
		}
		list = make([]Sent, 0, len(ans.Data))
		for _, s := range ans.Data {
			if s != nil {
				list = append(list, Sent{string(s.ServiceType), string(s.SenderDocID), string(s.ReceiverDocID), string(s.FromCode),
					string(s.ToCode), string(s.Title), string(s.Notation), string(s.MessageType), string(s.SentTime),
					string(s.ReceivedTime), string(s.SendStatus), string(s.SendStatusDesc), string(s.ReceiveStatus),
					string(s.ReceiveStatusDesc)})
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// GetEdoc calls getEdoc (docId = an inbox entry's DocID, filePath "xml" as the SDK's example
// sends it) and returns the document's bytes, decoded from the answer's base64 untouched.
func (c *Client) GetEdoc(ctx context.Context, docID string) ([]byte, error) {
	if err := clientRequire("docId", docID); err != nil {
		return nil, err
	}
	k := c.jsonCall("getEdoc", PathGetEdoc, []Param{{"docId", docID}, {"filePath", clientFilePath}}, "{}")
	var doc []byte
	err := c.do(ctx, k, func(resp *http.Response) (bool, error) {
		// one pass over the answer, status and data together: the data is the whole document
		b, err := clientReadSized(c.capped(resp.Body), resp.ContentLength, c.maxAnswer)
		if err != nil {
			return clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", err))
		}
		a, data, hasData, err := decodeEdocAnswer(clientSkipBOM(b))
		switch {
		case err != nil:
			return !k.send && clientGateway(resp.StatusCode),
				clientTransport(k, fmt.Errorf("the platform's answer is not JSON with a base64 document: %v (HTTP %s, %s)", err, resp.Status, clientSnippet(b)))
		case a.Status == "":
			return false, clientTransport(k, fmt.Errorf("the platform's JSON answer has no status (HTTP %s, %s)", resp.Status, clientSnippet(b)))
		case a.Err() != nil:
			return false, a.Err()
		case !hasData:
			return false, &TransportError{k.name, errors.New("the platform said OK without the document (no data)")}
		}
		doc = data
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// clientWriter remembers the error of the caller's writer, to tell it from a read error.
type clientWriter struct {
	w   io.Writer
	err error
}

func (cw *clientWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	if err != nil {
		cw.err = err
	}
	return n, err
}

// Download calls downloadEdoc (a GET with getEdoc's parameters) and streams the raw document
// to w, returning the bytes written. An answer that does not look like XML (its first byte
// after an optional UTF-8 BOM and whitespace is not '<') is a JSON error answer: nothing is
// written, and the platform's refusal is returned as *APIError (anything else as
// *TransportError). A call is retried only while nothing was written; after a failure w may
// hold part of the document.
func (c *Client) Download(ctx context.Context, docID string, w io.Writer) (int64, error) {
	if err := clientRequire("docId", docID); err != nil {
		return 0, err
	}
	k := &clientCall{name: "downloadEdoc", method: http.MethodGet, path: PathDownloadEdoc, contentType: ContentJSON,
		own: []Param{{"docId", docID}, {"filePath", clientFilePath}}}
	var written int64
	err := c.do(ctx, k, func(resp *http.Response) (bool, error) {
		br := bufio.NewReaderSize(c.capped(resp.Body), clientPeekMax)
		xml, err := clientLooksXML(br)
		if err != nil {
			return clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", err))
		}
		if !xml {
			b, err := io.ReadAll(br)
			if err != nil {
				return clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the platform's answer: %w", err))
			}
			if _, retry, err := c.envelope(k, resp, b); err != nil {
				return retry, err
			}
			return false, &TransportError{k.name, fmt.Errorf("the platform answered OK in JSON instead of the document (HTTP %s, %s)", resp.Status, clientSnippet(b))}
		}
		cw := &clientWriter{w: w}
		n, err := io.Copy(cw, br)
		written += n
		switch {
		case cw.err != nil:
			return false, fmt.Errorf("exchange: downloadEdoc: writing the document: %w", cw.err)
		case err != nil:
			return written == 0 && clientReadRetry(k, err), clientTransport(k, fmt.Errorf("reading the document after %d bytes: %w", written, err))
		}
		return false, nil
	})
	return written, err
}

// clientLooksXML peeks (without consuming) at the answer's first significant byte.
func clientLooksXML(br *bufio.Reader) (bool, error) {
	for size := 512; ; size *= 2 {
		size = min(size, clientPeekMax)
		b, err := br.Peek(size)
		t := clientSkipBOM(b)
		if len(t) > 0 {
			return t[0] == '<', nil
		}
		if err == io.EOF || size == clientPeekMax {
			return false, nil // empty or only white space: not a document
		}
		if err != nil {
			return false, err
		}
	}
}

// UpdateStatus calls updateStatus: the transport acknowledgement of a received document
// (AckDone, AckFail, AckProcessing).
func (c *Client) UpdateStatus(ctx context.Context, docID, status string) error {
	if err := clientRequire("docId", docID); err != nil {
		return err
	}
	if err := clientRequire("status", status); err != nil {
		return err
	}
	k := c.jsonCall("updateStatus", PathUpdateStatus, []Param{{"docId", docID}, {"status", status}}, "{}")
	return c.do(ctx, k, func(resp *http.Response) (bool, error) {
		_, retry, err := c.answer(k, resp)
		return retry, err
	})
}

// CountReceived calls countReceiveEdoc (MessageEdoc) or countReceiveStatus (MessageStatus):
// the number of pending documents or status messages. An OK answer without count is a
// *TransportError.
func (c *Client) CountReceived(ctx context.Context, messageType string) (int, error) {
	var k *clientCall
	switch messageType {
	case MessageEdoc:
		k = c.jsonCall("countReceiveEdoc", PathCountEdoc, nil, "{}")
	case MessageStatus:
		k = c.jsonCall("countReceiveStatus", PathCountStatus, nil, "{}")
	default:
		return 0, fmt.Errorf("exchange: message type %q: counts exist for %q and %q", messageType, MessageEdoc, MessageStatus)
	}
	var count int
	err := c.do(ctx, k, func(resp *http.Response) (bool, error) {
		t, retry, err := c.answer(k, resp)
		if err != nil {
			return retry, err
		}
		var ans struct {
			Count *Flex `json:"count"`
		}
		if err := clientFields(k, t, &ans); err != nil {
			return false, err
		}
		if ans.Count == nil {
			return false, &TransportError{k.name, errors.New("the platform said OK without a count")}
		}
		n, err := strconv.Atoi(string(*ans.Count))
		if err != nil || n < 0 {
			return false, &TransportError{k.name, fmt.Errorf("the platform's count %q is not a number", string(*ans.Count))}
		}
		count = n
		return false, nil
	})
	return count, err
}
