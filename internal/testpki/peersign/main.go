// Command peersign signs a PDF with github.com/digitorus/pdfsign, a PAdES signer written
// independently of vbdt, so that tests can check how vbdt treats documents signed elsewhere:
// certified with DocMDP P=1, 2 or 3, or carrying a plain approval signature.
//
// It is a test tool in a module of its own (vbdt.test/peersign), outside vbdt's go.mod;
// internal/testpki/testenv builds it with PeerSign.
//
//	peersign -in IN.pdf -out OUT.pdf -key KEY.pem -cert CERT.pem [-chain CHAIN.pem]...
//	         -certify 0|1|2|3 [-visible]
//
// KEY is a PEM private key, RSA or ECDSA, in PKCS#8, PKCS#1 or SEC 1. CERT holds the signer's
// certificate first; further certificates in it, and those of every -chain file, go into the
// CMS as the chain. -certify 0 makes an approval signature; 1, 2 or 3 a certification
// signature with that DocMDP /P.
//
// pdfsign writes the DocMDP /Reference into the signature dictionary but not the catalog's
// /Perms /DocMDP, which is what makes a signature a certification signature (ISO 32000-1
// 12.8.2.2). peersign adds it the only way that leaves pdfsign's own output untouched: before
// signing, it appends an incremental update whose catalog carries /Perms pointing at the
// object number pdfsign will give the signature dictionary; pdfsign copies the catalog's
// entries into its own catalog, so the signed revision has /Perms /DocMDP -> the signature.
// Every output is read back and checked (the field's /V is the /Sig, /ByteRange spans the
// file, /Perms is there exactly for certification and points at the signature with the
// right /P) so that a change in pdfsign cannot pass silently.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var chains multiFlag
	in := flag.String("in", "", "PDF to sign")
	out := flag.String("out", "", "signed PDF to write")
	keyFile := flag.String("key", "", "PEM private key (PKCS#8, PKCS#1 or SEC 1; RSA or ECDSA)")
	certFile := flag.String("cert", "", "PEM certificate of the signer, optionally followed by its chain")
	flag.Var(&chains, "chain", "PEM file of chain certificates to embed (repeatable)")
	certify := flag.Int("certify", 0, "0 = approval signature; 1, 2, 3 = certification with DocMDP /P")
	visible := flag.Bool("visible", false, "add a visible widget with an appearance (approval only: pdfsign refuses it for certification)")
	page := flag.Int("page", 1, "page of the visible widget")
	rect := flag.String("rect", "36,36,236,96", "visible widget rectangle llx,lly,urx,ury")
	name := flag.String("name", "", "signature dictionary /Name (with -visible, default the signer's CN)")
	reason := flag.String("reason", "", "signature dictionary /Reason")
	location := flag.String("location", "", "signature dictionary /Location")
	contact := flag.String("contact", "", "signature dictionary /ContactInfo")
	when := flag.String("time", "now", `signature dictionary /M: "now", "none" (no /M), or RFC 3339`)
	digest := flag.String("digest", "sha256", "digest: sha256, sha384 or sha512")
	flag.Parse()

	if *in == "" || *out == "" || *keyFile == "" || *certFile == "" {
		flag.Usage()
		os.Exit(2)
	}
	err := run(options{
		in: *in, out: *out, keyFile: *keyFile, certFile: *certFile, chainFiles: chains,
		certify: *certify, visible: *visible, page: *page, rect: *rect,
		name: *name, reason: *reason, location: *location, contact: *contact,
		when: *when, digest: *digest,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "peersign:", err)
		os.Exit(1)
	}
}

type options struct {
	in, out, keyFile, certFile      string
	chainFiles                      []string
	certify                         int
	visible                         bool
	page                            int
	rect                            string
	name, reason, location, contact string
	when, digest                    string
}

