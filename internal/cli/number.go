package cli

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/envelope"
	"github.com/vbdt/vbdt/internal/config"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/number"
	"github.com/vbdt/vbdt/number/register"
	"github.com/vbdt/vbdt/sign"
)

func (a *app) newNumberCmd() *cobra.Command {
	cmd := groupCmd("number", "Give documents their numbers and keep the register",
		`The clerk's register (sổ đăng ký văn bản) under Decree 30/2020/NĐ-CP: every outgoing document gets
the next number of its series with its notation (15/QĐ-UBND), every incoming one its số đến.
Numbers restart on 1 January (Asia/Ho_Chi_Minh), are never handed out twice and never skipped,
even with many clerks on many machines. A number once given is never reused: an abandoned
document is voided with a reason, and corrections are recorded beside the entry, never over it.

The register is a SQLite file (register: in vbdt.yaml, default vbdt-register.db) or, for a
register shared by several machines, a postgres:// DSN.`,
		`  $ vbdt number issue --type QĐ --subject "Về việc ban hành Quy chế làm việc"
  $ vbdt number receive --edxml incoming.edxml
  $ vbdt number list --year 2026
  $ vbdt number book --year 2026 --format pdf -o so-van-ban-di-2026.pdf
  $ vbdt number check`)
	cmd.AddCommand(a.newNumberIssueCmd(), a.newNumberReceiveCmd(), a.newNumberVoidCmd(), a.newNumberCorrectCmd(),
		a.newNumberStampCmd(), a.newNumberShowCmd(), a.newNumberListCmd(), a.newNumberExportCmd(), a.newNumberBookCmd(), a.newNumberCheckCmd())
	return cmd
}

var registerExits = []int{ui.ExitOK, ui.ExitFailure, ui.ExitRegister, ui.ExitUsage}

// registerOptions are shared by every number command.
type registerOptions struct {
	register string
	user     string
}

func (o *registerOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.register, "register", "", "register: a SQLite file or postgres:// DSN (default: register in vbdt.yaml, $VBDT_REGISTER)")
	cmd.Flags().StringVar(&o.user, "user", "", "who does this, for the register (default $VBDT_USER, then the login name)")
}

// numbering is what every number command needs: the configuration and an open register.
type numbering struct {
	cfg   *config.Config
	loc   *time.Location
	where string
	store *register.Store // nil until open
	by    string
}

// prepareRegister reads the configuration a number command needs, without opening (or
// creating) the register: requests are checked before anything is touched.
func (a *app) prepareRegister(o *registerOptions) (*numbering, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Agency.Location()
	if err != nil {
		return nil, usageErrorf("agency.time_zone: %v", err)
	}
	by := o.user
	if by == "" {
		by = a.getenv("VBDT_USER")
	}
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	return &numbering{cfg: cfg, loc: loc, where: cmp.Or(o.register, cfg.Register), by: by}, nil
}

// open opens the register for access: only the commands that register a document create one.
func (n *numbering) open(ctx context.Context, a *app, access register.Access) error {
	s, err := register.OpenFor(ctx, n.where, access)
	if err != nil {
		return err
	}
	s.Zone = n.loc
	a.ui.Debugf("register: %s", s.Location())
	n.store = s
	return nil
}

// now is the register's clock once it is open, the machine's before.
func (n *numbering) now() time.Time {
	if n.store == nil {
		return time.Now()
	}
	return n.store.Now()
}

func (a *app) openRegister(ctx context.Context, o *registerOptions, access register.Access) (*numbering, error) {
	n, err := a.prepareRegister(o)
	if err != nil {
		return nil, err
	}
	return n, n.open(ctx, a, access)
}

// parseDate reads --date: yyyy-mm-dd (that day, at the current time of day) or RFC 3339.
func parseDate(s string, loc *time.Location, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, usageErrorf("--date %q: use yyyy-mm-dd or 2026-03-05T08:45:15+07:00", s)
	}
	n := now.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), n.Hour(), n.Minute(), n.Second(), 0, loc), nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type issueOptions struct {
	registerOptions
	docType, subject, series, date, signer, unit, archive, note, file string
	recipients                                                        []string
	copies                                                            int
	allowFuture                                                       bool
}

func (a *app) newNumberIssueCmd() *cobra.Command {
	o := &issueOptions{}
	cmd := &cobra.Command{
		Use:   "issue --type ABBR --subject TEXT",
		Short: "Give an outgoing document the next number of its series",
		Long: `Allocate the next number of the document's series and register the document, in one
transaction, and print its number and notation, the place-and-date line and the edXML
DocumentId. The type is a Decree 30 Appendix III abbreviation in its exact case (QĐ, TB, KH,
QyĐ, CTr, TTr, …; SY, SL, TrS for copies) or CV for công văn, whose notation is
<agency>-<drafting unit> (--unit). The series is chosen from the type unless --series names
one; secret, advisory-body and legal-normative series are only used when named.` +
			exitStatus(registerExits...),
		Example: `  $ vbdt number issue --type QĐ --subject "Về việc ban hành Quy chế làm việc" --signer "Nguyễn Văn Ấn"
  $ vbdt number issue --type CV --unit VP --subject "V/v triển khai phần mềm" --recipient "Các sở, ngành;"
  $ vbdt number issue --type QĐ --series mat --subject "…" --json
  $ vbdt number issue --type QĐ --series qppl-qd --subject "Ban hành Quy định về …" --file qd.pdf`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runIssue(cmd.Context(), o) },
	}
	o.addFlags(cmd)
	cmd.MarkFlagRequired("type")
	cmd.MarkFlagRequired("subject")
	return cmd
}

