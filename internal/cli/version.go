package cli

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/ui"
)

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, build and PKCS#11 support",
		Long: `Print vbdt's version, commit and build date, the Go version, and whether this build can use
PKCS#11 tokens (cgo builds) or only key files.` + exitStatus(ui.ExitOK, ui.ExitUsage),
		Example: `  $ vbdt version
  $ vbdt version --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Version: a.versionString(), Commit: a.build.Commit, Date: a.build.Date,
				Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, PKCS11: keys.PKCS11Supported}
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "shown", Result: v})
				return nil
			}
			p11 := "yes"
			if !keys.PKCS11Supported {
				p11 = "no (built without cgo: file keys only)"
			}
			var b strings.Builder
			fmt.Fprintf(&b, "vbdt %s\n", v.Version)
			if a.build.Commit != "" {
				fmt.Fprintf(&b, "commit %s, built %s\n", a.build.Commit, a.build.Date)
			}
			fmt.Fprintf(&b, "%s %s, PKCS#11: %s\n", v.Go, v.Platform, p11)
			a.ui.Printf("%s", b.String())
			return nil
		},
	}
}

// newExitCodesTopic is `vbdt help exit-codes`: a help topic, not a command.
func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What vbdt's exit codes mean",
		Long:  ExitCodesText(),
	}
}

// ExitCodesText is the exit code table as shown by `vbdt help exit-codes`.
func ExitCodesText() string {
	var b strings.Builder
	b.WriteString("Every vbdt command ends with one of these exit codes; scripts can rely on them.\n\n")
	for _, c := range ui.ExitCodes {
		fmt.Fprintf(&b, "  %-4d %s\n", c.Code, c.Meaning)
	}
	b.WriteString("\nWith --json, an error is also written to stderr as {\"message_type\":\"error\",\"exit_code\":N,…}.")
	return b.String()
}

// setupCompletion adds cobra's completion command with examples and exit status.
func (a *app) setupCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  $ vbdt completion bash > /etc/bash_completion.d/vbdt
  $ vbdt completion zsh > "${fpath[1]}/_vbdt"
  $ vbdt completion fish > ~/.config/fish/completions/vbdt.fish`
		c.Long += exitStatus(ui.ExitOK, ui.ExitUsage)
		for _, sh := range c.Commands() {
			sh.Example = fmt.Sprintf("  $ source <(vbdt completion %s)", sh.Name())
			sh.Long += exitStatus(ui.ExitOK, ui.ExitUsage)
		}
	}
}

// versionInfo is the item's result of vbdt version.
type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	PKCS11   bool   `json:"pkcs11"`
}
