package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/ui"
)

var update = flag.Bool("update", false, "regenerate docs/cli, docs/man and docs/exit-codes.md")

// docsOutVar makes the test binary write the generated docs to the folder it names, then exit:
// TestDocsDoNotDependOnTheMachine runs it as another machine.
const docsOutVar = "VBDT_TEST_DOCS_OUT"

func TestMain(m *testing.M) {
	if dir := os.Getenv(docsOutVar); dir != "" {
		if err := GenerateDocs(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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
	for _, d := range diffTrees(t, docs, tmp) {
		t.Errorf("docs/%s is stale (run go test ./internal/cli -update): %s", d.file, d.how)
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

// The generated docs depend on the code alone, so that TestDocsAreFresh passes on every
// machine: they are generated again by a child process that differs from this one in its CPU
// count (Linux), working directory, home, user, time zone, terminal and VBDT_* environment.
func TestDocsDoNotDependOnTheMachine(t *testing.T) {
	here := t.TempDir()
	if err := GenerateDocs(here); err != nil {
		t.Fatal(err)
	}
	there := t.TempDir()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{docsOutVar + "=" + there, "PATH=" + os.Getenv("PATH"),
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "xdg"), "USER=another", "LOGNAME=another",
		"TZ=America/Lima", "LANG=vi_VN.UTF-8", "TMPDIR=" + t.TempDir(), "TERM=dumb", "COLUMNS=37", "NO_COLOR=1",
		"VBDT_CONFIG=" + filepath.Join(home, "vbdt.yaml"), "VBDT_REGISTER=postgres://db/other", "VBDT_TIME_ZONE=UTC",
		"VBDT_PIN=0000", "VBDT_USER=another"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cpus, err := startOnOneCPU(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("generating the docs as another machine: %v\n%s", err, out.String())
	}
	if cpus != "" {
		t.Logf("the other machine had %s", cpus)
	} else {
		t.Log("the other machine had as many CPUs as this one: a default taken from the CPU count goes unnoticed here")
	}
	for _, d := range diffTrees(t, here, there) {
		t.Errorf("generated docs/%s depends on the machine: %s", d.file, d.how)
	}
}

// fileDiff is a file that differs between two trees, and how.
type fileDiff struct{ file, how string }

// diffTrees lists the files of got that are missing from want or differ from it.
func diffTrees(t *testing.T, want, got string) []fileDiff {
	t.Helper()
	var diffs []fileDiff
	err := filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(got, p)
		g, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := os.ReadFile(filepath.Join(want, rel))
		switch {
		case err != nil:
			diffs = append(diffs, fileDiff{rel, "missing"})
		case !bytes.Equal(w, g):
			diffs = append(diffs, fileDiff{rel, firstDifference(string(w), string(g))})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return diffs
}

func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d is %q, generated %q", i+1, w, g)
		}
	}
	return "line endings differ"
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
