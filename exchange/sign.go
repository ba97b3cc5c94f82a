// Package exchange speaks the national document-exchange platform's HTTP API exactly as its
// Java SDK does (EXCHANGE.md): every request parameter an `XroadVnpt-*` header, the header set
// signed with HMAC-SHA256 of the system's secret. It holds the client vbdt sends and receives
// envelopes with, and Server, a local stand-in of the platform that the SDK itself can talk to.
package exchange

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Header prefixes and fixed headers of the protocol.
const (
	Prefix        = "XroadVnpt-"
	SignHeaderKey = Prefix + "sign-header-key"
	SignHeader    = Prefix + "sign-header"
	HashHeader    = Prefix + "hash-header"
	UserAgent     = "JAVASDKAgent/1.0.0 XRoad/VPCP"
	Version       = "3.0.201608"
)

// Param is one signed request parameter: sent as XroadVnpt-<Name>: <Value>.
type Param struct{ Name, Value string }

// Params are a request's parameters in the order they are signed.
type Params []Param

// Get returns a parameter's value ("" when absent). Names compare case-insensitively, as
// HTTP header names do.
func (ps Params) Get(name string) string {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return ""
}

// Timestamp is the SDK's timestamp, ddMMyyyy'T'HHmmss then "+" and the milliseconds on
// four digits (not a zone).
func Timestamp(t time.Time) string {
	return t.Format("02012006T150405") + fmt.Sprintf("+%04d", t.Nanosecond()/1e6)
}

// ParseTimestamp reads a timestamp of the SDK's form.
func ParseTimestamp(s string, loc *time.Location) (time.Time, error) {
	date, ms, ok := strings.Cut(s, "+")
	if !ok || len(ms) != 4 {
		return time.Time{}, fmt.Errorf("timestamp %q is not ddMMyyyyTHHmmss+SSSS", s)
	}
	t, err := time.ParseInLocation("02012006T150405", date, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not ddMMyyyyTHHmmss+SSSS", s)
	}
	n, err := strconv.Atoi(ms)
	if err != nil || n > 999 {
		return time.Time{}, fmt.Errorf("timestamp %q: %q is not milliseconds", s, ms)
	}
	return t.Add(time.Duration(n) * time.Millisecond), nil
}

// SignedJSON is the XroadVnpt-sign-header value: a compact JSON object of the prefixed names
// and their values in order, escaped as Gson 2.2 escapes (", \, control characters and
// U+2028/2029; not <>&=' and not other non-ASCII).
func (ps Params) SignedJSON() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		gsonString(&b, Prefix+p.Name)
		b.WriteByte(':')
		gsonString(&b, p.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// KeyList is the XroadVnpt-sign-header-key value: the names joined with ";".
func (ps Params) KeyList() string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ";")
}

func gsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20, r == 0x2028, r == 0x2029:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// HMAC is the XroadVnpt-hash-header value: lowercase hex of HMAC-SHA256 keyed with the secret
// string's bytes (used as they are, not decoded) over the signed JSON.
func HMAC(secret, signedJSON string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signedJSON))
	return hex.EncodeToString(m.Sum(nil))
}

// HashFile is the SDK's hash-file value: the SHA-256 of the file with each byte in hex
// without zero padding (Java's Integer.toHexString), 32 to 64 characters.
func HashFile(sum []byte) string {
	var b strings.Builder
	for _, c := range sum {
		b.WriteString(strconv.FormatUint(uint64(c), 16))
	}
	return b.String()
}

// SetHeaders writes a request's headers as the SDK does: Content-Type, then XroadVnpt-<name>
// for every parameter (Content-Type among them), the key list, the signed JSON, its HMAC, the
// User-Agent and the version. contentType is also signed, as the SDK signs it: params must
// end with it where the SDK puts it.
func SetHeaders(h http.Header, ps Params, secret string) {
	h.Set("Content-Type", ps.Get("Content-Type"))
	for _, p := range ps {
		h.Set(Prefix+p.Name, p.Value)
	}
	js := ps.SignedJSON()
	h.Set(SignHeaderKey, ps.KeyList())
	h.Set(SignHeader, js)
	h.Set(HashHeader, HMAC(secret, js))
	h.Set("User-Agent", UserAgent)
	h.Set(Prefix+"version", Version)
}

// Signature errors a server answers with.
var (
	ErrUnsigned     = errors.New("the request is not signed (no XroadVnpt-sign-header-key, sign-header or hash-header)")
	ErrBadSignature = errors.New("the signature (XroadVnpt-hash-header) does not match")
)

// VerifyHeaders checks a request's signature against the secret of the system it names, and
// returns its parameters in the signed order. The signed JSON is checked as sent (its HMAC),
// and each of its values must be the one in the corresponding XroadVnpt- header; the key list
// must name the same parameters. secretOf returns the secret of a systemid ("" unknown).
func VerifyHeaders(h http.Header, secretOf func(systemID string) string) (Params, error) {
	keys, js, mac := h.Get(SignHeaderKey), h.Get(SignHeader), h.Get(HashHeader)
	if keys == "" || js == "" || mac == "" {
		return nil, ErrUnsigned
	}
	if !utf8.ValidString(js) {
		return nil, fmt.Errorf("%w: the signed header is not UTF-8", ErrBadSignature)
	}
	ps, err := parseSignedJSON(js)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	names := strings.Split(keys, ";")
	if len(names) != len(ps) {
		return nil, fmt.Errorf("%w: the key list names %d headers, the signed header %d", ErrBadSignature, len(names), len(ps))
	}
	for i, p := range ps {
		if !strings.EqualFold(names[i], p.Name) {
			return nil, fmt.Errorf("%w: the key list and the signed header differ at %q", ErrBadSignature, names[i])
		}
		if got := h.Get(Prefix + p.Name); got != p.Value {
			return nil, fmt.Errorf("%w: header %s%s is %q, signed as %q", ErrBadSignature, Prefix, p.Name, got, p.Value)
		}
	}
	system := ps.Get("systemid")
	if system == "" {
		return nil, fmt.Errorf("%w: no systemid is signed", ErrBadSignature)
	}
	secret := secretOf(system)
	if secret == "" {
		return ps, fmt.Errorf("%w: unknown system %q", ErrBadSignature, system)
	}
	if !hmac.Equal([]byte(strings.ToLower(mac)), []byte(HMAC(secret, js))) {
		return ps, ErrBadSignature
	}
	return ps, nil
}

// parseSignedJSON reads the signed header's object, keeping its order; keys lose their
// XroadVnpt- prefix.
func parseSignedJSON(js string) (Params, error) {
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the signed header is not a JSON object")
	}
	var ps Params
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		name, ok := strings.CutPrefix(key, Prefix)
		if !ok {
			return nil, fmt.Errorf("the signed header's key %q lacks %s", key, Prefix)
		}
		v, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value string
		switch x := v.(type) {
		case string:
			value = x
		case json.Number:
			value = x.String()
		default:
			return nil, fmt.Errorf("the signed header's %q is not a string", key)
		}
		ps = append(ps, Param{name, value})
		if len(ps) > 64 {
			return nil, errors.New("more than 64 signed headers")
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return ps, nil
}
