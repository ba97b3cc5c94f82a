package envelope

// Enveloped XML-DSig of edXML envelopes (DOMAIN.md §4, "Envelope signature").
//
// Signing uses goxmldsig's SigningContext. Verification is written here on top of etree and
// goxmldsig's canonicalizers, because goxmldsig's ValidationContext cannot do what edXML needs:
// it judges trust itself (we leave that to the caller), verifies only the first certificate,
// finds Signature only in the XML-DSig namespace, knows neither the nonstandard exclusive C14N
// identifier nor the re-namespaced SignedInfo of old producers, tells no digest failure from a
// signature failure, and handles ECDSA SignatureValue as DER while XML-DSig (RFC 4050, XML-DSig
// 1.1) and xmlsec1 use the raw r||s form. For the same last reason Sign re-encodes an ECDSA
// SignatureValue that goxmldsig produced as DER.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha1" // registers the hashes named by the algorithm identifiers below
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const (
	dsigNS         = "http://www.w3.org/2000/09/xmldsig#"
	dsigEdXMLNS    = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
	dsigExcC14N    = "http://www.w3.org/2001/10/xml-exc-c14n#"
	dsigExcC14NOld = "http://www.w3.org/TR/xml-exc-c14n#" // not a W3C identifier; the platform SDK writes it
	dsigC14N10     = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	dsigC14N11     = "http://www.w3.org/2006/12/xml-c14n11"
	dsigEnveloped  = dsigNS + "enveloped-signature"

	dsigDefaultMax = 64 << 20 // default bound on an envelope read
	dsigMaxJunk    = 1 << 10  // bytes tolerated before the first '<'
	dsigMaxDepth   = 64       // element nesting bound (edXML needs about 10)
	dsigMaxMarkup  = 4 << 20  // bound on '<' in the input, i.e. on the tree etree builds
)

// dsigDigests maps DigestMethod identifiers to hashes.
var dsigDigests = map[string]crypto.Hash{
	dsigNS + "sha1": crypto.SHA1,
	"http://www.w3.org/2001/04/xmldsig-more#sha224": crypto.SHA224,
	"http://www.w3.org/2001/04/xmlenc#sha256":       crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
	"http://www.w3.org/2001/04/xmlenc#sha512":       crypto.SHA512,
}

// dsigMethod is a SignatureMethod: its hash and whether it is ECDSA (else RSA PKCS#1 v1.5).
type dsigMethod struct {
	hash  crypto.Hash
	ecdsa bool
}

var dsigMethods = map[string]dsigMethod{
	dsig.RSASHA1SignatureMethod:     {crypto.SHA1, false},
	dsig.RSASHA256SignatureMethod:   {crypto.SHA256, false},
	dsig.RSASHA384SignatureMethod:   {crypto.SHA384, false},
	dsig.RSASHA512SignatureMethod:   {crypto.SHA512, false},
	dsig.ECDSASHA1SignatureMethod:   {crypto.SHA1, true},
	dsig.ECDSASHA256SignatureMethod: {crypto.SHA256, true},
	dsig.ECDSASHA384SignatureMethod: {crypto.SHA384, true},
	dsig.ECDSASHA512SignatureMethod: {crypto.SHA512, true},
}

// SignOptions says how an envelope is signed: the key, the certificates a receiver needs to
// check it, and how much input Sign accepts.
type SignOptions struct {
	Signer   crypto.Signer       // RSA or ECDSA (P-256/P-384) key
	Chain    []*x509.Certificate // signer first; all go into KeyInfo/X509Data/X509Certificate
	MaxBytes int64               // bound on the envelope read (0: 64 MiB)
}

