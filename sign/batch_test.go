package sign

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki"
)

func TestBatchJournalAndResume(t *testing.T) {
	fx := setup(t, testpki.ECDSA)
	data, _ := os.ReadFile(fx.doc)
	in, out := filepath.Join(fx.dir, "in"), filepath.Join(fx.dir, "out")
	os.MkdirAll(in, 0o755)
	os.MkdirAll(out, 0o755)
	var jobs []Job
	for i := range 5 {
		p := filepath.Join(in, fmt.Sprintf("%d.pdf", i))
		if i == 3 {
			os.WriteFile(p, []byte("not a pdf"), 0o644)
		} else {
			os.WriteFile(p, data, 0o644)
		}
		jobs = append(jobs, Job{In: p, Out: filepath.Join(out, fmt.Sprintf("%d.pdf", i))})
	}
	journal := filepath.Join(out, ".journal")
	run := func() Summary {
		b := &Batch{Workers: 2, Journal: journal, Request: Request{Signer: fx.org, Chain: fx.org.Chain}}
		sum, err := b.Run(context.Background(), jobs)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := run(); sum != (Summary{Signed: 4, Failed: 1}) {
		t.Fatalf("first run %+v", sum)
	}
	f, _ := os.Open(journal)
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines++
	}
	f.Close()
	if lines != 4 {
		t.Fatalf("journal has %d lines, want 4 (the signed files, after they were synced)", lines)
	}
	for _, j := range jobs {
		if _, err := os.Stat(j.Out); (err == nil) == (j.In == jobs[3].In) {
			t.Errorf("%s: output exists = %v", j.In, err == nil)
		}
	}
	// a rerun signs nothing twice; an output lost since is signed again
	os.Remove(jobs[0].Out)
	if sum := run(); sum != (Summary{Signed: 1, Skipped: 3, Failed: 1}) {
		t.Fatalf("resume %+v", sum)
	}
	mustValid(t, jobs[0].Out, 1)
}

func TestShardCoversEveryJobOnce(t *testing.T) {
	var jobs []Job
	for i := range 1000 {
		jobs = append(jobs, Job{In: fmt.Sprintf("backlog/%04d.pdf", i)})
	}
	seen := map[string]int{}
	for k := 1; k <= 7; k++ {
		part := Shard(jobs, k, 7)
		if len(part) < 100 || len(part) > 190 {
			t.Errorf("shard %d/7 has %d jobs: badly balanced", k, len(part))
		}
		for _, j := range part {
			seen[j.In]++
		}
	}
	for _, j := range jobs {
		if seen[j.In] != 1 {
			t.Fatalf("%s is in %d shards", j.In, seen[j.In])
		}
	}
	if len(Shard(jobs, 1, 1)) != 1000 {
		t.Error("1/1 must keep everything")
	}
}
