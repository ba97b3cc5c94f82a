package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	_ "crypto/sha512" // SHA-384 and SHA-512 imprints
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/vbdt/vbdt/internal/cms"
	"github.com/vbdt/vbdt/internal/redact"
)

// Defaults of a TSA.
const (
	DefaultTSATimeout = 30 * time.Second
	DefaultTSARetries = 2
	DefaultTSABackoff = 500 * time.Millisecond
	maxTSAResponse    = 1 << 20
	maxTSABackoff     = 10 * time.Second
)

// TSA is an RFC 3161 time-stamping authority, for B-T signatures and document timestamps.
type TSA struct {
	URL string
	// Username and Password, when set, are sent as HTTP basic authentication, which commercial
	// TSAs often require (credentials in the URL's user information work too). Neither ever
	// appears in an error.
	Username, Password string
	// Policy, when set, is requested, and the token must be issued under it.
	Policy asn1.ObjectIdentifier
	// Hash makes the message imprint: SHA-256 (when 0), SHA-384 or SHA-512.
	Hash crypto.Hash
	// Client makes the requests (default: one with a DefaultTSATimeout timeout).
	Client *http.Client
	// Retries is how many times a request is repeated after a network failure or a 5xx status
	// (DefaultTSARetries when 0; negative: never). A timestamp request is idempotent, so asking
	// again is safe; a 4xx status or a bad token is not retried (it would fail the same way),
	// nor is a timeout (a TSA that did not answer in time will not answer sooner, and retrying
	// would multiply the wait of every document of a batch).
	Retries int
	// Backoff is the wait before the first retry, doubled before each next one
	// (DefaultTSABackoff when 0).
	Backoff time.Duration
}

// ParseTSA makes the TSA of a URL as configured (tsa.url, --tsa): user information in it
// (https://user:password@tsa.example/) becomes basic authentication, so that it is sent as a
// header rather than left in a URL that may be printed.
func ParseTSA(rawURL string) (*TSA, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, &Error{What: "TSA " + rawURL, Err: err}
	}
	u, _ := url.Parse(rawURL)
	t := &TSA{}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
		u.User = nil
	}
	t.URL = u.String()
	return t, nil
}

// Stamp asks the TSA for a timestamp token over data (a signature value) and checks the
// answer: the request was granted, the token echoes this request's random nonce, its message
// imprint is data's digest in the requested algorithm, it is issued under the requested
// policy, its signature verifies, and its signer certificate (which the token must carry: the
// request asks for it) has the critical timeStamping extended key usage and was valid at the
// token's time. Whether that certificate is trusted is for the verifier to judge.
func (t *TSA) Stamp(ctx context.Context, data []byte) (token []byte, ts *timestamp.Timestamp, err error) {
	h := t.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if !tsaHashAllowed(h) {
		return nil, nil, &Error{What: "TSA " + t.URL, Err: fmt.Errorf("the hash %v is not allowed (SHA-256, SHA-384 or SHA-512)", h)}
	}
	d := h.New()
	d.Write(data)
	return t.stamp(ctx, d.Sum(nil), h)
}

// StampDigest is Stamp for data already hashed with h (a document timestamp's byte ranges,
// hashed as they are written): it returns the checked token.
func (t *TSA) StampDigest(ctx context.Context, digest []byte, h crypto.Hash) ([]byte, error) {
	if !tsaHashAllowed(h) || len(digest) != h.Size() {
		return nil, &Error{What: "TSA " + t.URL, Err: fmt.Errorf("not a SHA-256, SHA-384 or SHA-512 digest")}
	}
	token, _, err := t.stamp(ctx, digest, h)
	return token, err
}

func tsaHashAllowed(h crypto.Hash) bool {
	return h == crypto.SHA256 || h == crypto.SHA384 || h == crypto.SHA512
}

func (t *TSA) stamp(ctx context.Context, digest []byte, h crypto.Hash) (token []byte, ts *timestamp.Timestamp, err error) {
	defer func() {
		if err != nil {
			err = &Error{What: "TSA " + t.URL, Err: err, secret: t.Password}
		}
	}()
	if err := checkURL(t.URL); err != nil {
		return nil, nil, err
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, nil, err
	}
	req, err := (&timestamp.Request{HashAlgorithm: h, HashedMessage: digest, Certificates: true,
		Nonce: nonce, TSAPolicyOID: t.Policy}).Marshal()
	if err != nil {
		return nil, nil, err
	}
	body, err := t.post(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	ts, err = checkTimestamp(body, digest, h, nonce, t.Policy)
	if err != nil {
		return nil, nil, err
	}
	return ts.RawToken, ts, nil
}

// post sends the request, retrying as Retries says, and returns the answer's body.
func (t *TSA) post(ctx context.Context, req []byte) ([]byte, error) {
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTSATimeout}
	}
	retries := t.Retries
	if retries == 0 {
		retries = DefaultTSARetries
	}
	wait := t.Backoff
	if wait <= 0 {
		wait = DefaultTSABackoff
	}
	for attempt := 0; ; attempt++ {
		body, retry, err := t.once(ctx, client, req)
		if err == nil {
			return body, nil
		}
		if !retry || attempt >= retries {
			if attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return nil, err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("%w (while waiting to retry after: %v)", netError(ctx, ctx.Err(), 0), err)
		case <-timer.C:
		}
		wait = min(2*wait, maxTSABackoff)
	}
}