func (o *issueOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.docType, "type", "", "document type abbreviation (QĐ, TB, …; CV for công văn)")
	f.StringVar(&o.subject, "subject", "", "the summary (trích yếu), at most 500 characters")
	f.StringVar(&o.series, "series", "", "number series (default: chosen from the type)")
	f.StringVar(&o.date, "date", "", "document date, yyyy-mm-dd (default today; it must lie in the current year, and not after today)")
	f.BoolVar(&o.allowFuture, "allow-future-date", false, "accept a --date after today (later numbers must then wait for that date, or a correction or void of this one)")
	f.StringVar(&o.signer, "signer", "", "who signs (người ký)")
	f.StringArrayVar(&o.recipients, "recipient", nil, "a recipient line (nơi nhận); repeat for more")
	f.StringVar(&o.unit, "unit", "", "drafting unit abbreviation for công văn (default numbering.unit)")
	f.IntVar(&o.copies, "copies", 0, "number of copies (số lượng bản)")
	f.StringVar(&o.archive, "archive-unit", "", "unit or person keeping the filed copy (đơn vị, người nhận bản lưu)")
	f.StringVar(&o.note, "note", "", "a remark for the register (ghi chú)")
	f.StringVar(&o.file, "file", "", "the document file: its SHA-256 is recorded")
	o.registerOptions.addFlags(cmd)
}

type stampOptions struct {
	issueOptions
	existing, output, font, numberRect, dateRect string
	numberField, dateField                       string
	year                                         int
	inPlace, newFields                           bool
}

func (a *app) newNumberStampCmd() *cobra.Command {
	o := &stampOptions{}
	cmd := &cobra.Command{
		Use:   "stamp DOC.pdf (--type ABBR --subject TEXT | --number N) (-o OUT | --in-place)",
		Short: "Number an approved PDF: fill its number and date fields without breaking the signature",
		Long: `The clerk's step after the approver has signed (Decree 30 Art. 15): give the document the next
number of its series (as vbdt number issue does, with --type and --subject) or an already issued
one (--number), and write the number and the promulgation date into the empty fields the
approver's signature created (vbdt sign --role approver). That is a form fill the approver's
DocMDP P=2 certification permits, appended as an incremental update. Afterwards every earlier
signature is checked again; if one no longer verifies, nothing is written. The numbered
document's SHA-256 is recorded in the register.

A PDF without these fields (signed by another tool, or not signed) gets the least intrusive
change its signatures permit, decided before any number is taken:
  - empty text fields it already has, named with --number-field and --date-field: a form fill;
  - if its signatures are approval signatures only (or it has none): two new visible signature
    fields, left unsigned, that show the number and the date over the "Số: …" and "ngày …
    tháng … năm …" placeholders of page 1 (else --number-rect and --date-rect, else where
    Decree 30 puts them);
  - if it is certified (DocMDP P=2 or P=3), new visible fields are what strict validators
    (EU DSS, pyHanko) judge an illegal change, though Acrobat accepts them: vbdt refuses unless
    --new-fields says to do it anyway.
A certification with P=1 permits no change, and a document the organization has already
sealed is numbered too late (its signature would not cover the number): both are refused with
exit 13.` + exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitRegister, ui.ExitNotPermitted, ui.ExitUsage),
		Example: `  $ vbdt number stamp qd-approved.pdf --type QĐ --subject "Về việc ban hành Quy chế làm việc" -o qd-numbered.pdf
  $ vbdt number stamp qd-approved.pdf --number 15 --in-place`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runStamp(cmd.Context(), o, argv[0]) },
	}
	o.issueOptions.addFlags(cmd)
	cmd.Flags().StringVar(&o.existing, "number", "", "use this already issued number (15 or 15/QĐ-UBND) instead of a new one")
	cmd.Flags().IntVar(&o.year, "year", 0, "with --number: its year (default this year)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the numbered document here")
	cmd.Flags().BoolVar(&o.inPlace, "in-place", false, "replace DOC.pdf atomically")
	cmd.Flags().StringVar(&o.font, "font", "", "without the approver's fields: TrueType font of the number (default appearance.font, Times New Roman, Liberation Serif)")
	cmd.Flags().StringVar(&o.numberRect, "number-rect", "", "without the approver's fields: where the number goes on page 1, x1,y1,x2,y2 in points")
	cmd.Flags().StringVar(&o.dateRect, "date-rect", "", "without the approver's fields: where the date goes on page 1, x1,y1,x2,y2 in points")
	cmd.Flags().StringVar(&o.numberField, "number-field", "", "an empty text field of the document for the number (default vbdt_so, the approver's)")
	cmd.Flags().StringVar(&o.dateField, "date-field", "", "an empty text field of the document for the date (default vbdt_ngay, the approver's)")
	cmd.Flags().BoolVar(&o.newFields, "new-fields", false, "on a certified document without fields for the number: add new visible fields anyway (Acrobat accepts them; EU DSS and pyHanko do not)")
	return cmd
}