// Sign reads an edXML envelope from r and writes it to w with an enveloped XML-DSig Signature
// (Reference URI="", enveloped-signature then exclusive C14N transforms, SHA-256 digest,
// rsa-sha256 or ecdsa-sha256, exclusive C14N of SignedInfo, the chain in KeyInfo/X509Data),
// in the XML-DSig namespace under the ds: prefix, as the last child of edXMLHeader where the
// platform SDK puts it. Any Signature already in edXMLHeader (XML-DSig or edXML namespace) is
// replaced, so re-signing a relayed envelope leaves exactly one. Bytes before the first '<' and
// processing instructions outside the root are dropped. The output is verified before it is
// written: Sign never emits a signature that does not verify.
func Sign(r io.Reader, w io.Writer, o SignOptions) error {
	if o.Signer == nil || len(o.Chain) == 0 || o.Chain[0] == nil {
		return errors.New("envelope: signing needs a key and its certificate")
	}
	pub := o.Signer.Public()
	switch k := pub.(type) {
	case *rsa.PublicKey:
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return errors.New("envelope: ECDSA signing supports P-256 and P-384 only")
		}
	default:
		return fmt.Errorf("envelope: unsupported signing key %T (RSA or ECDSA)", pub)
	}
	if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(o.Chain[0].PublicKey) {
		return errors.New("envelope: the first certificate of the chain is not the signing key's")
	}
	doc, _, err := dsigRead(r, o.MaxBytes)
	if err != nil {
		return err
	}
	h, err := dsigHeader(doc)
	if err != nil {
		return err
	}
	for _, s := range dsigSignatures(h) {
		if i := s.Index(); i > 0 {
			if cd, ok := h.Child[i-1].(*etree.CharData); ok && cd.IsWhitespace() {
				h.RemoveChildAt(i - 1)
			}
		}
		h.RemoveChild(s)
	}
	for i := 0; i < len(doc.Child); {
		if pi, ok := doc.Child[i].(*etree.ProcInst); ok && pi.Target != "xml" {
			doc.RemoveChildAt(i)
			continue
		}
		i++
	}

	slot := dsigSlot(h)

	certs := make([][]byte, 0, len(o.Chain))
	for _, c := range o.Chain {
		if c == nil {
			return errors.New("envelope: nil certificate in the chain")
		}
		certs = append(certs, c.Raw)
	}
	ctx, err := dsig.NewSigningContext(o.Signer, certs)
	if err != nil {
		return err
	}
	ctx.Hash = crypto.SHA256
	ctx.Prefix = dsig.DefaultPrefix
	ctx.IdAttribute = "" // no attribute matches: the Reference stays URI=""
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(doc.Root().Copy(), true)
	if err != nil {
		return fmt.Errorf("envelope: signing: %w", err)
	}
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		if err := dsigECDSARaw(sig, k); err != nil {
			return err
		}
	}
	h.InsertChildAt(slot, sig)

	// Canonical escaping keeps carriage returns and attribute whitespace as they were digested.
	doc.WriteSettings.CanonicalText, doc.WriteSettings.CanonicalAttrVal = true, true
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return err
	}
	res, err := VerifySignature(bytes.NewReader(buf.Bytes()), int64(buf.Len())+1)
	if err != nil {
		return fmt.Errorf("envelope: signed envelope does not read back: %w", err)
	}
	if !res.Valid {
		return fmt.Errorf("envelope: signed envelope does not verify: %s", res.Problem)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// dsigECDSARaw rewrites the DER (ASN.1 SEQUENCE{r, s}) SignatureValue that crypto.Signer gives
// into the fixed-size r||s that XML-DSig requires.
func dsigECDSARaw(sig *etree.Element, k *ecdsa.PublicKey) error {
	sv := sig.SelectElement(dsig.SignatureValueTag)
	if sv == nil {
		return errors.New("envelope: signing: no SignatureValue")
	}
	der, err := base64.StdEncoding.DecodeString(sv.Text())
	if err != nil {
		return err
	}
	var rs struct{ R, S *big.Int }
	n := (k.Curve.Params().BitSize + 7) / 8
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 ||
		rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*n || rs.S.BitLen() > 8*n {
		return errors.New("envelope: signing: the key returned a malformed ECDSA signature")
	}
	raw := make([]byte, 2*n)
	rs.R.FillBytes(raw[:n])
	rs.S.FillBytes(raw[n:])
	sv.SetText(base64.StdEncoding.EncodeToString(raw))
	return nil
}

// dsigSlot returns where the Signature goes in h: after its last element, on a line of its
// own indented like h's first child. The indentation is added now, before the digest: the
// enveloped-signature transform removes the Signature, not the text around it.
func dsigSlot(h *etree.Element) int {
	n := len(h.Child)
	_, ok1 := dsigWS(h, n-1)
	first, ok2 := dsigWS(h, 0)
	if !ok1 || !ok2 || n < 2 {
		return n
	}
	h.InsertChildAt(n-1, etree.NewText(first))
	return n
}

// dsigWS returns the i-th child of e if it is whitespace text.
func dsigWS(e *etree.Element, i int) (string, bool) {
	if i < 0 || i >= len(e.Child) {
		return "", false
	}
	cd, ok := e.Child[i].(*etree.CharData)
	if !ok || !cd.IsWhitespace() {
		return "", false
	}
	return cd.Data, true
}

// DSigResult is what the verification of an envelope signature found. Quirks lists what older
// producers do that is tolerated, so that a caller can report or refuse it.
type DSigResult struct {
	Present      bool                // a Signature element was found in edXMLHeader
	Valid        bool                // digest and signature value verify
	Algorithm    string              // e.g. "rsa-sha256", "rsa-sha1", "ecdsa-sha256"
	Signer       *x509.Certificate   // the certificate in KeyInfo that verified it, nil if none
	Certificates []*x509.Certificate // all certificates in KeyInfo that parsed
	Quirks       []string            // tolerated deviations, each a short sentence
	Problem      string              // why it is not valid (empty when Valid)
}

// Quirks the envelope reader reports too (CheckFile reports them once).
const (
	dsigJunkQuirk      = "bytes before the XML were ignored."
	dsigNamespaceQuirk = "Signature is in the edXML namespace instead of XML-DSig's."
)

func (r *DSigResult) quirk(format string, a ...any) {
	q := fmt.Sprintf(format, a...)
	for _, x := range r.Quirks {
		if x == q {
			return
		}
	}
	r.Quirks = append(r.Quirks, q)
}

// VerifySignature reads an envelope and checks its enveloped signature against the
// certificate(s) in KeyInfo. Trust in the certificate is NOT judged here; the caller does it
// with Signer and Certificates. An envelope without a signature returns Present=false and no
// error. Errors are for input that is not XML, not an edXML envelope, or exceeds maxBytes
// (0: 64 MiB); every signature problem is reported in the result instead.
func VerifySignature(r io.Reader, maxBytes int64) (*DSigResult, error) {
	doc, junk, err := dsigRead(r, maxBytes)
	if err != nil {
		return nil, err
	}
	h, err := dsigHeader(doc)
	if err != nil {
		return nil, err
	}
	res := &DSigResult{}
	if junk > 0 {
		res.quirk("%d "+dsigJunkQuirk, junk)
	}
	sigs := dsigSignatures(h)
	if len(sigs) == 0 {
		return res, nil
	}
	res.Present = true
	if len(sigs) > 1 {
		res.quirk("%d Signature elements in edXMLHeader; only the first was verified.", len(sigs))
	}
	res.Problem = dsigVerify(doc, sigs[0], res)
	res.Valid = res.Problem == ""
	return res, nil
}

// dsigVerify checks sig (inside doc) and returns the problem, or "" when it verifies.
func dsigVerify(doc *etree.Document, sig *etree.Element, res *DSigResult) string {
	ns := sig.NamespaceURI()
	switch ns {
	case dsigNS:
	case dsigEdXMLNS:
		res.quirk(dsigNamespaceQuirk)
	default:
		res.quirk("Signature is in no namespace instead of XML-DSig's.")
	}
	kids := func(e *etree.Element, tag string) []*etree.Element {
		var out []*etree.Element
		if e != nil {
			for _, c := range e.ChildElements() {
				if c.Tag == tag && c.NamespaceURI() == ns {
					out = append(out, c)
				}
			}
		}
		return out
	}
	one := func(e *etree.Element, tag string) *etree.Element {
		if k := kids(e, tag); len(k) == 1 {
			return k[0]
		}
		return nil
	}
	si, sv, ki := kids(sig, "SignedInfo"), kids(sig, "SignatureValue"), kids(sig, "KeyInfo")
	if len(si) != 1 || len(sv) != 1 || len(ki) > 1 {
		return "malformed Signature: it needs exactly one SignedInfo, one SignatureValue and at most one KeyInfo"
	}

	var certProblems []string
	for _, xd := range kids(one(sig, "KeyInfo"), "X509Data") {
		for _, xc := range kids(xd, "X509Certificate") {
			n := len(res.Certificates) + len(certProblems) + 1
			der, err := base64.StdEncoding.DecodeString(dsigNoSpace(xc.Text()))
			var c *x509.Certificate
			if err == nil {
				c, err = x509.ParseCertificate(der)
			}
			if err != nil {
				certProblems = append(certProblems, fmt.Sprintf("X509Certificate %d is unreadable (%v)", n, err))
				continue
			}
			res.Certificates = append(res.Certificates, c)
		}
	}

	cm, sm, refs := one(si[0], "CanonicalizationMethod"), one(si[0], "SignatureMethod"), kids(si[0], "Reference")
	if cm == nil || sm == nil {
		return "malformed SignedInfo: no CanonicalizationMethod or SignatureMethod"
	}
	if len(refs) != 1 {
		return `unsupported SignedInfo: expected one Reference with URI="" (the whole envelope)`
	}
	if uri, ok := dsigAttrOK(refs[0], "URI"); !ok || uri != "" {
		return `unsupported SignedInfo: expected one Reference with URI="" (the whole envelope)`
	}
	smAlg := dsigAttr(sm, "Algorithm")
	method, ok := dsigMethods[smAlg]
	if !ok {
		return fmt.Sprintf("unsupported SignatureMethod %q", smAlg)
	}
	res.Algorithm = smAlg[strings.LastIndexByte(smAlg, '#')+1:]
	if method.hash == crypto.SHA1 {
		res.quirk("SHA-1 signature (%s).", res.Algorithm)
	}
	siCanon, problem := dsigCanonicalizer(cm, res, "SignedInfo canonicalization", true)
	if problem != "" {
		return problem
	}

	// Reference: transforms and digest.
	ref := refs[0]
	var docCanon dsig.Canonicalizer
	enveloped := false
	for _, t := range kids(one(ref, "Transforms"), "Transform") {
		if dsigAttr(t, "Algorithm") == dsigEnveloped {
			enveloped = true
			continue
		}
		if docCanon, problem = dsigCanonicalizer(t, res, "Reference transform", false); problem != "" {
			return problem
		}
	}
	if !enveloped {
		return "the Reference has no enveloped-signature transform: this signature cannot cover the envelope it sits in"
	}
	if docCanon == nil { // the default for URI="": inclusive C14N 1.0
		docCanon = dsig.MakeC14N10RecCanonicalizer()
	}
	dm, dv := one(ref, "DigestMethod"), one(ref, "DigestValue")
	if dm == nil || dv == nil {
		return "malformed Reference: no DigestMethod or DigestValue"
	}
	hash, ok := dsigDigests[dsigAttr(dm, "Algorithm")]
	if !ok {
		return fmt.Sprintf("unsupported DigestMethod %q", dsigAttr(dm, "Algorithm"))
	}
	if hash == crypto.SHA1 {
		res.quirk("SHA-1 digest.")
	}
	want, err := base64.StdEncoding.DecodeString(dsigNoSpace(dv.Text()))
	if err != nil {
		return "DigestValue is not base64"
	}

	// The canonical SignedInfo forms to try, in the document before the signature is removed.
	forms, err := dsigSignedInfoForms(sig, si[0], ns, siCanon)
	if err != nil {
		return fmt.Sprintf("cannot canonicalize SignedInfo: %v", err)
	}

	// Enveloped-signature transform, then the digest of the whole document.
	sig.Parent().RemoveChild(sig)
	got, err := dsigDocument(doc, docCanon, hash)
	if err != nil {
		return fmt.Sprintf("cannot canonicalize the envelope: %v", err)
	}

	var problems []string
	if len(res.Certificates) == 0 {
		p := "no usable certificate in KeyInfo"
		if len(certProblems) > 0 {
			p += ": " + strings.Join(certProblems, "; ")
		}
		problems = append(problems, p)
	}
	if !bytes.Equal(got, want) {
		problems = append(problems, "digest mismatch: the envelope was changed after it was signed")
	}
	if len(res.Certificates) > 0 {
		value, err := base64.StdEncoding.DecodeString(dsigNoSpace(sv[0].Text()))
		if err != nil {
			value = nil
		}
	search:
		for _, f := range forms {
			for _, c := range res.Certificates {
				if ok, q := dsigCheck(c.PublicKey, method, f.bytes, value); ok {
					res.Signer = c
					if f.quirk != "" {
						res.quirk("%s", f.quirk)
					}
					if q != "" {
						res.quirk("%s", q)
					}
					break search
				}
			}
		}
		if res.Signer == nil {
			problems = append(problems, "the SignatureValue does not verify with the certificate(s) in KeyInfo")
		}
	}
	return strings.Join(problems, "; ")
}

// dsigCanonicalizer maps a CanonicalizationMethod or Transform element to a canonicalizer.
// Comments are kept only if the algorithm says so and comments is set: a Reference URI=""
// never includes them, whatever its transforms say.
func dsigCanonicalizer(e *etree.Element, res *DSigResult, where string, comments bool) (dsig.Canonicalizer, string) {
	alg := dsigAttr(e, "Algorithm")
	base := strings.TrimSuffix(alg, "WithComments")
	comments = comments && base != alg
	switch base {
	case dsigExcC14NOld:
		res.quirk("Nonstandard exclusive C14N identifier %s.", dsigExcC14NOld)
		fallthrough
	case dsigExcC14N:
		prefixes := ""
		for _, c := range e.ChildElements() {
			if c.Tag == "InclusiveNamespaces" {
				prefixes = dsigAttr(c, "PrefixList")
			}
		}
		if comments {
			return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(prefixes), ""
		}
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes), ""
	case dsigC14N10, dsigC14N10 + "#":
		res.quirk("Inclusive C14N 1.0 in %s.", where)
		if comments {
			return dsig.MakeC14N10WithCommentsCanonicalizer(), ""
		}
		return dsig.MakeC14N10RecCanonicalizer(), ""
	case dsigC14N11, dsigC14N11 + "#":
		res.quirk("Inclusive C14N 1.1 in %s.", where)
		if comments {
			return dsig.MakeC14N11WithCommentsCanonicalizer(), ""
		}
		return dsig.MakeC14N11Canonicalizer(), ""
	}
	return nil, fmt.Sprintf("unsupported algorithm %q in %s", alg, where)
}

