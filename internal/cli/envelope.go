package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/envelope"
	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/number/register"
	"github.com/vbdt/vbdt/verify"
)

func (a *app) newEnvelopeCmd() *cobra.Command {
	cmd := groupCmd("envelope", "Pack, unpack, validate, sign and answer edXML envelopes (QCVN 102:2016)",
		`Agencies exchange documents as edXML envelopes (QCVN 102:2016/BTTTT) through the national
document-exchange platform. vbdt writes the layout the platform's SDK writes, reads what real
producers send, and tells integrators what is wrong with an envelope, where, before the
platform does. Attachments are streamed: a gigabyte attachment takes no more memory than a
kilobyte one.`,
		`  $ vbdt envelope pack --from-pdf --to 000.00.00.G22 issued.pdf -o issued.edxml
  $ vbdt envelope validate --junit report.xml outbox/*.edxml
  $ vbdt envelope unpack received.edxml -d received/
  $ vbdt envelope status --for received.edxml --code 03 -o status.edxml`)
	cmd.AddCommand(a.newEnvelopePackCmd(), a.newEnvelopeUnpackCmd(), a.newEnvelopeStatusCmd(), a.newEnvelopeValidateCmd(),
		a.newEnvelopeSignCmd(), a.newEnvelopeVerifyCmd(), a.newEnvelopeShowCmd(),
		a.newEnvelopeSendCmd(), a.newEnvelopeReceiveCmd(), a.newEnvelopeSentCmd(), a.newEnvelopeAgenciesCmd(), a.newEnvelopeServeCmd())
	return cmd
}

// envelopeLimits bound what is read from envelopes; the flags that set them are shared.
type envelopeLimits struct {
	headerMB, attachmentMB int64
	elements               int
}

func (l *envelopeLimits) addFlags(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&l.headerMB, "max-header-mb", 16, "largest header and metadata read (MiB; attachments' contents not counted)")
	cmd.Flags().Int64Var(&l.attachmentMB, "max-attachment-mb", 4096, "largest attachment accepted (MiB, decoded)")
	cmd.Flags().IntVar(&l.elements, "max-elements", 100_000, "most elements accepted in an envelope")
}

func (l *envelopeLimits) limits() envelope.Limits {
	return envelope.Limits{HeaderBytes: l.headerMB << 20, AttachmentBytes: l.attachmentMB << 20, Elements: l.elements}
}

type envelopePackOptions struct {
	meta, out, kind, replaces, reason, key string
	to                                     []string
	fromPDF, force                         bool
	code, date, subject, typeName, signer  string
	position, competence, place, dueDate   string
	registerOptions
	keyAccessOptions
}

func (a *app) newEnvelopePackCmd() *cobra.Command {
	o := &envelopePackOptions{}
	cmd := &cobra.Command{
		Use:   "pack [DOC.pdf] [ATTACHMENT...] -o OUT.edxml",
		Short: "Pack a document and its attachments into an edXML envelope",
		Long: `Write an edXML envelope in the platform SDK's layout: the header (from the configuration's
agency, the flags, a meta.yaml, or the register), the trace, the manifest, and each attachment
Base64-encoded on one line. Files other than pdf/doc/docx/xls/xlsx/zip travel zipped, labelled
application/zip, as the SDK sends them. The envelope is validated before it is kept: one with an
error is not written.

--meta takes the header and the attachments from a meta.yaml (as 'vbdt envelope unpack'
writes it); files named on the command line are added to its attachments.

--from-pdf takes the number, notation, date, type, summary, signer and "Nơi nhận" of DOC.pdf
from the register entry whose document hash is the PDF's (the one 'vbdt number stamp'
recorded), and refuses a PDF whose signatures are broken. The sender is agency: in vbdt.yaml.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt envelope pack --from-pdf --to 000.00.00.G22 --to 000.00.00.H41 issued.pdf -o out.edxml
  $ vbdt envelope pack --meta received/meta.yaml -o again.edxml
  $ vbdt envelope pack --to 000.00.00.G22 --code 15/QĐ-UBND --date 2026-11-29 --subject "Về việc …" \
      --type-name "Quyết định" --signer "Nguyễn Văn A" vb.pdf phu-luc.xlsx -o out.edxml
  $ vbdt envelope pack --type revoke --replaces "000.00.00.H49,2026/11/20,12/QĐ-UBND" --reason "Ban hành nhầm" … `,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runEnvelopePack(cmd.Context(), argv, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.meta, "meta", "", "take the header and attachments from this meta.yaml")
	f.StringVarP(&o.out, "output", "o", "", "the envelope to write (required)")
	f.StringArrayVar(&o.to, "to", nil, "a recipient's organization id (repeatable)")
	f.StringVar(&o.kind, "type", "new", "new, revoke, update or replace (Bussiness/BussinessDocType)")
	f.StringVar(&o.replaces, "replaces", "", "the DocumentId of the document revoked, updated or replaced")
	f.StringVar(&o.reason, "reason", "", "why (BussinessDocReason)")
	f.BoolVar(&o.fromPDF, "from-pdf", false, "take the header from the register entry of DOC.pdf (numbered by vbdt)")
	f.StringVar(&o.code, "code", "", "the number and notation, e.g. 15/QĐ-UBND")
	f.StringVar(&o.date, "date", "", "the document's date, yyyy-mm-dd")
	f.StringVar(&o.subject, "subject", "", "the summary (trích yếu)")
	f.StringVar(&o.typeName, "type-name", "", "the document type's name, e.g. Quyết định")
	f.StringVar(&o.signer, "signer", "", "who signed it")
	f.StringVar(&o.position, "signer-position", "", "the signer's position")
	f.StringVar(&o.competence, "competence", "", "TM., KT., TL. … before the signer's position")
	f.StringVar(&o.place, "place", "", "where it was issued (default agency.place)")
	f.StringVar(&o.dueDate, "due-date", "", "deadline for handling, yyyy-mm-dd")
	f.StringVar(&o.key, "sign", "", "sign the envelope (XML-DSig) with this key URI or key profile")
	f.BoolVar(&o.force, "force", false, "replace OUT if it exists")
	o.registerOptions.addFlags(cmd)
	o.keyAccessOptions.addFlags(cmd)
	return cmd
}

// edxmlDate turns yyyy-mm-dd into edXML's yyyy/MM/dd.
func edxmlDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return "", fmt.Errorf("%q is not a date yyyy-mm-dd", s)
	}
	return t.Format(envelope.DateLayout), nil
}

