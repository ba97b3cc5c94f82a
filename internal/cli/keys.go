package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pki"
	"github.com/vbdt/vbdt/internal/redact"
	"github.com/vbdt/vbdt/internal/ui"
)

func (a *app) newKeysCmd() *cobra.Command {
	cmd := groupCmd("keys", "List and inspect signing keys on tokens and in files",
		`Signing keys are named by one URI everywhere vbdt signs (--key):

  file:signer.p12                      a PKCS#12 file (password from VBDT_PIN, pin-source or a prompt)
  file:key.pem?cert=chain.pem          a PEM private key with its certificate chain
  pkcs11:token=T;object=L?module-path=/usr/lib/softhsm/libsofthsm2.so
                                       a key on a PKCS#11 token (RFC 7512)

A key profile name from vbdt.yaml (e.g. "approver") stands for its URI. The PIN comes from
pin-source=file:PATH in the URI, the profile's pin_source, VBDT_PIN, or a terminal prompt, and is
tried once: vbdt never retries a wrong PIN.`,
		`  $ vbdt keys list
  $ vbdt keys list --module /usr/lib/softhsm/libsofthsm2.so --login
  $ vbdt keys list signer.p12
  $ vbdt keys show 'pkcs11:token=vbdt-demo;object=approver-rsa'`)
	cmd.AddCommand(a.newKeysListCmd(), a.newKeysShowCmd())
	return cmd
}

type keyAccessOptions struct {
	module    string
	pinSource string
}

func (o *keyAccessOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.module, "module", "", "PKCS#11 module (default: module-path in the URI, or the first of the usual locations)")
	cmd.Flags().StringVar(&o.pinSource, "pin-source", "", "read the PIN from file:PATH or env:NAME (default VBDT_PIN, then a terminal prompt)")
}

// keyOptions builds keys.Options for a profile's pin source and the command's flags.
func (a *app) keyOptions(o keyAccessOptions, profilePIN string) keys.Options {
	src := o.pinSource
	if src == "" {
		src = profilePIN
	}
	return keys.Options{ModulePath: o.module, PINSource: src, Prompt: a.ui.SecretPrompt(), Getenv: a.getenv}
}

// resolveKey turns a --key value into a URI: a profile name from vbdt.yaml, or a URI.
// It returns the profile's pin source too.
func (a *app) resolveKey(ref string) (uri, pinSource string, err error) {
	if strings.Contains(ref, ":") {
		if _, err := keys.ParseURI(ref); err != nil {
			return "", "", usageErrorf("key %s: %v", redact.String(ref), err)
		}
		return ref, "", nil
	}
	cfg, err := a.config()
	if err != nil {
		return "", "", err
	}
	p, ok := cfg.Keys[ref]
	if !ok {
		return "", "", configErrorf("keys."+ref, "%q is neither a key URI (file:… or pkcs11:…) nor a key profile in the configuration", ref)
	}
	if _, err := keys.ParseURI(p.URI); err != nil {
		return "", "", configErrorf("keys."+ref+".uri", "key profile %s: %s: %v", ref, redact.String(p.URI), err)
	}
	return p.URI, p.PINSource, nil
}

type keysListOptions struct {
	keyAccessOptions
	login bool
}

func (a *app) newKeysListCmd() *cobra.Command {
	o := &keysListOptions{}
	cmd := &cobra.Command{
		Use:   "list [FILE...]",
		Short: "List tokens, keys and certificates",
		Long: `List the PKCS#11 tokens of a module (--module) or of every module found in the usual
places (SoftHSM2, p11-kit, the modules of Vietnamese CAs), with each token's key/certificate
pairs: label, id, key type and size, certificate subject, validity and whether the certificate
belongs to the key. Private keys show only after logging in (--login, or a PIN from --pin-source
or VBDT_PIN). Given files (.p12, .pem), it lists the key and certificate in each instead.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt keys list
  $ VBDT_PIN=1234 vbdt keys list --module /usr/lib/softhsm/libsofthsm2.so --json
  $ vbdt keys list approver.p12 organization.key.pem`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, files []string) error { return a.runKeysList(o, files) },
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.login, "login", false, "log in to each token (asks for the PIN) to list private keys")
	return cmd
}

