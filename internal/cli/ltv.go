package cli

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/evidence"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/sign"
	"github.com/vbdt/vbdt/verify"
)

// evidenceOptions are the flags of commands that gather long-term validation material: the
// TSA of document timestamps, and where OCSP responses, CRLs and certificates come from.
type evidenceOptions struct {
	tsa, cacheDir                string
	files                        []string
	offline, fresh, allowPrivate bool
}

func (o *evidenceOptions) addFlags(cmd *cobra.Command, withTSA bool) {
	f := cmd.Flags()
	if withTSA {
		f.StringVar(&o.tsa, "tsa", "", "RFC 3161 time-stamping authority URL (default tsa.url); user:password@ in it is sent as basic auth, never shown")
	}
	f.StringVar(&o.cacheDir, "evidence-cache", "", "where OCSP responses, CRLs and fetched certificates are kept until they expire (default $XDG_CACHE_HOME/vbdt/evidence)")
	f.BoolVar(&o.fresh, "no-evidence-cache", false, "ask the responders again instead of using the cache on disk")
	f.BoolVar(&o.offline, "offline", false, "no network: take validation data only from --evidence files (and the documents)")
	f.StringSliceVar(&o.files, "evidence", nil, "OCSP responses, CRLs and certificates as files (DER or PEM), used before asking the network")
	f.BoolVar(&o.allowPrivate, "allow-private-urls", false, "let the documents' certificates send vbdt to loopback and private addresses (refused by default: the URLs come from the documents)")
}

// fetcher makes the evidence fetcher of a run: one per run, so that each responder is asked
// once for a whole batch, and a cache on disk, so that later runs do not ask again.
func (a *app) fetcher(o evidenceOptions) (*evidence.Fetcher, error) {
	f := evidence.NewFetcher(nil)
	if !o.fresh {
		dir := o.cacheDir
		if dir == "" {
			var err error
			if dir, err = evidence.DefaultCacheDir(); err != nil {
				return nil, usageErrorf("no cache folder (%v): give --evidence-cache DIR or --no-evidence-cache", err)
			}
		}
		f.Cache = dir
	}
	f.Offline, f.PublicOnly = o.offline, !o.allowPrivate
	if len(o.files) > 0 {
		if err := f.LoadFiles(o.files); err != nil {
			return nil, usageErrorf("--evidence: %v", err)
		}
	}
	return f, nil
}

// ltvRoots are the roots that complete chains documents leave their root out of: the
// configured trust anchors and vbdt's trust store.
func (a *app) ltvRoots() ([]*x509.Certificate, error) {
	anchors, err := a.trustAnchors()
	if err != nil {
		return nil, err
	}
	stored, err := readTrustStore(a.trustDir())
	return append(anchors, stored...), err
}

// tsaClient is the TSA of --tsa or tsa.url, nil when neither is set.
func (a *app) tsaClient(flag string) (*evidence.TSA, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	u := cmp.Or(flag, cfg.TSA.URL)
	if u == "" {
		return nil, nil
	}
	t, err := evidence.ParseTSA(u)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return t, nil
}

func (a *app) newLTVCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ltv",
		Short: "Long-term signatures: add validation data and archive timestamps (PAdES B-LT, B-LTA)",
		Long: `Archives keep signed documents longer than any certificate lives. A long-term signature carries
what validates it later: its certificates, OCSP responses or CRLs for each (PAdES B-LT, in the
document's /DSS), and a document timestamp over everything (B-LTA), renewed before the
timestamp's own certificate expires.

  extend   adds validation data to the signatures of documents signed by vbdt or any other
           tool, and with --timestamp a document timestamp
  renew    adds a new document timestamp where the last one's TSA certificate expires soon
  status   says which level each signature reaches and when its evidence expires

Each is an incremental update: every earlier byte, and so every earlier signature, stays as it
was. OCSP responses and CRLs are kept on disk until they expire (--evidence-cache), so a batch
of documents signed with one certificate asks each responder once.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt sign --key organization --role issuer --level B-LTA qd-numbered.pdf -o qd-issued.pdf
  $ vbdt ltv extend --timestamp signed-elsewhere.pdf -o long-term.pdf
  $ vbdt ltv status qd-issued.pdf
  $ vbdt ltv renew --in-place ./archive --before 2y`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.newLTVExtendCmd(), a.newLTVRenewCmd(), a.newLTVStatusCmd())
	return cmd
}

type ltvExtendOptions struct {
	batchOptions
	evidenceOptions
	timestamp bool
	before    string
}

