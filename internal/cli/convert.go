package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/ui"
)

type convertOptions struct {
	out, manifest, pdfa, profile, journal, shard string
	dpi                                          float64
	jobs                                         int
	explain                                      bool
}

func (o *convertOptions) addFlags(cmd *cobra.Command, run bool) {
	f := cmd.Flags()
	f.StringVar(&o.manifest, "manifest", "", "a CSV manifest of the documents (FileCode, DocOrdinal, Images, metadata columns) instead of dossier folders")
	f.StringVar(&o.out, "out", "", "output folder")
	f.StringVar(&o.profile, "profile", string(convert.ProfileND30), "digitization rules checked: nd30 or tt02-2019")
	f.Float64Var(&o.dpi, "dpi", 0, "resolution of images that give none (default: such an image is an error)")
	if !run {
		return
	}
	f.StringVar(&o.pdfa, "pdfa", string(convert.PDFA2B), "PDF/A part: 2b (PDF 1.7) or 1b (PDF 1.4)")
	f.IntVar(&o.jobs, "jobs", 0, "documents converted in parallel (default: the number of CPUs)")
	f.StringVar(&o.journal, "journal", "", "batch journal (default: .vbdt-convert-journal in the output folder)")
	f.StringVar(&o.shard, "shard", "", "K/N: only slice K of N of the documents (for N machines sharing a backlog)")
	f.BoolVar(&o.explain, "explain", false, "show how each page was embedded (passed through, or re-encoded losslessly)")
}

