// Package cli wires vbdt's commands with cobra. It holds no domain logic: each command parses
// its options into a typed request, calls a domain package and renders the result through ui.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/config"
	"github.com/vbdt/vbdt/internal/redact"
	"github.com/vbdt/vbdt/internal/ui"
)

// BuildInfo is stamped by the release build through -ldflags on package main.
type BuildInfo struct {
	Version, Commit, Date string
}

// app is the state of one run: streams, environment, global options and the loaded config.
type app struct {
	streams ui.Streams
	getenv  func(string) string
	build   BuildInfo
	global  globalOptions
	ui      *ui.UI
	cfg     *config.Config
	ran     bool // a command's RunE was reached: cobra's own errors (and setup's) come before it
}

type globalOptions struct {
	configPath string
	json       bool
	quiet      bool
	verbose    bool
	color      string
}

// Main runs vbdt with the process's arguments, streams and environment and returns the exit code.
func Main(build BuildInfo) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], ui.SystemStreams(), os.Getenv, build)
}

// Run runs vbdt with the given arguments; tests call it in-process.
func Run(ctx context.Context, args []string, streams ui.Streams, getenv func(string) string, build BuildInfo) int {
	a := &app{streams: streams, getenv: getenv, build: build}
	a.ui = ui.New(streams, ui.Options{NoColor: getenv("NO_COLOR") != ""})
	root := a.newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ui.ExitOK
	}
	code, hints := a.classify(ctx, err)
	if !a.ran && slices.Contains(args, "--json") {
		// cobra failed before the flags were applied: still answer a script in JSON
		a.ui = ui.New(streams, ui.Options{JSON: true})
	}
	if code == ui.ExitInterrupted {
		err = errors.New("interrupted: the work in progress was abandoned, nothing is half-written")
	}
	a.ui.Error(maskedError{err}, code, hints...)
	return code
}

// maskedError is an error whose message may quote a URI or DSN from code that did not mask
// its secrets: it shows the message masked.
type maskedError struct{ err error }

func (e maskedError) Error() string { return redact.String(e.err.Error()) }
func (e maskedError) Unwrap() error { return e.err }

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "vbdt",
		Short: "Electronic official documents of Vietnamese state agencies: number, sign, verify, exchange, convert",
		Long: `vbdt numbers, signs, verifies, exchanges and converts the electronic official documents
(văn bản điện tử) of Vietnamese state agencies, following Decree 30/2020/NĐ-CP and QCVN 102:2016.

Start with 'vbdt demo DIR': it walks through the whole document lifecycle with throwaway test keys.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitVerifyFail, ui.ExitKey, ui.ExitRegister, ui.ExitNotPermitted, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt demo ./demo-out
  $ vbdt keys list
  $ vbdt config check vbdt.yaml
  $ vbdt help exit-codes`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup() },
	}
	root.SetIn(a.streams.In)
	root.SetOut(a.streams.Out)
	root.SetErr(a.streams.Err)
	f := root.PersistentFlags()
	f.StringVar(&a.global.configPath, "config", "", "configuration file (default $VBDT_CONFIG, ./vbdt.yaml, ~/.config/vbdt/vbdt.yaml)")
	f.BoolVar(&a.global.json, "json", false, "print results as JSON Lines (one object per line, with message_type)")
	f.StringVar(&a.global.color, "color", "auto", "colour output: auto, always or never (NO_COLOR also disables it)")
	f.BoolVarP(&a.global.quiet, "quiet", "q", false, "print only results and errors")
	f.BoolVarP(&a.global.verbose, "verbose", "v", false, "print details of what is done")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })

	root.AddCommand(
		a.newNumberCmd(),
		a.newSignCmd(),
		a.newVerifyCmd(),
		a.newLTVCmd(),
		a.newTrustCmd(),
		a.newConvertCmd(),
		a.newEnvelopeCmd(),
		a.newKeysCmd(),
		a.newConfigCmd(),
		a.newVersionCmd(),
		a.newDemoCmd(),
		newExitCodesTopic(),
	)
	a.setupCompletion(root)
	// Errors before a command's own RunE (flags, arguments, required flags) are cobra's: usage errors.
	walkCommands(root, func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, argv []string) error {
				a.ran = true
				return run(cmd, argv)
			}
		}
	})
	return root
}

// setup applies the global flags once cobra has parsed them.
func (a *app) setup() error {
	if a.global.quiet && a.global.verbose {
		return usageErrorf("--quiet and --verbose cannot be used together")
	}
	mode, err := ui.ParseColorMode(a.global.color)
	if err != nil {
		return usageErrorf("%v", err)
	}
	a.ui = ui.New(a.streams, ui.Options{JSON: a.global.json, Quiet: a.global.quiet, Verbose: a.global.verbose,
		Color: mode, NoColor: a.getenv("NO_COLOR") != ""})
	return nil
}

// config loads the configuration on first use, so commands that need none never fail on it.
func (a *app) config() (*config.Config, error) {
	if a.cfg == nil {
		cfg, err := config.Load(a.global.configPath, a.getenv)
		if err != nil {
			return nil, err
		}
		a.cfg = cfg
		if cfg.Path != "" {
			a.ui.Debugf("configuration: %s", cfg.Path)
		}
	}
	return a.cfg, nil
}

// helpHint is the hint for a mistake in flags or arguments, which the command's help explains.
const helpHint = "run 'vbdt help' or add --help to the command for its usage"

// usageError is a mistake in how vbdt was called: exit 64. Its hints name the fix, or are
// absent when the message says it all.
type usageError struct {
	err   error
	hints []string
	// causes are the errors among usageErrorf's arguments, still found by errors.As: one that
	// knows its fix (a *config.KeyError) is not hidden by the message around it.
	causes []error
}

func (e usageError) Error() string   { return e.err.Error() }
func (e usageError) Unwrap() []error { return append([]error{e.err}, e.causes...) }

// usageErrorf is a mistake in flags or arguments: the hint points at the command's help.
func usageErrorf(format string, a ...any) error {
	e := usageError{err: fmt.Errorf(format, a...), hints: []string{helpHint}}
	for _, v := range a {
		if err, ok := v.(error); ok {
			e.causes = append(e.causes, err)
		}
	}
	return e
}

// configErrorf is a configuration value that is missing, or wrong for what the command does:
// exit 64, with a hint that says where key is set.
func configErrorf(key, format string, a ...any) error {
	return &config.KeyError{Key: key, Err: fmt.Errorf(format, a...)}
}

// exitStatus renders the EXIT STATUS section of a command's help.
func exitStatus(codes ...int) string {
	var b strings.Builder
	b.WriteString("\n\nEXIT STATUS\n")
	for _, c := range codes {
		fmt.Fprintf(&b, "  %-4d %s\n", c, ui.ExitMeaning(c))
	}
	return strings.TrimRight(b.String(), "\n")
}

// groupCmd is a command that only holds subcommands: run bare it prints help, with an unknown
// subcommand it is a usage error (cobra would print help and exit 0).
func groupCmd(use, short, long, example string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long + exitStatus(ui.ExitOK, ui.ExitUsage), Example: example,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}

// args wraps a cobra argument check so that its failures are usage errors.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageErrorf("%v", err)
		}
		return nil
	}
}

func (a *app) versionString() string {
	v := a.build.Version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return v
}

func isInterrupt(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || ctx.Err() != nil
}
