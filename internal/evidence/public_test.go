package evidence

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A Fetcher told to use public responders only refuses inside addresses, whatever the URL
// says: a loopback server, and addresses of each inside kind.
func TestPublicOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	if _, err := (&Fetcher{}).client().Get(srv.URL); err != nil {
		t.Fatalf("without PublicOnly: %v", err)
	}
	_, err := (&Fetcher{PublicOnly: true}).client().Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "not a public one") {
		t.Fatalf("with PublicOnly, a loopback server: %v", err)
	}
	for addr, public := range map[string]bool{
		"127.0.0.1:80": false, "[::1]:80": false, "10.1.2.3:80": false, "192.168.0.1:80": false, "172.16.5.4:80": false,
		"169.254.169.254:80": false, "[fe80::1]:80": false, "0.0.0.0:80": false, "[fd00::1]:80": false,
		"203.162.4.190:80": true, "[2001:4860:4860::8888]:80": true,
	} {
		if err := publicOnly("tcp", addr, nil); (err == nil) != public {
			t.Errorf("%s: %v, want public %v", addr, err, public)
		}
	}
}