func (a *app) runStamp(ctx context.Context, o *stampOptions, in string) error {
	out := o.output
	switch {
	case o.inPlace && out != "":
		return usageErrorf("-o and --in-place cannot be used together")
	case o.inPlace:
		out = in
	case out == "":
		return usageErrorf("say where the numbered document goes: -o FILE or --in-place")
	case o.existing == "" && (o.docType == "" || o.subject == ""):
		return usageErrorf("give --type and --subject for a new number, or --number for an issued one")
	}
	if (o.numberField == "") != (o.dateField == "") {
		return usageErrorf("give both --number-field and --date-field, or neither")
	}
	req := sign.StampRequest{In: in, Out: out, StampOptions: sign.StampOptions{NumberField: o.numberField, DateField: o.dateField, NewFields: o.newFields}}
	var err error
	if req.NumberRect, err = parseRect(o.numberRect); err != nil {
		return err
	}
	if req.DateRect, err = parseRect(o.dateRect); err != nil {
		return err
	}
	doc, err := pdf.OpenFile(in)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	method, err := sign.PlanStamp(doc, req.StampOptions) // before a number is taken
	doc.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	n, err := a.prepareRegister(&o.registerOptions)
	if err != nil {
		return err
	}
	if method == sign.StampNewFields || o.numberField != "" {
		if req.Font, err = loadFont(cmp.Or(o.font, n.cfg.Appearance.Font)); err != nil {
			return err
		}
	}
	if o.existing == "" {
		if _, err := a.issueRequest(n, &o.issueOptions); err != nil { // checked before the register is touched
			return err
		}
	}
	// a rehearsal with a number as long as any (the real one is not known yet): what would fail
	// — a font, a change the signatures refuse — fails before a number is taken
	rehearsal := req
	rehearsal.Out, rehearsal.NumberLine = "", "Số: 9999/QĐ-XXXXXXXX"
	rehearsal.DateLine = number.DateLine(n.cfg.Agency.Place, time.Date(2026, 12, 28, 0, 0, 0, 0, n.loc))
	if _, err := sign.Stamp(rehearsal); err != nil {
		return err
	}
	access := register.Create
	if o.existing != "" {
		access = register.Write
	}
	if err := n.open(ctx, a, access); err != nil {
		return err
	}
	defer n.store.Close()
	var e register.Entry
	if o.existing != "" {
		ro := refOptions{series: o.series, year: o.year}
		ref, err := ro.ref(n, o.existing)
		if err != nil {
			return err
		}
		if e, err = n.store.Get(ctx, n.cfg.Agency.Key(), ref); err != nil {
			return err
		}
		if e.Void {
			return usageErrorf("%s is void: issue a new number", e.Code)
		}
	} else if e, err = a.issue(ctx, n, &o.issueOptions); err != nil {
		return err
	}
	day, _ := time.ParseInLocation("2006-01-02", e.Date, n.loc)
	dateLine := number.DateLine(n.cfg.Agency.Place, day)
	req.NumberLine, req.DateLine = "Số: "+e.Code, dateLine
	res, err := sign.Stamp(req)
	if err != nil {
		return fmt.Errorf("%w (the number %s stays registered: void it with vbdt number void %s --reason … if it will not be used)", err, e.Code, e.Code)
	}
	ref := register.Ref{Series: e.Series, Year: e.Year, Number: e.Number}
	if _, err := n.store.Correct(ctx, e.Agency, ref, "doc_hash", res.Hash, "numbered document (vbdt number stamp)", n.by); err != nil {
		return err
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "numbered", Input: in, Output: out, Result: stampItem{Code: e.Code, DateLine: dateLine, StampResult: res}})
		return nil
	}
	a.ui.Fields([][2]string{{"Số", e.Code}, {"Date line", dateLine}, {"Written as", string(res.Method)}, {"Output", out}, {"SHA-256", res.Hash}})
	for _, c := range res.Checks {
		a.ui.Infof("signature %s by %s: still intact", c.Field, c.Signer)
	}
	return nil
}

func (a *app) runIssue(ctx context.Context, o *issueOptions) error {
	n, err := a.prepareRegister(&o.registerOptions)
	if err != nil {
		return err
	}
	if _, err := a.issueRequest(n, o); err != nil { // checked before the register is touched
		return err
	}
	if err := n.open(ctx, a, register.Create); err != nil {
		return err
	}
	defer n.store.Close()
	e, err := a.issue(ctx, n, o)
	if err != nil {
		return err
	}
	return a.renderIssued(n, e)
}