func (a *app) newConvertCmd() *cobra.Command {
	o := &convertOptions{}
	cmd := &cobra.Command{
		Use:   "convert (FOLDER... | --manifest FILE.csv) --out DIR",
		Short: "Convert scanned paper archives to archival PDF/A, losslessly",
		Long: `Convert scanned paper archives to archival PDF/A documents, one per document of a file (hồ sơ),
named <mã hồ sơ>.<ordinal, 3 digits>.pdf (a "/" of the code escaped as %2F), each with a JSON
sidecar of its archival metadata, fixity and compliance report, and a manifest of the whole run
(manifest.csv, manifest.json in --out).

Inputs: dossier folders, each a file whose name is its code, each image in it (JPEG, PNG, TIFF —
a multi-page TIFF is one document) a document numbered in name order; or --manifest, a CSV with
columns FileCode, DocOrdinal, Images ("a.tif[1-3];b.jpg", relative to the manifest) and metadata
columns (TypeName, CodeNumber, CodeNotation, IssuedDate, OrganName, Subject, …).

Nothing is re-encoded lossily. The scanner's bytes go in as they are when the PDF can hold them
(JPEG as DCTDecode, a one-strip CCITT G4 TIFF page as CCITTFaxDecode, PNG's compressed data
with its predictor); other bilevel pages are re-encoded to G4, the rest to Flate, losslessly.
Page size comes from each image's resolution (--dpi when it gives none).

Each document is checked against the digitization rules (--profile): at least 200 dpi, colour
(bilevel scans are converted as they are and reported not colour), metadata lengths. A run can
be killed at any point: run it again and it goes on, documents already made kept (journal).` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt convert plan ./scans/H99.2026.01-QD
  $ vbdt convert ./scans/* --out ./pdfa
  $ vbdt convert --manifest hoso.csv --out ./pdfa --pdfa 1b --explain
  $ vbdt convert --manifest hoso.csv --out /mnt/pdfa --shard 3/8 --json`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runConvert(cmd.Context(), argv, o) },
	}
	o.addFlags(cmd, true)
	cmd.AddCommand(a.newConvertPlanCmd(), a.newConvertReportCmd(), a.newConvertOCRCmd(), a.newConvertSignCmd())
	return cmd
}

func (a *app) newConvertPlanCmd() *cobra.Command {
	o := &convertOptions{}
	cmd := &cobra.Command{
		Use:   "plan (FOLDER... | --manifest FILE.csv)",
		Short: "Show the documents a conversion would make and every problem found, writing nothing",
		Long: `Read the inputs as vbdt convert would — every image's headers, not its pixels — and list the
documents to make with their pages, how each page would be embedded, and the problems found
(unreadable or unsupported images, missing resolution, low resolution, not colour, metadata too
long). Nothing is written.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage),
		Example: `  $ vbdt convert plan ./scans/H99.2026.01-QD
  $ vbdt convert plan --manifest hoso.csv --json`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runConvertPlan(argv, o) },
	}
	o.addFlags(cmd, false)
	return cmd
}

// convertDocs plans the documents of the inputs.
func (o *convertOptions) docs(argv []string) ([]convert.Document, convert.Options, error) {
	opts := convert.Options{Part: convert.Part(o.pdfa), DPI: o.dpi, Profile: convert.Profile(o.profile)}
	if !slices.Contains(convert.Profiles, opts.Profile) {
		return nil, opts, usageErrorf("--profile %q: the profiles are nd30 and tt02-2019", o.profile)
	}
	if o.pdfa != "" && opts.Part != convert.PDFA1B && opts.Part != convert.PDFA2B {
		return nil, opts, usageErrorf("--pdfa %q: use 2b or 1b", o.pdfa)
	}
	out := o.out
	if out == "" {
		out = "."
	}
	var docs []convert.Document
	var err error
	switch {
	case o.manifest != "" && len(argv) > 0:
		return nil, opts, usageErrorf("give dossier folders or --manifest, not both")
	case o.manifest != "":
		docs, err = convert.PlanManifest(o.manifest, out)
	case len(argv) == 0:
		return nil, opts, usageErrorf("give dossier folders, or --manifest FILE.csv")
	default:
		docs, err = convert.PlanFolders(argv, out)
	}
	if err != nil {
		return nil, opts, usageError{err: err}
	}
	return docs, opts, nil
}

func (a *app) runConvertPlan(argv []string, o *convertOptions) error {
	docs, opts, err := o.docs(argv)
	if err != nil {
		return err
	}
	bad := 0
	for _, d := range docs {
		images, hashes, _, err := convert.Inspect(d, opts)
		item := ui.Item{Status: "planned", Input: d.Sources[0].Path, Output: d.Out}
		if err != nil {
			bad++
			item.Status, item.Error = "failed", err.Error()
		}
		var problems []convert.Problem
		if err == nil {
			problems = opts.Profile.Check(d, convert.StatsOf(images), &convert.Result{Pages: len(images)})
			item.Result = map[string]any{"document": d, "pages": len(images), "sources": hashes, "problems": problems}
		}
		if a.ui.JSON {
			a.ui.EmitItem(item)
			continue
		}
		if err != nil {
			a.ui.Printf("%s\tfailed\t%s\n", ui.Safe(d.Out), ui.Safe(err.Error()))
			continue
		}
		a.ui.Printf("%s\t%d pages\t%s\n", ui.Safe(d.Out), len(images), ui.Safe(sourceList(d)))
		for _, p := range problems {
			a.ui.Printf("  %s %s: %s\n", p.Severity, p.Code, ui.Safe(p.Text))
		}
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "convert plan", Total: len(docs), Done: len(docs) - bad, Failed: bad})
	}
	if bad > 0 {
		return partialError{fmt.Errorf("%d of %d documents cannot be made as they are", bad, len(docs))}
	}
	return nil
}

func sourceList(d convert.Document) string {
	var s []string
	for _, src := range d.Sources {
		s = append(s, src.Path)
	}
	return strings.Join(s, ";")
}

func (a *app) runConvert(ctx context.Context, argv []string, o *convertOptions) error {
	docs, opts, err := o.docs(argv)
	if err != nil {
		return err
	}
	if o.out == "" {
		return usageErrorf("--out DIR is needed: where the documents go")
	}
	opts.Producer = "vbdt " + a.versionString()
	if a.getenv("GOMEMLIMIT") == "" {
		// collect harder rather than grow: a backlog's 20 000-page document stays near 64 MB
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(40 << 20))
	}
	if a.getenv("GOGC") == "" {
		// the live heap is small (pages in flight and a few hundred bytes a page): collecting
		// it at half its size again rather than twice keeps memory flat, for little CPU
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	byOut := map[string]convert.Document{}
	items := make([]batch.Item, len(docs))
	for i, d := range docs {
		items[i] = batch.Item{In: d.Sources[0].Path, Out: d.Out}
		byOut[d.Out] = d
	}
	if o.shard != "" {
		k, n, err := batch.ParseShard(o.shard)
		if err != nil {
			return usageError{err: err}
		}
		items = batch.Shard(items, k, n)
	}
	journal := o.journal
	if journal == "" {
		journal = filepath.Join(o.out, ".vbdt-convert-journal")
	}
	var (
		mu      sync.Mutex
		results = map[string]*convert.Result{}
		pages   int
	)
	progress := a.ui.NewProgress("convert", len(items), 2*time.Second)
	e := &batch.Engine{Workers: o.jobs, Journal: journal,
		Do: func(ctx context.Context, it batch.Item) (batch.Outcome, error) {
			if why := convert.LaterStage(it.Out); why != "" {
				return batch.Outcome{Skipped: why}, nil
			}
			r, err := convert.Convert(byOut[it.Out], opts)
			if err != nil {
				return batch.Outcome{}, err
			}
			mu.Lock()
			results[it.Out] = r
			mu.Unlock()
			return batch.Outcome{Bytes: r.Bytes}, nil
		},
		OnResult: func(r batch.Result) {
			progress.Add(1)
			mu.Lock()
			res := results[r.Out]
			delete(results, r.Out)
			mu.Unlock()
			item := ui.Item{Status: "converted", Input: r.In, Output: r.Out, Bytes: r.Bytes}
			switch {
			case r.Err != nil:
				item.Status, item.Error, item.Bytes = "failed", r.Err.Error(), 0
			case r.Skipped != "":
				item.Status, item.Reason = "skipped", r.Skipped
			default:
				item.Result = res
				pages += res.Pages
			}
			if a.ui.JSON {
				a.ui.EmitItem(item)
				return
			}
			detail := item.Error + item.Reason
			if res != nil {
				detail = fmt.Sprintf("%d pages, %s", res.Pages, conformance(res))
			}
			a.ui.Row(item.Status, item.Input, item.Output, detail)
			if o.explain && res != nil {
				for i, p := range res.Embedded {
					a.ui.Printf("  page %d: %s, %d bytes, %g dpi\n", i+1, p.Path, p.Bytes, p.DPI)
				}
			}
		}}
	if e.Workers == 0 {
		e.Workers = (&batchOptions{}).workers()
	}
	if !a.ui.JSON && !a.ui.Quiet && !a.ui.Human() {
		a.ui.Row("status", "input", "output", "detail")
	}
	sum, runErr := e.Run(ctx, items)
	progress.Done()
	outs := make([]string, len(docs))
	for i, d := range docs {
		outs[i] = d.Out
	}
	rows, err := writeManifest(o.out, outs)
	if err != nil && runErr == nil {
		runErr = err
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "convert", Total: sum.Total, Done: sum.Done, Skipped: sum.Skipped, Failed: sum.Failed,
			SecondsElapsed: ui.Seconds(sum.Elapsed), Result: map[string]any{"pages": pages, "manifest_rows": rows}})
	} else {
		a.ui.Infof("%d converted (%d pages), %d skipped, %d failed in %s; manifest: %s", sum.Done, pages, sum.Skipped, sum.Failed,
			sum.Elapsed.Round(time.Millisecond), filepath.Join(o.out, "manifest.csv"))
	}
	switch {
	case runErr != nil:
		return runErr
	case sum.Failed == 0:
		return nil
	case sum.Done+sum.Skipped == 0 && sum.Total > 1:
		return fmt.Errorf("all %d documents failed (each with its reason above, or in --json)", sum.Failed)
	}
	return partialError{fmt.Errorf("%d of %d documents failed", sum.Failed, sum.Total)}
}

func conformance(r *convert.Result) string {
	if r.Conforms {
		return "conforms to " + string(r.Profile)
	}
	var codes []string
	for _, p := range r.Problems {
		if p.Severity == "error" {
			codes = append(codes, p.Code)
		}
	}
	return "does not conform: " + strings.Join(codes, ", ")
}

func (a *app) newConvertOCRCmd() *cobra.Command {
	var lang, fontPath string
	var jobs int
	cmd := &cobra.Command{
		Use:   "ocr DIR",
		Short: "Add an invisible text layer to converted documents (Tesseract), as a separate, resumable stage",
		Long: `Recognize the text of every converted document in DIR with Tesseract (Debian: tesseract-ocr
tesseract-ocr-vie) from its source scans, and add it to the document as an invisible text layer
(text rendering mode 3, each word over its place on the page) in an incremental update: the
image streams and every byte before it stay as they were, so that search and copy work and
nothing shown changes. The sidecars record it and the manifest is rewritten. OCR is three to four
orders of magnitude slower than conversion: run it after, killed or not, as often as needed —
documents with a layer are skipped. PDF/A-2b documents only.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt convert ocr ./pdfa
  $ vbdt convert ocr ./pdfa --lang vie+eng --jobs 2 --json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.runConvertOCR(cmd.Context(), argv[0], lang, fontPath, jobs)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "vie", "Tesseract languages (vie, vie+eng, …)")
	cmd.Flags().StringVar(&fontPath, "font", "", "TrueType font of the text layer (default: Liberation Serif, as for signatures)")
	cmd.Flags().IntVar(&jobs, "jobs", 0, "documents recognized in parallel (default: the number of CPUs)")
	return cmd
}

func (a *app) newConvertSignCmd() *cobra.Command {
	o := &signOptions{role: string(nd30.Copy), hash: "sha256"}
	cmd := &cobra.Command{
		Use:   "sign DIR --key KEY",
		Short: "Sign converted documents with the organization's copy signature, as a separate, resumable stage",
		Long: `Sign every converted document in DIR (each PDF with its JSON sidecar) as an electronic copy of
the paper original: the organization's signature in the role copy (Decree 30: the copy form —
SAO Y, SAO LỤC or TRÍCH SAO —, the copying agency and the signing time at the top right of
page 1), in an incremental update that leaves the image streams and every byte before it as
they were. Documents already signed by this key are skipped, so the stage resumes after a kill;
the sidecars record each signature and the new fixity, and the manifest is rewritten. With
--tsa the signatures are timestamped; --level B-LT or B-LTA makes them long-term (see vbdt ltv).` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitKey, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt convert sign ./pdfa --key organization
  $ vbdt convert sign ./pdfa --key 'pkcs11:token=HSM;object=org' --copy-form "SAO LỤC" --tsa http://tsa.example.vn --json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runConvertSign(cmd, o, argv[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "signing key: a URI (file:…, pkcs11:…) or a key profile of vbdt.yaml")
	f.StringVar(&o.copyForm, "copy-form", "SAO Y", "SAO Y, SAO LỤC or TRÍCH SAO")
	f.StringVar(&o.copyAgency, "copy-agency", "", "the copying agency (default agency.name)")
	f.StringVar(&o.font, "font", "", "TrueType font of the copy's text (default appearance.font, Times New Roman, Liberation Serif)")
	f.StringVar(&o.tsa, "tsa", "", "RFC 3161 time-stamping authority URL (default tsa.url)")
	f.StringVar(&o.level, "level", "", "PAdES level: B-B, B-T, B-LT, B-LTA (default B-T with a TSA, else B-B)")
	f.IntVar(&o.jobs, "jobs", 0, "documents prepared in parallel (default: the number of CPUs)")
	o.keyAccessOptions.addFlags(cmd)
	o.evidence.addFlags(cmd, false)
	cmd.MarkFlagRequired("key")
	return cmd
}

// runConvertSign signs the converted documents of dir in place with vbdt sign's batch (role
// copy), then records what was signed in their sidecars and rewrites the manifest — after a
// partial failure too, so that the manifest matches the files.
func (a *app) runConvertSign(cmd *cobra.Command, o *signOptions, dir string) error {
	outs, err := convert.Documents(dir)
	if err == nil && len(outs) == 0 {
		err = fmt.Errorf("%s: no converted document (a PDF with its JSON sidecar)", dir)
	}
	if err != nil {
		return usageError{err: err}
	}
	// only documents that are what their sidecars record are signed: the organization vouches
	// for the copy of those scans, not for a file put in its place
	var ok []string
	refused := 0
	for _, out := range outs {
		if err := convert.CheckFixity(out); err != nil {
			refused++
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "failed", Input: out, Error: err.Error()})
			} else {
				a.ui.Warnf("%s: %v: not signed", ui.Safe(out), err)
			}
			continue
		}
		ok = append(ok, out)
	}
	// no journal: resuming rests on each document's own state (vbdt sign skips one this key
	// signed last), which a journal of paths would not see change if the folder were converted
	// again; each sidecar is brought up to date as soon as its document is signed
	o.inPlace, o.noJournal = true, true
	o.after = func(out string) error {
		_, _, err := convert.RecordSignatures(out)
		return err
	}
	var signErr error
	if len(ok) > 0 {
		signErr = a.runSign(cmd, o, ok)
	}
	var usage usageError
	if errors.As(signErr, &usage) {
		return signErr
	}
	if _, err := writeManifest(dir, outs); err != nil && signErr == nil {
		signErr = err
	}
	if refused > 0 && signErr == nil {
		signErr = partialError{fmt.Errorf("%d of %d documents are not what their sidecars record: not signed", refused, len(outs))}
	}
	return signErr
}

func (a *app) runConvertOCR(ctx context.Context, dir, lang, fontPath string, jobs int) error {
	outs, err := convert.Documents(dir)
	if err == nil && len(outs) == 0 {
		err = fmt.Errorf("%s: no converted document (a PDF with its JSON sidecar)", dir)
	}
	if err != nil {
		return usageError{err: err}
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		return fmt.Errorf("tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-vie)")
	}
	face, err := fonts.Find(fontPath)
	if err != nil {
		return err
	}
	font, err := pdf.LoadFont(face.Regular)
	if err != nil {
		return err
	}
	items := make([]batch.Item, len(outs))
	for i, out := range outs {
		items[i] = batch.Item{In: out, Out: out}
	}
	var mu sync.Mutex
	words := map[string]int{}
	progress := a.ui.NewProgress("ocr", len(items), 2*time.Second)
	e := &batch.Engine{Workers: cmp.Or(jobs, (&batchOptions{}).workers()), Journal: filepath.Join(dir, ".vbdt-ocr-journal"),
		Do: func(ctx context.Context, it batch.Item) (batch.Outcome, error) {
			r, done, err := convert.AddOCR(ctx, it.Out, convert.OCROptions{Lang: lang, Font: font})
			if err != nil {
				return batch.Outcome{}, err
			}
			if !done {
				return batch.Outcome{Skipped: "it has a text layer"}, nil
			}
			mu.Lock()
			words[it.Out] = r.OCR.Words
			mu.Unlock()
			return batch.Outcome{Bytes: r.Bytes}, nil
		},
		OnResult: func(r batch.Result) {
			progress.Add(1)
			item := ui.Item{Status: "recognized", Input: r.In, Output: r.Out, Bytes: r.Bytes}
			detail := ""
			switch {
			case r.Err != nil:
				item.Status, item.Error, detail = "failed", r.Err.Error(), r.Err.Error()
			case r.Skipped != "":
				item.Status, item.Reason, detail = "skipped", r.Skipped, r.Skipped
			default:
				mu.Lock()
				n := words[r.Out]
				mu.Unlock()
				item.Result, detail = map[string]int{"words": n}, fmt.Sprintf("%d words", n)
			}
			if a.ui.JSON {
				a.ui.EmitItem(item)
				return
			}
			a.ui.Row(item.Status, item.Input, detail)
		}}
	sum, runErr := e.Run(ctx, items)
	progress.Done()
	if _, err := writeManifest(dir, outs); err != nil && runErr == nil {
		runErr = err
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "convert ocr", Total: sum.Total, Done: sum.Done, Skipped: sum.Skipped, Failed: sum.Failed,
			SecondsElapsed: ui.Seconds(sum.Elapsed)})
	} else {
		a.ui.Infof("%d recognized, %d skipped, %d failed in %s", sum.Done, sum.Skipped, sum.Failed, sum.Elapsed.Round(time.Millisecond))
	}
	switch {
	case runErr != nil:
		return runErr
	case sum.Failed > 0:
		return partialError{fmt.Errorf("%d of %d documents failed", sum.Failed, sum.Total)}
	}
	return nil
}

// writeManifest writes manifest.csv and manifest.json of every planned document made so far,
// from their sidecars, in the order of their names: a run resumed after a kill writes the same
// manifest as one that was not interrupted.
func writeManifest(dir string, outs []string) (int, error) {
	outs = slices.Clone(outs)
	sort.Slice(outs, func(i, j int) bool { return filepath.Base(outs[i]) < filepath.Base(outs[j]) })
	rows := 0
	// one document's sidecar in memory at a time: a backlog's manifest does not grow the process
	err := fsutil.Replace(filepath.Join(dir, "manifest.json"), 0o644, func(jf *os.File) error {
		return fsutil.Replace(filepath.Join(dir, "manifest.csv"), 0o644, func(cf *os.File) error {
			jw := bufio.NewWriter(jf)
			w := csv.NewWriter(cf)
			w.Write([]string{"output", "file_code", "doc_ordinal", "pages", "bytes", "sha256", "pdfa", "conforms", "source_files", "source_sha256"})
			jw.WriteString("[")
			for _, out := range outs {
				r, err := convert.ReadSidecar(out)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				if _, err := os.Stat(out); err != nil {
					continue // a sidecar without its document
				}
				// a document that is not what its sidecar records keeps its row, with what was
				// recorded: vbdt convert report then names it changed, rather than it vanishing
				r.Out = filepath.Base(out) // named from the manifest's folder: the manifest moves with it
				if rows > 0 {
					jw.WriteString(",")
				}
				jw.WriteString("\n")
				if err := convert.EncodeResult(jw, r); err != nil {
					return err
				}
				var paths, sums []string
				for _, s := range r.Sources {
					paths, sums = append(paths, s.Path), append(sums, s.SHA256)
				}
				w.Write([]string{r.Out, r.FileCode, strconv.Itoa(r.Ordinal), strconv.Itoa(r.Pages), strconv.FormatInt(r.Bytes, 10),
					r.SHA256, string(r.PDFA), strconv.FormatBool(r.Conforms), strings.Join(paths, ";"), strings.Join(sums, ";")})
				rows++
			}
			jw.WriteString("\n]\n")
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			return jw.Flush()
		})
	})
	return rows, err
}
