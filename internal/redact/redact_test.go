package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// key URIs, parsable or not
		{"pkcs11:token=A?pin-value=s3cr3t", "pkcs11:token=A?pin-value=REDACTED"},
		{"pkcs11:token=A?module-path=/m.so&pin-value=s3cr3t", "pkcs11:token=A?module-path=/m.so&pin-value=REDACTED"},
		{"file:a.p12?pin-value=s3cr3t", "file:a.p12?pin-value=REDACTED"},
		{"pkcs11:token=A;bogus=1?pin-value=s3cr3t", "pkcs11:token=A;bogus=1?pin-value=REDACTED"},
		{"pkcs11:token=A?pin-value=s3cr3t&module-path=/m.so;x", "pkcs11:token=A?pin-value=REDACTED&module-path=/m.so;x"},
		{"pkcs11:token=A?PIN-VALUE=s3cr3t", "pkcs11:token=A?PIN-VALUE=REDACTED"},
		{"pkcs11:token=A?pin-value=s3cr3t&pin-value=t0p", "pkcs11:token=A?pin-value=REDACTED&pin-value=REDACTED"},
		{"pkcs11:token=A?pin-value=", "pkcs11:token=A?pin-value=REDACTED"},
		// DSNs and URLs
		{"postgres://clerk:s3cr3t@db.example:5432/vbdt", "postgres://clerk:REDACTED@db.example:5432/vbdt"},
		{"postgresql://clerk:s3cr3t@db/vbdt?sslmode=require", "postgresql://clerk:REDACTED@db/vbdt?sslmode=require"},
		{"postgres://clerk@db/vbdt?password=s3cr3t&sslmode=disable", "postgres://clerk@db/vbdt?password=REDACTED&sslmode=disable"},
		{"postgres://clerk@db/vbdt?sslpassword=s3cr3t", "postgres://clerk@db/vbdt?sslpassword=REDACTED"},
		{"postgres://clerk:s3@cr/3t@db/vbdt", "postgres://clerk:REDACTED@db/vbdt"}, // not percent-encoded
		{"postgres://clerk:s3cr?3t@db/vbdt", "postgres://clerk:REDACTED@db/vbdt"},
		{"https://tsa:s3cr3t@tsa.example/ts", "https://tsa:REDACTED@tsa.example/ts"},
		{"mysql://u:s3cr3t@h/db", "mysql://u:REDACTED@h/db"},
		// within messages
		{`register "postgres://clerk:s3cr3t@db/vbdt" must be a file path`, `register "postgres://clerk:REDACTED@db/vbdt" must be a file path`},
		{"key pkcs11:token=A?pin-value=s3cr3t: not found", "key pkcs11:token=A?pin-value=REDACTED not found"}, // the PIN may end in ':'
		{"pkcs11:token=A?pin-value=REDACTED1234", "pkcs11:token=A?pin-value=REDACTED"},
		{"two: postgres://a:s3cr3t@h/x and https://b:t0p@h/y", "two: postgres://a:REDACTED@h/x and https://b:REDACTED@h/y"},
		// nothing to hide
		{"postgres://clerk@db:5432/vbdt", "postgres://clerk@db:5432/vbdt"},
		{"postgres://db:5432/vbdt", "postgres://db:5432/vbdt"},
		{"https://tsa.example/ts?client=a@b", "https://tsa.example/ts?client=a@b"},
		{"vbdt-register.db", "vbdt-register.db"},
		{"pkcs11:token=A;object=B?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin", "pkcs11:token=A;object=B?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin"},
		{"", ""},
	} {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		// a message built from masked parts is masked again as a whole
		msg := "key " + tt.want + ": not found"
		if got := String(msg); got != msg {
			t.Errorf("masking twice: String(%q) = %q", msg, got)
		}
	}
}

// FuzzString: a pin-value or URL password, whatever surrounds it, never survives String.
func FuzzString(f *testing.F) {
	f.Add("pkcs11:token=A?", "&module-path=/m.so", "s3cr3t")
	f.Add("postgres://clerk:", "@db/vbdt", "s3cr3t")
	f.Add(`register "postgres://u:`, `@h/db" is bad`, "p@ss/w?rd")
	f.Fuzz(func(t *testing.T, before, after, secret string) {
		// a secret as a person writes it: no separators and no spaces, which end the value
		if len(secret) < 4 || strings.ContainsAny(secret, "&; \t\n\r\f\v\"'<>") ||
			strings.Contains(before+after, secret) || strings.Contains(Mask, secret) || strings.HasPrefix(secret, Mask) {
			return
		}
		const slot = " <secret> " // a space: never part of a secret
		if strings.Contains(before+after, slot) {
			return
		}
		for _, tmpl := range []string{
			before + "pin-value=" + slot + after,
			"postgres://user:" + slot + "@db/vbdt " + before + after,
		} {
			// the text around the secret may spell it by itself ("000" + "pin-value" holds
			// "000p"): only a secret that the masked text does not hold can be found leaking
			if strings.Contains(strings.Replace(tmpl, slot, Mask, 1), secret) {
				continue
			}
			in := strings.Replace(tmpl, slot, secret, 1)
			if out := String(in); strings.Contains(out, secret) {
				t.Fatalf("String(%q) = %q keeps the secret", in, out)
			}
		}
	})
}