// issue allocates and registers an outgoing document's number.
func (a *app) issue(ctx context.Context, n *numbering, o *issueOptions) (register.Entry, error) {
	e, err := a.issueRequest(n, o)
	if err != nil {
		return register.Entry{}, err
	}
	return n.store.Allocate(ctx, e)
}

func (a *app) issueRequest(n *numbering, o *issueOptions) (register.Request, error) {
	ag := n.cfg.Agency
	series, err := n.cfg.NumberSeries().ForType(o.docType, o.series)
	if err != nil {
		if _, terr := number.ResolveType(o.docType, false); terr != nil && o.series == "" {
			err = terr // the type is wrong, not the series
		}
		return register.Request{}, usageErrorf("%v", err)
	}
	typ, err := number.ResolveType(o.docType, series.Kind == number.SeriesLegal)
	if err != nil {
		return register.Request{}, usageErrorf("%v", err)
	}
	if ag.Abbreviation == "" && series.Issuer == "" {
		return register.Request{}, configErrorf("agency.abbreviation", "agency.abbreviation is not set in the configuration: it is part of every notation")
	}
	unit := o.unit
	if unit == "" {
		unit = n.cfg.Numbering.Unit
	}
	notation, err := series.NotationFor(typ.Abbr, ag.Abbreviation, unit)
	if err != nil {
		return register.Request{}, usageErrorf("%v", err)
	}
	date, err := parseDate(o.date, n.loc, n.now())
	if err != nil {
		return register.Request{}, err
	}
	hash := ""
	if o.file != "" {
		if hash, err = fileHash(o.file); err != nil {
			return register.Request{}, err
		}
	}
	return register.Request{Agency: ag.Key(), Series: series, Direction: register.Outgoing,
		Notation: notation, Type: typ.Abbr, TypeName: typ.Name, Subject: o.subject, Signer: o.signer, Date: date,
		Location: n.loc, Recipients: o.recipients, Copies: o.copies, ArchiveUnit: o.archive, Note: o.note, DocHash: hash, By: n.by,
		AllowFuture: o.allowFuture}, nil
}

func (a *app) renderIssued(n *numbering, e register.Entry) error {
	code, err := number.ParseCode(e.Code)
	if err != nil {
		return fmt.Errorf("register entry %d has the code %q: %w", e.ID, e.Code, err)
	}
	day, _ := time.ParseInLocation("2006-01-02", e.Date, n.loc)
	place := n.cfg.Agency.Place
	dateLine := number.DateLine(place, day)
	docID := number.DocumentID(n.cfg.Agency.Key(), day, code)
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "issued", Result: issuedItem{Entry: e, NumberText: code.NumberText(), DateLine: dateLine, DocumentID: docID}})
		return nil
	}
	pairs := [][2]string{{"Số", code.String()}, {"Series", fmt.Sprintf("%s %d", e.Series, e.Year)}}
	if place != "" {
		pairs = append(pairs, [2]string{"Date line", dateLine})
	} else {
		pairs = append(pairs, [2]string{"Date", e.Date})
		a.ui.Warnf("agency.place is not set: no date line")
	}
	pairs = append(pairs, [2]string{"DocumentId", docID})
	a.ui.Fields(pairs)
	return nil
}

type receiveOptions struct {
	registerOptions
	edxml, from, fromID, code, docDate, subject, typeName, handler, date, note, series string
}