// dsigForm is one canonical form of SignedInfo and the quirk that using it reveals.
type dsigForm struct {
	bytes []byte
	quirk string
}

// dsigSignedInfoForms canonicalizes SignedInfo as it stands; for a Signature outside the
// XML-DSig namespace also as if it were in it (old producers signed it there and lost the
// namespace when they inserted it); and, under inclusive C14N, also without the namespace
// declarations of the envelope around it (producers that canonicalize the Signature before
// inserting it, like .NET SignedXml).
func dsigSignedInfoForms(sig, si *etree.Element, ns string, c dsig.Canonicalizer) ([]dsigForm, error) {
	ctx, err := etreeutils.NSBuildParentContext(sig)
	if err == nil {
		ctx, err = ctx.SubContext(sig)
	}
	var detached *etree.Element
	if err == nil {
		detached, err = etreeutils.NSDetatch(ctx, si)
	}
	if err != nil {
		return nil, err
	}
	var forms []dsigForm
	add := func(e *etree.Element, quirk string) error {
		b, err := c.Canonicalize(e)
		if err == nil {
			forms = append(forms, dsigForm{b, quirk})
		}
		return err
	}
	if err := add(detached.Copy(), ""); err != nil {
		return nil, err
	}
	moved := detached.Copy()
	if ns != dsigNS {
		dsigRenamespace(moved, ns)
		if err := add(moved.Copy(), "SignedInfo verified only as if it were in the XML-DSig namespace."); err != nil {
			return nil, err
		}
	}
	if strings.HasPrefix(string(c.Algorithm()), dsigExcC14N) {
		return forms, nil // exclusive C14N ignores the declarations around SignedInfo anyway
	}
	dsigUnusedNS(moved)
	if err := add(moved, "SignedInfo verified only without the envelope's namespace declarations (it was canonicalized before insertion)."); err != nil {
		return nil, err
	}
	return forms, nil
}