func (a *app) runEnvelopePack(ctx context.Context, files []string, o *envelopePackOptions) error {
	if o.out == "" {
		return usageErrorf("-o OUT.edxml is needed: where the envelope goes")
	}
	if err := noClobberFlag(o.out, o.force); err != nil {
		return err
	}
	docType, ok := envelope.BusinessTypes[o.kind]
	if !ok {
		return usageErrorf("--type %q: one of new, revoke, update, replace", o.kind)
	}
	e := &envelope.Envelope{}
	dir := "."
	if o.meta != "" {
		m, err := envelope.ReadMeta(o.meta)
		if err != nil {
			return usageErrorf("--meta: %v", err)
		}
		e, dir = m, filepath.Dir(o.meta)
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	now := time.Now().In(envelope.Zone())
	h := &e.Header
	if h.From.OrganID == "" {
		if cfg.Agency.OrganID == "" {
			return configErrorf("agency.organ_id", "the sender's organization id is not configured")
		}
		h.From = envelope.Organization{OrganID: cfg.Agency.OrganID, OrganizationInCharge: cfg.Agency.Name, OrganName: cfg.Agency.Name}
	}
	if o.fromPDF {
		if len(files) == 0 {
			return usageErrorf("--from-pdf needs DOC.pdf")
		}
		if err := a.headerFromPDF(ctx, files[0], h, o); err != nil {
			return err
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if o.code != "" {
		number, notation, _ := strings.Cut(o.code, "/")
		h.Code = envelope.Code{Number: number, Notation: notation}
	}
	date, err := edxmlDate(o.date)
	if err != nil {
		return usageErrorf("--date: %v", err)
	}
	due, err := edxmlDate(o.dueDate)
	if err != nil {
		return usageErrorf("--due-date: %v", err)
	}
	set(&h.Promulgation.Date, date)
	set(&h.DueDate, due)
	set(&h.Promulgation.Place, o.place)
	set(&h.Promulgation.Place, cfg.Agency.Place)
	set(&h.Subject, o.subject)
	set(&h.DocumentType.TypeName, o.typeName)
	set(&h.Signer.FullName, o.signer)
	set(&h.Signer.Position, o.position)
	set(&h.Signer.Competence, o.competence)
	for _, id := range o.to {
		h.To = append(h.To, envelope.Organization{OrganID: id})
	}
	if h.DocumentType.Type == "" {
		h.DocumentType.Type, h.DocumentType.TypeDetail = "1", "0"
	}
	if h.OtherInfo.Priority == "" {
		h.OtherInfo.Priority = "0"
	}
	if h.DocumentID == "" {
		h.DocumentID = envelope.DocumentID(h.From.OrganID, h.Promulgation.Date, h.Code.Number, h.Code.Notation)
	}
	if e.Trace == nil {
		e.Trace = &envelope.TraceHeaderList{}
	}
	if len(e.Trace.Hops) == 0 {
		e.Trace.Hops = []envelope.TraceHeader{{OrganID: h.From.OrganID, Timestamp: now.Format(envelope.TimestampLayout)}}
	}
	if e.Trace.Business == nil || o.kind != "new" {
		reasons := map[string]string{"0": "Văn bản điện tử mới", "1": "Thu hồi văn bản điện tử", "2": "Cập nhật văn bản điện tử", "3": "Văn bản thay thế"}
		b := &envelope.Business{DocType: docType, Reason: reasons[docType], Paper: "0"}
		set(&b.Reason, o.reason)
		if docType == envelope.BusinessReplace && o.replaces != "" {
			b.Replacements = []envelope.ReplacementInfo{{DocumentID: o.replaces, OrganIDs: o.to}}
		} else {
			b.DocumentID = o.replaces
		}
		if docType == envelope.BusinessUpdate {
			b.DocumentInfo = &envelope.BusinessDocument{DocumentInfo: "1", DocumentReceiver: "1"}
			for _, id := range o.to {
				b.DocumentInfo.Receivers = append(b.DocumentInfo.Receivers, envelope.Receiver{OrganID: id, ReceiverType: "0"})
			}
		}
		e.Trace.Business = b
	}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		e.Attachments = append(e.Attachments, envelope.Attachment{File: abs})
	}
	if len(e.Attachments) == 0 {
		return usageErrorf("nothing to attach: name DOC.pdf (and attachments), or --meta")
	}
	if h.OtherInfo.PageAmount == "" && len(files) > 0 && strings.EqualFold(filepath.Ext(files[0]), ".pdf") {
		if n, err := pdfPages(files[0]); err == nil {
			h.OtherInfo.PageAmount = fmt.Sprint(n)
		}
	}
	packed, err := envelope.Pack(envelope.PackRequest{Envelope: e, Dir: dir, Out: o.out})
	var invalid *envelope.InvalidError
	if errors.As(err, &invalid) {
		for _, f := range invalid.Findings {
			a.ui.Printf("%s: %s: %s [%s] at %s\n", ui.Safe(o.out), f.Severity, ui.Safe(f.Message), f.Rule, f.Path)
		}
		return envelopeError{fmt.Errorf("%s: the envelope would be invalid (%d errors): not written", o.out, len(invalid.Findings))}
	}
	if err != nil {
		return err
	}
	if err := a.signWritten(o.out, o.key, o.keyAccessOptions); err != nil {
		return err
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "packed", Output: o.out, Bytes: fileSize(o.out), Result: summarize(packed)})
		return nil
	}
	a.ui.Printf("%s\t%s → %s\t%d attachments\n", ui.Safe(o.out), ui.Safe(packed.Header.CodeText()), ui.Safe(strings.Join(organIDs(packed.Header.To), ", ")), len(packed.Attachments))
	return nil
}