func run(o options) error {
	if o.certify < 0 || o.certify > 3 {
		return fmt.Errorf("-certify must be 0, 1, 2 or 3, not %d", o.certify)
	}
	if o.visible && o.certify != 0 {
		return errors.New("pdfsign makes visible signatures only for approval (-certify 0)")
	}
	key, err := loadKey(o.keyFile)
	if err != nil {
		return err
	}
	certs, err := loadCerts(o.certFile)
	if err != nil {
		return err
	}
	for _, f := range o.chainFiles {
		c, err := loadCerts(f)
		if err != nil {
			return err
		}
		certs = append(certs, c...)
	}
	if !publicKeysEqual(key.Public(), certs[0].PublicKey) {
		return fmt.Errorf("the key in %s does not belong to the first certificate in %s", o.keyFile, o.certFile)
	}

	data := sign.SignData{
		Signer:            key,
		Certificate:       certs[0],
		CertificateChains: [][]*x509.Certificate{certs},
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{
				Name: o.name, Reason: o.reason, Location: o.location, ContactInfo: o.contact,
			},
		},
	}
	switch strings.ToLower(o.digest) {
	case "sha256":
		data.DigestAlgorithm = crypto.SHA256
	case "sha384":
		data.DigestAlgorithm = crypto.SHA384
	case "sha512":
		data.DigestAlgorithm = crypto.SHA512
	default:
		return fmt.Errorf("unknown -digest %q", o.digest)
	}
	switch o.when {
	case "none":
	case "now", "":
		data.Signature.Info.Date = time.Now()
	default:
		t, err := time.Parse(time.RFC3339, o.when)
		if err != nil {
			return fmt.Errorf("-time: %w", err)
		}
		data.Signature.Info.Date = t
	}
	if o.certify == 0 {
		data.Signature.CertType = sign.ApprovalSignature
	} else {
		data.Signature.CertType = sign.CertificationSignature
		data.Signature.DocMDPPerm = sign.DocMDPPerm(o.certify) // 1, 2, 3 are the enum's values
	}
	if o.visible {
		if data.Signature.Info.Name == "" { // pdfsign's appearance shows /Name, nothing else
			data.Signature.Info.Name = certs[0].Subject.CommonName
		}
		var r [4]float64
		parts := strings.Split(o.rect, ",")
		if len(parts) != 4 {
			return fmt.Errorf("-rect needs four numbers, got %q", o.rect)
		}
		for i, p := range parts {
			if r[i], err = strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil {
				return fmt.Errorf("-rect: %w", err)
			}
		}
		data.Appearance = sign.Appearance{
			Visible: true, Page: uint32(o.page),
			LowerLeftX: r[0], LowerLeftY: r[1], UpperRightX: r[2], UpperRightY: r[3],
		}
	}

	input, err := os.ReadFile(o.in)
	if err != nil {
		return err
	}
	hadPerms, err := hasPerms(input)
	if err != nil {
		return err
	}
	if o.certify != 0 {
		if input, err = seedPerms(input); err != nil {
			return err
		}
	}
	signed, err := signBytes(input, data)
	if err != nil {
		return err
	}
	if err := check(signed, o.certify, hadPerms); err != nil {
		return fmt.Errorf("pdfsign's output fails peersign's own check: %w", err)
	}
	return os.WriteFile(o.out, signed, 0o644)
}

