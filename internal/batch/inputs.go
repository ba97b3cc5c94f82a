// Package batch is the one engine every vbdt command that works on many files drives (sign
// today; ltv extend, verify and convert next): it expands inputs, maps them to outputs without
// ever overwriting an input unless asked, shards a backlog across machines, runs workers,
// makes outputs durable before journalling them so an interrupted run resumes without doing
// any item twice, stops at once on a fatal error, and sums the outcome into an exit status.
// It knows nothing of PDFs, keys or terminals: a command gives it a function for one item.
package batch

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Input is a file to work on and the folder it was found under ("" for a file named itself),
// which --out keeps the relative path below.
type Input struct {
	Path, Root string
}

// ErrUsage marks a request the user must correct (no such input, outputs that clash).
var ErrUsage = errors.New("usage")

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}

// Expand turns arguments into input files: a file, a folder (its files with one of exts,
// recursively, in lexical order), a glob, or "-" for a list of paths on stdin, one per line.
func Expand(args []string, stdin io.Reader, exts ...string) ([]Input, error) {
	var out []Input
	for _, arg := range args {
		if arg == "-" {
			sc := bufio.NewScanner(stdin)
			for sc.Scan() {
				if p := strings.TrimSpace(sc.Text()); p != "" {
					out = append(out, Input{Path: p})
				}
			}
			if err := sc.Err(); err != nil {
				return nil, err
			}
			continue
		}
		fi, err := os.Stat(arg)
		switch {
		case err == nil && fi.IsDir():
			err := filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && hasExt(p, exts) {
					out = append(out, Input{Path: p, Root: arg})
				}
				return err
			})
			if err != nil {
				return nil, err
			}
		case err == nil:
			out = append(out, Input{Path: arg})
		default:
			matches, gerr := filepath.Glob(arg)
			if gerr != nil || len(matches) == 0 {
				return nil, usagef("%s: no such file, folder or matching glob", arg)
			}
			for _, m := range matches {
				out = append(out, Input{Path: m})
			}
		}
	}
	return out, nil
}

func hasExt(p string, exts []string) bool {
	if len(exts) == 0 {
		return true
	}
	for _, e := range exts {
		if strings.EqualFold(filepath.Ext(p), e) {
			return true
		}
	}
	return false
}

// Item is one input and where its result goes (the input itself when replaced in place).
type Item struct {
	In  string `json:"input"`
	Out string `json:"output"`
}

// InPlace reports whether the item replaces its input.
func (it Item) InPlace() bool { return it.In == it.Out }

// Target says where results go: exactly one of Output (one input), Dir (same relative paths
// as below each input's root) and InPlace.
type Target struct {
	Output  string
	Dir     string
	InPlace bool
}

// Plan maps inputs to items. It refuses what would overwrite an input without InPlace — -o
// naming an input, --out whose mapping lands on an input — and two items writing one file.
func Plan(inputs []Input, t Target) ([]Item, error) {
	n := 0
	for _, set := range []bool{t.Output != "", t.Dir != "", t.InPlace} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, usagef("say where the results go: -o FILE, --out DIR or --in-place (one of them)")
	}
	if t.Output != "" && len(inputs) != 1 {
		return nil, usagef("-o FILE takes one input; %d were given: use --out DIR", len(inputs))
	}
	if fi, err := os.Stat(t.Output); t.Output != "" && err == nil && fi.IsDir() {
		return nil, usagef("-o %s is a folder: give a file name, or --out %s", t.Output, t.Output)
	}
	items := make([]Item, 0, len(inputs))
	ins := map[string]string{} // canonical input → as given
	for _, in := range inputs {
		ins[Canonical(in.Path)] = in.Path
	}
	outs := map[string]string{}
	for _, in := range inputs {
		it := Item{In: in.Path}
		switch {
		case t.Output != "":
			it.Out = t.Output
		case t.InPlace:
			it.Out = in.Path
		default:
			rel := filepath.Base(in.Path)
			if in.Root != "" {
				rel, _ = filepath.Rel(in.Root, in.Path)
			}
			it.Out = filepath.Join(t.Dir, rel)
		}
		if !t.InPlace {
			if other, ok := ins[Canonical(it.Out)]; ok || sameFile(it.In, it.Out) {
				if !ok {
					other = it.In
				}
				return nil, usagef("%s would overwrite the input %s: give --in-place to replace inputs, or another -o/--out", it.Out, other)
			}
		}
		c := Canonical(it.Out)
		if prev, ok := outs[c]; ok {
			return nil, usagef("%s and %s would both be written to %s", prev, it.In, it.Out)
		}
		outs[c] = it.In
		items = append(items, it)
	}
	return items, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Canonical is a path's identity for journals and shards: absolute, its folder's symbolic
// links resolved, so that "a.pdf", "./a.pdf" and "/work/a.pdf" are one file.
func Canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// Shard keeps the items of slice k of n (1-based): a stable choice by the input's path as
// given (cleaned), so that n machines given the same list — where the backlog may be mounted
// at different places — do every item exactly once.
func Shard(items []Item, k, n int) []Item {
	if n <= 1 {
		return items
	}
	var out []Item
	for _, it := range items {
		h := fnv.New32a()
		h.Write([]byte(filepath.Clean(it.In)))
		if int(h.Sum32()%uint32(n)) == k-1 {
			out = append(out, it)
		}
	}
	return out
}

// ParseShard reads K/N.
func ParseShard(s string) (k, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &k, &n); err != nil || k < 1 || k > n {
		return 0, 0, usagef("--shard %q: give K/N with 1 ≤ K ≤ N", s)
	}
	return k, n, nil
}
