package keys

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vbdt/vbdt/internal/redact"
)

// URI is a parsed --key value: file:PATH[?cert=…&pin-source=…] or an RFC 7512 pkcs11: URI.
type URI struct {
	Scheme string            // "file" or "pkcs11"
	Path   string            // file: the key file
	Attrs  map[string]string // pkcs11: path attributes (token, object, id, …), decoded
	Query  map[string]string // query attributes (module-path, pin-source, cert, …), decoded
}

// Path attributes of RFC 7512 §2.3.
var pkcs11PathAttrs = []string{"token", "manufacturer", "serial", "model", "library-manufacturer",
	"library-description", "library-version", "object", "type", "id", "slot-description",
	"slot-manufacturer", "slot-id"}

// Query attributes: RFC 7512's, plus cert (a side file with the certificate chain).
var queryAttrs = []string{"pin-source", "pin-value", "module-name", "module-path", "cert"}

// ParseURI parses a key URI. Errors name the offending part; they never echo a PIN.
func ParseURI(s string) (*URI, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("key URI must start with file: or pkcs11:")
	}
	u := &URI{Scheme: strings.ToLower(scheme), Attrs: map[string]string{}, Query: map[string]string{}}
	path, query, _ := strings.Cut(rest, "?")
	if err := parseAttrs(u.Query, query, "&", queryAttrs); err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "file":
		if strings.HasPrefix(path, "//") { // file:///abs or file://localhost/abs
			host, p, _ := strings.Cut(path[2:], "/")
			if host != "" && host != "localhost" {
				return nil, fmt.Errorf("file URI with host %q: only local files are supported", host)
			}
			path = "/" + p
		}
		p, err := url.PathUnescape(path)
		if err != nil {
			return nil, fmt.Errorf("file URI path: %w", err)
		}
		if p == "" {
			return nil, fmt.Errorf("file URI names no file")
		}
		u.Path = p
		delete(u.Query, "module-name")
		if _, bad := u.Query["module-path"]; bad {
			return nil, fmt.Errorf("module-path belongs to pkcs11: URIs, not file:")
		}
	case "pkcs11":
		if err := parseAttrs(u.Attrs, path, ";", pkcs11PathAttrs); err != nil {
			return nil, err
		}
		if t := u.Attrs["type"]; t != "" && t != "private" {
			return nil, fmt.Errorf("pkcs11 URI type=%s: a signing key is type=private", t)
		}
	default:
		return nil, fmt.Errorf("unknown key URI scheme %q: use file: or pkcs11:", scheme)
	}
	return u, nil
}

func parseAttrs(dst map[string]string, s, sep string, known []string) error {
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, sep) {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("key URI attribute %q has no value", k)
		}
		k = strings.ToLower(k)
		if !slices.Contains(known, k) && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("unknown key URI attribute %q (known: %s)", k, strings.Join(known, ", "))
		}
		if _, dup := dst[k]; dup {
			return fmt.Errorf("key URI attribute %q given twice", k)
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			if k == "pin-value" {
				return fmt.Errorf("key URI attribute pin-value is badly percent-encoded")
			}
			return fmt.Errorf("key URI attribute %s: %w", k, err)
		}
		dst[k] = dv
	}
	return nil
}

// String renders the URI with any pin-value redacted: safe to print and log.
func (u *URI) String() string {
	var b strings.Builder
	b.WriteString(u.Scheme + ":")
	if u.Scheme == "file" {
		if strings.HasPrefix(u.Path, "/") {
			b.WriteString("//") // file:///abs keeps a path starting with // from reading as a host
		}
		b.WriteString(escape(u.Path, true))
	} else {
		writeAttrs(&b, u.Attrs, pkcs11PathAttrs, ";")
	}
	if len(u.Query) > 0 {
		b.WriteString("?")
		writeAttrs(&b, u.Query, queryAttrs, "&")
	}
	return b.String()
}

func writeAttrs(b *strings.Builder, m map[string]string, order []string, sep string) {
	keys := slices.Clone(order)
	for k := range m {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys[len(order):])
	first := true
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		if k == "pin-value" {
			v = redact.Mask
		}
		b.WriteString(k + "=" + escape(v, k == "module-path" || k == "pin-source" || k == "cert"))
	}
}

// escape percent-encodes what RFC 7512 does not allow literally in a value.
func escape(v string, path bool) string {
	var b strings.Builder
	for _, c := range []byte(v) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("-._~:[]@!$'()*+,", c) >= 0, path && c == '/':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