func noClobberFlag(path string, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return usageErrorf("%s exists (--force replaces it)", path)
	}
	return nil
}

func fileSize(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

func organIDs(os []envelope.Organization) []string {
	var ids []string
	for _, o := range os {
		ids = append(ids, o.OrganID)
	}
	return ids
}

// pdfPages counts a PDF's pages.
func pdfPages(path string) (int, error) {
	d, err := pdf.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	return d.PageCount(), nil
}

// headerFromPDF fills a header from the register entry of a PDF numbered by vbdt, after
// checking that its signatures are intact.
func (a *app) headerFromPDF(ctx context.Context, path string, h *envelope.MessageHeader, o *envelopePackOptions) error {
	checks, err := verify.CheckFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range checks {
		if !c.Intact {
			return brokenPDF{fmt.Errorf("%s: the signature %s is broken (%s): not sent", path, c.Field, c.Problem)}
		}
	}
	n, err := a.openRegister(ctx, &o.registerOptions, register.Read)
	if err != nil {
		return err
	}
	defer n.store.Close()
	e, err := registeredRevision(ctx, n, path)
	if err != nil {
		return err
	}
	number, notation, _ := strings.Cut(e.Code, "/")
	h.Code = envelope.Code{Number: number, Notation: notation}
	if e.Notation != "" {
		h.Code.Notation = e.Notation
	}
	date, err := edxmlDate(e.Date)
	if err != nil {
		return err
	}
	h.Promulgation.Date = date
	h.Subject, h.DocumentType.TypeName, h.Signer.FullName = e.Subject, e.TypeName, e.Signer
	h.ToPlaces = e.Recipients
	if len(checks) > 0 && h.Signer.FullName == "" {
		h.Signer.FullName = checks[0].Signer
	}
	return nil
}

// registeredRevision finds the register entry of a PDF: the register holds the hash of the
// document as numbered, which a later signature (the organization's) extends: each revision of
// the PDF, the last first, is looked up.
func registeredRevision(ctx context.Context, n *numbering, path string) (register.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return register.Entry{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return register.Entry{}, err
	}
	ends, err := pdf.RevisionEnds(f, fi.Size())
	if err != nil {
		return register.Entry{}, fmt.Errorf("%s: %w", path, err)
	}
	var tail [2]byte
	for i := len(ends) - 1; i >= 0; i-- {
		// a revision ends after %%EOF and one or two end-of-line bytes, some of which may
		// begin the next one: each cut is tried
		for cut := ends[i]; cut >= ends[i]-2 && cut > 0; cut-- {
			if cut < ends[i] {
				if _, err := f.ReadAt(tail[:1], cut); err != nil || (tail[0] != '\n' && tail[0] != '\r') {
					break
				}
			}
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, cut)); err != nil {
				return register.Entry{}, err
			}
			es, err := n.store.List(ctx, register.Filter{Agency: n.cfg.Agency.Key(), DocHash: "sha256:" + hex.EncodeToString(h.Sum(nil))})
			if err != nil {
				return register.Entry{}, err
			}
			if len(es) > 0 {
				return es[len(es)-1], nil
			}
		}
	}
	return register.Entry{}, usageErrorf("%s is not in the register: no revision of it is a document 'vbdt number stamp' numbered", path)
}

