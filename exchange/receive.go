package exchange

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/vbdt/vbdt/envelope"
	"github.com/vbdt/vbdt/internal/fsutil"
)

// ReceiveResult is what became of one message of the inbox.
type ReceiveResult struct {
	DocID       string `json:"doc_id"`
	MessageType string `json:"message_type"`
	From        string `json:"from"`
	// Outcome: "received" (downloaded, on disk, acknowledged done), "acknowledged" (on disk from
	// an earlier run, acknowledged now), "rejected" (not an envelope: kept aside, acknowledged
	// fail), or "failed".
	Outcome string `json:"outcome"`
	Path    string `json:"path,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Err     error  `json:"-"`
}

// safeDocID is a DocId that can name a file.
var safeDocID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ReceiveAll downloads the messages of an inbox into dir, jobs at a time, and acknowledges each:
// done once it is durable on disk under <DocId>.edxml and reads as an edXML envelope, fail when
// it does not (it is kept as <DocId>.invalid.edxml). Messages go in waves: a wave's files are
// written, made durable together (one sync of the file system), then acknowledged while the
// next wave downloads — the disk, not a sync per message, sets the pace. A message already on disk (and readable) from an
// interrupted run is acknowledged without downloading it again; one cut short by a crash is
// not readable, and is downloaded again. Results come in the inbox's order.
func ReceiveAll(ctx context.Context, c *Client, items []Received, dir string, jobs int) []ReceiveResult {
	jobs = max(jobs, 1)
	results := make([]ReceiveResult, len(items))
	// a wave is synced and acknowledged while the next one downloads
	waves := make(chan [2]int, 1)
	var acking sync.WaitGroup
	acking.Add(1)
	go func() {
		defer acking.Done()
		for w := range waves {
			from, to := w[0], w[1]
			if err := fsutil.SyncDirs(dir); err != nil {
				for i := from; i < to; i++ {
					if results[i].Err == nil {
						results[i].Outcome, results[i].Err = "failed", fmt.Errorf("making it durable: %w", err)
					}
				}
				continue
			}
			parallel(from, to, jobs, func(i int) { acknowledge(ctx, c, &results[i]) })
		}
	}()
	wave := jobs * 8
	for from := 0; from < len(items); from += wave {
		to := min(from+wave, len(items))
		if ctx.Err() != nil {
			for i := from; i < len(items); i++ {
				results[i] = ReceiveResult{DocID: items[i].DocID, Outcome: "failed", Err: ctx.Err()}
			}
			break
		}
		parallel(from, to, jobs, func(i int) { results[i] = fetch(ctx, c, items[i], dir) })
		waves <- [2]int{from, to}
	}
	close(waves)
	acking.Wait()
	return results
}

// parallel calls fn for from ≤ i < to, jobs at a time.
func parallel(from, to, jobs int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := from; i < to; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

// ack is the acknowledgement a fetched message waits for, "" when it failed.
func (r *ReceiveResult) ack() string {
	switch {
	case r.Outcome == "rejected":
		return AckFail
	case r.Err == nil:
		return AckDone
	}
	return ""
}

// acknowledge sends a durable message's acknowledgement.
func acknowledge(ctx context.Context, c *Client, r *ReceiveResult) {
	status := r.ack()
	if status == "" {
		return
	}
	if err := c.UpdateStatus(ctx, r.DocID, status); err != nil {
		r.Outcome, r.Err = "failed", fmt.Errorf("on disk as %s, but acknowledging it (%s): %w (the next run acknowledges it)", r.Path, status, err)
		return
	}
	if r.Outcome == "rejected" {
		r.Err = fmt.Errorf("not an edXML envelope: %s (kept as %s, acknowledged fail)", r.Reason, r.Path)
	}
}

// fetch puts a message on disk under its name (or aside when it is not an envelope), not yet
// durable nor acknowledged.
func fetch(ctx context.Context, c *Client, it Received, dir string) ReceiveResult {
	r := ReceiveResult{DocID: it.DocID, MessageType: it.MessageType, From: it.From}
	fail := func(err error) ReceiveResult {
		r.Outcome, r.Err = "failed", err
		return r
	}
	if !safeDocID.MatchString(it.DocID) {
		return fail(fmt.Errorf("the platform's DocId %q cannot name a file", it.DocID))
	}
	target := filepath.Join(dir, it.DocID+".edxml")
	r.Path = target
	if fi, err := os.Stat(target); err == nil && readable(target) == nil {
		r.Bytes, r.Outcome = fi.Size(), "acknowledged" // on disk from a run that stopped before its acknowledgement
		return r
	}
	f, err := fsutil.CreateTemp(dir, ".vbdt-receive-", 0o644)
	if err != nil {
		return fail(err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name()) // gone once renamed
	}()
	// the envelope is read as it arrives, on another core: checked without reading it again
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		_, err := envelope.Read(pr, envelope.ReadOptions{NoHash: true})
		io.Copy(io.Discard, pr) // the rest, if the reader stopped early
		checked <- err
	}()
	n, err := c.Download(ctx, it.DocID, io.MultiWriter(f, pw))
	pw.CloseWithError(err)
	bad := <-checked
	if err != nil {
		return fail(fmt.Errorf("downloading: %w", err))
	}
	r.Bytes = n
	if bad != nil {
		aside := filepath.Join(dir, it.DocID+".invalid.edxml")
		if err := os.Rename(f.Name(), aside); err != nil {
			return fail(err)
		}
		r.Path, r.Outcome, r.Reason = aside, "rejected", bad.Error()
		return r
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return fail(err)
	}
	r.Outcome = "received"
	return r
}

// readable checks that a file reads as an edXML envelope, attachments included.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = envelope.Read(bufio.NewReader(f), envelope.ReadOptions{NoHash: true})
	return err
}

// DirectoryCache keeps the platform's directory on disk, a JSON line per agency, for MaxAge.
type DirectoryCache struct {
	Dir    string
	MaxAge time.Duration
}

// Each calls fn with each agency of the directory: from the cache when it is fresh, else from
// the platform, streamed, while the cache is rewritten.
func (d DirectoryCache) Each(ctx context.Context, c *Client, refresh bool, fn func(Agency) error) error {
	key := sha256.Sum256([]byte(c.Endpoint() + "\n" + c.SystemID()))
	path := filepath.Join(d.Dir, "agencies-"+hex.EncodeToString(key[:8])+".jsonl")
	if fi, err := os.Stat(path); err == nil && !refresh && time.Since(fi.ModTime()) < d.MaxAge {
		if err := eachCached(path, fn); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return err
	}
	return fsutil.Replace(path, 0o600, func(f *os.File) error {
		bw := bufio.NewWriter(f)
		enc := json.NewEncoder(bw)
		err := c.Agencies(ctx, func(a Agency) error {
			if err := enc.Encode(a); err != nil {
				return err
			}
			return fn(a)
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	})
}

func eachCached(path string, fn func(Agency) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	for {
		var a Agency
		err := dec.Decode(&a)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
}
