package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The disk cache keeps checked answers, one file per request key in a sub-directory per kind:
//
//	<Cache>/ocsp/<sha-256 of kind, URL, request, issuer>
//
// A file is a header line "vbdt-evidence 1 <expiry, Unix seconds>\n" and the answer's bytes. It
// is written to a temporary file and renamed, so a reader sees a whole answer or none. An
// answer is checked again when read (the files are not trusted more than the network) and not
// used past its expiry. A lock file per key makes concurrent processes wait for the one that
// is fetching instead of asking the responder too.

const cacheMagic = "vbdt-evidence 1 "

// DefaultCacheDir is where the CLI keeps evidence: $XDG_CACHE_HOME/vbdt/evidence, or
// ~/.cache/vbdt/evidence (os.UserCacheDir's choice on other systems).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "vbdt", "evidence"), nil
}

// cachePath is where key's answer is kept.
func (f *Fetcher) cachePath(kind, key string) string { return filepath.Join(f.Cache, kind, key) }

// cached returns the answer kept on disk for key when it is there, unexpired and still passes
// r's check.
func (f *Fetcher) cached(key string, r request) (any, time.Time, bool) {
	file, err := os.Open(f.cachePath(r.kind, key))
	if err != nil {
		return nil, time.Time{}, false
	}
	// bounded as the answer was when it came: a CRL at most, and its expiry line
	data, err := io.ReadAll(io.LimitReader(file, f.maxCRL()+1<<10))
	file.Close()
	if err != nil || int64(len(data)) > f.maxCRL()+1<<10-1 {
		return nil, time.Time{}, false
	}
	expiry, der, ok := parseCacheEntry(data)
	now := f.now()
	if !ok || !now.Before(expiry) {
		return nil, time.Time{}, false
	}
	v, until, err := r.accept(der, now)
	if err != nil || !now.Before(until) {
		return nil, time.Time{}, false
	}
	if expiry.Before(until) {
		until = expiry
	}
	return v, until, true
}

// parseCacheEntry splits a cache file into its expiry and the answer.
func parseCacheEntry(data []byte) (time.Time, []byte, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(cacheMagic))
	if !ok {
		return time.Time{}, nil, false
	}
	line, der, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return time.Time{}, nil, false
	}
	secs, err := strconv.ParseInt(string(line), 10, 64)
	if err != nil {
		return time.Time{}, nil, false
	}
	return time.Unix(secs, 0), der, true
}

// store keeps an accepted answer until its expiry, atomically.
func (f *Fetcher) store(key, kind string, der []byte, until time.Time) error {
	dir := filepath.Join(f.Cache, kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, key+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	head := fmt.Sprintf("%s%d\n", cacheMagic, until.Unix())
	if _, err := tmp.Write(append([]byte(head), der...)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.cachePath(kind, key))
}

// lockPoll is how often a process waiting for another one's fetch looks again.
const lockPoll = 20 * time.Millisecond

// lock takes key's lock file, so that this process alone fetches it, and returns its release.
// While another process holds the lock, lock waits and returns the answer that process stores
// (ok) as soon as it is there. A lock older than the time a fetch can take is a crashed
// process's: it is broken.
func (f *Fetcher) lock(ctx context.Context, key string, r request) (release func(), v any, until time.Time, ok bool, err error) {
	dir := filepath.Join(f.Cache, r.kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		// no cache after all: fetch without the lock
		return func() {}, nil, time.Time{}, false, nil
	}
	path := f.cachePath(r.kind, key) + ".lock"
	stale := 2*f.client().Timeout + time.Minute
	if f.client().Timeout == 0 {
		stale = 10 * time.Minute
	}
	for {
		lf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			lf.Close()
			release = func() { os.Remove(path) }
			// the holder before us may have stored the answer just before letting go
			if v, until, ok := f.cached(key, r); ok {
				release()
				return nil, v, until, true, nil
			}
			return release, nil, time.Time{}, false, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return func() {}, nil, time.Time{}, false, nil
		}
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > stale {
			os.Remove(path)
			continue
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, time.Time{}, false, ctx.Err()
		case <-t.C:
		}
		if v, until, ok := f.cached(key, r); ok {
			return nil, v, until, true, nil
		}
	}
}
