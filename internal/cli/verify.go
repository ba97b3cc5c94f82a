package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/verify"
)

type verifyOptions struct {
	trust                               []string
	profile, html, output               string
	systemRoots, offline, acrobat, sha1 bool
	allowPrivate                        bool
	minRSA, jobs, extract               int
}

func (a *app) newVerifyCmd() *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify INPUT...",
		Short: "Verify the signatures of PDFs: integrity, trust, revocation and every later change",
		Long: `Verify every signature and document timestamp of one PDF or thousands, as a receiving clerk
must before registering an incoming document (Decree 30/2020/NĐ-CP):

  integrity    the signed byte range is exactly the revision it claims, the digest and the
               signature value verify, the certificate is the one the signature binds
  trust        the certificate chains to a trusted root at the signing time: a timestamp's
               time when there is one, else the claimed time (/M), reported as unproven.
               Trusted roots: the pinned Vietnamese national roots (by fingerprint), those
               added with 'vbdt trust add', --trust files, trust.anchors in vbdt.yaml, and
               the system's with --system-roots
  revocation   OCSP responses and CRLs the document carries (DSS, Adobe archival), else
               fetched online from the certificate's services unless --offline
  changes      every revision after a signature, object by object, against what it permits
               (DocMDP, FieldMDP): only DSS and document timestamps, filling existing fields
               and signing existing signature fields — and annotations where allowed — pass;
               anything else is a modification, named (strict reading, as EU DSS and pyHanko)

Each signature gets an ETSI EN 319 102-1 indication: TOTAL_PASSED, TOTAL_FAILED (broken,
modified, revoked) or INDETERMINATE (an untrusted root, unknown revocation, a weak algorithm),
and the document the worst of them. --profile nd30 adds the checks of an issued Decree 30
document: the approver's certification, the number filled in before the organization's
signature, nothing else in between.

INPUT is a PDF, a folder (searched for *.pdf), a glob, or - to read paths from stdin.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitVerifyFail, ui.ExitUsage) +
			"\n\nExit 10 wins over 3: some document was judged not valid, whatever else could not be read.",
		Example: `  $ vbdt verify incoming/15-QD-UBND.pdf
  $ vbdt verify --profile nd30 -v --html report.html issued.pdf
  $ vbdt verify --offline --trust ca.pem --json incoming/ > verdicts.jsonl
  $ vbdt verify --extract-revision 1 -o as-approved.pdf issued.pdf`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runVerify(cmd.Context(), argv, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.trust, "trust", nil, "trusted root or intermediate certificates (PEM or DER file; repeatable)")
	f.BoolVar(&o.systemRoots, "system-roots", false, "also trust the operating system's root certificates")
	f.BoolVar(&o.offline, "offline", false, "use only what the documents carry: no OCSP, CRL or certificate fetching")
	f.BoolVar(&o.allowPrivate, "allow-private-urls", false, "let the documents' certificates send vbdt to loopback and private addresses when online (refused by default: the URLs come from the documents)")
	f.StringVar(&o.profile, "profile", "", "also check the rules of a profile: nd30 (an issued Decree 30 document)")
	f.StringVar(&o.html, "html", "", "also write a self-contained HTML report of every document to this file")
	f.BoolVar(&o.acrobat, "accept-new-signature-fields", false, "accept new visible signature fields after a certification (Acrobat's reading; strict validators reject them)")
	f.BoolVar(&o.sha1, "allow-sha1", false, "do not report SHA-1 digests as weak")
	f.IntVar(&o.minRSA, "min-rsa-bits", 2048, "smallest RSA key not reported as weak")
	f.IntVar(&o.jobs, "jobs", 0, "documents verified in parallel (default: the number of CPUs)")
	f.IntVar(&o.extract, "extract-revision", 0, "write revision N of the one INPUT, the exact bytes its signer signed, to -o FILE")
	f.StringVarP(&o.output, "output", "o", "", "where --extract-revision writes")
	return cmd
}

// verdictError is a verification whose verdict is not TOTAL_PASSED: exit 10.
type verdictError struct{ failed, indeterminate int }

func (e verdictError) Error() string {
	return fmt.Sprintf("%d documents failed verification, %d are indeterminate", e.failed, e.indeterminate)
}

func (a *app) runVerify(ctx context.Context, argv []string, o *verifyOptions) error {
	if o.profile != "" && o.profile != verify.ProfileND30 {
		return usageErrorf("--profile %q: the profiles are %s", o.profile, verify.ProfileND30)
	}
	if o.extract != 0 {
		return a.extractRevision(argv, o)
	}
	opts, err := a.verifyOptions(o)
	if err != nil {
		return err
	}
	if a.getenv("GOGC") == "" && a.getenv("GOMEMLIMIT") == "" {
		// Verifying allocates a few MB per document and keeps little: collecting less often
		// doubles a batch's speed, and the limit keeps the heap of a large document bounded.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(64 << 20))
	}
	inputs, err := batch.Expand(argv, a.streams.In, ".pdf")
	if err == nil && len(inputs) == 0 {
		err = fmt.Errorf("%w: no PDF in %v", batch.ErrUsage, argv)
	}
	if err != nil {
		return usageError{err: err}
	}
	items := make([]batch.Item, len(inputs))
	for i, in := range inputs {
		items[i] = batch.Item{In: in.Path}
	}
	var (
		mu      sync.Mutex
		reports = map[string]*verify.Report{}
		all     []*verify.Report
		count   = map[verify.Indication]int{}
	)
	progress := a.ui.NewProgress("verify", len(items), 2*time.Second)
	e := &batch.Engine{Workers: o.jobs, Do: func(ctx context.Context, it batch.Item) (batch.Outcome, error) {
		rep, err := verify.File(ctx, it.In, opts)
		if err != nil {
			return batch.Outcome{}, err
		}
		mu.Lock()
		reports[it.In] = rep
		mu.Unlock()
		return batch.Outcome{}, nil
	}, OnResult: func(r batch.Result) {
		progress.Add(1)
		mu.Lock()
		rep := reports[r.In]
		delete(reports, r.In)
		mu.Unlock()
		if r.Err != nil {
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "failed", Input: r.In, Error: r.Err.Error()})
			} else {
				a.ui.Printf("%s\t%s\n", ui.Safe(r.In), ui.Safe("UNREADABLE: "+r.Err.Error()))
			}
			return
		}
		count[rep.Indication]++
		if o.html != "" {
			all = append(all, rep)
		}
		if a.ui.JSON {
			a.ui.EmitItem(ui.Item{Status: "verified", Input: r.In, Result: rep})
			return
		}
		a.printReport(rep)
	}}
	if e.Workers == 0 {
		e.Workers = (&batchOptions{}).workers()
	}
	sum, err := e.Run(ctx, items)
	progress.Done()
	if err != nil {
		return err
	}
	if o.html != "" {
		if err := fsutil.Replace(o.html, 0o644, func(f *os.File) error { return verify.WriteHTML(f, all) }); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	totals := map[string]int{"passed": count[verify.TotalPassed], "failed": count[verify.TotalFailed],
		"indeterminate": count[verify.Indeterminate], "unreadable": sum.Failed}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "verify", Total: sum.Total, Done: sum.Done, Failed: sum.Failed,
			SecondsElapsed: ui.Seconds(sum.Elapsed), Result: totals})
	} else if sum.Total > 1 {
		a.ui.Infof("%d documents: %d valid, %d failed, %d indeterminate, %d unreadable in %s", sum.Total,
			totals["passed"], totals["failed"], totals["indeterminate"], totals["unreadable"], sum.Elapsed.Round(time.Millisecond))
	}
	switch {
	case totals["failed"]+totals["indeterminate"] > 0:
		return verdictError{totals["failed"], totals["indeterminate"]}
	case sum.Failed > 0 && sum.Total == 1:
		return fmt.Errorf("%w", partialError{fmt.Errorf("the document could not be read")})
	case sum.Failed > 0:
		return partialError{fmt.Errorf("%d of %d documents could not be read", sum.Failed, sum.Total)}
	}
	return nil
}

// verifyOptions gathers the trust anchors: --trust files, trust.anchors of the configuration
// and the trust store of 'vbdt trust add'.
func (a *app) verifyOptions(o *verifyOptions) (verify.Options, error) {
	anchors, err := a.trustAnchors()
	if err != nil {
		return verify.Options{}, err
	}
	for _, p := range o.trust {
		certs, err := keys.ReadCertificates(p)
		if err != nil {
			return verify.Options{}, usageErrorf("--trust: %v", err)
		}
		anchors = append(anchors, certs...)
	}
	stored, err := readTrustStore(a.trustDir())
	if err != nil {
		return verify.Options{}, err
	}
	fetcher := verify.NewFetcher(nil)
	fetcher.PublicOnly = !o.allowPrivate
	return verify.Options{Anchors: append(anchors, stored...), SystemRoots: o.systemRoots, Offline: o.offline,
		Profile: o.profile, MinRSABits: o.minRSA, AllowSHA1: o.sha1, Fetcher: fetcher,
		Strictness: verify.Strictness{NewVisibleSignatureFields: o.acrobat}}, nil
}

// printReport shows a document's verdict: a line for the document, one per signature, and
// with -v the details.
func (a *app) printReport(rep *verify.Report) {
	mark := map[verify.Indication]string{verify.TotalPassed: "✓", verify.TotalFailed: "✗", verify.Indeterminate: "?"}
	line := fmt.Sprintf("%s %s  %s", mark[rep.Indication], ui.Safe(rep.File), rep.Indication)
	if rep.SubIndication != "" {
		line += " " + string(rep.SubIndication) + ": " + ui.Safe(rep.Reason)
	}
	a.ui.Printf("%s\n", line)
	for _, s := range rep.Signatures {
		who, when := "-", "-"
		if s.Signer != nil {
			who = s.Signer.Subject
			if i := strings.Index(who, "CN="); i >= 0 {
				who = strings.SplitN(who[i+3:], ",", 2)[0]
			}
		}
		if !s.Time.IsZero() {
			when = s.Time.Format(time.RFC3339)
			if !strings.Contains(s.TimeSource, "timestamp") {
				when += " (unproven)"
			}
		}
		role := string(s.Role)
		if role == "" {
			role = s.Kind
		}
		a.ui.Printf("  %s %-16s %-10s %-32s %-32s %-5s %s\n", mark[s.Indication], ui.Safe(s.Field), role, ui.Safe(who), when, s.Level, s.Indication)
		if s.Indication != verify.TotalPassed {
			a.ui.Printf("      %s: %s\n", s.SubIndication, ui.Safe(s.Reason))
		}
		if !a.global.verbose {
			continue
		}
		pairs := [][2]string{{"revision", fmt.Sprintf("%d of %d (signed %d bytes%s)", s.Revision, rep.Revisions, s.SignedSize, map[bool]string{true: ", the whole file", false: ""}[s.CoversWholeFile])}}
		if s.DocMDP != 0 {
			pairs = append(pairs, [2]string{"certifies", fmt.Sprintf("DocMDP P=%d", s.DocMDP)})
		}
		pairs = append(pairs, [2]string{"integrity", okOr(s.Integrity.OK, s.Integrity.Problem)})
		trust := okOr(s.Trust.OK, s.Trust.Problem)
		if s.Trust.OK {
			trust = "chains to " + s.Trust.Root + " (" + s.Trust.Anchor + ")"
			if s.Trust.National != "" {
				trust += ", national root " + s.Trust.National
			}
		}
		pairs = append(pairs, [2]string{"trust", trust}, [2]string{"time", s.TimeSource})
		rev := s.Revocation.Status
		if s.Revocation.Source != "" {
			rev += " (" + s.Revocation.Source + ")"
		}
		if s.Revocation.Problem != "" {
			rev += ": " + s.Revocation.Problem
		}
		pairs = append(pairs, [2]string{"revocation", rev}, [2]string{"changes after", fmt.Sprintf("%s (%s)", s.Changes.Worst, map[bool]string{true: "permitted", false: "NOT permitted"}[s.Changes.Allowed])})
		for _, it := range s.Changes.Items {
			pairs = append(pairs, [2]string{"  change", it})
		}
		if s.Claimed.Reason != "" {
			pairs = append(pairs, [2]string{"reason (claimed)", s.Claimed.Reason})
		}
		for _, f := range s.Findings {
			pairs = append(pairs, [2]string{string(f.Severity), f.Text})
		}
		for i := range pairs {
			pairs[i][0] = "      " + pairs[i][0]
			pairs[i][1] = ui.Safe(pairs[i][1])
		}
		a.ui.Fields(pairs)
	}
	for _, f := range rep.Findings {
		a.ui.Printf("  %s %s: %s\n", map[verify.Severity]string{verify.Failure: "✗", verify.Warning: "!", verify.Info: "·"}[f.Severity], f.Code, ui.Safe(f.Text))
	}
}

func okOr(ok bool, problem string) string {
	if ok {
		return "ok"
	}
	return problem
}

// extractRevision writes the bytes of revision N of the one input: what its signer signed.
func (a *app) extractRevision(argv []string, o *verifyOptions) error {
	if len(argv) != 1 || o.output == "" {
		return usageErrorf("--extract-revision N takes one INPUT and -o FILE")
	}
	f, err := os.Open(argv[0])
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	end, err := verify.RevisionEnd(f, fi.Size(), o.extract)
	if err != nil {
		return usageErrorf("%s: %v", argv[0], err)
	}
	err = fsutil.Replace(o.output, 0o644, func(out *os.File) error {
		_, err := io.Copy(out, io.NewSectionReader(f, 0, end))
		return err
	})
	if err != nil {
		return err
	}
	a.ui.Infof("revision %d of %s (%d bytes) written to %s", o.extract, argv[0], end, o.output)
	return nil
}

// trustAnchors reads the trust anchors of the configuration (trust.anchors).
func (a *app) trustAnchors() ([]*x509.Certificate, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	var anchors []*x509.Certificate
	for _, p := range cfg.Trust.Anchors {
		certs, err := keys.ReadCertificates(p)
		if err != nil {
			return nil, fmt.Errorf("trust anchor: %w", err)
		}
		anchors = append(anchors, certs...)
	}
	return anchors, nil
}
