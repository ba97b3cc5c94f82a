package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/vbdt/vbdt/internal/config"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/ui"
)

func (a *app) newConfigCmd() *cobra.Command {
	cmd := groupCmd("config", "Write, check and show the vbdt.yaml configuration",
		`vbdt.yaml holds the agency profile (name, OrganId, abbreviation, place, time zone), named key
profiles, appearance images and font, trust anchors, the TSA and the register location.
Values are taken in this order: command-line flag, VBDT_* environment variable, the file, the
default. The file is --config, else $VBDT_CONFIG, else ./vbdt.yaml, else
~/.config/vbdt/vbdt.yaml.`,
		`  $ vbdt config init
  $ vbdt config check
  $ VBDT_TIME_ZONE=UTC vbdt config show`)
	cmd.AddCommand(a.newConfigInitCmd(), a.newConfigCheckCmd(), a.newConfigShowCmd())
	return cmd
}

type configInitOptions struct{ force bool }

func (a *app) newConfigInitCmd() *cobra.Command {
	o := &configInitOptions{}
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented vbdt.yaml template",
		Long: `Write a commented configuration template to FILE (default ./vbdt.yaml). An existing file is
never overwritten unless --force is given, and then it is replaced atomically.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt config init
  $ vbdt config init /etc/vbdt/vbdt.yaml --force`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			path := config.DefaultFile
			if len(argv) == 1 {
				path = argv[0]
			}
			if _, err := os.Stat(path); err == nil && !o.force {
				return usageErrorf("%s exists: add --force to replace it", path)
			}
			if err := fsutil.WriteFileAtomic(path, config.Template(), 0o644); err != nil {
				return err
			}
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "written", Output: path})
			} else {
				a.ui.Printf("%s\n", path)
				a.ui.Infof("wrote a configuration template: edit it, then run 'vbdt config check %s'", path)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "replace an existing file")
	return cmd
}

func (a *app) newConfigCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate vbdt.yaml, pointing at each bad line",
		Long: `Check the configuration file (FILE, or the one vbdt would use) and list every problem as
file:line:column: unknown keys, values of the wrong type, time zones, organization identifiers,
abbreviations, key URIs, the TSA URL and the register location. Warnings (e.g. an OrganId of an
unusual shape) do not fail the check.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt config check
  $ vbdt config check /etc/vbdt/vbdt.yaml --json`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			path := a.global.configPath
			if len(argv) == 1 {
				path = argv[0]
			}
			if path == "" {
				path = a.getenv("VBDT_CONFIG")
			}
			if path == "" {
				path = config.DefaultFile
			}
			data, err := os.ReadFile(path)
			if err != nil {
				e := usageError{err: fmt.Errorf("reading configuration: %w", err)}
				if errors.Is(err, fs.ErrNotExist) {
					e.hints = []string{fmt.Sprintf("'vbdt config init %s' writes a commented template", path)}
				}
				return e
			}
			_, probs := config.Parse(path, data)
			return a.reportProblems(path, probs)
		},
	}
}

func (a *app) reportProblems(path string, probs config.Problems) error {
	for _, p := range probs {
		if a.ui.JSON {
			a.ui.EmitItem(ui.Item{Status: string(p.Severity), Input: path, Result: p})
		} else {
			a.ui.Printf("%s: %s\n", p.Severity, p)
		}
	}
	errs := 0
	for _, p := range probs {
		if p.Severity == config.Error {
			errs++
		}
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "config check", Total: len(probs), Failed: errs,
			Result: configCheckTotals{Path: path, Errors: errs, Warnings: len(probs) - errs, Valid: errs == 0}})
	}
	if errs > 0 { // no hint: each problem above names its line
		return usageError{err: fmt.Errorf("%s: %d error(s) in the configuration", path, errs)}
	}
	if !a.ui.JSON {
		a.ui.Infof("%s: valid (%d warning(s))", path, len(probs))
	}
	return nil
}

func (a *app) newConfigShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (file, environment and defaults applied)",
		Long: `Print the configuration vbdt uses, as YAML, after layering the VBDT_* environment variables
over the file and filling defaults. Secrets never appear in it: the password of a register DSN
or TSA URL and a pin-value in a key URI show as REDACTED (PINs belong in pin sources).

Environment variables: ` + fmt.Sprint(config.EnvNames()) +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt config show
  $ VBDT_REGISTER=postgres://clerk@db/vbdt vbdt config show --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			loaded, err := a.config()
			if err != nil {
				return err
			}
			cfg := loaded.Redacted()
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "shown", Input: cfg.Path, Result: cfg})
				return nil
			}
			out, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			if cfg.Path == "" {
				a.ui.Infof("no configuration file found: defaults and environment only")
			}
			a.ui.Printf("%s", out)
			return nil
		},
	}
}

// configCheckTotals is the summary's result of vbdt config check.
type configCheckTotals struct {
	Path     string `json:"path"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Valid    bool   `json:"valid"`
}
