package keys

import (
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in      string
		scheme  string
		path    string
		attrs   map[string]string
		query   map[string]string
		wantErr string
	}{
		{in: "file:signer.p12", scheme: "file", path: "signer.p12"},
		{in: "file:///etc/vbdt/a%20b.p12", scheme: "file", path: "/etc/vbdt/a b.p12"},
		{in: "file://localhost/k.pem?cert=chain.pem", scheme: "file", path: "/k.pem", query: map[string]string{"cert": "chain.pem"}},
		{in: "file:key.pem?cert=chain.pem&pin-source=file:/run/pin", scheme: "file", path: "key.pem",
			query: map[string]string{"cert": "chain.pem", "pin-source": "file:/run/pin"}},
		{in: "pkcs11:token=My%20Token;object=approver;id=%01%02?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:P",
			scheme: "pkcs11", attrs: map[string]string{"token": "My Token", "object": "approver", "id": "\x01\x02"},
			query: map[string]string{"module-path": "/usr/lib/softhsm/libsofthsm2.so", "pin-source": "env:P"}},
		{in: "PKCS11:token=Ủy%20ban;type=private", scheme: "pkcs11", attrs: map[string]string{"token": "Ủy ban", "type": "private"}},
		{in: "pkcs11:", scheme: "pkcs11"},
		{in: "pkcs11:x-vendor=1", scheme: "pkcs11", attrs: map[string]string{"x-vendor": "1"}},
		{in: "signer.p12", wantErr: "must start with"},
		{in: "http://x/y", wantErr: "unknown key URI scheme"},
		{in: "file:", wantErr: "names no file"},
		{in: "file://host/k.p12", wantErr: "only local files"},
		{in: "file:k.p12?module-path=/x.so", wantErr: "module-path belongs"},
		{in: "pkcs11:tokn=A", wantErr: `unknown key URI attribute "tokn"`},
		{in: "pkcs11:token=A;token=B", wantErr: "given twice"},
		{in: "pkcs11:token", wantErr: "has no value"},
		{in: "pkcs11:token=%zz", wantErr: "token"},
		{in: "pkcs11:type=cert", wantErr: "type=private"},
		{in: "pkcs11:token=A?pin-value=%zz", wantErr: "pin-value is badly percent-encoded"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURI(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURI(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != tt.scheme || u.Path != tt.path {
				t.Errorf("got scheme %q path %q", u.Scheme, u.Path)
			}
			for k, v := range tt.attrs {
				if u.Attrs[k] != v {
					t.Errorf("attr %s = %q, want %q", k, u.Attrs[k], v)
				}
			}
			for k, v := range tt.query {
				if u.Query[k] != v {
					t.Errorf("query %s = %q, want %q", k, u.Query[k], v)
				}
			}
			if len(u.Attrs) != len(tt.attrs) || len(u.Query) != len(tt.query) {
				t.Errorf("extra attributes: %v %v", u.Attrs, u.Query)
			}
		})
	}
}

func TestURIHidesPIN(t *testing.T) {
	for _, in := range []string{
		"pkcs11:token=A?pin-value=s3cr3t",
		"pkcs11:token=A?module-path=/m.so&pin-value=s3cr3t",
		"file:a.p12?pin-value=s3cr3t",
		"pkcs11:token=A;bogus=1?pin-value=s3cr3t", // does not parse
		"pkcs11:token=A?pin-value=s3cr3t&module-path=/m.so;x",
		"pkcs11:token=A?pin-value=0ther&pin-value=s3cr3t", // given twice
		"pkcs11:token=A?pin-value=s3cr3t%zz",
	} {
		u, err := ParseURI(in)
		if err != nil {
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error echoes the PIN: %v", err)
			}
			continue
		}
		if got := u.String(); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "pin-value=REDACTED") {
			t.Errorf("String() of %q = %q", in, got)
		}
	}
}

func TestURIStringRoundTrip(t *testing.T) {
	for _, in := range []string{
		"pkcs11:token=My%20Token;object=appr%3Bover;id=%01%FF?module-path=/usr/lib/a%20b.so&pin-source=file:/p",
		"file:/tmp/a%3Fb.p12?cert=/tmp/chain.pem",
		"pkcs11:token=%C6%AF",
	} {
		u, err := ParseURI(in)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := ParseURI(u.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", u.String(), err)
		}
		if u2.String() != u.String() || u2.Path != u.Path || len(u2.Attrs) != len(u.Attrs) {
			t.Errorf("round trip %q -> %q -> %q", in, u, u2)
		}
	}
}

// FuzzParseURI: parsing never panics, never echoes a pin-value in errors or String, and a parsed
// URI's String parses back to the same attributes.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"file:a.p12", "pkcs11:token=A;object=B;id=%01?module-path=/m.so&pin-value=1234",
		"file:///x?cert=y", "pkcs11:token=%zz", "pkcs11:;;?&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		out := u.String()
		if _, ok := u.Query["pin-value"]; ok {
			if !strings.Contains(out, "pin-value=REDACTED") || strings.Count(out, "pin-value=") != 1 {
				t.Fatalf("String() %q does not redact the PIN", out)
			}
			return // the redacted URI has another pin-value by design
		}
		u2, err := ParseURI(out)
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", out, s, err)
		}
		for k, v := range u.Attrs {
			if u2.Attrs[k] != v {
				t.Fatalf("attr %s: %q -> %q (via %q)", k, v, u2.Attrs[k], out)
			}
		}
		if u2.Path != u.Path {
			t.Fatalf("path %q -> %q (via %q)", u.Path, u2.Path, out)
		}
	})
}