func (a *app) runKeysList(o *keysListOptions, files []string) error {
	var toks []keys.Token
	if len(files) > 0 {
		for _, f := range files {
			t, err := a.fileToken(o, f)
			if err != nil {
				return err
			}
			toks = append(toks, t)
		}
	} else {
		opts := a.keyOptions(o.keyAccessOptions, "")
		login := o.login || o.pinSource != "" || a.getenv("VBDT_PIN") != ""
		var err error
		if toks, err = keys.ListTokens(o.module, opts, login); err != nil {
			return err
		}
	}
	a.renderTokens(toks)
	return nil
}

// fileToken opens a key file and shows it like a token with one key.
func (a *app) fileToken(o *keysListOptions, file string) (keys.Token, error) {
	uri := file
	if !strings.HasPrefix(uri, "file:") {
		uri = "file:" + file
	}
	u, err := keys.ParseURI(uri)
	if err != nil {
		return keys.Token{}, usageErrorf("%s: %v", redact.String(file), err)
	}
	k, err := keys.Open(uri, a.keyOptions(o.keyAccessOptions, ""))
	if err != nil {
		return keys.Token{}, err
	}
	defer k.Close()
	sum := pki.Summarize(k.Certificate())
	kt, bits := pki.KeyTypeOf(k.Public())
	name := filepath.Base(u.Path)
	return keys.Token{Module: "file", Label: name, PINStatus: "-", LoggedIn: true,
		Keys: []keys.TokenKey{{Label: name, KeyType: kt, KeyBits: bits, PrivateKey: true,
			Certificate: &sum, Match: "yes", URI: k.URI}}}, nil
}

func (a *app) renderTokens(toks []keys.Token) {
	if a.ui.JSON {
		for _, t := range toks {
			a.ui.EmitItem(ui.Item{Status: "found", Result: t})
		}
		a.ui.EmitSummary(ui.Summary{Command: "keys list", Total: len(toks), Done: len(toks)})
		return
	}
	rows := [][]string{}
	now := time.Now()
	for _, t := range toks {
		if len(t.Keys) == 0 {
			rows = append(rows, []string{t.Label, "(empty)", "", "", "", "", ""})
		}
		for _, k := range t.Keys {
			subject, until := "", ""
			if k.Certificate != nil {
				subject = k.Certificate.CommonName
				if k.Certificate.UserID != "" {
					subject += " (" + k.Certificate.UserID + ")"
				}
				until = k.Certificate.NotAfter.Format("2006-01-02")
				if now.After(k.Certificate.NotAfter) {
					until += " expired"
				}
			}
			keyDesc := k.KeyType
			if k.KeyBits > 0 && !strings.HasPrefix(k.KeyType, "ECDSA") {
				keyDesc = fmt.Sprintf("%s %d", k.KeyType, k.KeyBits)
			}
			if !k.PrivateKey && k.Certificate != nil && k.Match == "no key" {
				keyDesc = "(certificate only)"
			}
			rows = append(rows, []string{t.Label, k.Label, k.ID, keyDesc, subject, until, k.Match})
		}
	}
	a.ui.Table([]string{"TOKEN", "LABEL", "ID", "KEY", "CERTIFICATE", "VALID UNTIL", "MATCH"}, rows)
	for _, t := range toks {
		if !t.LoggedIn {
			a.ui.Infof("token %q: not logged in, private keys are not shown (add --login)", t.Label)
		}
		if t.PINStatus != "ok" && t.PINStatus != "-" {
			a.ui.Warnf("token %q: %s", t.Label, t.PINStatus)
		}
	}
}

func (a *app) newKeysShowCmd() *cobra.Command {
	o := &keyAccessOptions{}
	cmd := &cobra.Command{
		Use:   "show KEY",
		Short: "Show a key's certificate, chain and the trusted root it reaches",
		Long: `Open a key (a URI or a key profile of vbdt.yaml) and show its certificate: subject with the
Vietnamese fields (UID=CCCD:…, MST:…) in UTF-8, issuer, validity, key usage, fingerprint, the
chain, and which pinned Vietnamese root (Vietnam National Root CA, RootCA chuyên dùng Chính phủ
G2) or configured trust anchor the chain reaches, if any. Opening a token key logs in once.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt keys show file:approver.p12
  $ vbdt keys show 'file:key.pem?cert=chain.pem' --json
  $ vbdt keys show 'pkcs11:token=vbdt-demo;object=approver-rsa?pin-source=file:/run/secrets/pin'
  $ vbdt keys show approver`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runKeysShow(o, argv[0]) },
	}
	o.addFlags(cmd)
	return cmd
}

