package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/vbdt/vbdt/internal/redact"
)

// TSA is an RFC 3161 time-stamping authority, for B-T signatures.
type TSA struct {
	URL    string
	Client *http.Client // http.DefaultClient with a 30 s timeout when nil
}

// maxTSAResponse bounds what is read from a TSA.
const maxTSAResponse = 1 << 20

// Stamp asks the TSA for a timestamp token over data (the signature value) and checks that the
// token is for that data and answers this request.
func (t *TSA) Stamp(ctx context.Context, data []byte, h crypto.Hash) ([]byte, *timestamp.Timestamp, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, nil, err
	}
	req, err := timestamp.CreateRequest(bytes.NewReader(data), &timestamp.RequestOptions{Hash: h, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req))
	if err != nil {
		return nil, nil, fmt.Errorf("TSA %s: %w", redact.String(t.URL), err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, nil, fmt.Errorf("TSA %s: %w", redact.String(t.URL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse))
	if err != nil {
		return nil, nil, fmt.Errorf("TSA %s: %w", redact.String(t.URL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("TSA %s answered %s", redact.String(t.URL), resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, nil, fmt.Errorf("TSA %s: %w", redact.String(t.URL), err)
	}
	digest := h.New()
	digest.Write(data)
	if !bytes.Equal(ts.HashedMessage, digest.Sum(nil)) || ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, nil, fmt.Errorf("TSA %s: the token is not for this request", redact.String(t.URL))
	}
	return ts.RawToken, ts, nil
}