// signBytes runs pdfsign on input. pdfsign panics on some malformed input (in its PDF reader)
// and, when its estimate of the CMS size is too small, logs and retries in a way that keeps the
// first attempt's xref entries (so the objects are renumbered and the xref is wrong); both are
// turned into errors rather than a broken file.
func signBytes(input []byte, data sign.SignData) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdfsign panicked: %v", p)
		}
	}()
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)

	rdr, err := pdf.NewReader(bytes.NewReader(input), int64(len(input)))
	if err != nil {
		return nil, fmt.Errorf("read PDF: %w", err)
	}
	if !rdr.Trailer().Key("Encrypt").IsNull() {
		return nil, errors.New("encrypted PDFs are not supported")
	}
	var buf bytes.Buffer
	if hasSignatureFields(rdr) {
		// sign.Sign lists the earlier signature fields in the new /AcroForm /Fields; only it can,
		// as the list is unexported.
		err = sign.Sign(bytes.NewReader(input), &buf, rdr, int64(len(input)), data)
	} else {
		// What sign.Sign does when there is no earlier signature, but with room in /Contents
		// for an RSA signature of any size: pdfsign's own estimate leaves none for the
		// signature value and covers RSA-2048 only thanks to its 512-byte base.
		extra := 0
		if k, ok := data.Signer.Public().(*rsa.PublicKey); ok {
			extra = k.Size()
		}
		ctx := sign.SignContext{
			InputFile:              bytes.NewReader(input),
			OutputFile:             &buf,
			PDFReader:              rdr,
			SignData:               data,
			SignatureMaxLengthBase: uint32(hex.EncodedLen(512 + extra)),
		}
		err = ctx.SignPDF()
	}
	if err != nil {
		return nil, fmt.Errorf("pdfsign: %w", err)
	}
	if strings.Contains(logged.String(), "retrying") {
		return nil, fmt.Errorf("pdfsign under-estimated the signature size and retried, which corrupts its xref: %s", strings.TrimSpace(logged.String()))
	}
	return buf.Bytes(), nil
}

// loadKey reads the first private key of a PEM file.
func loadKey(path string) (crypto.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%s: no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", path)
		}
		var k any
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%s: encrypted keys are not supported", path)
		default:
			continue // EC PARAMETERS, CERTIFICATE, ...
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("%s: %T keys are not supported (RSA or ECDSA only)", path, k)
		}
	}
}

// loadCerts reads every certificate of a PEM file.
func loadCerts(path string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certs, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// hasSignatureFields tells whether /AcroForm /Fields has a signature field, as pdfsign looks.
func hasSignatureFields(r *pdf.Reader) bool {
	fields := r.Trailer().Key("Root").Key("AcroForm").Key("Fields")
	for i := 0; i < fields.Len(); i++ {
		if fields.Index(i).Key("FT").Name() == "Sig" {
			return true
		}
	}
	return false
}

// hasPerms tells whether the catalog of a PDF has /Perms.
func hasPerms(in []byte) (has bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading the PDF panicked: %v", p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return false, fmt.Errorf("read PDF: %w", err)
	}
	return !r.Trailer().Key("Root").Key("Perms").IsNull(), nil
}

// maxObjectID is the highest object number in the xref, as pdfsign computes it.
func maxObjectID(r *pdf.Reader) uint32 {
	var max uint32
	for _, x := range r.Xref() {
		p := x.Ptr()
		if id := p.GetID(); id > max {
			max = id
		}
	}
	return max
}

