package cli

import (
	"cmp"
	"crypto"
	"fmt"
	"github.com/vbdt/vbdt/internal/nd30"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/internal/batch"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/sign"
)

type signOptions struct {
	keyAccessOptions
	key, role, rect, image, seal, sealSize, numberRect, dateRect, code, copyForm, copyAgency string
	batchOptions
	hash, reason, location, font, tsa    string
	page, certify                        int
	visible, pss, fromRegister, newField bool
	stamp                                issueOptions
	anchor, field                        string
	level                                string
	evidence                             evidenceOptions
	// for vbdt convert sign: no journal, and after is told of each document signed (or found
	// signed by this key already)
	noJournal bool
	after     func(out string) error
}

func (a *app) newSignCmd() *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign --key KEY [--role ROLE] INPUT... (-o FILE | --out DIR | --in-place)",
		Short: "Sign PDFs with PAdES signatures in the roles of Decree 30",
		Long: `Sign one PDF or thousands with a PAdES baseline signature (ETSI.CAdES.detached, B-B), added as
an incremental update: the original bytes stay an exact prefix, so earlier signatures stay valid.

Roles (Decree 30/2020/NĐ-CP, Appendix I):
  approver    the competent person: the blue signature image (--image) between the position
              title and the name: above --anchor (default: the signer's name in the certificate)
              when found on the page, else --rect, else the right column of the last page;
              creates the empty number and date fields the clerk fills, over the "Số: …" and
              "ngày … tháng … năm …" placeholders when found, and an empty signature field
              for the organization's seal (sized by --seal or --seal-size), and certifies
              with DocMDP P=2
  issuer      the organization: the red seal (--seal) signed into the field the approver
              prepared; without one, at its real size (image DPI or --seal-size) over the
              left third of the approver's signature. Only a numbered document is sealed
  attachment  the organization on an attachment file: no image; --code and the signing time
              at the top right of page 1
  copy        the organization on an electronic copy: --copy-form (SAO Y, SAO LỤC, TRÍCH SAO),
              --copy-agency and the signing time at the top right of page 1
  plain       outside the Decree 30 flow, invisible unless --visible; an approval signature,
              or with --certify P the document's certification (its first signature)

INPUT is a file, a folder (its *.pdf, recursively), a glob, or - for a list of paths on stdin.
One input may go to -o FILE; many go to --out DIR (same relative paths) or --in-place (each
file replaced atomically). A journal (--journal, default in the output folder) lets an
interrupted batch resume without signing a file twice; --shard K/N lets N machines share one
backlog. A file that is not a PDF, is encrypted or damaged is reported and skipped; the batch
goes on and ends with exit 3. With --tsa (or tsa.url) each signature is timestamped (B-T).
--level B-LT then adds the validation data of every signature of the document (certificates,
OCSP responses or CRLs, in its /DSS), --level B-LTA a document timestamp after it (see vbdt ltv);
a certificate found revoked leaves the document unsigned.

What the document's signatures permit is checked before the key is used, as the strictest
validators (EU DSS, pyHanko) read DocMDP: after a certification with P=1 nothing may be
signed; after P=2 or P=3 only existing empty signature fields (--field NAME; roles find
their prepared field) or invisible new ones, since a new visible field is an illegal change
for them (--new-field does it anyway: Acrobat accepts it). Refusals exit 13 and say which
signature refuses. A signed result is checked again before it is written.

For N machines sharing a backlog, e.g. a Kubernetes Indexed Job of N completions, each pod runs
  vbdt sign --key … /backlog --out /signed --shard $((JOB_COMPLETION_INDEX+1))/N` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitPartial, ui.ExitKey, ui.ExitNotPermitted, ui.ExitUsage, ui.ExitInterrupted),
		Example: `  $ vbdt sign --key approver --role approver --image chu-ky.png qd.pdf -o qd-approved.pdf
  $ vbdt number stamp qd-approved.pdf --type QĐ --subject "…" -o qd-numbered.pdf
  $ vbdt sign --key organization --role issuer --seal dau.png qd-numbered.pdf -o qd-issued.pdf
  $ vbdt sign --key file:org.p12 --field Signature2 --visible certified.pdf -o signed.pdf
  $ vbdt sign --key 'pkcs11:token=HSM;object=org' --role attachment --code 15/QĐ-UBND phu-luc.pdf -o phu-luc-signed.pdf
  $ vbdt sign --key file:org.p12 ./scans --out ./signed --jobs 4 --json
  $ vbdt sign --key organization --role issuer --level B-LTA --tsa http://tsa.example.vn qd-numbered.pdf -o qd-issued.pdf
  $ find backlog -name '*.pdf' | vbdt sign --key org - --out signed --shard 2/8`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runSign(cmd, o, argv) },
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "signing key: a URI (file:…, pkcs11:…) or a key profile of vbdt.yaml")
	f.StringVar(&o.role, "role", "plain", "approver, issuer, attachment, copy or plain")
	f.BoolVar(&o.visible, "visible", false, "plain role: show the signature")
	f.IntVar(&o.certify, "certify", 0, "plain role: certify the unsigned document, DocMDP 1 (no changes), 2 (form filling, signing) or 3 (also annotations)")
	f.StringVar(&o.field, "field", "", "sign this existing empty signature field, drawn in its rectangle (issuer: the approver's prepared field by default)")
	f.BoolVar(&o.newField, "new-field", false, "allow a new visible signature field on a certified document (Acrobat accepts it; EU DSS and pyHanko do not)")
	f.IntVar(&o.page, "page", 0, "page of the signature (default: the role's)")
	f.StringVar(&o.rect, "rect", "", "signature rectangle in points from the bottom left: x1,y1,x2,y2")
	f.StringVar(&o.image, "image", "", "approver's signature image, PNG with transparency (default appearance.signature_image)")
	f.StringVar(&o.seal, "seal", "", "the agency's seal, PNG with transparency (default appearance.seal_image)")
	f.StringVar(&o.sealSize, "seal-size", "", "the seal's real diameter, e.g. 36mm (default: from the image's DPI)")
	f.StringVar(&o.anchor, "anchor", "", "approver: text the signature image goes above (default: the signer's name in the certificate)")
	f.StringVar(&o.numberRect, "number-rect", "", "approver: the number field's rectangle x1,y1,x2,y2 on page 1")
	f.StringVar(&o.dateRect, "date-rect", "", "approver: the date field's rectangle x1,y1,x2,y2 on page 1")
	f.StringVar(&o.code, "code", "", "attachment: the main document's number and notation")
	f.StringVar(&o.copyForm, "copy-form", "SAO Y", "copy: SAO Y, SAO LỤC or TRÍCH SAO")
	f.StringVar(&o.copyAgency, "copy-agency", "", "copy: the copying agency (default agency.name)")
	f.StringVar(&o.font, "font", "", "TrueType font for text in appearances (default appearance.font, Times New Roman, Liberation Serif)")
	f.StringVar(&o.hash, "hash", "sha256", "sha256, sha384 or sha512")
	f.BoolVar(&o.pss, "pss", false, "RSA-PSS instead of PKCS#1 v1.5 (RSA keys)")
	f.StringVar(&o.reason, "reason", "", "reason written in the signature")
	f.StringVar(&o.location, "location", "", "location written in the signature (default agency.place)")
	f.StringVar(&o.tsa, "tsa", "", "RFC 3161 time-stamping authority URL: a B-T signature (default tsa.url); user:password@ in it is sent as basic auth, never shown")
	f.StringVar(&o.level, "level", "", "PAdES level: B-B, B-T (needs --tsa), B-LT (adds validation data), B-LTA (then a document timestamp); default B-T with a TSA, else B-B")
	f.BoolVar(&o.fromRegister, "number-from-register", false, "issuer: number the document first (as vbdt number stamp), then sign")
	f.StringVar(&o.stamp.docType, "type", "", "with --number-from-register: the document type (QĐ, …)")
	f.StringVar(&o.stamp.subject, "subject", "", "with --number-from-register: the summary (trích yếu)")
	f.StringVar(&o.stamp.series, "series", "", "with --number-from-register: the number series")
	o.keyAccessOptions.addFlags(cmd)
	o.batchOptions.addFlags(cmd, "documents")
	o.evidence.addFlags(cmd, false)
	cmd.MarkFlagRequired("key")
	return cmd
}