// envelopeSummary is what --json says of an envelope packed, unpacked or shown.
type envelopeSummary struct {
	Kind        string                  `json:"kind"`
	From        string                  `json:"from"`
	To          []string                `json:"to,omitempty"`
	DocumentID  string                  `json:"document_id,omitempty"`
	Code        string                  `json:"code,omitempty"`
	Date        string                  `json:"date,omitempty"`
	Subject     string                  `json:"subject,omitempty"`
	Business    string                  `json:"business,omitempty"`
	StatusCode  string                  `json:"status_code,omitempty"`
	Description string                  `json:"description,omitempty"`
	Signed      bool                    `json:"signed"`
	Hops        []envelope.TraceHeader  `json:"hops,omitempty"`
	Attachments []envelope.Attachment   `json:"attachments,omitempty"`
	ResponseFor []envelope.ResponseFor  `json:"response_for,omitempty"`
	Header      *envelope.MessageHeader `json:"header"`
}

func summarize(e *envelope.Envelope) envelopeSummary {
	s := envelopeSummary{Kind: "document", From: e.Header.From.OrganID, To: organIDs(e.Header.To), DocumentID: e.Header.DocumentID,
		Code: e.Header.CodeText(), Date: e.Header.Promulgation.Date, Subject: e.Header.Subject, Signed: e.Signed,
		Attachments: e.Attachments, ResponseFor: e.Header.ResponseFor, Header: &e.Header}
	if e.IsStatus() {
		s.Kind, s.StatusCode, s.Description, s.Code = "status", e.Header.StatusCode, e.Header.Description, ""
	}
	if e.Trace != nil {
		s.Hops = e.Trace.Hops
		if b := e.Trace.Business; b != nil {
			for word, code := range envelope.BusinessTypes {
				if code == b.DocType {
					s.Business = word
				}
			}
		}
	}
	return s
}

type envelopeUnpackOptions struct {
	dir        string
	raw, force bool
	envelopeLimits
}

