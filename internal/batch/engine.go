package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// Outcome is what one item's work produced.
type Outcome struct {
	Skipped string // why the item was not done now ("" when it was)
	Bytes   int64  // size of the output written
}

// Result is one item's outcome, or its error.
type Result struct {
	Item
	Outcome
	Err     error
	Elapsed time.Duration
}

// FatalError stops a batch: every other item would fail the same way (a dead token, a key that
// cannot sign). Wrap such errors with Fatal.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Fatal marks err as stopping the batch.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	return &FatalError{err}
}

// Engine runs one function over many items.
type Engine struct {
	Workers int
	// Journal is the journal's path ("" for none).
	Journal string
	// Do does one item and writes its output atomically. A new output need not be durable —
	// the engine makes outputs durable in groups before journalling them — but a replaced
	// input must be. It returns a FatalError to stop the batch.
	Do func(ctx context.Context, it Item) (Outcome, error)
	// OnResult hears of every item attempted, one at a time.
	OnResult func(Result)
}

// Summary counts a batch's outcomes.
type Summary struct {
	Total, Done, Skipped, Failed int
	Elapsed                      time.Duration
}

// NotAttempted counts the items a stop (a fatal error, a cancelled context) left undone.
func (s Summary) NotAttempted() int { return s.Total - s.Done - s.Skipped - s.Failed }

// Run does the items, in the order of their inputs. It returns early when ctx is cancelled or
// an item fails fatally (that error is returned); other failures are counted and reported
// through OnResult. Items done are journalled only once their outputs are durable.
func (e *Engine) Run(ctx context.Context, items []Item) (Summary, error) {
	start := time.Now()
	sum := Summary{Total: len(items)}
	var j *journal
	if e.Journal != "" {
		var err error
		if j, err = openJournal(e.Journal); err != nil {
			return sum, err
		}
		defer j.close()
	}
	items = append([]Item(nil), items...)
	sort.SliceStable(items, func(a, b int) bool { return items[a].In < items[b].In })
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		fatal error
	)
	fl := newFlusher(j)
	record := func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Err != nil:
			sum.Failed++
			var f *FatalError
			if errors.As(r.Err, &f) && fatal == nil {
				fatal = r.Err
				cancel()
			}
		case r.Skipped != "":
			sum.Skipped++
		default:
			sum.Done++
			fl.add(r.Item)
		}
		if e.OnResult != nil {
			e.OnResult(r)
		}
	}
	var made sync.Map // output folders known to exist
	queue := make(chan Item)
	var wg sync.WaitGroup
	for range max(e.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range queue {
				if ctx.Err() == nil { // after a stop, the items queued are left undone
					record(e.one(ctx, it, j, &made))
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case queue <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	err := fl.close()
	sum.Elapsed = time.Since(start)
	switch {
	case fatal != nil:
		return sum, fatal
	case parent.Err() != nil:
		return sum, parent.Err()
	}
	return sum, err
}

// one does an item unless the journal says it was done and its output is there.
func (e *Engine) one(ctx context.Context, it Item, j *journal, made *sync.Map) Result {
	start := time.Now()
	r := Result{Item: it}
	if j != nil && j.done[itemKey(it)] {
		if _, err := os.Stat(it.Out); err == nil {
			r.Skipped = "done in an earlier run (journal)"
			return r
		}
	}
	if err := mkdirOnce(made, filepath.Dir(it.Out)); err != nil { // --out DIR keeps the inputs' folders
		r.Err = err
	} else {
		r.Outcome, r.Err = e.Do(ctx, it)
	}
	if r.Err != nil && !strings.HasPrefix(r.Err.Error(), it.In+": ") { // named once
		r.Err = fmt.Errorf("%s: %w", it.In, r.Err)
	}
	r.Elapsed = time.Since(start)
	return r
}

// flusher makes outputs durable behind the workers, which never wait for it: each round takes
// every item done so far, makes their folders durable with one syncfs per file system, then
// journals them. A power cut loses only outputs the journal does not claim.
type flusher struct {
	j       *journal
	mu      sync.Mutex
	pending []Item
	kick    chan struct{} // a round is due
	done    chan struct{}
	err     error // the first failure; read after done
}

// syncGroup is how many outputs are made durable with one syncfs.
const syncGroup = 64

func newFlusher(j *journal) *flusher {
	f := &flusher{j: j, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go f.run()
	return f
}

// add records an item done; a round starts once syncGroup items wait.
func (f *flusher) add(it Item) {
	f.mu.Lock()
	f.pending = append(f.pending, it)
	due := len(f.pending) >= syncGroup
	f.mu.Unlock()
	if due {
		select {
		case f.kick <- struct{}{}:
		default: // a round is already due: it will take this item too
		}
	}
}

func (f *flusher) run() {
	defer close(f.done)
	for range f.kick {
		f.round()
	}
	f.round()
}

func (f *flusher) round() {
	f.mu.Lock()
	g := f.pending
	f.pending = nil
	f.mu.Unlock()
	if len(g) == 0 || f.err != nil {
		return
	}
	if err := fsutil.SyncDirs(outDirs(g)...); err != nil {
		f.err = fmt.Errorf("making the outputs durable: %w", err)
		return
	}
	if f.j == nil {
		return
	}
	if err := f.j.record(g); err != nil {
		f.err = fmt.Errorf("journal: %w", err)
	}
}

// close makes the remaining outputs durable and reports the first failure. No add may follow.
func (f *flusher) close() error {
	close(f.kick)
	<-f.done
	return f.err
}

// outDirs lists the folders of the items' outputs, once each.
func outDirs(items []Item) []string {
	seen := map[string]bool{}
	var list []string
	for _, it := range items {
		if d := filepath.Dir(it.Out); !seen[d] {
			seen[d] = true
			list = append(list, d)
		}
	}
	return list
}

// mkdirOnce makes an output folder, once per folder and run.
func mkdirOnce(made *sync.Map, dir string) error {
	if _, ok := made.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	made.Store(dir, true)
	return nil
}