func (a *app) newNumberReceiveCmd() *cobra.Command {
	o := &receiveOptions{}
	cmd := &cobra.Command{
		Use:   "receive (--edxml FILE | --from ORGAN --subject TEXT)",
		Short: "Register an incoming document with its số đến",
		Long: `Give an incoming document the next incoming number (số đến) and register it with what its
sender wrote: organization, number and notation, date, summary. With --edxml these come from
the envelope's header (QCVN 102:2016); flags given as well take precedence. After this, tell
the sender it was received (edXML status 03).` + exitStatus(registerExits...),
		Example: `  $ vbdt number receive --edxml incoming.edxml --handler "Phòng Hành chính"
  $ vbdt number receive --from "Văn phòng Chính phủ" --code 7816/VPCP-TTĐT --doc-date 2026-03-02 --subject "V/v …"`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runReceive(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.edxml, "edxml", "", "read the sender's details from an edXML envelope")
	f.StringVar(&o.from, "from", "", "the sending organization (tác giả)")
	f.StringVar(&o.fromID, "from-id", "", "the sender's OrganId")
	f.StringVar(&o.code, "code", "", "the sender's number and notation, e.g. 7816/VPCP-TTĐT")
	f.StringVar(&o.docDate, "doc-date", "", "the sender's document date, yyyy-mm-dd")
	f.StringVar(&o.subject, "subject", "", "the summary (trích yếu)")
	f.StringVar(&o.typeName, "type-name", "", "the document type's name, e.g. Công văn")
	f.StringVar(&o.handler, "handler", "", "unit or person it goes to (đơn vị hoặc người nhận)")
	f.StringVar(&o.date, "date", "", "arrival date, yyyy-mm-dd (default today)")
	f.StringVar(&o.note, "note", "", "a remark for the register (ghi chú)")
	f.StringVar(&o.series, "series", "", "incoming series (default: the one of kind incoming)")
	o.addFlags(cmd)
	return cmd
}

func (a *app) runReceive(ctx context.Context, o *receiveOptions) error {
	snd := register.Sender{Organ: o.from, OrganID: o.fromID, Code: o.code, Date: o.docDate}
	subject, typeName := o.subject, o.typeName
	if o.edxml != "" {
		f, err := os.Open(o.edxml)
		if err != nil {
			return err
		}
		h, err := envelope.ReadHeader(f)
		f.Close()
		if err != nil {
			return usageErrorf("%s: %v", o.edxml, err)
		}
		if !h.IsDocument() {
			return usageErrorf("%s is a status message (%s), not a document", o.edxml, h.StatusCode)
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		in := h.Incoming()
		fill(&snd.Organ, in.Organ)
		fill(&snd.OrganID, in.OrganID)
		fill(&snd.Code, in.Code)
		fill(&snd.Date, in.Date)
		fill(&subject, in.Subject)
		fill(&typeName, in.TypeName)
		snd.DocumentID = in.DocumentID
	}
	if snd.Organ == "" {
		return usageErrorf("who sent the document? give --from or --edxml")
	}
	if snd.Date != "" {
		if _, err := time.Parse("2006-01-02", snd.Date); err != nil {
			return usageErrorf("the sender's date %q is not yyyy-mm-dd", snd.Date)
		}
	}
	n, err := a.openRegister(ctx, &o.registerOptions, register.Create)
	if err != nil {
		return err
	}
	defer n.store.Close()
	all := n.cfg.NumberSeries()
	series, err := all.Incoming()
	if o.series != "" {
		series, err = all.Find(o.series)
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	date, err := parseDate(o.date, n.loc, n.now())
	if err != nil {
		return err
	}
	e, err := n.store.Allocate(ctx, register.Request{Agency: n.cfg.Agency.Key(), Series: series, Direction: register.Incoming,
		TypeName: typeName, Subject: subject, Date: date, Location: n.loc, Handler: o.handler, Note: o.note, Sender: &snd, By: n.by})
	if err != nil {
		return err
	}
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: "received", Result: e})
		return nil
	}
	a.ui.Fields([][2]string{{"Số đến", e.Code}, {"Ngày đến", e.Date}, {"Tác giả", snd.Organ}, {"Số, ký hiệu", snd.Code}, {"Trích yếu", e.Subject}})
	a.ui.Infof("tell the sender it arrived (edXML status 03) the same day")
	return nil
}

// refOptions name one entry: its number, series and year.
type refOptions struct {
	registerOptions
	series   string
	year     int
	incoming bool
}

func (o *refOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.series, "series", "", "the entry's series (default: the series of the notation, or the first outgoing series)")
	cmd.Flags().IntVar(&o.year, "year", 0, "the entry's year (default this year)")
	cmd.Flags().BoolVar(&o.incoming, "incoming", false, "an incoming number (số đến)")
	o.registerOptions.addFlags(cmd)
}

// ref resolves "15", "15/QĐ-UBND" or "09/2025/QĐ-TTg" with the flags.
func (o *refOptions) ref(n *numbering, arg string) (register.Ref, error) {
	all := n.cfg.NumberSeries()
	ref := register.Ref{Series: o.series, Year: o.year}
	if ref.Year == 0 {
		ref.Year = number.YearOf(n.store.Now(), n.loc)
	}
	num, err := strconv.Atoi(arg)
	if err != nil {
		c, perr := number.ParseCode(arg)
		if perr != nil {
			return ref, usageErrorf("%q is neither a number nor a number/notation", arg)
		}
		num = c.Number
		ref.Notation = c.Notation // it must be the entry's
		if c.Year != 0 && o.year == 0 {
			ref.Year = c.Year
		}
		if parts, err := c.Parts(); err == nil && ref.Series == "" {
			t := parts.Type
			if parts.Kind == number.KindLetter {
				t = number.LetterAbbr
			}
			if s, err := all.ForType(t, ""); err == nil {
				ref.Series = s.Name
			}
		}
	}
	ref.Number = num
	if ref.Series == "" {
		var s number.Series
		if o.incoming {
			s, err = all.Incoming()
		} else {
			s, err = all.ForType(number.LetterAbbr, "")
		}
		if err != nil {
			return ref, usageErrorf("%v: name the series with --series", err)
		}
		ref.Series = s.Name
	}
	return ref, nil
}

type amendOptions struct {
	refOptions
	reason, field, value string
}