func (a *app) newEnvelopeUnpackCmd() *cobra.Command {
	o := &envelopeUnpackOptions{}
	cmd := &cobra.Command{
		Use:   "unpack IN.edxml -d DIR",
		Short: "Write an envelope's attachments and metadata into a folder",
		Long: `Take an envelope apart: each attachment is written to DIR under its name (cleaned of
folders and control characters; duplicates numbered), unzipped when the SDK zipped it, and the
header, trace and attachments go to DIR/meta.yaml, from which 'vbdt envelope pack --meta'
makes an equivalent envelope again. Attachments are streamed, and every file appears whole or
not at all. Existing files are not replaced unless --force.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitUsage),
		Example: `  $ vbdt envelope unpack received.edxml -d received/
  $ vbdt envelope unpack --raw --json received.edxml -d raw/`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runEnvelopeUnpack(argv[0], o) },
	}
	cmd.Flags().StringVarP(&o.dir, "dir", "d", "", "the folder to write into (required)")
	cmd.Flags().BoolVar(&o.raw, "raw", false, "keep zipped attachments as the zips they travel in")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace files that exist in DIR")
	o.envelopeLimits.addFlags(cmd)
	return cmd
}

// brokenPDF is a document whose signatures are broken: exit 10.
type brokenPDF struct{ err error }

func (e brokenPDF) Error() string { return e.err.Error() }

// envelopeError is an input that is not a (well-formed) envelope: exit 10, like an invalid one.
type envelopeError struct{ err error }

func (e envelopeError) Error() string { return e.err.Error() }
func (e envelopeError) Unwrap() error { return e.err }

func readError(path string, err error) error {
	var se *envelope.SyntaxError
	if errors.Is(err, envelope.ErrNotEdXML) || errors.As(err, &se) {
		return envelopeError{fmt.Errorf("%s: %w", path, err)}
	}
	return fmt.Errorf("%s: %w", path, err)
}

func (a *app) runEnvelopeUnpack(in string, o *envelopeUnpackOptions) error {
	if o.dir == "" {
		return usageErrorf("-d DIR is needed: where the attachments go")
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := envelope.Unpack(envelope.UnpackRequest{In: f, Dir: o.dir, Raw: o.raw, Force: o.force, Limits: o.limits()})
	if err != nil {
		return readError(in, err)
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "unpacked", Input: in, Output: o.dir, Result: summarize(e)})
		return nil
	}
	for _, at := range e.Attachments {
		if at.File != "" {
			a.ui.Printf("%s\t%d bytes\t%s\n", ui.Safe(filepath.Join(o.dir, at.File)), at.Size, ui.Safe(at.ContentType))
		}
	}
	a.ui.Printf("%s\n", ui.Safe(filepath.Join(o.dir, "meta.yaml")))
	return nil
}

type envelopeStatusOptions struct {
	forFile, code, description, out, key string
	staff, department, email, mobile     string
	force                                bool
	keyAccessOptions
}

func (a *app) newEnvelopeStatusCmd() *cobra.Command {
	o := &envelopeStatusOptions{}
	var codes []string
	for _, c := range []string{"01", "02", "03", "04", "05", "06", "13", "15", "16"} {
		codes = append(codes, fmt.Sprintf("  %s  %s", c, envelope.StatusCodes[c]))
	}
	cmd := &cobra.Command{
		Use:   "status --for IN.edxml --code CODE -o OUT.edxml",
		Short: "Answer a received document with a status envelope",
		Long: `Write the status envelope that answers a received document: From is the configured agency,
ResponseFor names the document (its sender, code, date and DocumentId), Timestamp is now
(Vietnam time). Codes and their default descriptions:

` + strings.Join(codes, "\n") + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt envelope status --for received.edxml --code 01 -o arrived.edxml
  $ vbdt envelope status --for received.edxml --code 02 --description "Sai thể thức" -o rejected.edxml`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runEnvelopeStatus(o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.forFile, "for", "", "the received document envelope this answers (required)")
	f.StringVar(&o.code, "code", "", "the status code (required)")
	f.StringVar(&o.description, "description", "", "the description (default: the code's)")
	f.StringVarP(&o.out, "output", "o", "", "the status envelope to write (required)")
	f.StringVar(&o.staff, "staff", "", "the clerk's name (StaffInfo)")
	f.StringVar(&o.department, "department", "", "the clerk's department")
	f.StringVar(&o.email, "email", "", "the clerk's email")
	f.StringVar(&o.mobile, "mobile", "", "the clerk's mobile number")
	f.StringVar(&o.key, "sign", "", "sign the status envelope with this key URI or key profile")
	f.BoolVar(&o.force, "force", false, "replace OUT if it exists")
	o.keyAccessOptions.addFlags(cmd)
	return cmd
}

func (a *app) runEnvelopeStatus(o *envelopeStatusOptions) error {
	switch {
	case o.forFile == "":
		return usageErrorf("--for IN.edxml is needed: the document answered")
	case o.out == "":
		return usageErrorf("-o OUT.edxml is needed")
	}
	desc, ok := envelope.StatusCodes[o.code]
	if !ok {
		return usageErrorf("--code %q: one of 01-06, 13, 15, 16", o.code)
	}
	if err := noClobberFlag(o.out, o.force); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if cfg.Agency.OrganID == "" {
		return configErrorf("agency.organ_id", "the organization answering is not configured")
	}
	f, err := os.Open(o.forFile)
	if err != nil {
		return err
	}
	orig, err := envelope.Read(f, envelope.ReadOptions{HeaderOnly: true})
	f.Close()
	if err != nil {
		return readError(o.forFile, err)
	}
	if orig.IsStatus() {
		return usageErrorf("%s is a status message, not a document", o.forFile)
	}
	if o.description != "" {
		desc = o.description
	}
	st := envelope.Status(orig, envelope.Organization{OrganID: cfg.Agency.OrganID, OrganizationInCharge: cfg.Agency.Name, OrganName: cfg.Agency.Name},
		o.code, desc, &envelope.StaffInfo{Department: o.department, Staff: o.staff, Email: o.email, Mobile: o.mobile}, time.Now())
	err = fsutil.Replace(o.out, 0o644, func(f *os.File) error { return envelope.Write(f, st, nil) })
	if err != nil {
		return err
	}
	if err := a.signWritten(o.out, o.key, o.keyAccessOptions); err != nil {
		return err
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "answered", Input: o.forFile, Output: o.out, Result: summarize(st)})
		return nil
	}
	a.ui.Printf("%s\t%s %s\t→ %s\n", ui.Safe(o.out), o.code, ui.Safe(desc), ui.Safe(orig.Header.From.OrganID))
	return nil
}

type envelopeValidateOptions struct {
	strict bool
	junit  string
	envelopeLimits
}

