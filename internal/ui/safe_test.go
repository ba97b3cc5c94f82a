package ui

import (
	"errors"
	"strings"
	"testing"
)

// Text from documents and file names cannot drive the terminal, reorder what is shown or
// break TSV rows: controls, bidi overrides and bytes that are not UTF-8 come out escaped;
// Vietnamese comes out as it is.
func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Về việc ban hành Quy chế":  "Về việc ban hành Quy chế",
		"a\x1b[2Jb\a":               `a\x1b[2Jb\x07`,
		"tab\there\nnew":            `tab\there\nnew`,
		"invoice\u202efdp.exe":      `invoice\u202efdp.exe`,
		"bad\xffutf8":               `bad\xffutf8`,
		"legit \ufffd replacement":  "legit \ufffd replacement",
		"c1\u009bcontrol\u2028line": `c1\u009bcontrol\u2028line`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOutputsAreSafe(t *testing.T) {
	hostile := "x\x1b]0;pwned\a\ty\nz\u202e\xff"
	for _, tty := range []bool{false, true} {
		u, out, errb := newTest(tty, Options{})
		u.Row("failed", hostile, "out.pdf")
		u.Table([]string{"A", "B"}, [][]string{{hostile, "2"}})
		u.Fields([][2]string{{"Subject", hostile}})
		u.Error(errors.New(hostile), ExitFailure)
		u.Warnf("%s", hostile)
		for name, text := range map[string]string{"stdout": out.String(), "stderr": errb.String()} {
			if strings.Contains(text, "\x1b]") || strings.ContainsAny(text, "\a\u202e\xff") { // our own colours aside
				t.Errorf("tty=%v: %s has raw controls: %q", tty, name, text)
			}
		}
		if !tty {
			first := strings.SplitN(out.String(), "\n", 2)[0]
			if strings.Count(first, "\t") != 2 {
				t.Errorf("a TSV row was broken: %q", first)
			}
		}
	}
}
