package cli

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pki"
	"github.com/vbdt/vbdt/internal/ui"
)

func (a *app) newTrustCmd() *cobra.Command {
	cmd := groupCmd("trust", "Manage the root certificates vbdt verify trusts",
		`vbdt verify trusts the roots of its trust store, kept in $VBDT_TRUST_DIR (default
~/.config/vbdt/trust, one PEM file per root, named by its SHA-256 fingerprint), plus the files
of trust.anchors in vbdt.yaml and --trust.

Two roots are pinned by fingerprint (DOMAIN.md §5): the Vietnam National Root CA of the public
CAs (NEAC) and the government's RootCA chuyên dùng Chính phủ G2 (Ban Cơ yếu Chính phủ). Download
them from their issuers' portals and add them: vbdt accepts them because their fingerprints are
the pinned ones, and refuses any other root unless --force.`,
		`  $ vbdt trust add VietnamNationalRootCA.crt
  $ vbdt trust add --force our-test-root.pem
  $ vbdt trust list`)
	cmd.AddCommand(a.newTrustAddCmd(), a.newTrustListCmd())
	return cmd
}

// trustDir is the trust store's folder.
func (a *app) trustDir() string {
	if d := a.getenv("VBDT_TRUST_DIR"); d != "" {
		return d
	}
	if d := a.getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "vbdt", "trust")
	}
	if h := a.getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "vbdt", "trust")
	}
	return ""
}

// readTrustStore reads the roots of the trust store; a store that does not exist is empty.
func readTrustStore(dir string) ([]*x509.Certificate, error) {
	if dir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, f := range files {
		certs, err := keys.ReadCertificates(f)
		if err != nil {
			return nil, fmt.Errorf("trust store: %w", err)
		}
		out = append(out, certs...)
	}
	return out, nil
}

func (a *app) newTrustAddCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "add FILE...",
		Short: "Add root certificates to the trust store (pinned national roots, or any with --force)",
		Long: `Add the root certificates of each FILE (PEM or DER) to the trust store. A root whose SHA-256
fingerprint is one of the pinned Vietnamese national roots is accepted; any other is refused
unless --force, so that a root downloaded from a look-alike site cannot slip in. Intermediate
certificates are refused: documents carry them, and trusting one would cut the path short.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt trust add VietnamNationalRootCA.crt
  $ vbdt trust add --force test-root.pem`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			dir := a.trustDir()
			if dir == "" {
				return usageErrorf("no trust store folder: set $VBDT_TRUST_DIR or $HOME")
			}
			for _, file := range argv {
				certs, err := keys.ReadCertificates(file)
				if err == nil && len(certs) == 0 {
					err = fmt.Errorf("%s: no certificate in it", file)
				}
				if err != nil {
					return usageErrorf("%v", err)
				}
				for _, c := range certs {
					if err := a.addRoot(dir, file, c, force); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "accept a root whose fingerprint is not pinned")
	return cmd
}

// addRoot adds one root to the store, refusing what is not a pinned root unless forced.
func (a *app) addRoot(dir, file string, c *x509.Certificate, force bool) error {
	fp := pki.Fingerprint(c)
	name := pki.FormatName(c.RawSubject)
	pinned := pinnedName(fp)
	switch {
	case c.CheckSignatureFrom(c) != nil || string(c.RawIssuer) != string(c.RawSubject):
		return usageErrorf("%s: %s is not a root (self-signed) certificate", file, name)
	case pinned == "" && !force:
		return usageError{err: fmt.Errorf("%s: %s (SHA-256 %s) is not one of the pinned Vietnamese national roots", file, name, fp),
			hints: []string{"check the fingerprint with its issuer; add it anyway with --force"}}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, fp+".pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	if err := fsutil.WriteFileAtomic(path, data, 0o644); err != nil {
		return err
	}
	what := "forced (not pinned)"
	if pinned != "" {
		what = "pinned national root " + pinned
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "added", Input: file, Output: path, Result: map[string]string{"subject": name, "sha256": fp, "pinned": pinned}})
		return nil
	}
	a.ui.Printf("added\t%s\t%s\t%s\n", ui.Safe(name), fp, what)
	return nil
}

func pinnedName(fp string) string {
	for _, p := range pki.VietnamRoots() {
		if p.SHA256 == fp {
			return p.Name
		}
	}
	return ""
}

func (a *app) newTrustListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the trusted roots and the pinned national roots",
		Long: `List the roots vbdt verify trusts (the trust store and trust.anchors) and the pinned national
roots not added yet.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt trust list`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			stored, err := readTrustStore(a.trustDir())
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			configured, err := a.trustAnchors()
			if err != nil {
				return err
			}
			var rows [][]string
			have := map[string]bool{}
			add := func(source string, c *x509.Certificate) {
				fp := pki.Fingerprint(c)
				have[fp] = true
				rows = append(rows, []string{source, pki.FormatName(c.RawSubject), fp, pki.Validity(c, time.Now())})
			}
			for _, c := range stored {
				add("store", c)
			}
			for _, c := range configured {
				add("trust.anchors", c)
			}
			for _, p := range pki.VietnamRoots() {
				if !have[p.SHA256] {
					rows = append(rows, []string{"pinned, not added", p.Subject, p.SHA256, "-"})
				}
			}
			slices.SortStableFunc(rows, func(x, y []string) int { return strings.Compare(x[0], y[0]) })
			if a.ui.JSON {
				for _, r := range rows {
					a.ui.EmitItem(ui.Item{Status: "listed", Result: map[string]string{"source": r[0], "subject": r[1], "sha256": r[2], "validity": r[3]}})
				}
				return nil
			}
			a.ui.Table([]string{"source", "subject", "sha256", "validity"}, rows)
			return nil
		},
	}
}