func (a *app) newEnvelopeValidateCmd() *cobra.Command {
	o := &envelopeValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check envelopes: structure, fields, manifest, signatures — with file:line:column",
		Long: `Check edXML envelopes as the platform and a receiving system would, and say where each
problem is (file:line:column and the element's path) with a stable rule id:

  structure    well-formed XML, no DTD, the edXML root and namespace, known elements, limits
  fields       required elements, dates (yyyy/MM/dd), timestamps, organization ids, numbers,
               Decree 30 Appendix VI lengths, status codes, the business type
  document id  <OrganId>,<yyyy/MM/dd>,<number>/<notation> agreeing with From, date and Code
  manifest     every Reference has its Attachment and back, Base64 valid, the content type
               agreeing with the bytes
  signatures   the envelope's XML-DSig, and the PDF attachments' signatures (vbdt verify's
               integrity checks)

Deviations real producers make (a UUID DocumentId, wrapped Base64, a Signature in the edXML
namespace, SHA-1) are warnings; --strict makes them failures. --junit writes a JUnit report
for CI systems (one test case per file).

FILE may be a folder (searched for *.edxml) or - to read paths from stdin.` +
			exitStatus(ui.ExitOK, ui.ExitPartial, ui.ExitVerifyFail, ui.ExitUsage) +
			"\n\nExit 10 wins over 3: some envelope was invalid, whatever else could not be read.",
		Example: `  $ vbdt envelope validate outbox/
  $ vbdt envelope validate --strict --junit edxml-report.xml outbox/*.edxml
  $ vbdt envelope validate --json received.edxml | jq '.result.findings[]'`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runEnvelopeValidate(cmd.Context(), argv, o) },
	}
	cmd.Flags().BoolVar(&o.strict, "strict", false, "warnings make an envelope invalid too")
	cmd.Flags().StringVar(&o.junit, "junit", "", "also write a JUnit XML report to this file")
	o.envelopeLimits.addFlags(cmd)
	return cmd
}

// invalidEnvelopes is a validation that found invalid envelopes: exit 10.
type invalidEnvelopes struct{ n int }

func (e invalidEnvelopes) Error() string { return fmt.Sprintf("%d envelopes are invalid", e.n) }

func (a *app) runEnvelopeValidate(ctx context.Context, argv []string, o *envelopeValidateOptions) error {
	inputs, err := batch.Expand(argv, a.streams.In, ".edxml")
	if err == nil && len(inputs) == 0 {
		err = fmt.Errorf("%w: no .edxml file in %v", batch.ErrUsage, argv)
	}
	if err != nil {
		return usageError{err: err}
	}
	start := time.Now()
	var reports []*envelope.Report
	invalid, unreadable := 0, 0
	for _, in := range inputs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep, err := envelope.CheckFile(in.Path, envelope.CheckOptions{Limits: o.limits()})
		if err != nil {
			unreadable++
			reports = append(reports, &envelope.Report{File: in.Path, Findings: []envelope.Finding{{Severity: envelope.Error, Rule: "file.unreadable", Message: err.Error()}}})
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "failed", Input: in.Path, Error: err.Error()})
			} else {
				a.ui.Printf("%s: %s\n", ui.Safe(in.Path), ui.Safe(err.Error()))
			}
			continue
		}
		if o.strict && rep.Warnings > 0 {
			rep.Valid = false
		}
		if !rep.Valid {
			invalid++
		}
		reports = append(reports, rep)
		if a.ui.JSON {
			status := "valid"
			if !rep.Valid {
				status = "invalid"
			}
			a.ui.EmitItem(ui.Item{Status: status, Input: in.Path, Result: rep})
			continue
		}
		a.printFindings(rep, o.strict)
	}
	if o.junit != "" {
		if err := fsutil.Replace(o.junit, 0o644, func(f *os.File) error { return writeJUnit(f, reports, o.strict, time.Since(start)) }); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	total := len(inputs)
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "envelope validate", Total: total, Done: total - unreadable, Failed: unreadable,
			SecondsElapsed: ui.Seconds(time.Since(start)), Result: map[string]int{"valid": total - invalid - unreadable, "invalid": invalid, "unreadable": unreadable}})
	} else if total > 1 {
		a.ui.Infof("%d envelopes: %d valid, %d invalid, %d unreadable", total, total-invalid-unreadable, invalid, unreadable)
	}
	switch {
	case invalid > 0:
		return invalidEnvelopes{invalid}
	case unreadable > 0:
		return partialError{fmt.Errorf("%d of %d files could not be read", unreadable, total)}
	}
	return nil
}

// printFindings prints a report as compilers do: file:line:column: severity: message [rule].
func (a *app) printFindings(rep *envelope.Report, strict bool) {
	verdict := "valid"
	if !rep.Valid || (strict && rep.Warnings > 0) {
		verdict = "INVALID"
	}
	for _, f := range rep.Findings {
		if f.Severity == envelope.Info && !a.global.verbose {
			continue
		}
		a.ui.Printf("%s:%d:%d: %s: %s [%s]\n", ui.Safe(rep.File), f.Line, f.Col, f.Severity, ui.Safe(f.Message), f.Rule)
		if a.global.verbose && f.Path != "" {
			a.ui.Printf("\tat %s\n", ui.Safe(f.Path))
		}
	}
	kind := rep.Kind
	if kind == "" {
		kind = "not an envelope"
	}
	a.ui.Printf("%s: %s (%s, %d errors, %d warnings)\n", ui.Safe(rep.File), verdict, kind, rep.Errors, rep.Warnings)
}

