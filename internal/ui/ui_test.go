package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func newTest(outTTY bool, o Options) (*UI, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return New(Streams{Out: &out, Err: &errb, OutTTY: outTTY, ErrTTY: outTTY}, o), &out, &errb
}

func TestTableTSVWhenPiped(t *testing.T) {
	u, out, _ := newTest(false, Options{})
	u.Table([]string{"A", "B"}, [][]string{{"x\ty", "Ấn"}, {"1", "line\nbreak"}})
	want := "A\tB\nx\\ty\tẤn\n1\tline\\nbreak\n" // tabs and newlines in cells escaped: one row a line
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestTableOnTerminal(t *testing.T) {
	u, out, _ := newTest(true, Options{NoColor: true})
	u.Table([]string{"TOKEN"}, [][]string{{"vbdt-demo"}})
	s := out.String()
	if !strings.Contains(s, "vbdt-demo") || !strings.Contains(s, "╭") || strings.Contains(s, "\x1b[") {
		t.Fatalf("want a bordered table without colour codes, got %q", s)
	}
}

func TestColorModes(t *testing.T) {
	for _, tc := range []struct {
		tty   bool
		o     Options
		color bool
	}{
		{true, Options{Color: ColorAuto}, true},
		{false, Options{Color: ColorAuto}, false},
		{true, Options{Color: ColorAuto, NoColor: true}, false},
		{false, Options{Color: ColorAlways}, true},
		{true, Options{Color: ColorNever}, false},
	} {
		u, _, _ := newTest(tc.tty, tc.o)
		if got := u.colorFor(tc.tty); got != tc.color {
			t.Errorf("%+v tty=%v: color %v", tc.o, tc.tty, got)
		}
	}
	if _, err := ParseColorMode("sometimes"); err == nil {
		t.Error("bad --color accepted")
	}
}

func TestJSONLines(t *testing.T) {
	u, out, errb := newTest(false, Options{JSON: true})
	u.EmitItem(Item{Status: "signed", Input: "a.pdf", Bytes: 1})
	u.Infof("not in JSON mode")
	u.Warnf("careful")
	u.Error(errors.New("boom"), ExitKey, "a hint")
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["message_type"] != "item" {
			t.Fatalf("stdout line %q: %v", line, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("stderr %q", errb.String())
	}
	var e map[string]any
	json.Unmarshal([]byte(lines[1]), &e)
	if e["message_type"] != "error" || e["exit_code"] != float64(ExitKey) || e["message"] != "boom" {
		t.Fatalf("error object %v", e)
	}
}

func TestHumanErrors(t *testing.T) {
	u, out, errb := newTest(false, Options{})
	u.Error(errors.New("signing a.pdf: no key"), ExitKey, "try vbdt keys list")
	want := "vbdt: error: signing a.pdf: no key\nvbdt: hint: try vbdt keys list\n"
	if errb.String() != want || out.Len() != 0 {
		t.Fatalf("stderr %q stdout %q", errb.String(), out.String())
	}
}

func TestStatusProgress(t *testing.T) {
	u, out, _ := newTest(false, Options{JSON: true})
	p := u.NewProgress("sign", 5, time.Hour) // no tick: only the final status line
	for range 5 {
		p.Add(1)
	}
	p.Done()
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if m["message_type"] != "status" || m["items_done"] != float64(5) || m["percent_done"] != float64(100) {
		t.Fatalf("status %v", m)
	}
	// Not a terminal and not JSON: silent.
	u2, out2, err2 := newTest(false, Options{})
	p2 := u2.NewProgress("x", 2, time.Millisecond)
	p2.Add(2)
	p2.Done()
	if out2.Len()+err2.Len() != 0 {
		t.Fatal("progress printed when not on a terminal")
	}
}

func TestExitCodesDocumented(t *testing.T) {
	for _, c := range []int{ExitOK, ExitFailure, ExitPartial, ExitVerifyFail, ExitKey, ExitRegister, ExitUsage, ExitInterrupted} {
		if ExitMeaning(c) == "" {
			t.Errorf("exit code %d undocumented", c)
		}
	}
}