// seedPerms appends an incremental update to a PDF: a new object << /DocMDP S 0 R >> and the
// catalog rewritten with /Perms pointing at it, where S is the object number pdfsign will give
// the signature dictionary (pdfsign numbers its first new object highest-in-xref + 2). The
// update's xref is of the same kind as the file's last one, as pdfsign's reader cannot follow
// a mix.
func seedPerms(in []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading the PDF panicked: %v", p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("read PDF: %w", err)
	}
	tr := r.Trailer()
	if !tr.Key("Encrypt").IsNull() {
		return nil, errors.New("encrypted PDFs are not supported")
	}
	root := tr.Key("Root")
	rp := root.GetPtr()
	if root.Kind() != pdf.Dict {
		return nil, errors.New("no catalog dictionary")
	}
	if !root.Key("Perms").IsNull() {
		return nil, errors.New("the catalog already has /Perms: a document is certified at most once")
	}
	xrefType := r.XrefInformation.Type
	permsID := maxObjectID(r) + 1
	xrefID := permsID + 1 // the xref stream's own object, if the file uses xref streams
	sigID := permsID + 2
	if xrefType == "stream" {
		sigID = xrefID + 2
	}

	var cat bytes.Buffer
	cat.WriteString("<<")
	for _, k := range root.Keys() {
		cat.WriteString(" " + pdfName(k) + " ")
		if err := writeValue(&cat, root.Key(k), rp.GetID(), 0); err != nil {
			return nil, fmt.Errorf("catalog /%s: %w", k, err)
		}
	}
	fmt.Fprintf(&cat, " /Perms %d 0 R >>", permsID)

	var b bytes.Buffer
	b.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		b.WriteString("\n")
	}
	type entry struct {
		id     uint32
		gen    uint16
		offset int
	}
	entries := []entry{{permsID, 0, b.Len()}}
	fmt.Fprintf(&b, "%d 0 obj\n<< /DocMDP %d 0 R >>\nendobj\n", permsID, sigID)
	entries = append(entries, entry{rp.GetID(), rp.GetGen(), b.Len()})
	fmt.Fprintf(&b, "%d %d obj\n%s\nendobj\n", rp.GetID(), rp.GetGen(), cat.Bytes())

	var trailer bytes.Buffer // entries shared by a trailer and an xref stream dictionary
	fmt.Fprintf(&trailer, "/Root %d %d R\n", rp.GetID(), rp.GetGen())
	if info := tr.Key("Info"); !info.IsNull() { // a null's GetPtr is its parent's, not 0 0
		ip := info.GetPtr()
		fmt.Fprintf(&trailer, "/Info %d %d R\n", ip.GetID(), ip.GetGen())
	}
	if id := tr.Key("ID"); id.Len() == 2 {
		fmt.Fprintf(&trailer, "/ID [<%x><%x>]\n", id.Index(0).RawString(), id.Index(1).RawString())
	}
	fmt.Fprintf(&trailer, "/Prev %d\n", r.XrefInformation.StartPos)

	switch xrefType {
	case "table":
		sort.Slice(entries, func(i, j int) bool { return entries[i].id < entries[j].id })
		start := b.Len()
		b.WriteString("xref\n")
		for _, e := range entries {
			fmt.Fprintf(&b, "%d 1\n%010d %05d n\r\n", e.id, e.offset, e.gen)
		}
		// pdfsign edits this trailer's text: keep /Size, /Root and /Prev in the "/Key value" form it looks for.
		fmt.Fprintf(&b, "trailer\n<<\n/Size %d\n%s>>\nstartxref\n%d\n%%%%EOF\n", permsID+1, trailer.Bytes(), start)
	case "stream":
		entries = append(entries, entry{xrefID, 0, b.Len()})
		sort.Slice(entries, func(i, j int) bool { return entries[i].id < entries[j].id })
		var rows, index bytes.Buffer
		for _, e := range entries {
			rows.WriteByte(1)
			binary.Write(&rows, binary.BigEndian, uint32(e.offset))
			binary.Write(&rows, binary.BigEndian, e.gen)
			fmt.Fprintf(&index, " %d 1", e.id)
		}
		start := b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%s ] /Length %d\n%s>>\nstream\n",
			xrefID, xrefID+1, index.Bytes(), rows.Len(), trailer.Bytes())
		b.Write(rows.Bytes())
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
	default:
		return nil, fmt.Errorf("unknown xref type %q", xrefType)
	}

	r2, err := pdf.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		return nil, fmt.Errorf("read back the /Perms update: %w", err)
	}
	if got := maxObjectID(r2) + 2; got != sigID {
		return nil, fmt.Errorf("after the /Perms update pdfsign would number the signature %d, not %d", got, sigID)
	}
	return b.Bytes(), nil
}