func (a *app) newNumberVoidCmd() *cobra.Command {
	o := &amendOptions{}
	cmd := &cobra.Command{
		Use:   "void NUMBER --reason TEXT",
		Short: "Void a number: it stays used and is never handed out again",
		Long: `Mark a registered number void, with the reason, who and when. The number is never given
to another document; the register shows it as void.` + exitStatus(registerExits...),
		Example: `  $ vbdt number void 15 --reason "Văn bản bị hủy trước khi ban hành"
  $ vbdt number void 15/QĐ-UBND --year 2026 --reason "…"`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.amendEntry(cmd.Context(), o, argv[0], "voided", func(n *numbering, r register.Ref) (register.Entry, error) {
				return n.store.Void(cmd.Context(), n.cfg.Agency.Key(), r, o.reason, n.by)
			})
		},
	}
	cmd.Flags().StringVar(&o.reason, "reason", "", "why the number is voided")
	cmd.MarkFlagRequired("reason")
	o.refOptions.addFlags(cmd)
	return cmd
}

func (a *app) newNumberCorrectCmd() *cobra.Command {
	o := &amendOptions{}
	cmd := &cobra.Command{
		Use:   "correct NUMBER --field FIELD --value TEXT --reason TEXT",
		Short: "Record a correction of an entry, keeping the old value in its history",
		Long: `Correct one field of a registered entry. The entry itself never changes: the correction is a
new row that references it, with who, when and why; show and the printed register apply it.
Fields: ` + strings.Join(register.Correctable, ", ") + `. A wrong number is not corrected: void it and issue a new one.` +
			exitStatus(registerExits...),
		Example: `  $ vbdt number correct 15 --field subject --value "Về việc ban hành Quy chế làm việc (sửa đổi)" --reason "sai chính tả"`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return a.amendEntry(cmd.Context(), o, argv[0], "corrected", func(n *numbering, r register.Ref) (register.Entry, error) {
				return n.store.Correct(cmd.Context(), n.cfg.Agency.Key(), r, o.field, o.value, o.reason, n.by)
			})
		},
	}
	cmd.Flags().StringVar(&o.field, "field", "", "the field to correct")
	cmd.Flags().StringVar(&o.value, "value", "", "its new value (recipients: one per line)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why")
	cmd.MarkFlagRequired("field")
	cmd.MarkFlagRequired("reason")
	o.refOptions.addFlags(cmd)
	return cmd
}

func (a *app) amendEntry(ctx context.Context, o *amendOptions, arg, verb string, do func(*numbering, register.Ref) (register.Entry, error)) error {
	n, err := a.openRegister(ctx, &o.registerOptions, register.Write)
	if err != nil {
		return err
	}
	defer n.store.Close()
	ref, err := o.ref(n, arg)
	if err != nil {
		return err
	}
	e, err := do(n, ref)
	if err != nil {
		return err
	}
	a.renderEntry(verb, e)
	return nil
}

func (a *app) newNumberShowCmd() *cobra.Command {
	o := &refOptions{}
	cmd := &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show a register entry with its history",
		Long:  `Show one entry of the register, its corrections and whether it is void.` + exitStatus(registerExits...),
		Example: `  $ vbdt number show 15
  $ vbdt number show 15/QĐ-UBND --year 2026 --json
  $ vbdt number show 3 --incoming`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			n, err := a.openRegister(cmd.Context(), &o.registerOptions, register.Read)
			if err != nil {
				return err
			}
			defer n.store.Close()
			ref, err := o.ref(n, argv[0])
			if err != nil {
				return err
			}
			e, err := n.store.Get(cmd.Context(), n.cfg.Agency.Key(), ref)
			if err != nil {
				return err
			}
			a.renderEntry("shown", e)
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

// renderEntry shows an entry; verb is its item status (shown, voided, corrected).
func (a *app) renderEntry(verb string, e register.Entry) {
	if a.ui.JSON {
		a.ui.EmitItem(ui.Item{Status: verb, Result: e})
		return
	}
	status := "registered"
	if e.Void {
		status = "VOID: " + e.VoidReason
	}
	pairs := [][2]string{{"Code", e.Code}, {"Series", fmt.Sprintf("%s %d (%s)", e.Series, e.Year, e.Direction)},
		{"Date", e.Date}, {"Type", e.TypeName}, {"Subject", e.Subject}, {"Status", status}}
	if e.Signer != "" {
		pairs = append(pairs, [2]string{"Signer", e.Signer})
	}
	if len(e.Recipients) > 0 {
		pairs = append(pairs, [2]string{"Recipients", strings.Join(e.Recipients, " ")})
	}
	if s := e.Sender; s != nil {
		pairs = append(pairs, [2]string{"Sender", strings.TrimSpace(s.Organ + " " + s.Code + " " + s.Date)})
	}
	if e.DocHash != "" {
		pairs = append(pairs, [2]string{"Document hash", e.DocHash})
	}
	pairs = append(pairs, [2]string{"Registered", e.CreatedAt.Format(time.RFC3339) + " by " + e.CreatedBy})
	for _, h := range e.History {
		what := h.Action
		if h.Field != "" {
			what += fmt.Sprintf(" %s: %q → %q", h.Field, h.Old, h.Value)
		}
		pairs = append(pairs, [2]string{"Amended", fmt.Sprintf("%s by %s: %s (%s)", h.At.Format(time.RFC3339), h.By, what, h.Reason)})
	}
	a.ui.Fields(pairs)
}

type listOptions struct {
	registerOptions
	year                              int
	series, docType, from, to, search string
	incoming, outgoing                bool
}

func (o *listOptions) addFilterFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.year, "year", 0, "only this year")
	f.StringVar(&o.series, "series", "", "only this series")
	f.StringVar(&o.docType, "type", "", "only this type abbreviation")
	f.StringVar(&o.from, "from", "", "only dated on or after yyyy-mm-dd")
	f.StringVar(&o.to, "to", "", "only dated on or before yyyy-mm-dd")
	f.StringVar(&o.search, "search", "", "only entries whose summary contains this text")
	f.BoolVar(&o.incoming, "incoming", false, "only incoming documents")
	f.BoolVar(&o.outgoing, "outgoing", false, "only outgoing documents")
	cmd.MarkFlagsMutuallyExclusive("incoming", "outgoing")
	o.registerOptions.addFlags(cmd)
}

