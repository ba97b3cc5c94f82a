package evidence

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCacheOneRequestPerCertificate: 100 concurrent Collects of a leaf whose intermediate is
// missing, shared by two Fetchers (two processes) on one cache directory, ask the OCSP
// responder once per certificate and fetch each issuer once; a third Fetcher (a later run)
// asks nothing.
func TestCacheOneRequestPerCertificate(t *testing.T) {
	e := newEnv(t, envConfig{})
	dir := t.TempDir()
	a, b := &Fetcher{Cache: dir, Now: e.now}, &Fetcher{Cache: dir, Now: e.now}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		f := a
		if i%2 == 1 {
			f = b
		}
		wg.Go(func() {
			m, err := f.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now())
			if err == nil && (len(m.Status) != 2 || len(m.OCSPs) != 2) {
				t.Errorf("material: %d statuses, %d OCSP answers", len(m.Status), len(m.OCSPs))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count("/ocsp"); n != 2 {
		t.Errorf("the OCSP responder was asked %d times for 2 certificates", n)
	}
	if e.count("/aia/inter.der") != 1 || e.count("/aia/root.der") != 1 {
		t.Errorf("AIA fetched %d and %d times", e.count("/aia/inter.der"), e.count("/aia/root.der"))
	}
	if got := a.Requests() + b.Requests(); got != 4 {
		t.Errorf("the fetchers made %d requests, want 4 (2 OCSP, 2 AIA)", got)
	}
	later := &Fetcher{Cache: dir, Now: e.now}
	if _, err := later.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now()); err != nil {
		t.Fatal(err)
	}
	if later.Requests() != 0 {
		t.Errorf("a later run made %d requests", later.Requests())
	}
	// entries are whole files with no credentials or URLs in their names
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".tmp") || strings.HasSuffix(p, ".lock") || strings.Contains(p, "127.0.0.1") {
			t.Errorf("left in the cache: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCacheExpiry: an answer past its nextUpdate is fetched again, from memory and from disk;
// a certificate (kept 30 days) is not.
func TestCacheExpiry(t *testing.T) {
	e := newEnv(t, envConfig{})
	dir := t.TempDir()
	first := &Fetcher{Cache: dir, Now: e.now}
	if _, err := first.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now()); err != nil {
		t.Fatal(err)
	}
	if e.count("/ocsp") != 2 {
		t.Fatalf("%d OCSP requests", e.count("/ocsp"))
	}
	e.advance(2 * time.Hour) // past the answers' nextUpdate (1 h)
	second := &Fetcher{Cache: dir, Now: e.now}
	if _, err := second.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now()); err != nil {
		t.Fatal(err)
	}
	if second.Requests() != 2 || e.count("/ocsp") != 4 {
		t.Errorf("after expiry: %d requests made, %d OCSP requests in all", second.Requests(), e.count("/ocsp"))
	}
	if e.count("/aia/inter.der") != 1 {
		t.Errorf("the intermediate was fetched again")
	}
	// the first Fetcher's memory expires too
	before := first.Requests()
	if _, err := first.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now()); err != nil {
		t.Fatal(err)
	}
	if first.Requests() != before {
		// the second Fetcher stored fresh answers: read from disk, not fetched
		t.Errorf("the first Fetcher fetched %d times instead of reading the cache", first.Requests()-before)
	}
	if e.count("/ocsp") != 4 {
		t.Errorf("%d OCSP requests", e.count("/ocsp"))
	}
	// a corrupt entry is ignored and replaced
	entries, _ := filepath.Glob(filepath.Join(dir, "ocsp", "*"))
	for _, p := range entries {
		os.WriteFile(p, []byte("vbdt-evidence 1 99999999999\ngarbage"), 0o600)
	}
	third := &Fetcher{Cache: dir, Now: e.now}
	if _, err := third.Collect(bg(), []*x509.Certificate{e.leaf.cert}, e.now()); err != nil {
		t.Fatal(err)
	}
	if third.Requests() != 2 {
		t.Errorf("with corrupt entries: %d requests, want 2", third.Requests())
	}
}

func TestCacheEntryFormat(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"vbdt-evidence 1 1700000000\nDER", true},
		{"vbdt-evidence 1 x\nDER", false},
		{"vbdt-evidence 2 1700000000\nDER", false},
		{"vbdt-evidence 1 1700000000", false},
	} {
		exp, der, ok := parseCacheEntry([]byte(tc.in))
		if ok != tc.ok || (ok && (exp.Unix() != 1700000000 || string(der) != "DER")) {
			t.Errorf("%q: %v %q %v", tc.in, exp, der, ok)
		}
	}
}