// writeJUnit writes the reports as a JUnit XML test suite: a test case per file, failing with
// its errors (and warnings, when strict).
func writeJUnit(w io.Writer, reports []*envelope.Report, strict bool, elapsed time.Duration) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	s := suite{Name: "vbdt envelope validate", Tests: len(reports), Time: fmt.Sprintf("%.3f", elapsed.Seconds())}
	for _, r := range reports {
		tc := testcase{Name: r.File, Classname: "edxml"}
		var fails, notes bytes.Buffer
		n := 0
		for _, f := range r.Findings {
			line := fmt.Sprintf("%s:%d:%d: %s: %s [%s] at %s\n", r.File, f.Line, f.Col, f.Severity, f.Message, f.Rule, f.Path)
			if f.Severity == envelope.Error || (strict && f.Severity == envelope.Warning) {
				fails.WriteString(line)
				n++
			} else {
				notes.WriteString(line)
			}
		}
		if n > 0 {
			s.Failures++
			tc.Failure = &failure{Message: fmt.Sprintf("%d problems", n), Type: "invalid", Text: fails.String()}
		}
		tc.SystemOut = notes.String()
		s.Cases = append(s.Cases, tc)
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type envelopeSignOptions struct {
	key, out string
	inPlace  bool
	keyAccessOptions
}

func (a *app) newEnvelopeSignCmd() *cobra.Command {
	o := &envelopeSignOptions{}
	cmd := &cobra.Command{
		Use:   "sign IN.edxml --key KEY (-o OUT.edxml | --in-place)",
		Short: "Sign an envelope (enveloped XML-DSig over the whole envelope)",
		Long: `Add an enveloped XML-DSig signature to an envelope's header, as the platform SDK places it:
Reference URI="", enveloped-signature and exclusive C14N transforms, SHA-256, RSA-SHA256 or
ECDSA-SHA256 by the key, KeyInfo/X509Data with its chain. An existing signature is replaced.
The key is any key URI (file:…, pkcs11:…) or key profile of vbdt.yaml. The legal signature is
the one inside the PDF: the envelope's protects its metadata.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt envelope sign out.edxml --key file:org.p12 -o signed.edxml
  $ vbdt envelope sign --in-place --key 'pkcs11:token=vbdt-demo;object=org-rsa' out.edxml`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			switch {
			case o.key == "":
				return usageErrorf("--key is needed")
			case (o.out == "") == !o.inPlace:
				return usageErrorf("give -o OUT.edxml or --in-place")
			}
			out := o.out
			if o.inPlace {
				out = argv[0]
			}
			if err := a.signEnvelope(argv[0], out, o.key, o.keyAccessOptions); err != nil {
				return err
			}
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "signed", Input: argv[0], Output: out, Bytes: fileSize(out)})
			} else {
				a.ui.Printf("%s\tsigned\n", ui.Safe(out))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.key, "key", "", "the key: a URI (file:…, pkcs11:…) or a key profile")
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "the signed envelope")
	cmd.Flags().BoolVar(&o.inPlace, "in-place", false, "replace IN.edxml (atomically, keeping its mode and owner)")
	o.keyAccessOptions.addFlags(cmd)
	return cmd
}