// loadFont loads the named TrueType font (a path or a family; empty: Times New Roman, else
// Liberation Serif) for text in appearances.
func loadFont(name string) (*pdf.Font, error) {
	face, err := fonts.Find(name)
	if err != nil {
		return nil, err
	}
	return pdf.LoadFont(face.Regular)
}

func parseRect(s string) (*pdf.Rect, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, usageErrorf("rectangle %q: give x1,y1,x2,y2 in points", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usageErrorf("rectangle %q: %v", s, err)
		}
		v[i] = f
	}
	if v[2] <= v[0] || v[3] <= v[1] {
		return nil, usageErrorf("rectangle %q: x2 and y2 must exceed x1 and y1", s)
	}
	return &pdf.Rect{X1: v[0], Y1: v[1], X2: v[2], Y2: v[3]}, nil
}

func (a *app) runSign(cmd *cobra.Command, o *signOptions, argv []string) (err error) {
	role := nd30.Role(o.role)
	if !slices.Contains(nd30.Roles, role) {
		return usageErrorf("--role %q: use approver, issuer, attachment, copy or plain", o.role)
	}
	var level sign.Level
	if o.level != "" {
		if level, err = sign.ParseLevel(o.level); err != nil {
			return usageErrorf("--level: %v", err)
		}
	}
	hashes := map[string]crypto.Hash{"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512}
	h, ok := hashes[o.hash]
	if !ok {
		return usageErrorf("--hash %q: use sha256, sha384 or sha512", o.hash)
	}
	tsa, err := a.tsaClient(o.tsa)
	if err != nil {
		return err
	}
	if level == sign.LevelB {
		tsa = nil // asked for B-B: no timestamp, whatever tsa.url says
	}
	if tsa != nil {
		tsa.Hash = h // the signature timestamp's imprint in the signature's own algorithm
	} else if level.AtLeast(sign.LevelT) {
		return usageErrorf("--level %s needs a time-stamping authority: --tsa URL or tsa.url", level)
	}
	items, err := a.batchItems(argv, o.batchOptions)
	if err != nil {
		return err
	}
	app, err := a.signAppearance(o, role)
	if err != nil {
		return err
	}
	uri, pinSource, err := a.resolveKey(o.key)
	if err != nil {
		return err
	}
	key, err := keys.Open(uri, a.keyOptions(o.keyAccessOptions, pinSource))
	if err != nil {
		return err
	}
	defer key.Close()
	if o.fromRegister { // the key is open (and logged in) before a number is taken
		if role != nd30.Issuer || len(items) != 1 || o.inPlace {
			return usageErrorf("--number-from-register numbers one document before the organization signs it: --role issuer, one input, -o FILE")
		}
		numbered := items[0].Out + ".numbered.tmp"
		defer os.Remove(numbered)
		if err := a.runStamp(cmd.Context(), &stampOptions{issueOptions: o.stamp, output: numbered}, items[0].In); err != nil {
			return err
		}
		items[0].In = numbered
		defer func() {
			if err != nil {
				err = fmt.Errorf("%w (the document's number stays registered: vbdt number list shows it; void it with vbdt number void if the document will not be issued)", err)
			}
		}()
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	location := cmp.Or(o.location, cfg.Agency.Place)
	zone, err := cfg.Agency.Location() // signing times are shown in the agency's zone: +07:00
	if err != nil {
		return usageErrorf("agency.time_zone: %v", err)
	}
	req := sign.Request{Signer: key, Chain: key.Chain, Hash: h, PSS: o.pss, Reason: o.reason, Location: location, TSA: tsa, Level: level}
	if level.AtLeast(sign.LevelLT) {
		if req.LTV.Evidence, err = a.fetcher(o.evidence); err != nil {
			return err
		}
		if req.LTV.Roots, err = a.ltvRoots(); err != nil {
			return err
		}
	}
	journal := o.journalPath("sign", len(items))
	if o.noJournal {
		journal = ""
	}
	b := &sign.Batch{
		Workers: o.workers(), Journal: journal, After: o.after,
		Request: req,
		Prepare: func(doc *pdf.Doc, r *sign.Request) error {
			r.Time = time.Now().In(zone)
			return app.Apply(doc, r)
		},
	}
	return a.runBatch("sign", "signed", items, func(on func(batch.Result)) (batch.Summary, error) {
		b.OnResult = on
		return b.Run(cmd.Context(), items)
	})
}

// signAppearance loads what the role draws with.
func (a *app) signAppearance(o *signOptions, role nd30.Role) (sign.Appearance, error) {
	cfg, err := a.config()
	if err != nil {
		return sign.Appearance{}, err
	}
	switch {
	case o.certify != 0 && role != nd30.Plain:
		return sign.Appearance{}, usageErrorf("--certify is for the plain role (the approver always certifies with P=2)")
	case o.certify < 0 || o.certify > 3:
		return sign.Appearance{}, usageErrorf("--certify %d: use 1, 2 or 3", o.certify)
	}
	ap := sign.Appearance{Role: role, Page: o.page, Visible: o.visible, Certify: o.certify, Code: o.code, CopyForm: o.copyForm,
		CopyAgency: o.copyAgency, Anchor: o.anchor, Field: o.field, NewField: o.newField}
	if ap.CopyAgency == "" {
		ap.CopyAgency = cfg.Agency.Name
	}
	if ap.Rect, err = parseRect(o.rect); err != nil {
		return ap, err
	}
	if ap.NumberRect, err = parseRect(o.numberRect); err != nil {
		return ap, err
	}
	if ap.DateRect, err = parseRect(o.dateRect); err != nil {
		return ap, err
	}
	if o.sealSize != "" {
		mmv, err := strconv.ParseFloat(strings.TrimSuffix(o.sealSize, "mm"), 64)
		if err != nil || mmv <= 0 {
			return ap, usageErrorf("--seal-size %q: give millimetres, e.g. 36mm", o.sealSize)
		}
		ap.SealSize = mmv
	}
	image := cmp.Or(o.image, cfg.Appearance.SignatureImage)
	if image != "" && (role == nd30.Approver || role == nd30.Plain) {
		if ap.Image, err = pdf.LoadPNG(image); err != nil {
			return ap, usageErrorf("signature image: %v", err)
		}
	}
	// the approver prepares the organization's field at the seal's size
	if seal := cmp.Or(o.seal, cfg.Appearance.SealImage); seal != "" && (role == nd30.Issuer || role == nd30.Approver) {
		if ap.Seal, err = pdf.LoadPNG(seal); err != nil {
			return ap, usageErrorf("seal image: %v", err)
		}
	}
	if role != nd30.Issuer && (role != nd30.Plain || o.visible) {
		if ap.Font, err = loadFont(cmp.Or(o.font, cfg.Appearance.Font)); err != nil {
			return ap, err
		}
	}
	// fail before opening the key when the role lacks what it draws
	switch {
	case role == nd30.Approver && ap.Image == nil:
		return ap, usageErrorf("the approver's signature needs its image: --image or appearance.signature_image")
	case role == nd30.Issuer && ap.Seal == nil:
		return ap, usageErrorf("the organization's signature needs the seal: --seal or appearance.seal_image")
	case role == nd30.Attachment && ap.Code == "":
		return ap, usageErrorf("an attachment's signature shows the main document's number: --code 15/QĐ-UBND")
	}
	return ap, nil
}
