package sign

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// flusher makes a batch's new files durable behind the workers, which never wait for it: each
// round takes every file signed so far, makes them durable with one syncfs per file system,
// then writes their journal lines. A power cut loses only files the journal does not claim.
type flusher struct {
	journal *os.File // nil: no journal
	mu      sync.Mutex
	pending []Job
	kick    chan struct{} // a round is due
	done    chan struct{}
	err     error // the first failure; read after done
}

func newFlusher(journal *os.File) *flusher {
	f := &flusher{journal: journal, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go f.run()
	return f
}

// add records a signed file; a round starts once syncGroup files wait.
func (f *flusher) add(j Job) {
	f.mu.Lock()
	f.pending = append(f.pending, j)
	due := len(f.pending) >= syncGroup
	f.mu.Unlock()
	if due {
		select {
		case f.kick <- struct{}{}:
		default: // a round is already due: it will take this file too
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
		f.err = fmt.Errorf("making the signed files durable: %w", err)
		return
	}
	if f.journal == nil {
		return
	}
	var lines []byte
	for _, j := range g {
		line, _ := json.Marshal(journalLine{Job: j, At: time.Now()})
		lines = append(append(lines, line...), '\n')
	}
	if _, err := f.journal.Write(lines); err != nil {
		f.err = fmt.Errorf("journal: %w", err)
		return
	}
	if err := f.journal.Sync(); err != nil {
		f.err = fmt.Errorf("journal: %w", err)
	}
}

// close makes the remaining files durable and reports the first failure. No add may follow.
func (f *flusher) close() error {
	close(f.kick)
	<-f.done
	return f.err
}

// outDirs lists the folders of the outputs of jobs, once each.
func outDirs(jobs []Job) []string {
	seen := map[string]bool{}
	var list []string
	for _, j := range jobs {
		if d := filepath.Dir(j.Out); !seen[d] {
			seen[d] = true
			list = append(list, d)
		}
	}
	return list
}

// syncGroup is how many signed files are made durable with one syncfs.
const syncGroup = 64