// once makes one request and says whether a failure is worth retrying.
func (t *TSA) once(ctx context.Context, client *http.Client, req []byte) (body []byte, retry bool, err error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req))
	if err != nil {
		return nil, false, errors.New("bad URL")
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	hr.Header.Set("Accept", "application/timestamp-reply")
	if t.Username != "" || t.Password != "" {
		hr.SetBasicAuth(t.Username, t.Password)
	}
	resp, err := client.Do(hr)
	if err != nil {
		err = netError(ctx, err, client.Timeout)
		var te *TimeoutError
		return nil, ctx.Err() == nil && !errors.As(err, &te), err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode >= 500, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err = readBounded(ctx, resp.Body, maxTSAResponse, client.Timeout)
	if err != nil {
		var te *TimeoutError
		return nil, ctx.Err() == nil && !errors.As(err, &te), err
	}
	return body, false, nil
}

// checkTimestamp parses a TimeStampResp and checks it answers the request made with digest,
// h, nonce and policy.
func checkTimestamp(resp, digest []byte, h crypto.Hash, nonce *big.Int, policy asn1.ObjectIdentifier) (*timestamp.Timestamp, error) {
	status, ok := tspStatus(resp)
	if !ok {
		return nil, errors.New("the answer is not a timestamp response")
	}
	if status != 0 {
		why := fmt.Sprintf("status %d", status)
		if _, err := timestamp.ParseResponse(resp); err != nil {
			why = err.Error()
		}
		return nil, fmt.Errorf("the request was not granted: %s", why)
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("the token's signature does not verify or the token is malformed: %v", err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, errors.New("the token's nonce does not match the request")
	}
	if ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, digest) {
		return nil, errors.New("the token is over a different digest")
	}
	if policy != nil && !ts.Policy.Equal(policy) {
		return nil, fmt.Errorf("the token's policy %v is not the requested %v", ts.Policy, policy)
	}
	parsed, err := cms.ParseTimestamp(ts.RawToken, nil)
	if err != nil {
		if errors.Is(err, cms.ErrNoCertificate) {
			return nil, errors.New("the token does not carry its signer's certificate, though the request asked for it")
		}
		// cms refuses a signer without the usage, less plainly: say so first
		if sd, perr := cms.Parse(ts.RawToken); perr == nil && len(sd.Signers) > 0 {
			if c := sd.SignerCertificate(sd.Signers[0], nil); c != nil && !criticalTimeStamping(c) {
				return nil, noTimeStamping(c)
			}
		}
		return nil, fmt.Errorf("the token does not verify: %v", err)
	}
	signer := parsed.Signer
	if !criticalTimeStamping(signer) { // cms only notes a usage that is not critical
		return nil, noTimeStamping(signer)
	}
	if ts.Time.Before(signer.NotBefore) || ts.Time.After(signer.NotAfter) {
		return nil, fmt.Errorf("the token's signer certificate %q was not valid at the token's time %s", subject(signer), ts.Time.UTC().Format(time.RFC3339))
	}
	return ts, nil
}

func noTimeStamping(c *x509.Certificate) error {
	return fmt.Errorf("the token's signer certificate %q lacks the critical timeStamping extended key usage", subject(c))
}

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// criticalTimeStamping tells whether c's extended key usage is critical and includes
// timeStamping, as RFC 3161 requires of a TSA certificate.
func criticalTimeStamping(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) && !e.Critical {
			return false
		}
	}
	return hasEKU(c, x509.ExtKeyUsageTimeStamping)
}

// tspStatus reads the PKIStatus of a TimeStampResp.
func tspStatus(resp []byte) (int, bool) {
	s := cryptobyte.String(resp)
	var seq, info cryptobyte.String
	var status int
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&info, cbasn1.SEQUENCE) || !info.ReadASN1Integer(&status) {
		return 0, false
	}
	return status, true
}

// scrub hides secret in an error text, as a last line of defence against a server that echoes
// what it was sent. Secrets too short to be told from ordinary text are left alone.
func scrub(text, secret string) string {
	if len(secret) < 4 {
		return text
	}
	return strings.ReplaceAll(text, secret, redact.Mask)
}
