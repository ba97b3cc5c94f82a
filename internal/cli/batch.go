package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/ui"
)

// batchOptions are the flags every batch command shares: where results go, how many workers,
// the journal and the shard.
type batchOptions struct {
	output, outDir, journal, shard string
	inPlace                        bool
	jobs                           int
}

func (o *batchOptions) addFlags(cmd *cobra.Command, noun string) {
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "output file, for one input")
	f.StringVar(&o.outDir, "out", "", "output folder, for many inputs (their paths below each input folder are kept)")
	f.BoolVar(&o.inPlace, "in-place", false, "replace each input atomically, keeping its mode, owner and group")
	f.IntVar(&o.jobs, "jobs", 0, noun+" prepared in parallel (default: the number of CPUs)")
	f.StringVar(&o.journal, "journal", "", "batch journal (default: .vbdt-"+cmd.Name()+"-journal in the output folder, or the current folder with --in-place)")
	f.StringVar(&o.shard, "shard", "", "K/N: only slice K of N of the inputs (for N machines sharing a backlog)")
}

func (o *batchOptions) workers() int {
	if o.jobs > 0 {
		return o.jobs
	}
	return runtime.NumCPU()
}

// journalPath is the journal of a batch of n items: none for one item unless asked.
func (o *batchOptions) journalPath(command string, n int) string {
	switch {
	case o.journal != "" || n <= 1:
		return o.journal
	case o.inPlace:
		return ".vbdt-" + command + "-journal"
	}
	return filepath.Join(o.outDir, ".vbdt-"+command+"-journal")
}

// batchItems expands the arguments into PDF inputs and maps them to outputs, refusing to
// overwrite an input without --in-place, before anything is opened or created (output folders
// are made as each output is written).
func (a *app) batchItems(args []string, o batchOptions) ([]batch.Item, error) {
	inputs, err := batch.Expand(args, a.streams.In, ".pdf")
	if err == nil && len(inputs) == 0 {
		err = fmt.Errorf("%w: no PDF in %v", batch.ErrUsage, args)
	}
	var items []batch.Item
	if err == nil {
		items, err = batch.Plan(inputs, batch.Target{Output: o.output, Dir: o.outDir, InPlace: o.inPlace})
	}
	if err == nil && o.shard != "" {
		var k, n int
		if k, n, err = batch.ParseShard(o.shard); err == nil {
			items = batch.Shard(items, k, n)
		}
	}
	if errors.Is(err, batch.ErrUsage) {
		return nil, usageError{err: err}
	}
	return items, err
}

// runBatch runs a batch through run, reporting each item (a TSV line, or an item message),
// progress and the summary, and turns the outcome into the command's error: nil when every item
// was done or skipped; the item's own error for a single failed item (its exit code kept); exit
// 1 when every item failed; exit 3 (partial) when some did; a fatal error or an interruption as
// itself.
func (a *app) runBatch(command, verb string, items []batch.Item, run func(on func(batch.Result)) (batch.Summary, error)) error {
	progress := a.ui.NewProgress(command, len(items), 2*time.Second)
	var firstErr error
	if !a.ui.JSON && !a.ui.Quiet && !a.ui.Human() {
		a.ui.Row("status", "input", "output", "detail")
	}
	sum, err := run(func(r batch.Result) {
		progress.Add(1)
		it := ui.Item{Status: verb, Input: r.In, Output: r.Out, Bytes: r.Bytes}
		detail := ""
		switch {
		case r.Err != nil:
			it.Status, it.Error, it.Bytes, detail = "failed", r.Err.Error(), 0, r.Err.Error()
			if firstErr == nil {
				firstErr = r.Err
			}
		case r.Skipped != "":
			it.Status, it.Reason, detail = "skipped", r.Skipped, r.Skipped
		}
		switch {
		case a.ui.JSON:
			a.ui.EmitItem(it)
		case a.ui.Quiet, len(items) == 1 && r.Err != nil && a.ui.Human():
			// a single document's failure is the command's error, said once on stderr
		default:
			a.ui.Row(it.Status, it.Input, it.Output, detail)
		}
	})
	progress.Done()
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: command, Total: sum.Total, Done: sum.Done, Skipped: sum.Skipped, Failed: sum.Failed,
			SecondsElapsed: ui.Seconds(sum.Elapsed)})
	} else {
		a.ui.Infof("%d %s, %d skipped, %d failed, %d not attempted in %s", sum.Done, verb, sum.Skipped, sum.Failed, sum.NotAttempted(),
			sum.Elapsed.Round(time.Millisecond))
	}
	switch {
	case err != nil:
		return err
	case sum.Failed == 0:
		return nil
	case sum.Total == 1:
		return firstErr
	case sum.Done+sum.Skipped == 0:
		return fmt.Errorf("all %d documents failed (each with its reason above, or in --json)", sum.Failed) // exit 1, whatever the causes
	}
	return partialError{fmt.Errorf("%d of %d documents failed", sum.Failed, sum.Total)}
}

// partialError is a batch that did part of its work: exit 3.
type partialError struct{ err error }

func (e partialError) Error() string { return e.err.Error() }