// dsigRenamespace moves the elements of e (detached, carrying its namespace declarations) that
// are in namespace ns into the XML-DSig namespace as unprefixed elements.
func dsigRenamespace(e *etree.Element, ns string) {
	var move []*etree.Element
	var walk func(*etree.Element)
	walk = func(x *etree.Element) {
		if x.NamespaceURI() == ns {
			move = append(move, x)
		}
		for _, c := range x.ChildElements() {
			walk(c)
		}
	}
	walk(e)
	for _, x := range move {
		x.Space = ""
	}
	var strip func(*etree.Element)
	strip = func(x *etree.Element) {
		attrs := x.Attr[:0]
		for _, a := range x.Attr {
			if a.Space != "" || a.Key != "xmlns" {
				attrs = append(attrs, a)
			}
		}
		x.Attr = attrs
		for _, c := range x.ChildElements() {
			strip(c)
		}
	}
	strip(e)
	e.Attr = append(e.Attr, etree.Attr{Key: "xmlns", Value: dsigNS})
}

// dsigUnusedNS drops the namespace declarations on e that no element or attribute below uses.
func dsigUnusedNS(e *etree.Element) {
	used := map[string]bool{}
	var walk func(*etree.Element)
	walk = func(x *etree.Element) {
		used[x.Space] = true
		for _, a := range x.Attr {
			if a.Space != "" && a.Space != "xmlns" {
				used[a.Space] = true
			}
		}
		for _, c := range x.ChildElements() {
			walk(c)
		}
	}
	walk(e)
	attrs := e.Attr[:0]
	for _, a := range e.Attr {
		if (a.Space == "xmlns" && !used[a.Key]) || (a.Space == "" && a.Key == "xmlns" && !used[""]) {
			continue
		}
		attrs = append(attrs, a)
	}
	e.Attr = attrs
}

