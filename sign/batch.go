package sign

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/vbdt/vbdt/internal/pdf"
)

// Job is one document of a batch.
type Job struct {
	In  string `json:"in"`
	Out string `json:"out"`
}

// JobResult is what happened to one document.
type JobResult struct {
	Job
	Err     error
	Skipped string // why the document was not signed again ("" when it was signed now)
	Size    int64
	Elapsed time.Duration
}

// Batch signs many documents with one key: workers open, prepare and hash in parallel; the key
// itself serializes signatures (one token session). A journal records finished documents, so
// an interrupted batch resumes without signing any document twice.
type Batch struct {
	Workers int
	Journal string // "" for none
	Request Request
	// Prepare completes the request for one document (role, appearance); it may be nil.
	Prepare func(doc *pdf.Doc, r *Request) error
	// OnResult is called for every document, from the workers (it must be safe for that).
	OnResult func(JobResult)
}

// Shard keeps the jobs of slice k of n (1-based): a stable choice by input path, so that n
// machines given the same list sign every document exactly once.
func Shard(jobs []Job, k, n int) []Job {
	if n <= 1 {
		return jobs
	}
	var out []Job
	for _, j := range jobs {
		h := fnv.New32a()
		h.Write([]byte(j.In))
		if int(h.Sum32()%uint32(n)) == k-1 {
			out = append(out, j)
		}
	}
	return out
}

type journalLine struct {
	Job
	At time.Time `json:"at"`
}

func readJournal(path string) (map[Job]bool, error) {
	done := map[Job]bool{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l journalLine
		if json.Unmarshal(sc.Bytes(), &l) == nil { // a torn last line is ignored
			done[l.Job] = true
		}
	}
	return done, sc.Err()
}

// Summary counts a batch's outcomes.
type Summary struct {
	Signed, Skipped, Failed int
}

// Run signs the jobs. It returns early only when ctx is cancelled; per-document failures are
// reported through OnResult and counted.
func (b *Batch) Run(ctx context.Context, jobs []Job) (Summary, error) {
	var sum Summary
	done := map[Job]bool{}
	var journal *os.File
	if b.Journal != "" {
		var err error
		if done, err = readJournal(b.Journal); err != nil {
			return sum, fmt.Errorf("journal %s: %w", b.Journal, err)
		}
		if journal, err = os.OpenFile(b.Journal, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return sum, fmt.Errorf("journal: %w", err)
		}
		defer journal.Close()
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].In < jobs[j].In })
	workers := max(b.Workers, 1)
	req := b.Request
	if req.Signer != nil {
		ss := newSerialSigner(req.Signer)
		defer ss.stop()
		req.Signer = ss
	}
	queue := make(chan Job)
	var mu sync.Mutex
	fl := newFlusher(journal)
	record := func(r JobResult) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Err != nil:
			sum.Failed++
		case r.Skipped != "":
			sum.Skipped++
		default:
			sum.Signed++
			fl.add(r.Job)
		}
		if b.OnResult != nil {
			b.OnResult(r)
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				record(b.one(j, done[j], req))
			}
		}()
	}
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			close(queue)
			wg.Wait()
			fl.close()
			return sum, ctx.Err()
		}
	}
	close(queue)
	wg.Wait()
	return sum, fl.close()
}

func (b *Batch) one(j Job, journaled bool, r Request) JobResult {
	start := time.Now()
	res := JobResult{Job: j}
	if journaled {
		if _, err := os.Stat(j.Out); err == nil {
			res.Skipped = "signed in an earlier run (journal)"
			return res
		}
	}
	doc, err := pdf.OpenFile(j.In)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", j.In, err)
		return res
	}
	defer doc.Close()
	if b.Prepare != nil {
		if err := b.Prepare(doc, &r); err != nil {
			res.Err = fmt.Errorf("%s: %w", j.In, err)
			return res
		}
	}
	if r.Field != "" {
		if f, err := doc.Field(r.Field); err == nil && (f.Signed || !r.ExistingField) {
			res.Skipped = fmt.Sprintf("already has the signature field %s", r.Field)
			return res
		}
	}
	// replacing an input in place is synced at once; new files are synced by group in Run
	out, err := signDoc(doc, j.In, j.Out, r, j.In == j.Out)
	if err != nil {
		res.Err = err
		return res
	}
	res.Size, res.Elapsed = out.Size, time.Since(start)
	return res
}
