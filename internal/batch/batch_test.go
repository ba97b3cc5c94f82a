package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestShardCoversEveryItemOnce(t *testing.T) {
	var items []Item
	for i := range 1000 {
		items = append(items, Item{In: fmt.Sprintf("backlog/%04d.pdf", i)})
	}
	seen := map[string]int{}
	for k := 1; k <= 7; k++ {
		part := Shard(items, k, 7)
		if len(part) < 100 || len(part) > 190 {
			t.Errorf("shard %d/7 has %d items: badly balanced", k, len(part))
		}
		for _, it := range part {
			seen[it.In]++
		}
	}
	for _, it := range items {
		if seen[it.In] != 1 {
			t.Fatalf("%s is in %d shards", it.In, seen[it.In])
		}
	}
	if len(Shard(items, 1, 1)) != 1000 {
		t.Error("1/1 must keep everything")
	}
	if a, b := Shard([]Item{{In: "./backlog/x.pdf"}}, 1, 3), Shard([]Item{{In: "backlog/x.pdf"}}, 1, 3); len(a) != len(b) {
		t.Error("the same file named with ./ went to another shard")
	}
}

// Outputs never overwrite an input without --in-place, nor one another.
func TestPlanRefusesOverwrites(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	for _, p := range []string{"a.pdf", "sub/a.pdf"} {
		os.WriteFile(filepath.Join(in, p), []byte("%PDF"), 0o644)
	}
	folder, err := Expand([]string{in}, nil, ".pdf")
	if err != nil || len(folder) != 2 {
		t.Fatalf("%v %v", folder, err)
	}
	a := []Input{{Path: filepath.Join(in, "a.pdf")}}
	for name, tc := range map[string]struct {
		inputs []Input
		target Target
	}{
		"-o the input":             {a, Target{Output: filepath.Join(in, "a.pdf")}},
		"-o the input, other name": {a, Target{Output: filepath.Join(in, "sub", "..", "a.pdf")}},
		"--out its folder":         {folder, Target{Dir: in}},
		"--out its folder again":   {folder, Target{Dir: filepath.Join(dir, ".", "in")}},
		"two into one":             {[]Input{{Path: filepath.Join(in, "a.pdf")}, {Path: filepath.Join(in, "sub", "a.pdf")}}, Target{Dir: filepath.Join(dir, "out")}},
		"no target":                {a, Target{}},
		"two targets":              {a, Target{Output: "x.pdf", InPlace: true}},
	} {
		if _, err := Plan(tc.inputs, tc.target); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	items, err := Plan(folder, Target{Dir: filepath.Join(dir, "out")})
	if err != nil || items[1].Out != filepath.Join(dir, "out", "sub", "a.pdf") {
		t.Fatalf("--out keeps relative paths: %+v %v", items, err)
	}
	if items, err := Plan(folder, Target{InPlace: true}); err != nil || !items[0].InPlace() {
		t.Fatalf("--in-place: %+v %v", items, err)
	}
}

// A journal line cut short (a full disk) is dropped, not glued onto the next one; lines name
// files by identity, so another spelling of a path finds them.
func TestJournalTornLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal")
	a, b := Item{In: filepath.Join(dir, "a.pdf"), Out: filepath.Join(dir, "a.pdf")}, Item{In: filepath.Join(dir, "b.pdf"), Out: filepath.Join(dir, "b.pdf")}
	j, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j.record([]Item{a})
	j.close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"input":"` + b.In + `","outp`) // the disk filled up here
	f.Close()
	if j, err = openJournal(path); err != nil {
		t.Fatal(err)
	}
	if !j.done[itemKey(a)] || j.done[itemKey(b)] {
		t.Fatalf("after a torn line: %v", j.done)
	}
	j.record([]Item{b})
	j.close()
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 2 || strings.Contains(string(data), `"outp{`) {
		t.Fatalf("journal:\n%s", data)
	}
	j, _ = openJournal(path)
	defer j.close()
	rel, _ := filepath.Rel(mustWd(t), b.In)
	if !j.done[itemKey(Item{In: rel, Out: rel})] {
		t.Fatalf("b by a relative path is not known: %v", j.done)
	}
}

func mustWd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A fatal error stops the batch: the items after it are not attempted. A cancelled context
// stops it too and is returned.
func TestEngineStops(t *testing.T) {
	var items []Item
	for i := range 100 {
		items = append(items, Item{In: fmt.Sprint(i), Out: fmt.Sprint(i) + ".out"})
	}
	var calls atomic.Int32
	e := &Engine{Workers: 2, Do: func(ctx context.Context, it Item) (Outcome, error) {
		if calls.Add(1) == 3 {
			return Outcome{}, Fatal(errors.New("token removed"))
		}
		return Outcome{}, errors.New("bad input")
	}}
	sum, err := e.Run(context.Background(), items)
	var f *FatalError
	if !errors.As(err, &f) || sum.NotAttempted() < 90 || calls.Load() > 5 {
		t.Fatalf("fatal: %+v %v (%d calls)", sum, err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls.Store(0)
	e.Do = func(ctx context.Context, it Item) (Outcome, error) {
		if calls.Add(1) == 3 {
			cancel()
		}
		return Outcome{Skipped: "x"}, nil
	}
	sum, err = e.Run(ctx, items)
	if !errors.Is(err, context.Canceled) || sum.NotAttempted() < 90 {
		t.Fatalf("cancelled: %+v %v", sum, err)
	}
}

// An item's error names its input once: prefixed with it, unless it already starts with it (a
// conversion names the source file at fault, which may be the item's first).
func TestResultErrorNamesInputOnce(t *testing.T) {
	dir := t.TempDir()
	items := []Item{{In: "a.tif", Out: filepath.Join(dir, "a.pdf")}, {In: "b.tif", Out: filepath.Join(dir, "b.pdf")}}
	var got []string
	e := &Engine{Workers: 1, Do: func(ctx context.Context, it Item) (Outcome, error) {
		if it.In == "a.tif" {
			return Outcome{}, fmt.Errorf("%s: page 2: damaged", it.In)
		}
		return Outcome{}, errors.New("page 1: damaged")
	}, OnResult: func(r Result) { got = append(got, r.Err.Error()) }}
	if _, err := e.Run(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.tif: page 2: damaged", "b.tif: page 1: damaged"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("errors %q, want %q", got, want)
	}
}