func (o *listOptions) filter(agency string) (register.Filter, error) {
	f := register.Filter{Agency: agency, Year: o.year, Series: o.series, Type: o.docType, From: o.from, To: o.to, Text: o.search}
	for _, d := range []string{o.from, o.to} {
		if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
			return f, usageErrorf("date %q: use yyyy-mm-dd", d)
		}
	}
	switch {
	case o.incoming && o.outgoing:
		return f, usageErrorf("--incoming and --outgoing cannot be used together")
	case o.incoming:
		f.Direction = register.Incoming
	case o.outgoing:
		f.Direction = register.Outgoing
	}
	return f, nil
}

func (a *app) listEntries(ctx context.Context, o *listOptions) ([]register.Entry, *numbering, error) {
	n, err := a.openRegister(ctx, &o.registerOptions, register.Read)
	if err != nil {
		return nil, nil, err
	}
	f, err := o.filter(n.cfg.Agency.Key())
	if err != nil {
		n.store.Close()
		return nil, nil, err
	}
	es, err := n.store.List(ctx, f)
	if err != nil {
		n.store.Close()
		return nil, nil, err
	}
	return es, n, nil
}

func (a *app) newNumberListCmd() *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List register entries",
		Long:  `List the register's entries, filtered by year, series, type, date range and text in the summary.` + exitStatus(registerExits...),
		Example: `  $ vbdt number list --year 2026
  $ vbdt number list --type QĐ --from 2026-03-01 --to 2026-03-31
  $ vbdt number list --incoming --search "kết nối" --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			es, n, err := a.listEntries(cmd.Context(), o)
			if err != nil {
				return err
			}
			defer n.store.Close()
			if a.ui.JSON {
				for _, e := range es {
					a.ui.EmitItem(ui.Item{Status: "listed", Result: e})
				}
				a.ui.EmitSummary(ui.Summary{Command: "number list", Total: len(es), Done: len(es)})
				return nil
			}
			rows := make([][]string, 0, len(es))
			for _, e := range es {
				status := ""
				if e.Void {
					status = "void"
				}
				rows = append(rows, []string{e.Series, strconv.Itoa(e.Year), e.Code, e.Date, e.Type, e.Subject, status})
			}
			a.ui.Table([]string{"SERIES", "YEAR", "CODE", "DATE", "TYPE", "SUBJECT", "STATUS"}, rows)
			return nil
		},
	}
	o.addFilterFlags(cmd)
	return cmd
}

type outputOptions struct {
	listOptions
	format, output string
}

// write sends data to -o FILE (atomically) or stdout; binary data is not written to a terminal.
func (a *app) writeOutput(o *outputOptions, binary bool, write func(io.Writer) error) error {
	if o.output == "" || o.output == "-" {
		if binary && a.ui.OutTTY {
			return usageErrorf("a PDF is not shown on a terminal: add -o FILE")
		}
		return write(a.streams.Out)
	}
	var buf strings.Builder
	if err := write(&buf); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(o.output, []byte(buf.String()), 0o644); err != nil {
		return err
	}
	a.ui.Infof("wrote %s", o.output)
	return nil
}

func (a *app) newNumberExportCmd() *cobra.Command {
	o := &outputOptions{}
	cmd := &cobra.Command{
		Use:   "export --format csv|json",
		Short: "Export register entries for other programs",
		Long: `Write the selected entries with every field: CSV with snake_case headings, or JSON Lines.
Corrections are applied; void entries are marked.` + exitStatus(registerExits...),
		Example: `  $ vbdt number export --format csv --year 2026 > register-2026.csv
  $ vbdt number export --format json -o register.jsonl`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "csv" && o.format != "json" {
				return usageErrorf("--format must be csv or json")
			}
			es, n, err := a.listEntries(cmd.Context(), &o.listOptions)
			if err != nil {
				return err
			}
			defer n.store.Close()
			return a.writeOutput(o, false, func(w io.Writer) error { return register.WriteExport(w, o.format, es) })
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "csv", "csv or json")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write to this file (replaced atomically) instead of stdout")
	o.addFilterFlags(cmd)
	return cmd
}

func (a *app) newNumberBookCmd() *cobra.Command {
	o := &outputOptions{}
	cmd := &cobra.Command{
		Use:   "book --year YEAR --format pdf|csv",
		Short: "Print the outgoing or incoming register of a year (Decree 30 Appendix IV)",
		Long: `Write the printable register of one year: the outgoing register (sổ đăng ký văn bản đi), or
