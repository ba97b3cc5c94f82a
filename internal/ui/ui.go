// Package ui owns everything vbdt shows a person or a script: which streams are terminals,
// colour, tables that become TSV when piped, JSON Lines, errors with hints and progress.
// Commands decide what to say; this package decides how it looks.
package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// ColorMode is the value of --color.
type ColorMode string

const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// ParseColorMode checks a --color value.
func ParseColorMode(s string) (ColorMode, error) {
	switch m := ColorMode(s); m {
	case ColorAuto, ColorAlways, ColorNever:
		return m, nil
	}
	return "", fmt.Errorf("--color must be auto, always or never, not %q", s)
}

// Streams are the process's standard streams and whether each is a terminal.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool
	OutTTY bool
	ErrTTY bool
}

// SystemStreams returns os.Stdin/out/err with terminal detection.
func SystemStreams() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// Options are the global output flags.
type Options struct {
	JSON    bool
	Quiet   bool
	Verbose bool
	Color   ColorMode
	NoColor bool // NO_COLOR is set and non-empty
}

// UI writes results to Out and everything else to Err.
type UI struct {
	Streams
	Options
	mu       sync.Mutex // serializes JSON lines and messages from concurrent workers
	outStyle *lipgloss.Renderer
	errStyle *lipgloss.Renderer
}

// New returns a UI over s with the given options.
func New(s Streams, o Options) *UI {
	if o.Color == "" {
		o.Color = ColorAuto
	}
	u := &UI{Streams: s, Options: o}
	u.outStyle = renderer(s.Out, u.colorFor(s.OutTTY))
	u.errStyle = renderer(s.Err, u.colorFor(s.ErrTTY))
	return u
}

func renderer(w io.Writer, color bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

func (u *UI) colorFor(tty bool) bool {
	switch {
	case u.Color == ColorNever, u.NoColor && u.Color != ColorAlways:
		return false
	case u.Color == ColorAlways:
		return true
	}
	return tty
}

// Human reports whether results are shown as styled text for a person
// (stdout is a terminal and --json is off).
func (u *UI) Human() bool { return u.OutTTY && !u.JSON }

// emit writes one typed message as a JSON line.
func (u *UI) emit(w io.Writer, v any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	writeLine(w, v)
}

func writeLine(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil { // a programming error: values we emit always marshal
		b, _ = json.Marshal(ErrorMessage{MessageType: "error", Message: err.Error(), ExitCode: 1})
	}
	w.Write(append(b, '\n'))
}

// Printf writes a result line to stdout (human and TSV modes).
func (u *UI) Printf(format string, a ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintf(u.Out, format, a...)
}

// Infof writes a progress or informational message to stderr unless --quiet.
// In JSON mode it is suppressed: scripts read the JSON objects.
func (u *UI) Infof(format string, a ...any) {
	if u.Quiet || u.JSON {
		return
	}
	u.message(u.errStyle.NewStyle(), "", format, a...)
}

// Debugf writes a detail for --verbose.
func (u *UI) Debugf(format string, a ...any) {
	if !u.Verbose {
		return
	}
	u.message(u.errStyle.NewStyle().Faint(true), "vbdt: debug: ", format, a...)
}

// Warnf writes a warning to stderr, also in quiet mode.
func (u *UI) Warnf(format string, a ...any) {
	if u.JSON {
		u.emit(u.Err, Warning{MessageType: "warning", Message: fmt.Sprintf(format, a...)})
		return
	}
	u.message(u.errStyle.NewStyle().Foreground(lipgloss.Color("3")), "vbdt: warning: ", format, a...)
}

// Error reports err with exit code and hints, as `vbdt: error: …` lines or a JSON error object.
func (u *UI) Error(err error, code int, hints ...string) {
	if u.JSON {
		u.emit(u.Err, ErrorMessage{MessageType: "error", Message: err.Error(), ExitCode: code, Hints: hints})
		return
	}
	u.message(u.errStyle.NewStyle().Foreground(lipgloss.Color("1")).Bold(true), "vbdt: error: ", "%s", err)
	for _, h := range hints {
		u.message(u.errStyle.NewStyle().Faint(true), "vbdt: hint: ", "%s", h)
	}
}

func (u *UI) message(st lipgloss.Style, prefix, format string, a ...any) {
	text := Safe(strings.TrimRight(fmt.Sprintf(format, a...), "\n"))
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintln(u.Err, st.Render(prefix+text))
}

// Heading styles a section title for human output.
func (u *UI) Heading(s string) string {
	return u.outStyle.NewStyle().Bold(true).Render(s)
}

// SecretPrompt returns a function that asks for a PIN on the terminal without echo, or nil when
// stdin is not a terminal (then a PIN must come from VBDT_PIN or a pin source).
func (u *UI) SecretPrompt() func(label string) (string, error) {
	f, ok := u.In.(*os.File)
	if !ok || !u.InTTY {
		return nil
	}
	return func(label string) (string, error) {
		u.mu.Lock()
		defer u.mu.Unlock()
		fmt.Fprintf(u.Err, "%s: ", label)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(u.Err)
		return string(b), err
	}
}
