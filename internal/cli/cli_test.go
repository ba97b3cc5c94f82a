package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/ui"
)

var update = flag.Bool("update", false, "regenerate docs/cli, docs/man and docs/exit-codes.md")

func testApp() *app {
	var out, errb bytes.Buffer
	a := &app{streams: ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, getenv: func(string) string { return "" }}
	a.ui = ui.New(a.streams, ui.Options{})
	return a
}

// Every command a user can run shows examples and its exit status.
func TestEveryCommandHasExamplesAndExitStatus(t *testing.T) {
	root := testApp().newRootCmd()
	n := 0
	walkCommands(root, func(c *cobra.Command) {
		if !c.Runnable() || c.Hidden || c.Name() == "help" {
			return
		}
		n++
		if c.Example == "" {
			t.Errorf("%s: no examples", c.CommandPath())
		}
		if !strings.Contains(c.Long, "EXIT STATUS") {
			t.Errorf("%s: no EXIT STATUS section", c.CommandPath())
		}
	})
	if n < 10 {
		t.Fatalf("only %d commands checked", n)
	}
}

// docs/ holds the generated reference; regenerate with go test ./internal/cli -update.
func TestDocsAreFresh(t *testing.T) {
	docs := filepath.Join("..", "..", "docs")
	if *update {
		if err := GenerateDocs(docs); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	if err := GenerateDocs(tmp); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(tmp, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(docs, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/%s is stale or missing: run go test ./internal/cli -update", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// no generated page may linger for a command that is gone
	for _, sub := range []string{"cli", "man"} {
		entries, _ := os.ReadDir(filepath.Join(docs, sub))
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(tmp, sub, e.Name())); err != nil {
				t.Errorf("docs/%s/%s belongs to no command", sub, e.Name())
			}
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"version"}, ui.ExitOK},
		{[]string{"nope"}, ui.ExitUsage},
		{[]string{"keys", "show", "file:/nonexistent.p12"}, ui.ExitKey},
		{[]string{"--config", "/nonexistent.yaml", "config", "show"}, ui.ExitFailure},
	} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), tc.args, ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errb},
			func(string) string { return "" }, BuildInfo{Version: "test"})
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
	}
}

func TestInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := testApp()
	if code, _ := a.classify(ctx, context.Canceled); code != ui.ExitInterrupted {
		t.Fatalf("exit %d", code)
	}
	a.ran = true
	if code, _ := a.classify(ctx, context.Canceled); code != ui.ExitInterrupted {
		t.Fatalf("exit %d", code)
	}
}