with --incoming the incoming one (sổ đăng ký văn bản đến), each with its 10 columns under
Vietnamese headings. The PDF is landscape A4 in Times New Roman, else Liberation Serif
(appearance.font in vbdt.yaml to choose).` + exitStatus(registerExits...),
		Example: `  $ vbdt number book --year 2026 --format pdf -o so-van-ban-di-2026.pdf
  $ vbdt number book --year 2026 --series mat --format pdf -o so-van-ban-mat-2026.pdf
  $ vbdt number book --year 2026 --incoming --format csv > so-van-ban-den-2026.csv`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runBook(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.format, "format", "pdf", "pdf or csv")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write to this file (replaced atomically) instead of stdout")
	cmd.Flags().IntVar(&o.year, "year", 0, "the year (default this year)")
	cmd.Flags().BoolVar(&o.incoming, "incoming", false, "the incoming register")
	cmd.Flags().StringVar(&o.series, "series", "", "only this series (each series can be its own register, e.g. the secret one)")
	o.registerOptions.addFlags(cmd)
	return cmd
}

func (a *app) runBook(ctx context.Context, o *outputOptions) error {
	if o.format != "pdf" && o.format != "csv" {
		return usageErrorf("--format must be pdf or csv")
	}
	o.outgoing = !o.incoming
	n, err := a.openRegister(ctx, &o.registerOptions, register.Read)
	if err != nil {
		return err
	}
	defer n.store.Close()
	if o.year == 0 {
		o.year = number.YearOf(n.store.Now(), n.loc)
	}
	f, err := o.filter(n.cfg.Agency.Key())
	if err != nil {
		return err
	}
	es, err := n.store.List(ctx, f)
	if err != nil {
		return err
	}
	info := register.BookInfo{Agency: strings.ToUpper(n.cfg.Agency.Name), Year: o.year, Direction: f.Direction}
	if o.format == "csv" {
		return a.writeOutput(o, false, func(w io.Writer) error { return register.WriteBookCSV(w, info, es) })
	}
	if info.Font, err = fonts.Find(n.cfg.Appearance.Font); err != nil {
		return err
	}
	return a.writeOutput(o, true, func(w io.Writer) error { return register.WriteBookPDF(w, info, es) })
}

type checkOptions struct {
	registerOptions
	year int
}

func (a *app) newNumberCheckCmd() *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Audit the register: gaps, duplicates, counters, date order, void numbers",
		Long: `Check every series of the register (or of --year): numbers start at 01 with no gap, no
number is used twice, each counter stands at its last number, dates never go backwards as
numbers rise. Void numbers are listed as information. Exits 1 on any inconsistency.` +
			exitStatus(registerExits...),
		Example: `  $ vbdt number check
  $ vbdt number check --year 2026 --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := a.openRegister(cmd.Context(), &o.registerOptions, register.Read)
			if err != nil {
				return err
			}
			defer n.store.Close()
			rep, err := n.store.Audit(cmd.Context(), o.year)
			if err != nil {
				return err
			}
			if a.ui.JSON {
				for _, f := range rep.Findings {
					a.ui.EmitItem(ui.Item{Status: f.Severity, Result: f})
				}
				errs := 0
				for _, f := range rep.Findings {
					if f.Severity == "error" {
						errs++
					}
				}
				a.ui.EmitSummary(ui.Summary{Command: "number check", Total: rep.Entries, Done: rep.Entries, Failed: errs,
					Result: checkTotals{Series: rep.Series, Findings: len(rep.Findings), Consistent: rep.Consistent()}})
			} else {
				rows := [][]string{}
				for _, f := range rep.Findings {
					rows = append(rows, []string{f.Severity, f.Series, strconv.Itoa(f.Year), f.Kind, f.Message})
				}
				if len(rows) > 0 {
					a.ui.Table([]string{"SEVERITY", "SERIES", "YEAR", "KIND", "FINDING"}, rows)
				}
				a.ui.Infof("%d entries in %d series checked", rep.Entries, rep.Series)
			}
			if !rep.Consistent() {
				return fmt.Errorf("the register %s is inconsistent", n.store.Location())
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "only this year")
	o.registerOptions.addFlags(cmd)
	return cmd
}

// stampItem is the item's result of vbdt number stamp.
type stampItem struct {
	Code     string `json:"code"`
	DateLine string `json:"date_line"`
	*sign.StampResult
}

// issuedItem is the item's result of vbdt number issue: the register entry and how the number
// is written.
type issuedItem struct {
	register.Entry
	NumberText string `json:"number_text"` // 15, 05: as the document shows it
	DateLine   string `json:"date_line"`
	DocumentID string `json:"document_id"`
}

// checkTotals is the summary's result of vbdt number check.
type checkTotals struct {
	Series     int  `json:"series"`
	Findings   int  `json:"findings"`
	Consistent bool `json:"consistent"`
}
