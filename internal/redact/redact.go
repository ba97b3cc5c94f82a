// Package redact hides secrets in what vbdt prints or logs: the PIN of a key URI (pin-value=,
// RFC 7512) and the password of a DSN or URL (postgres://clerk:PASSWORD@db/vbdt, ?password=).
// Every key URI, register DSN and TSA URL that reaches a person or a log goes through String,
// and so does every error message, as a last line of defence.
package redact

import (
	"regexp"
	"strings"
)

// Mask stands in for a hidden secret.
const Mask = "REDACTED"

var (
	// secretAttr is an attribute whose value is a secret: a key URI's pin-value, a DSN's
	// password or sslpassword. The value runs to the next separator, so that a value which is
	// not percent-encoded as it should be is hidden whole. Leftmost matching tells sslpassword
	// from password.
	secretAttr = regexp.MustCompile(`(?i)(pin-value|sslpassword|password)=[^&;\s]*`)
	// urlLike is a URL up to the space or quote that ends it.
	urlLike = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)
)

// String returns s with every secret in it replaced by Mask. s may be a URI or DSN, parsable or
// not, or a message that holds some.
func String(s string) string {
	s = secretAttr.ReplaceAllStringFunc(s, maskValue)
	return urlLike.ReplaceAllStringFunc(s, hidePassword)
}

// maskValue masks the value of name=value. A value masked already keeps the punctuation that
// follows it in a message ("key pkcs11:…?pin-value=REDACTED: …"), so masking twice changes nothing.
func maskValue(attr string) string {
	name, value, _ := strings.Cut(attr, "=")
	if rest, ok := strings.CutPrefix(value, Mask); ok && strings.Trim(rest, `.,:)]}"'`) == "" {
		return attr
	}
	return name + "=" + Mask
}

// hidePassword hides the password of user:password@ in a URL. The user information ends at the
// last @: a password that should have been percent-encoded may hold @, / or ?. A URL with a
// port and an @ later on (https://tsa:8443/a@b) loses more than its password, never less.
func hidePassword(u string) string {
	i := strings.Index(u, "://") + len("://")
	at := strings.LastIndex(u, "@")
	if at < i {
		return u
	}
	colon := strings.Index(u[i:at], ":")
	if colon < 0 {
		return u
	}
	return u[:i+colon+1] + Mask + u[at:]
}