// signWritten signs an envelope just written when a key is given, and removes it when the
// signing fails: no unsigned envelope is left where a signed one was asked for.
func (a *app) signWritten(path, key string, ko keyAccessOptions) error {
	if key == "" {
		return nil
	}
	if err := a.signEnvelope(path, path, key, ko); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// signEnvelope signs in into out (which may be in) with a key.
func (a *app) signEnvelope(in, out, ref string, ko keyAccessOptions) error {
	uri, pinSource, err := a.resolveKey(ref)
	if err != nil {
		return err
	}
	k, err := keys.Open(uri, a.keyOptions(ko, pinSource))
	if err != nil {
		return err
	}
	defer k.Close()
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	return fsutil.Replace(out, 0o644, func(w *os.File) error {
		return envelope.Sign(f, w, envelope.SignOptions{Signer: k.Signer, Chain: k.Chain})
	})
}

func (a *app) newEnvelopeVerifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify FILE...",
		Short: "Verify envelopes' XML-DSig signatures",
		Long: `Check each envelope's enveloped XML-DSig signature: the digest of the envelope and the
signature value against the certificate in KeyInfo. Older producers' SHA-1 and a Signature in
the edXML namespace are accepted and reported. Whether the certificate is trusted is not
judged here; 'vbdt keys show' and 'vbdt verify' (for the PDF inside) do that.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitUsage),
		Example: `  $ vbdt envelope verify received.edxml
  $ vbdt envelope verify --json inbox/*.edxml`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			bad := 0
			for _, p := range argv {
				res, err := verifyEnvelopeFile(p)
				if err != nil {
					return readError(p, err)
				}
				if !res.Valid {
					bad++
				}
				if a.ui.JSON {
					a.ui.EmitItem(ui.Item{Status: map[bool]string{true: "verified", false: "invalid"}[res.Valid], Input: p, Result: dsigReport(res)})
					continue
				}
				a.printDSig(p, res)
			}
			if bad > 0 {
				return verdictError{failed: bad}
			}
			return nil
		},
	}
	return cmd
}

func verifyEnvelopeFile(path string) (*envelope.DSigResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return envelope.VerifySignature(f, 1<<30)
}

// dsigJSON is what --json says of an envelope signature.
type dsigJSON struct {
	Present   bool     `json:"present"`
	Valid     bool     `json:"valid"`
	Algorithm string   `json:"algorithm,omitempty"`
	Signer    string   `json:"signer,omitempty"`
	Quirks    []string `json:"quirks,omitempty"`
	Problem   string   `json:"problem,omitempty"`
}

func dsigReport(r *envelope.DSigResult) dsigJSON {
	j := dsigJSON{Present: r.Present, Valid: r.Valid, Algorithm: r.Algorithm, Quirks: r.Quirks, Problem: r.Problem}
	if r.Signer != nil {
		j.Signer = r.Signer.Subject.String()
	}
	return j
}

func (a *app) printDSig(path string, r *envelope.DSigResult) {
	j := dsigReport(r)
	switch {
	case !r.Present:
		a.ui.Printf("%s\tNOT SIGNED\n", ui.Safe(path))
	case r.Valid:
		a.ui.Printf("%s\tVALID\t%s\t%s\n", ui.Safe(path), j.Algorithm, ui.Safe(j.Signer))
	default:
		a.ui.Printf("%s\tINVALID\t%s\n", ui.Safe(path), ui.Safe(j.Problem))
	}
	for _, q := range r.Quirks {
		a.ui.Printf("\tnote: %s\n", ui.Safe(q))
	}
}

func (a *app) newEnvelopeShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Summarize an envelope: from, to, number, subject, attachments, trace, status",
		Long: `Show what an envelope says, readably: the document's number, date, type, subject, sender,
recipients, signer and document id, the business (new, revoke, update, replace), the relay
hops and the attachments; for a status message, its code and the document it answers.
--json gives the whole header.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitVerifyFail, ui.ExitUsage),
		Example: `  $ vbdt envelope show received.edxml
  $ vbdt envelope show --json received.edxml`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			f, err := os.Open(argv[0])
			if err != nil {
				return err
			}
			defer f.Close()
			e, err := envelope.Read(f, envelope.ReadOptions{})
			if err != nil {
				return readError(argv[0], err)
			}
			s := summarize(e)
			if a.ui.JSON {
				a.ui.EmitItem(ui.Item{Status: "shown", Input: argv[0], Result: s})
				return nil
			}
			a.printEnvelope(e)
			return nil
		},
	}
	return cmd
}

func (a *app) printEnvelope(e *envelope.Envelope) {
	h := &e.Header
	row := func(k, v string) {
		if v != "" {
			a.ui.Printf("%-13s %s\n", k, ui.Safe(v))
		}
	}
	from := h.From.OrganID
	if h.From.OrganName != "" {
		from += " " + h.From.OrganName
	}
	if e.IsStatus() {
		row("status", h.StatusCode+" "+h.Description)
		row("from", from)
		for _, r := range h.ResponseFor {
			row("answers", r.Code+" of "+r.OrganID+" ("+r.DocumentID+")")
		}
		row("at", h.Timestamp)
		return
	}
	row("document", h.CodeText()+"  "+h.Promulgation.Date)
	row("type", h.DocumentType.TypeName)
	row("subject", h.Subject)
	row("from", from)
	for _, t := range h.To {
		row("to", strings.TrimSpace(t.OrganID+" "+t.OrganName))
	}
	row("signer", strings.TrimSpace(h.Signer.Competence+" "+h.Signer.Position+" "+h.Signer.FullName))
	row("document id", h.DocumentID)
	if e.Trace != nil {
		if b := e.Trace.Business; b != nil {
			row("business", map[string]string{"0": "new", "1": "revoke", "2": "update", "3": "replace"}[b.DocType]+" "+b.Reason)
		}
		for _, hop := range e.Trace.Hops {
			row("hop", hop.Timestamp+"  "+hop.OrganID)
		}
	}
	for _, at := range e.Attachments {
		row("attachment", fmt.Sprintf("%s  %s  %d bytes", at.Name, at.ContentType, at.Size))
	}
	row("signed", map[bool]string{true: "yes (XML-DSig; 'vbdt envelope verify' checks it)", false: "no"}[e.Signed])
}