// dsigDocument is the digest of the document node-set of URI="" (no comments): processing
// instructions outside the root (not the XML declaration) and the canonical root element.
func dsigDocument(doc *etree.Document, c dsig.Canonicalizer, hash crypto.Hash) ([]byte, error) {
	h := hash.New()
	afterRoot := false
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			b, err := c.Canonicalize(t.Copy())
			if err != nil {
				return nil, err
			}
			h.Write(b)
			afterRoot = true
		case *etree.ProcInst:
			if t.Target == "xml" {
				continue
			}
			pi := "<?" + t.Target
			if t.Inst != "" {
				pi += " " + t.Inst
			}
			pi += "?>"
			if afterRoot {
				h.Write([]byte("\n" + pi))
			} else {
				h.Write([]byte(pi + "\n"))
			}
		}
	}
	return h.Sum(nil), nil
}

// dsigCheck verifies an XML-DSig SignatureValue over signed with pub. ECDSA values are r||s;
// a DER value is accepted as a quirk (goxmldsig and some Java signers write it).
func dsigCheck(pub crypto.PublicKey, m dsigMethod, signed, value []byte) (bool, string) {
	h := m.hash.New()
	h.Write(signed)
	d := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return !m.ecdsa && rsa.VerifyPKCS1v15(k, m.hash, d, value) == nil, ""
	case *ecdsa.PublicKey:
		if !m.ecdsa {
			return false, ""
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(value) == 2*n {
			r, s := new(big.Int).SetBytes(value[:n]), new(big.Int).SetBytes(value[n:])
			if ecdsa.Verify(k, d, r, s) {
				return true, ""
			}
		}
		if ecdsa.VerifyASN1(k, d, value) {
			return true, "ECDSA SignatureValue is DER-encoded instead of r||s."
		}
	}
	return false, ""
}