func (a *app) newLTVExtendCmd() *cobra.Command {
	o := &ltvExtendOptions{}
	cmd := &cobra.Command{
		Use:   "extend INPUT... (-o FILE | --out DIR | --in-place) [--timestamp]",
		Short: "Add validation data (B-LT) and optionally a document timestamp (B-LTA) to signed PDFs",
		Long: `Add to each document a /DSS update holding, for every intact signature and document timestamp,
its certificate chain (completed from the certificates' AIA when needed) and an OCSP response
or, where a certificate names no OCSP responder, a CRL for each certificate: PAdES B-LT. With
--timestamp, then a document timestamp over everything: B-LTA.

Signatures made by other tools are extended the same way. A certificate revoked before the time
its signature proves (a signature timestamp) or claims is an error for that document: nothing is
written. Inputs, journal, --shard and exit codes are those of vbdt sign.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt ltv extend signed.pdf -o signed-lt.pdf
  $ vbdt ltv extend --timestamp --tsa http://tsa.example.vn signed.pdf -o signed-lta.pdf
  $ vbdt ltv extend --in-place ./archive --json
  $ vbdt ltv extend --offline --evidence ocsp.der --evidence ca.crl signed.pdf -o signed-lt.pdf`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runLTV(cmd.Context(), "extend", o, argv) },
	}
	cmd.Flags().BoolVar(&o.timestamp, "timestamp", false, "then add a document timestamp (B-LTA)")
	o.batchOptions.addFlags(cmd, "documents")
	o.evidenceOptions.addFlags(cmd, true)
	return cmd
}

func (a *app) newLTVRenewCmd() *cobra.Command {
	o := &ltvExtendOptions{timestamp: true}
	cmd := &cobra.Command{
		Use:   "renew INPUT... (-o FILE | --out DIR | --in-place) [--before 2y]",
		Short: "Add a new archive timestamp where the last one's TSA certificate expires soon",
		Long: `For each document whose last document timestamp's TSA certificate expires within --before
(default 2y), add the validation data of that timestamp and of every signature, then a new
document timestamp, so that the document stays verifiable for decades. A document whose last
timestamp is not near its end is skipped; one without a document timestamp is skipped with a
hint (vbdt ltv extend --timestamp makes the first). Run it yearly over an archive.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt ltv renew --in-place ./archive --before 2y --json
  $ vbdt ltv renew signed-lta.pdf -o renewed.pdf --tsa http://tsa.example.vn`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runLTV(cmd.Context(), "renew", o, argv) },
	}
	cmd.Flags().StringVar(&o.before, "before", "2y", "renew when the TSA certificate expires within this: 2y, 18m (months), 90d, 720h")
	o.batchOptions.addFlags(cmd, "documents")
	o.evidenceOptions.addFlags(cmd, true)
	return cmd
}

