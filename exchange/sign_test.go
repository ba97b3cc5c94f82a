package exchange

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// EXCHANGE.md §2's worked example: secret "stub-secret", the getAgenciesList header set.
func TestWorkedSignatureExample(t *testing.T) {
	ps := Params{{"systemid", "000.00.00.G22"}, {"timestamp", "24102025T101500+0123"}, {"Content-Type", "application/json"}}
	js := ps.SignedJSON()
	if want := `{"XroadVnpt-systemid":"000.00.00.G22","XroadVnpt-timestamp":"24102025T101500+0123","XroadVnpt-Content-Type":"application/json"}`; js != want {
		t.Fatalf("sign-header\n%s\nwant\n%s", js, want)
	}
	if got := HMAC("stub-secret", js); got != "95b3d84c5a6c730ec8ceae2a10dfafbaff37adf5bde2adf2b3a49e73edf20434" {
		t.Fatalf("hash-header %s", got)
	}
	if ps.KeyList() != "systemid;timestamp;Content-Type" {
		t.Fatal(ps.KeyList())
	}
	h := http.Header{}
	SetHeaders(h, ps, "stub-secret")
	for name, want := range map[string]string{"Content-Type": "application/json", "XroadVnpt-systemid": "000.00.00.G22",
		"XroadVnpt-Content-Type": "application/json", "XroadVnpt-hash-header": "95b3d84c5a6c730ec8ceae2a10dfafbaff37adf5bde2adf2b3a49e73edf20434",
		"User-Agent": UserAgent, "XroadVnpt-version": Version} {
		if h.Get(name) != want {
			t.Errorf("%s: %q, want %q", name, h.Get(name), want)
		}
	}
	secrets := func(id string) string { return map[string]string{"000.00.00.G22": "stub-secret"}[id] }
	if got, err := VerifyHeaders(h, secrets); err != nil || got.Get("timestamp") != "24102025T101500+0123" {
		t.Fatalf("verify: %v %v", got, err)
	}
	// a wrong secret, a changed value, a value not the one signed
	if _, err := VerifyHeaders(h, func(string) string { return "other" }); err == nil {
		t.Error("a wrong secret verifies")
	}
	h.Set("XroadVnpt-systemid", "000.00.00.H41")
	if _, err := VerifyHeaders(h, secrets); err == nil {
		t.Error("a header other than the signed one verifies")
	}
}

// Gson's escaping: quotes, backslashes, control characters and U+2028/2029; not <>&=' nor
// other non-ASCII.
func TestSignedJSONEscaping(t *testing.T) {
	ps := Params{{"x", "a\"b\\c\n\u0001<>&='Đ\u2028"}}
	if got, want := ps.SignedJSON(), `{"XroadVnpt-x":"a\"b\\c\n\u0001<>&='Đ\u2028"}`; got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
	back, err := parseSignedJSON(ps.SignedJSON())
	if err != nil || back[0] != ps[0] {
		t.Errorf("%q %v", back, err)
	}
}

// The SDK writes each byte of the SHA-256 without zero padding: edoc_update.edxml's
// 90da13a5…106a0cc7083cd9a7 goes as …106acc783cd9a7.
func TestHashFile(t *testing.T) {
	if got := HashFile([]byte{0x10, 0x6a, 0x0c, 0xc7, 0x08, 0x3c, 0xd9, 0xa7}); got != "106acc783cd9a7" {
		t.Errorf("%s", got)
	}
	p := filepath.Join("..", "..", "shared", "interop", "edxml", "edoc_update.edxml")
	data, err := os.ReadFile(p)
	if err != nil {
		testenv.Need(t, fmt.Sprintf("../shared beside the repository: %v", err))
	}
	sum := sha256.Sum256(data)
	if got := HashFile(sum[:]); got != "90da13a57ed0e9a52280b620384dd33d9ca278f6fd7cb38e106acc783cd9a7" {
		t.Errorf("edoc_update.edxml: %s", got)
	}
}

func TestTimestamp(t *testing.T) {
	at := time.Date(2025, 10, 24, 10, 15, 0, 123e6, time.UTC)
	if got := Timestamp(at); got != "24102025T101500+0123" {
		t.Errorf("%s", got)
	}
	back, err := ParseTimestamp("24102025T101500+0123", time.UTC)
	if err != nil || !back.Equal(at) {
		t.Errorf("%v %v", back, err)
	}
	for _, bad := range []string{"2025-10-24", "24102025T101500", "24102025T101500+12345", "24132025T101500+0000"} {
		if _, err := ParseTimestamp(bad, time.UTC); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
}