// dsigRead reads at most max bytes (0: 64 MiB), skips up to 1 KiB of junk before the first
// '<' (a UTF-8 byte order mark is not junk), refuses a DTD, and parses with bounded depth.
func dsigRead(r io.Reader, max int64) (*etree.Document, int, error) {
	if max <= 0 {
		max = dsigDefaultMax
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(data)) > max {
		return nil, 0, fmt.Errorf("envelope: larger than %d bytes", max)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	junk := bytes.IndexByte(data, '<')
	if junk < 0 || junk > dsigMaxJunk {
		return nil, 0, errors.New("envelope: not XML (no '<' in the first 1 KiB)")
	}
	data = data[junk:]
	if bytes.Count(data, []byte("<")) > dsigMaxMarkup {
		return nil, 0, fmt.Errorf("envelope: more than %d markup tokens", dsigMaxMarkup)
	}
	// The prolog is scanned first so that a DTD is refused before its entities can fail the parse.
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		t, err := dec.RawToken()
		if err != nil {
			break // the parse below reports it
		}
		if d, ok := t.(xml.Directive); ok {
			if bytes.HasPrefix(bytes.TrimSpace(d), []byte("DOCTYPE")) {
				return nil, 0, errors.New("envelope: a DOCTYPE (DTD) is refused")
			}
			return nil, 0, errors.New("envelope: markup declarations are refused")
		}
		if _, ok := t.(xml.StartElement); ok {
			break
		}
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		MaxDepth: dsigMaxDepth,
		CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
			if strings.EqualFold(cs, "us-ascii") {
				return in, nil
			}
			return nil, fmt.Errorf("encoding %q is not supported (edXML is UTF-8)", cs)
		},
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, 0, fmt.Errorf("envelope: not well-formed XML: %w", err)
	}
	roots := 0
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, 0, errors.New("envelope: not well-formed XML: text outside the root element")
			}
		}
	}
	if roots != 1 {
		return nil, 0, errors.New("envelope: not well-formed XML: not exactly one root element")
	}
	if dsigTidy(doc.Root()) {
		return nil, 0, errors.New("envelope: markup declarations are refused")
	}
	return doc, junk, nil
}

