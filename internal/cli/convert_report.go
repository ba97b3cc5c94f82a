package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/ui"
)

func (a *app) newConvertReportCmd() *cobra.Command {
	var html string
	cmd := &cobra.Command{
		Use:   "report DIR [--html FILE]",
		Short: "Check a conversion's output folder page by page, for the archivist (QA)",
		Long: `Read the results of vbdt convert in DIR — manifest.json, or when there is none every sidecar
X.json next to its X.pdf — and check every document: the PDF against its sidecar's fixity, every
page drawn as a thumbnail (MuPDF's mutool, or Ghostscript's gs) and flagged for a second look:
low resolution (under 200 dpi), bilevel or not colour, a page that looks blank (almost all of it
white), a rotated page, and whether the scanner's bytes went in as they are or were re-encoded
losslessly. Each document's conformance to its profile is shown with its problems.

--html writes it all as one self-contained page (thumbnails and style inline, no script, no
external resource; Vietnamese with English in small text) to open offline or print on A4. The
totals are printed; --json gives an item per document and a summary.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitUsage),
		Example: `  $ vbdt convert ./scans/* --out ./pdfa
  $ vbdt convert report ./pdfa --html ./pdfa-qa.html
  $ vbdt convert report ./pdfa --json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runConvertReport(argv[0], html) },
	}
	cmd.Flags().StringVar(&html, "html", "", "write the report, with a thumbnail of every page, as a self-contained HTML page to this file")
	return cmd
}

func (a *app) runConvertReport(dir, html string) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageErrorf("%s: not a folder (give the --out folder of vbdt convert)", dir)
	}
	start := time.Now()
	qa, err := convert.Report(dir)
	if errors.Is(err, convert.ErrNoResults) {
		return usageErrorf("%v", err)
	}
	if err != nil {
		return err
	}
	if html != "" {
		if err := fsutil.Replace(html, 0o644, func(f *os.File) error { return convert.WriteQAHTML(f, qa) }); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	t := qa.Totals
	for i := range qa.Documents {
		d := &qa.Documents[i]
		status, detail := "checked", conformance(&d.Result)
		if d.Unreadable() {
			status = "failed"
		}
		if a.ui.JSON {
			item := ui.Item{Status: status, Input: d.PDF, Result: d}
			if status == "failed" {
				item.Error = d.Findings[0].Text
			}
			a.ui.EmitItem(item)
			continue
		}
		var flags []string
		for _, f := range convert.QAFlags {
			if n := d.Flagged(f); n > 0 && f != convert.FlagPassthrough && f != convert.FlagReencoded {
				flags = append(flags, fmt.Sprintf("%s %d", f, n))
			}
		}
		if len(flags) > 0 {
			detail += "; pages " + strings.Join(flags, ", ")
		}
		a.ui.Printf("%s\t%d pages\t%s\n", ui.Safe(d.PDF), d.Pages, ui.Safe(detail))
		for _, p := range d.Findings {
			a.ui.Printf("  %s %s: %s\n", p.Severity, p.Code, ui.Safe(p.Text))
		}
	}
	byFlag := map[string]int{}
	for _, f := range convert.QAFlags {
		byFlag[string(f)] = t.ByFlag[f]
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "convert report", Total: t.Documents, Done: t.Documents - t.Unreadable, Failed: t.Unreadable,
			SecondsElapsed: ui.Seconds(time.Since(start)), Result: map[string]any{"pages": t.Pages, "bytes": t.Bytes,
				"non_conforming": t.NonConforming, "changed": t.Changed, "pages_by_flag": byFlag, "html": html}})
		return nil
	}
	a.ui.Printf("%d documents, %d pages, %d bytes: %d not conforming, %d unreadable, %d changed since conversion\n",
		t.Documents, t.Pages, t.Bytes, t.NonConforming, t.Unreadable, t.Changed)
	var flags []string
	for _, f := range convert.QAFlags {
		flags = append(flags, fmt.Sprintf("%s %d", f, t.ByFlag[f]))
	}
	a.ui.Printf("pages: %s\n", strings.Join(flags, ", "))
	if html != "" {
		a.ui.Infof("QA page: %s", html)
	}
	return nil
}
