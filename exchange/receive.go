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
// it does not (it is kept as <DocId>.invalid.edxml). A message already on disk from an
// interrupted run is acknowledged without downloading it again. Results come in the inbox's order.
func ReceiveAll(ctx context.Context, c *Client, items []Received, dir string, jobs int) []ReceiveResult {
	results := make([]ReceiveResult, len(items))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = receiveOne(ctx, c, items[i], dir)
			}
		}()
	}
	for i := range items {
		if ctx.Err() != nil {
			results[i] = ReceiveResult{DocID: items[i].DocID, Outcome: "failed", Err: ctx.Err()}
			continue
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

func receiveOne(ctx context.Context, c *Client, it Received, dir string) ReceiveResult {
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
		// on disk from a run that stopped before its acknowledgement
		r.Bytes = fi.Size()
		if err := c.UpdateStatus(ctx, it.DocID, AckDone); err != nil {
			return fail(fmt.Errorf("on disk, but acknowledging it: %w", err))
		}
		r.Outcome = "acknowledged"
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
	n, err := c.Download(ctx, it.DocID, f)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fail(fmt.Errorf("downloading: %w", err))
	}
	r.Bytes = n
	if bad := readable(f.Name()); bad != nil {
		aside := filepath.Join(dir, it.DocID+".invalid.edxml")
		if err := os.Rename(f.Name(), aside); err != nil {
			return fail(err)
		}
		syncDir(dir)
		r.Path, r.Outcome, r.Reason = aside, "rejected", bad.Error()
		if err := c.UpdateStatus(ctx, it.DocID, AckFail); err != nil {
			return fail(fmt.Errorf("not an envelope (%v), and acknowledging fail: %w", bad, err))
		}
		r.Err = fmt.Errorf("not an edXML envelope: %v (kept as %s, acknowledged fail)", bad, aside)
		return r
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil { // the name is durable too, before the acknowledgement
		return fail(err)
	}
	if err := c.UpdateStatus(ctx, it.DocID, AckDone); err != nil {
		return fail(fmt.Errorf("on disk, but acknowledging it: %w (the next run acknowledges it)", err))
	}
	r.Outcome = "received"
	return r
}

// syncDir makes a folder's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readable checks that a file reads as an edXML envelope, attachments included.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = envelope.Read(bufio.NewReader(f), envelope.ReadOptions{})
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