// dsigTidy applies the attribute-value normalization that encoding/xml skips (tab, newline
// and carriage return become spaces, as every conforming parser, xmlsec1 included, reads them;
// character references like &#10; are normalized too, being indistinguishable after parsing),
// and reports whether a markup declaration hides inside the tree.
func dsigTidy(e *etree.Element) (directive bool) {
	for i, a := range e.Attr {
		e.Attr[i].Value = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, a.Value)
	}
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Directive:
			directive = true
		case *etree.Element:
			directive = dsigTidy(t) || directive
		}
	}
	return directive
}

// dsigHeader finds edXMLEnvelope/edXMLHeader by namespace and local name (root edXML, or an
// edXMLEnvelope root).
func dsigHeader(doc *etree.Document) (*etree.Element, error) {
	env := doc.Root()
	if env.NamespaceURI() == dsigEdXMLNS && env.Tag == "edXML" {
		env = dsigChild(env, dsigEdXMLNS, "edXMLEnvelope")
	}
	if env != nil && env.NamespaceURI() == dsigEdXMLNS && env.Tag == "edXMLEnvelope" {
		if h := dsigChild(env, dsigEdXMLNS, "edXMLHeader"); h != nil {
			return h, nil
		}
	}
	return nil, errors.New("envelope: not an edXML envelope (no edXMLEnvelope/edXMLHeader)")
}

func dsigChild(e *etree.Element, ns, tag string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// dsigSignatures lists the Signature children of edXMLHeader: in the XML-DSig namespace, or in
// the edXML (or no) namespace as older producers write it.
func dsigSignatures(h *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range h.ChildElements() {
		if ns := c.NamespaceURI(); c.Tag == "Signature" && (ns == dsigNS || ns == dsigEdXMLNS || ns == "") {
			out = append(out, c)
		}
	}
	return out
}

// dsigAttr is the value of the unprefixed attribute key.
func dsigAttr(e *etree.Element, key string) string {
	v, _ := dsigAttrOK(e, key)
	return v
}

// dsigAttrOK is the value of the unprefixed attribute key, and whether it is there.
func dsigAttrOK(e *etree.Element, key string) (string, bool) {
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

func dsigNoSpace(s string) string { return strings.Join(strings.Fields(s), "") }