func (a *app) runKeysShow(o *keyAccessOptions, ref string) error {
	uri, pinSource, err := a.resolveKey(ref)
	if err != nil {
		return err
	}
	k, err := keys.Open(uri, a.keyOptions(*o, pinSource))
	if err != nil {
		return err
	}
	defer k.Close()
	anchors, err := a.trustAnchors()
	if err != nil {
		return err
	}
	trust := pki.Trace(k.Chain, anchors, pki.VietnamRoots())
	sum := pki.Summarize(k.Certificate())
	validity := pki.Validity(k.Certificate(), time.Now())
	if a.ui.JSON {
		chain := make([]pki.CertSummary, len(k.Chain))
		for i, c := range k.Chain {
			chain[i] = pki.Summarize(c)
		}
		a.ui.EmitItem(ui.Item{Status: "shown", Result: keyShown{URI: k.URI, Certificate: sum, Validity: validity,
			Chain: chain, Trust: trustOf(trust)}})
		return nil
	}
	pairs := [][2]string{
		{"URI", k.URI},
		{"Subject", sum.Subject},
		{"Common name", sum.CommonName},
	}
	if sum.UserID != "" {
		pairs = append(pairs, [2]string{"National ID (UID)", sum.UserID})
	}
	pairs = append(pairs,
		[2]string{"Issuer", sum.Issuer},
		[2]string{"Serial", sum.Serial},
		[2]string{"Valid", fmt.Sprintf("%s to %s (%s)", sum.NotBefore.Format(time.RFC3339), sum.NotAfter.Format(time.RFC3339), validity)},
		[2]string{"Key", fmt.Sprintf("%s %d bits", sum.KeyType, sum.KeyBits)},
		[2]string{"Key usage", strings.Join(sum.KeyUsage, ", ")},
	)
	if len(sum.ExtKeyUsage) > 0 {
		pairs = append(pairs, [2]string{"Extended key usage", strings.Join(sum.ExtKeyUsage, ", ")})
	}
	pairs = append(pairs, [2]string{"SHA-256", sum.SHA256})
	for i, c := range k.Chain[1:] {
		pairs = append(pairs, [2]string{fmt.Sprintf("Chain %d", i+1), pki.FormatName(c.RawSubject)})
	}
	pairs = append(pairs, [2]string{"Trust", trustText(trust)})
	a.ui.Fields(pairs)
	return nil
}

func trustText(t pki.TrustResult) string {
	switch {
	case t.Problem != "":
		return "chain does not verify: " + t.Problem
	case t.Pinned != nil:
		return "reaches pinned root " + t.Pinned.Name
	case t.Anchor:
		return "reaches configured trust anchor " + pki.FormatName(t.Root.RawSubject) + " (not a pinned Vietnamese root)"
	}
	return "reaches " + pki.FormatName(t.Root.RawSubject) + ", which is neither a pinned Vietnamese root nor a configured trust anchor"
}

func trustOf(t pki.TrustResult) keyTrust {
	r := keyTrust{Anchor: t.Anchor, Description: trustText(t), Problem: t.Problem}
	if t.Root != nil {
		r.Root, r.RootSHA256 = pki.FormatName(t.Root.RawSubject), pki.Fingerprint(t.Root)
	}
	if t.Pinned != nil {
		r.PinnedRoot = t.Pinned.Name
	}
	return r
}

// keyShown is an item's result of vbdt keys show.
type keyShown struct {
	URI         string            `json:"uri"`
	Certificate pki.CertSummary   `json:"certificate"`
	Validity    any               `json:"validity"`
	Chain       []pki.CertSummary `json:"chain"`
	Trust       keyTrust          `json:"trust"`
}

// keyTrust is how a key's chain reaches a trust anchor.
type keyTrust struct {
	Anchor      any    `json:"anchor"`
	Description string `json:"description"`
	Root        string `json:"root,omitempty"`
	RootSHA256  string `json:"root_sha256,omitempty"`
	PinnedRoot  string `json:"pinned_root,omitempty"`
	Problem     string `json:"problem,omitempty"`
}
