package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// journal records the items done, one JSON line each, keyed by the identity of their input
// and output (Canonical), so that a resumed run — from another folder, or with the same files
// named by absolute paths — skips them.
type journal struct {
	f    *os.File
	done map[string]bool
}

type journalLine struct {
	In  string    `json:"input"`
	Out string    `json:"output"`
	At  time.Time `json:"at"`
}

func key(in, out string) string { return in + "\x00" + out }

func itemKey(it Item) string { return key(Canonical(it.In), Canonical(it.Out)) }

// openJournal reads the journal at path and opens it for appending. A last line cut short (a
// full disk, a crash mid-write) is dropped, so that the next line does not glue onto it.
func openJournal(path string) (*journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { // the output folder, for --out
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &journal{f: f, done: map[string]bool{}}
	end, err := j.read()
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

// read loads the journal's complete lines and returns where they end.
func (j *journal) read() (int64, error) {
	r := bufio.NewReader(j.f)
	var end int64
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return end, nil // a torn last line (no newline) is left out
		}
		if err != nil {
			return 0, err
		}
		end += int64(len(line))
		var l journalLine
		if json.Unmarshal(bytes.TrimSpace(line), &l) == nil {
			j.done[key(l.In, l.Out)] = true
		}
	}
}

// record appends items as done and syncs the journal.
func (j *journal) record(items []Item) error {
	var lines []byte
	for _, it := range items {
		line, _ := json.Marshal(journalLine{In: Canonical(it.In), Out: Canonical(it.Out), At: time.Now()})
		lines = append(append(lines, line...), '\n')
	}
	if _, err := j.f.Write(lines); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *journal) close() error { return j.f.Close() }