// writeValue writes v, a value read from object parent, in PDF syntax: values that are
// indirect objects of their own as references, direct ones in full.
func writeValue(b *bytes.Buffer, v pdf.Value, parent uint32, depth int) error {
	if depth > 64 {
		return errors.New("nested too deep")
	}
	if v.IsNull() {
		b.WriteString("null")
		return nil
	}
	if p := v.GetPtr(); p.GetID() != parent {
		fmt.Fprintf(b, "%d %d R", p.GetID(), p.GetGen())
		return nil
	}
	switch v.Kind() {
	case pdf.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case pdf.Integer:
		b.WriteString(strconv.FormatInt(v.Int64(), 10))
	case pdf.Real:
		b.WriteString(strconv.FormatFloat(v.Float64(), 'f', -1, 64))
	case pdf.String:
		fmt.Fprintf(b, "<%x>", v.RawString())
	case pdf.Name:
		b.WriteString(pdfName(v.Name()))
	case pdf.Array:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			if err := writeValue(b, v.Index(i), parent, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case pdf.Dict:
		b.WriteString("<<")
		for _, k := range v.Keys() {
			b.WriteString(" " + pdfName(k) + " ")
			if err := writeValue(b, v.Key(k), parent, depth+1); err != nil {
				return err
			}
		}
		b.WriteString(" >>")
	default:
		return fmt.Errorf("cannot write a direct %v", v.Kind())
	}
	return nil
}

func pdfName(n string) string {
	var s strings.Builder
	s.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || strings.IndexByte("()<>[]{}/%#", c) >= 0 {
			fmt.Fprintf(&s, "#%02X", c)
		} else {
			s.WriteByte(c)
		}
	}
	return s.String()
}

// check reads the signed file back: the last signature field's /V is a /Sig whose /ByteRange
// spans the file, and the catalog's /Perms /DocMDP is that signature with /P = certify (or,
// for an approval signature, /Perms is as it was: absent unless the input had it).
func check(out []byte, certify int, hadPerms bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading it panicked: %v", p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return err
	}
	root := r.Trailer().Key("Root")
	fields := root.Key("AcroForm").Key("Fields")
	if fields.Len() == 0 {
		return errors.New("no /AcroForm /Fields")
	}
	sig := fields.Index(fields.Len() - 1).Key("V")
	if sig.Key("Type").Name() != "Sig" {
		return errors.New("the last field's /V is not a /Sig dictionary")
	}
	br := sig.Key("ByteRange")
	if br.Len() != 4 || br.Index(0).Int64() != 0 || br.Index(2).Int64()+br.Index(3).Int64() != int64(len(out)) {
		return fmt.Errorf("/ByteRange %v does not span the %d-byte file", br, len(out))
	}
	perms := root.Key("Perms")
	docMDP := perms.Key("DocMDP")
	if certify == 0 {
		// An approval signature leaves /Perms as it was: absent, or an earlier certification.
		switch {
		case hadPerms && docMDP.Key("Type").Name() != "Sig":
			return errors.New("the earlier certification's /Perms /DocMDP is gone")
		case hadPerms && docMDP.GetPtr() == sig.GetPtr():
			return errors.New("/Perms /DocMDP now points at the approval signature")
		case !hadPerms && !perms.IsNull():
			return errors.New("an approval signature added /Perms to the catalog")
		}
		return nil
	}
	if dp, sp := docMDP.GetPtr(), sig.GetPtr(); docMDP.IsNull() || dp != sp {
		return fmt.Errorf("/Perms /DocMDP (%d %d R) is not the signature (%d %d R)", dp.GetID(), dp.GetGen(), sp.GetID(), sp.GetGen())
	}
	ref := sig.Key("Reference").Index(0)
	if m := ref.Key("TransformMethod").Name(); m != "DocMDP" {
		return fmt.Errorf("/Reference /TransformMethod is /%s, not /DocMDP", m)
	}
	if p := ref.Key("TransformParams").Key("P").Int64(); p != int64(certify) {
		return fmt.Errorf("/TransformParams /P is %d, not %d", p, certify)
	}
	return nil
}