// parseSpan reads a span of years (y), months (m), days (d) or a Go duration.
func parseSpan(s string) (func(time.Time) time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(strings.TrimRight(s, "ymd")); err == nil && n >= 0 && len(s) > 1 {
		switch s[len(s)-1] {
		case 'y':
			return func(t time.Time) time.Time { return t.AddDate(n, 0, 0) }, nil
		case 'm':
			return func(t time.Time) time.Time { return t.AddDate(0, n, 0) }, nil
		case 'd':
			return func(t time.Time) time.Time { return t.AddDate(0, 0, n) }, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, usageErrorf("--before %q: give e.g. 2y, 18m, 90d or 720h", s)
	}
	return func(t time.Time) time.Time { return t.Add(d) }, nil
}

func (a *app) runLTV(ctx context.Context, command string, o *ltvExtendOptions, argv []string) error {
	var horizon func(time.Time) time.Time
	if command == "renew" {
		var err error
		if horizon, err = parseSpan(o.before); err != nil {
			return err
		}
	}
	items, err := a.batchItems(argv, o.batchOptions)
	if err != nil {
		return err
	}
	fetcher, err := a.fetcher(o.evidenceOptions)
	if err != nil {
		return err
	}
	tsa, err := a.tsaClient(o.tsa)
	if err != nil {
		return err
	}
	if o.timestamp && tsa == nil {
		return usageErrorf("a document timestamp needs a time-stamping authority: --tsa URL or tsa.url")
	}
	roots, err := a.ltvRoots()
	if err != nil {
		return err
	}
	l := sign.LTV{Evidence: fetcher, TSA: tsa, Timestamp: o.timestamp, Roots: roots}
	if horizon != nil {
		l.RenewBefore = horizon(time.Now())
	}
	e := &batch.Engine{Workers: o.workers(), Journal: o.journalPath("ltv-"+command, len(items)),
		Do: func(ctx context.Context, it batch.Item) (batch.Outcome, error) {
			res, err := sign.ExtendFile(ctx, it.In, it.Out, l)
			var notDue *sign.NotDue
			if errors.Is(err, sign.ErrNothingToAdd) || errors.As(err, &notDue) {
				return batch.Outcome{Skipped: err.Error()}, nil
			}
			if err != nil {
				return batch.Outcome{}, err
			}
			return batch.Outcome{Bytes: res.Size}, nil
		}}
	verb := map[string]string{"extend": "extended", "renew": "renewed"}[command]
	return a.runBatch("ltv "+command, verb, items, func(on func(batch.Result)) (batch.Summary, error) {
		e.OnResult = on
		return e.Run(ctx, items)
	})
}

type ltvStatusOptions struct {
	trust       []string
	systemRoots bool
}

// ltvStatus is one signature's long-term state in vbdt ltv status.
type ltvStatus struct {
	File       string    `json:"file"`
	Field      string    `json:"field"`
	Kind       string    `json:"kind"`
	Level      string    `json:"level"`
	Indication string    `json:"indication"`
	Expires    time.Time `json:"evidence_expires,omitzero"`
	// ExpiresBy names the certificate whose end is the evidence's: the last document
	// timestamp's TSA, else the signature timestamp's TSA, else the signer's.
	ExpiresBy string `json:"expires_by,omitempty"`
	Problem   string `json:"problem,omitempty"`
}

func (a *app) newLTVStatusCmd() *cobra.Command {
	o := &ltvStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status FILE...",
		Short: "Say which PAdES level each signature reaches and when its evidence expires",
		Long: `For each signature and document timestamp: the level it reaches (B-B, B-T, B-LT, B-LTA), as
vbdt verify judges it, the verdict, and when its evidence expires: the last document
timestamp's TSA certificate for B-LTA (renew before then: vbdt ltv renew), the signature
timestamp's TSA certificate for B-T and B-LT, the signer's certificate for B-B. Offline by
default: only what the documents carry counts.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage),
		Example: `  $ vbdt ltv status issued.pdf
  $ vbdt ltv status --json ./archive/*.pdf`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runLTVStatus(cmd.Context(), o, argv) },
	}
	cmd.Flags().StringSliceVar(&o.trust, "trust", nil, "also trust the roots in these files (PEM or DER)")
	cmd.Flags().BoolVar(&o.systemRoots, "system-roots", false, "also trust the operating system's roots")
	return cmd
}

func (a *app) runLTVStatus(ctx context.Context, o *ltvStatusOptions, files []string) error {
	vo, err := a.verifyOptions(&verifyOptions{trust: o.trust, systemRoots: o.systemRoots, offline: true})
	if err != nil {
		return err
	}
	if !a.ui.JSON {
		a.ui.Row(ltvStatusHeader...)
	}
	var firstErr error
	failed := 0
	for _, path := range files {
		rep, err := verify.File(ctx, path, vo)
		if err != nil {
			failed++
			firstErr = cmp.Or(firstErr, err)
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "failed", Input: path, Error: err.Error()})
			} else {
				a.ui.Warnf("%s: %v", ui.Safe(path), err)
			}
			continue
		}
		if len(rep.Signatures) == 0 {
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "skipped", Input: path, Reason: "no signature"})
			} else {
				a.ui.Row(path, "", "", "no signature", "", "", "")
			}
		}
		for _, st := range ltvStatuses(rep) {
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: st.Level, Input: path, Result: st})
				continue
			}
			a.ui.Row(st.row()...)
		}
	}
	switch {
	case failed == 0:
		return nil
	case len(files) == 1:
		return firstErr
	}
	return partialError{fmt.Errorf("%d of %d documents could not be read", failed, len(files))}
}

var ltvStatusHeader = []string{"file", "field", "kind", "level", "indication", "evidence expires", "by"}

func (st ltvStatus) row() []string {
	exp := ""
	if !st.Expires.IsZero() {
		exp = st.Expires.Format(time.DateOnly)
	}
	return []string{st.File, st.Field, st.Kind, st.Level, st.Indication, exp, st.ExpiresBy}
}

// printLTVStatus shows statuses as a table.
func (a *app) printLTVStatus(sts []ltvStatus) {
	rows := make([][]string, len(sts))
	for i, st := range sts {
		rows[i] = st.row()
	}
	a.ui.Table(ltvStatusHeader, rows)
}

// ltvStatuses reads each signature's level and evidence horizon from a verification report.
func ltvStatuses(rep *verify.Report) []ltvStatus {
	var lastTS *verify.Signature
	for i, s := range rep.Signatures {
		if s.Kind == "document timestamp" && s.Integrity.OK && (lastTS == nil || s.SignedSize > lastTS.SignedSize) {
			lastTS = &rep.Signatures[i]
		}
	}
	var out []ltvStatus
	for _, s := range rep.Signatures {
		st := ltvStatus{File: rep.File, Field: s.Field, Kind: s.Kind, Level: s.Level, Indication: string(s.Indication), Problem: s.Reason}
		switch {
		case lastTS != nil && lastTS.Signer != nil && lastTS.SignedSize >= s.SignedSize:
			st.Expires, st.ExpiresBy = lastTS.Signer.NotAfter, "document timestamp "+lastTS.Field+": "+lastTS.Signer.Subject
		case s.Timestamp != nil && s.Timestamp.TSA != nil:
			st.Expires, st.ExpiresBy = s.Timestamp.TSA.NotAfter, "signature timestamp: "+s.Timestamp.TSA.Subject
		case s.Signer != nil:
			st.Expires, st.ExpiresBy = s.Signer.NotAfter, "signer: "+s.Signer.Subject
		}
		out = append(out, st)
	}
	return out
}
