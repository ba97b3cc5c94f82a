package envelope

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// dsigTestDir is the folder of the platform SDK's sample envelopes (shared/, beside the repo).
func dsigTestDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "interop", "edxml")
	if _, err := os.Stat(dir); err != nil {
		testenv.Need(t, fmt.Sprintf("the sample envelopes at %s (../shared beside the repository): %v", dir, err))
	}
	return dir
}

func dsigTestSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dsigTestDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dsigTestKey is a throwaway key and its self-signed certificate.
type dsigTestKey struct {
	name   string
	key    crypto.Signer
	cert   *x509.Certificate
	method string // expected DSigResult.Algorithm
}

var dsigTestKeys struct {
	once           sync.Once
	rsa, rsa2, ecd *dsigTestKey
}

func dsigTestNewKey(t testing.TB, name string, key crypto.Signer, method string) *dsigTestKey {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"vbdt test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &dsigTestKey{name, key, cert, method}
}

// dsigTestKeySet returns RSA 2048 (two of them) and ECDSA P-256 keys, generated once per run.
func dsigTestKeySet(t testing.TB) (rsa1, rsa2, ec *dsigTestKey) {
	t.Helper()
	dsigTestKeys.once.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		dsigTestKeys.rsa = dsigTestNewKey(t, "RSA signer", gen(), "rsa-sha256")
		dsigTestKeys.rsa2 = dsigTestNewKey(t, "RSA other", gen(), "rsa-sha256")
		dsigTestKeys.ecd = dsigTestNewKey(t, "ECDSA signer", ek, "ecdsa-sha256")
	})
	if dsigTestKeys.ecd == nil {
		t.Fatal("test keys were not generated")
	}
	return dsigTestKeys.rsa, dsigTestKeys.rsa2, dsigTestKeys.ecd
}

func dsigTestSign(t testing.TB, in []byte, k *dsigTestKey, chain ...*x509.Certificate) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Sign(bytes.NewReader(in), &out, SignOptions{Signer: k.key, Chain: append([]*x509.Certificate{k.cert}, chain...)}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return out.Bytes()
}

func dsigTestVerify(t testing.TB, b []byte) *DSigResult {
	t.Helper()
	res, err := VerifySignature(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	return res
}

// dsigTestHeaderSignatures parses b and returns edXMLHeader's child elements named Signature.
func dsigTestHeaderSignatures(t testing.TB, b []byte) (header *etree.Element, sigs []*etree.Element) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b[bytes.IndexByte(b, '<'):]); err != nil {
		t.Fatal(err)
	}
	h := doc.FindElement("/edXML/edXMLEnvelope/edXMLHeader")
	if h == nil {
		t.Fatal("no edXMLHeader in output")
	}
	for _, c := range h.ChildElements() {
		if c.Tag == "Signature" {
			sigs = append(sigs, c)
		}
	}
	return h, sigs
}

// dsigTestTamperText changes the first character of the text of the first element whose
// local name is tag.
func dsigTestTamperText(t testing.TB, b []byte, tag string) []byte {
	t.Helper()
	re := regexp.MustCompile(`<(?:[A-Za-z]+:)?` + tag + `>([0-9A-Za-z])`)
	loc := re.FindSubmatchIndex(b)
	if loc == nil {
		t.Fatalf("no <%s> text to tamper with", tag)
	}
	out := bytes.Clone(b)
	if out[loc[2]] == '9' || out[loc[2]] == 'Z' {
		out[loc[2]] = '8'
	} else {
		out[loc[2]]++
	}
	return out
}

func dsigTestReplaceElementText(t testing.TB, b []byte, tag, text string) []byte {
	t.Helper()
	re := regexp.MustCompile(`(<(?:[A-Za-z]+:)?` + tag + `>)[^<]*(<)`)
	if !re.Match(b) {
		t.Fatalf("no <%s> in output", tag)
	}
	return re.ReplaceAll(b, []byte("${1}"+text+"${2}"))
}

func TestDSigSignVerify(t *testing.T) {
	rsaKey, other, ecKey := dsigTestKeySet(t)
	for _, k := range []*dsigTestKey{rsaKey, ecKey} {
		for _, sample := range []struct{ file, tamper string }{
			{"status.edxml", "StatusCode"},
			{"edoc_update.edxml", "Subject"},
			{"edoc_new.edxml", "Subject"}, // starts with junk; carries an edXML-namespace Signature
		} {
			t.Run(k.name+"/"+sample.file, func(t *testing.T) {
				in := dsigTestSample(t, sample.file)
				signed := dsigTestSign(t, in, k)
				res := dsigTestVerify(t, signed)
				if !res.Present || !res.Valid || res.Problem != "" {
					t.Fatalf("signed envelope does not verify: %+v", res)
				}
				if res.Algorithm != k.method || res.Signer == nil || !res.Signer.Equal(k.cert) || len(res.Certificates) != 1 {
					t.Errorf("algorithm %q signer %v certificates %d", res.Algorithm, res.Signer, len(res.Certificates))
				}
				if len(res.Quirks) != 0 {
					t.Errorf("own output has quirks: %q", res.Quirks)
				}
				if !bytes.HasPrefix(signed, []byte("<?xml")) {
					t.Errorf("output does not start with the XML declaration: %q", signed[:20])
				}

				// Where and what: exactly one Signature, the last element of edXMLHeader,
				// in the XML-DSig namespace with the ds: prefix, as specified.
				h, sigs := dsigTestHeaderSignatures(t, signed)
				if len(sigs) != 1 {
					t.Fatalf("%d Signature elements in edXMLHeader, want 1", len(sigs))
				}
				kids := h.ChildElements()
				if kids[len(kids)-1] != sigs[0] || sigs[0].Space != "ds" || sigs[0].NamespaceURI() != dsigNS {
					t.Errorf("Signature is not the last ds: child of edXMLHeader: %s", sigs[0].FullTag())
				}
				for _, want := range []string{
					`<ds:Reference URI="">`,
					`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
					`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
					`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>`,
					`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#` + k.method + `"/>`,
					`<ds:X509Certificate>` + base64.StdEncoding.EncodeToString(k.cert.Raw) + `</ds:X509Certificate>`,
				} {
					if !bytes.Contains(signed, []byte(want)) {
						t.Errorf("output lacks %s", want)
					}
				}
				if ecdsa, ok := k.key.(*ecdsa.PrivateKey); ok {
					v := sigs[0].FindElement("SignatureValue").Text()
					raw, _ := base64.StdEncoding.DecodeString(v)
					if n := (ecdsa.Curve.Params().BitSize + 7) / 8; len(raw) != 2*n {
						t.Errorf("ECDSA SignatureValue is %d bytes, want r||s of %d", len(raw), 2*n)
					}
				}

				t.Run("tampered header text", func(t *testing.T) {
					res := dsigTestVerify(t, dsigTestTamperText(t, signed, sample.tamper))
					if !res.Present || res.Valid || !strings.Contains(res.Problem, "digest") {
						t.Errorf("tampered %s: %+v", sample.tamper, res)
					}
					if res.Signer == nil || strings.Contains(res.Problem, "SignatureValue") {
						t.Errorf("the SignedInfo was not touched, yet: signer %v, %q", res.Signer, res.Problem)
					}
				})
				t.Run("tampered SignatureValue", func(t *testing.T) {
					raw, _ := base64.StdEncoding.DecodeString(sigs[0].FindElement("SignatureValue").Text())
					raw[len(raw)/2] ^= 0x01
					bad := dsigTestReplaceElementText(t, signed, "SignatureValue", base64.StdEncoding.EncodeToString(raw))
					res := dsigTestVerify(t, bad)
					if res.Valid || res.Signer != nil || !strings.Contains(res.Problem, "SignatureValue does not verify") {
						t.Errorf("tampered SignatureValue: %+v", res)
					}
					if strings.Contains(res.Problem, "digest") {
						t.Errorf("digest reported changed: %q", res.Problem)
					}
				})
				t.Run("swapped certificate", func(t *testing.T) {
					bad := dsigTestReplaceElementText(t, signed, "X509Certificate", base64.StdEncoding.EncodeToString(other.cert.Raw))
					res := dsigTestVerify(t, bad)
					if res.Valid || res.Signer != nil || len(res.Certificates) != 1 || !res.Certificates[0].Equal(other.cert) {
						t.Errorf("swapped certificate: %+v", res)
					}
				})
			})
		}
	}
}

func TestDSigSignReplacesSignature(t *testing.T) {
	rsaKey, other, ecKey := dsigTestKeySet(t)
	in := dsigTestSample(t, "edoc_update.edxml") // carries an old edXML-namespace Signature
	if _, sigs := dsigTestHeaderSignatures(t, in); len(sigs) != 1 {
		t.Fatalf("sample should carry one Signature, has %d", len(sigs))
	}
	first := dsigTestSign(t, in, rsaKey)
	second := dsigTestSign(t, first, ecKey, other.cert) // re-signed by a relay, with a chain
	_, sigs := dsigTestHeaderSignatures(t, second)
	if len(sigs) != 1 || bytes.Count(second, []byte("Signature>")) != 1 {
		t.Fatalf("%d Signature elements after re-signing, want 1", len(sigs))
	}
	res := dsigTestVerify(t, second)
	if !res.Valid || !res.Signer.Equal(ecKey.cert) || len(res.Certificates) != 2 || !res.Certificates[1].Equal(other.cert) {
		t.Fatalf("re-signed envelope: %+v", res)
	}
	// Only the signature changed: the rest of the header is byte-identical.
	sigRE := regexp.MustCompile(`(?s)\s*<ds:Signature .*</ds:Signature>`)
	if a, b := sigRE.ReplaceAll(first, nil), sigRE.ReplaceAll(second, nil); !bytes.Equal(a, b) {
		t.Error("re-signing changed more than the Signature")
	}
	// The signature is indented like its siblings.
	if !regexp.MustCompile(`</edXML:TraceHeaderList>\s*\n\s+<ds:Signature `).Match(second) {
		t.Error("Signature not on its own indented line")
	}
}

func TestDSigSignRejects(t *testing.T) {
	rsaKey, other, _ := dsigTestKeySet(t)
	in := dsigTestSample(t, "status.edxml")
	for name, o := range map[string]SignOptions{
		"no key":            {Chain: []*x509.Certificate{rsaKey.cert}},
		"no certificate":    {Signer: rsaKey.key},
		"wrong certificate": {Signer: rsaKey.key, Chain: []*x509.Certificate{other.cert}},
		"too large":         {Signer: rsaKey.key, Chain: []*x509.Certificate{rsaKey.cert}, MaxBytes: 100},
	} {
		var out bytes.Buffer
		if err := Sign(bytes.NewReader(in), &out, o); err == nil || out.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written", name, err, out.Len())
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k := dsigTestNewKey(t, "P-384", p384, "ecdsa-sha256")
	if res := dsigTestVerify(t, dsigTestSign(t, in, k)); !res.Valid || res.Algorithm != "ecdsa-sha256" {
		t.Errorf("P-384: %+v", res)
	}
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	k = dsigTestNewKey(t, "P-521", p521, "")
	if err := Sign(bytes.NewReader(in), &bytes.Buffer{}, SignOptions{Signer: k.key, Chain: []*x509.Certificate{k.cert}}); err == nil {
		t.Error("P-521 accepted")
	}
}

// TestDSigSamples runs every sample of the platform SDK. Their signatures carry a truncated
// certificate ("MIIFqTCCBJG"): present, not valid, and said why, without error.
func TestDSigSamples(t *testing.T) {
	dir := dsigTestDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.edxml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}
	signed := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := VerifySignature(bytes.NewReader(b), 0)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		has := bytes.Contains(b, []byte("<Signature>"))
		if res.Present != has {
			t.Errorf("%s: Present=%v, want %v", filepath.Base(f), res.Present, has)
		}
		if !has {
			if res.Valid || res.Problem != "" || len(res.Quirks) != 0 {
				t.Errorf("%s: unsigned envelope: %+v", filepath.Base(f), res)
			}
			continue
		}
		signed++
		if res.Valid || !strings.Contains(res.Problem, "no usable certificate") || len(res.Certificates) != 0 || res.Signer != nil {
			t.Errorf("%s: %+v", filepath.Base(f), res)
		}
		if res.Algorithm != "rsa-sha1" {
			t.Errorf("%s: algorithm %q", filepath.Base(f), res.Algorithm)
		}
		quirks := strings.Join(res.Quirks, "\n")
		for _, want := range []string{"edXML namespace", "SHA-1 signature", "SHA-1 digest", "Inclusive C14N 1.0", "Nonstandard exclusive C14N"} {
			if !strings.Contains(quirks, want) {
				t.Errorf("%s: quirks lack %q: %q", filepath.Base(f), want, res.Quirks)
			}
		}
		if bytes.HasPrefix(b, []byte("1212")) != strings.Contains(quirks, "4 bytes before the XML") {
			t.Errorf("%s: junk quirk: %q", filepath.Base(f), res.Quirks)
		}
	}
	if signed == 0 {
		t.Error("no signed sample found")
	}
}

// dsigTestOldProducer signs env the way the platform SDK's old producers did: rsa-sha1, SHA-1
// digest, the nonstandard exclusive C14N transform identifier, SignedInfo canonicalized with
// c14n (inclusive or exclusive) while in the XML-DSig namespace and outside the envelope, then
// written unprefixed into edXMLHeader so that it falls into the edXML default namespace. The
// canonical SignedInfo is written out by hand: this does not use the code under test.
func dsigTestOldProducer(t testing.TB, env []byte, k *dsigTestKey, c14n string) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		t.Fatal(err)
	}
	canon, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(doc.Root().Copy())
	if err != nil {
		t.Fatal(err)
	}
	digest := sha1.Sum(canon)
	inner := `<CanonicalizationMethod Algorithm="` + c14n + `"></CanonicalizationMethod>` +
		`<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"></SignatureMethod>` +
		`<Reference URI=""><Transforms>` +
		`<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></Transform>` +
		`<Transform Algorithm="http://www.w3.org/TR/xml-exc-c14n#"></Transform></Transforms>` +
		`<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"></DigestMethod>` +
		`<DigestValue>` + base64.StdEncoding.EncodeToString(digest[:]) + `</DigestValue></Reference>`
	signedInfo := sha1.Sum([]byte(`<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">` + inner + `</SignedInfo>`))
	value, err := rsa.SignPKCS1v15(rand.Reader, k.key.(*rsa.PrivateKey), crypto.SHA1, signedInfo[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := `<Signature><SignedInfo>` + inner + `</SignedInfo><SignatureValue>` +
		base64.StdEncoding.EncodeToString(value) + `</SignatureValue><KeyInfo><X509Data>` +
		`<X509SubjectName>CN=` + k.cert.Subject.CommonName + `</X509SubjectName><X509Certificate>` +
		base64.StdEncoding.EncodeToString(k.cert.Raw) + `</X509Certificate></X509Data></KeyInfo></Signature>`
	end := []byte("</edXML:edXMLHeader>")
	if !bytes.Contains(env, end) {
		t.Fatal("no </edXML:edXMLHeader>")
	}
	return bytes.Replace(env, end, append([]byte(sig), end...), 1)
}

func TestDSigVerifyOldProducer(t *testing.T) {
	rsaKey, _, _ := dsigTestKeySet(t)
	in := dsigTestSample(t, "status.edxml")
	for _, c := range []struct {
		name, c14n string
		quirks     []string
	}{
		{"inclusive", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
			[]string{"Inclusive C14N 1.0 in SignedInfo", "without the envelope's namespace declarations"}},
		{"exclusive", "http://www.w3.org/2001/10/xml-exc-c14n#",
			[]string{"as if it were in the XML-DSig namespace"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			old := dsigTestOldProducer(t, in, rsaKey, c.c14n)
			res := dsigTestVerify(t, old)
			if !res.Present || !res.Valid || res.Algorithm != "rsa-sha1" || !res.Signer.Equal(rsaKey.cert) {
				t.Fatalf("old-producer envelope: %+v", res)
			}
			quirks := strings.Join(res.Quirks, "\n")
			for _, want := range append(c.quirks, "edXML namespace", "SHA-1 signature", "SHA-1 digest", "Nonstandard exclusive C14N") {
				if !strings.Contains(quirks, want) {
					t.Errorf("quirks lack %q: %q", want, res.Quirks)
				}
			}
			if res := dsigTestVerify(t, dsigTestTamperText(t, old, "StatusCode")); res.Valid || !strings.Contains(res.Problem, "digest") {
				t.Errorf("tampered old-producer envelope: %+v", res)
			}
			// Signing it anew replaces the old signature.
			k := dsigTestSign(t, old, rsaKey)
			if _, sigs := dsigTestHeaderSignatures(t, k); len(sigs) != 1 || sigs[0].NamespaceURI() != dsigNS {
				t.Errorf("re-signing left %d signatures", len(sigs))
			}
		})
	}
}

func TestDSigVerifyRejects(t *testing.T) {
	status := string(dsigTestSample(t, "status.edxml"))
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	for name, in := range map[string]string{
		"doctype":      `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x "y">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&x;</edXML>`,
		"entities":     `<!DOCTYPE a [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><a>&b;</a>`,
		"deep":         strings.Replace(status, "<edXML:StatusCode>", deep+"<edXML:StatusCode>", 1),
		"junk > 1 KiB": strings.Repeat("x", 1025) + status,
		"not XML":      "hello",
		"not edXML":    `<a xmlns="urn:x"><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></a>`,
		"no header":    `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope/></edXML>`,
		"wrong ns":     strings.ReplaceAll(status, "QCVN_102_2016", "QCVN_102_2099"),
		"two roots":    status + "<edXML/>",
		"latin1":       strings.Replace(status, "UTF-8", "ISO-8859-1", 1),
		"truncated":    status[:len(status)/2],
	} {
		res, err := VerifySignature(strings.NewReader(in), 0)
		if err == nil {
			t.Errorf("%s: accepted: %+v", name, res)
		}
		if name == "doctype" && (err == nil || !strings.Contains(err.Error(), "DOCTYPE")) {
			t.Errorf("doctype: unclear error %v", err)
		}
	}
	if _, err := VerifySignature(strings.NewReader(status), int64(len(status)-1)); err == nil {
		t.Error("maxBytes not enforced")
	}
	if _, err := VerifySignature(strings.NewReader(status), int64(len(status))); err != nil {
		t.Errorf("exactly maxBytes: %v", err)
	}
	// Signature shapes that are present but unusable are problems, not errors.
	for name, sig := range map[string]string{
		"empty":          `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`,
		"no reference":   `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/></SignedInfo><SignatureValue/></Signature>`,
		"md5":            `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-md5"/><Reference URI=""/></SignedInfo><SignatureValue/></Signature>`,
		"id reference":   `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#x"/></SignedInfo><SignatureValue/></Signature>`,
		"not enveloped":  `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AA==</DigestValue></Reference></SignedInfo><SignatureValue/></Signature>`,
		"xpath":          `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AA==</DigestValue></Reference></SignedInfo><SignatureValue/></Signature>`,
		"no certificate": `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AA==</DigestValue></Reference></SignedInfo><SignatureValue>AA==</SignatureValue></Signature>`,
	} {
		in := strings.Replace(status, "</edXML:edXMLHeader>", sig+"</edXML:edXMLHeader>", 1)
		res, err := VerifySignature(strings.NewReader(in), 0)
		if err != nil || !res.Present || res.Valid || res.Problem == "" {
			t.Errorf("%s: %+v, %v", name, res, err)
		}
	}
}

// dsigTestXmlsec1 returns the path of xmlsec1, the independent oracle; CI must have it.
func dsigTestXmlsec1(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		testenv.Need(t, "xmlsec1 (apt-get install xmlsec1)")
	}
	return p
}

// dsigTestPEM writes k's certificate and PKCS#8 key as PEM files in dir.
func dsigTestPEM(t *testing.T, dir string, k *dsigTestKey) (keyFile, certFile string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile
}

func dsigTestRun(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func TestDSigXmlsec1Oracle(t *testing.T) {
	xmlsec := dsigTestXmlsec1(t)
	rsaKey, other, ecKey := dsigTestKeySet(t)

	// xmlsec1 verifies what vbdt signs, and rejects it once tampered with.
	for _, k := range []*dsigTestKey{rsaKey, ecKey} {
		for _, file := range []string{"status.edxml", "edoc_update.edxml", "edoc_new.edxml"} {
			t.Run("verify/"+k.name+"/"+file, func(t *testing.T) {
				dir := t.TempDir()
				_, certFile := dsigTestPEM(t, dir, k)
				signed := dsigTestSign(t, dsigTestSample(t, file), k)
				good, bad := filepath.Join(dir, "good.xml"), filepath.Join(dir, "bad.xml")
				os.WriteFile(good, signed, 0o600)
				os.WriteFile(bad, dsigTestTamperText(t, signed, "OrganId"), 0o600)
				if out, err := dsigTestRun(t, xmlsec, "--verify", "--pubkey-cert-pem", certFile, good); err != nil {
					t.Fatalf("xmlsec1 rejects vbdt's signature: %v\n%s", err, out)
				}
				if out, err := dsigTestRun(t, xmlsec, "--verify", "--pubkey-cert-pem", certFile, bad); err == nil {
					t.Fatalf("xmlsec1 accepts a tampered envelope: %s", out)
				}
				_, otherCert := dsigTestPEM(t, t.TempDir(), other)
				if out, err := dsigTestRun(t, xmlsec, "--verify", "--pubkey-cert-pem", otherCert, good); err == nil {
					t.Fatalf("xmlsec1 accepts the signature with another key: %s", out)
				}
			})
		}
	}

	// Characters that a careless writer would change on the way out: a carriage return as a
	// character reference, a literal newline and a tab in an attribute, markup characters.
	t.Run("verify/escaping", func(t *testing.T) {
		dir := t.TempDir()
		_, certFile := dsigTestPEM(t, dir, rsaKey)
		in := strings.Replace(string(dsigTestSample(t, "status.edxml")), "<edXML:Description>",
			"<edXML:Description note=\"a\nb\tc &amp; &lt;d&gt; &quot;e&quot;\">x&#13;y &amp; z &gt; w \"q\" 'r' ]]&gt; ", 1)
		signed := dsigTestSign(t, []byte(in), rsaKey)
		file := filepath.Join(dir, "signed.xml")
		os.WriteFile(file, signed, 0o600)
		if out, err := dsigTestRun(t, xmlsec, "--verify", "--pubkey-cert-pem", certFile, file); err != nil {
			t.Fatalf("xmlsec1 rejects vbdt's signature: %v\n%s", err, out)
		}
	})

	// vbdt verifies what xmlsec1 signs.
	template := func(method, digest, c14n string) string {
		return `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
			`<ds:CanonicalizationMethod Algorithm="` + c14n + `"/>` +
			`<ds:SignatureMethod Algorithm="` + method + `"/><ds:Reference URI=""><ds:Transforms>` +
			`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
			`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
			`<ds:DigestMethod Algorithm="` + digest + `"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
			`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
	}
	xmlsecSign := func(t *testing.T, k *dsigTestKey, file, sig string, edit ...string) []byte {
		dir := t.TempDir()
		keyFile, certFile := dsigTestPEM(t, dir, k)
		tmpl, out := filepath.Join(dir, "tmpl.xml"), filepath.Join(dir, "signed.xml")
		in := strings.Replace(string(dsigTestSample(t, file)), "</edXML:edXMLHeader>", sig+"</edXML:edXMLHeader>", 1)
		in = strings.NewReplacer(edit...).Replace(in)
		os.WriteFile(tmpl, []byte(in), 0o600)
		if o, err := dsigTestRun(t, xmlsec, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", out, tmpl); err != nil {
			t.Fatalf("xmlsec1 --sign: %v\n%s", err, o)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		k              *dsigTestKey
		method, digest string
	}{
		{rsaKey, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"},
		{ecKey, dsig.ECDSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256"},
	} {
		t.Run("sign/"+c.k.name, func(t *testing.T) {
			b := xmlsecSign(t, c.k, "status.edxml", template(c.method, c.digest, dsigExcC14N))
			res := dsigTestVerify(t, b)
			if !res.Valid || res.Algorithm != c.k.method || !res.Signer.Equal(c.k.cert) || len(res.Quirks) != 0 {
				t.Fatalf("xmlsec1-signed envelope: %+v", res)
			}
			if res := dsigTestVerify(t, dsigTestTamperText(t, b, "StatusCode")); res.Valid {
				t.Fatal("tampered xmlsec1-signed envelope verifies")
			}
			// Swapping in another certificate must not verify.
			if c.k == rsaKey {
				bad := regexp.MustCompile(`(?s)<ds:X509Certificate>.*</ds:X509Certificate>`).ReplaceAll(b,
					[]byte("<ds:X509Certificate>"+base64.StdEncoding.EncodeToString(other.cert.Raw)+"</ds:X509Certificate>"))
				if res := dsigTestVerify(t, bad); res.Valid || res.Signer != nil {
					t.Fatalf("swapped certificate verifies: %+v", res)
				}
			}
		})
	}
	// A literal newline and tab in an attribute: XML parsers read them as spaces, and so must
	// the verifier (encoding/xml does not), or it digests other bytes than the signer did.
	// xmlsec1 writes them out as spaces; they are put back, and xmlsec1 itself confirms that
	// this changes nothing.
	t.Run("sign/attribute whitespace", func(t *testing.T) {
		b := xmlsecSign(t, rsaKey, "status.edxml", template(dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256", dsigExcC14N),
			"<edXML:Description>", "<edXML:Description note=\"a b c d\">")
		b = bytes.Replace(b, []byte(`note="a b c d"`), []byte("note=\"a\nb\tc\r\nd\""), 1)
		dir := t.TempDir()
		_, certFile := dsigTestPEM(t, dir, rsaKey)
		file := filepath.Join(dir, "ws.xml")
		os.WriteFile(file, b, 0o600)
		if out, err := dsigTestRun(t, xmlsec, "--verify", "--pubkey-cert-pem", certFile, file); err != nil || !bytes.Contains(b, []byte("a\nb\tc")) {
			t.Fatalf("xmlsec1 rejects the attribute whitespace: %v\n%s", err, out)
		}
		if res := dsigTestVerify(t, b); !res.Valid {
			t.Fatalf("xmlsec1-signed envelope with attribute whitespace: %+v", res)
		}
	})
	// An old producer through xmlsec1: rsa-sha1, SHA-1, inclusive C14N, then the Signature
	// moved into the edXML namespace by dropping its namespace declaration.
	t.Run("sign/old producer", func(t *testing.T) {
		sig := strings.ReplaceAll(template(dsig.RSASHA1SignatureMethod, "http://www.w3.org/2000/09/xmldsig#sha1", dsigC14N10), "ds:", "")
		sig = strings.Replace(sig, `xmlns:ds=`, `xmlns=`, 1)
		b := xmlsecSign(t, rsaKey, "status.edxml", sig)
		if res := dsigTestVerify(t, b); !res.Valid || len(res.Quirks) != 3 {
			t.Fatalf("xmlsec1 old-style signature in the XML-DSig namespace: %+v", res)
		}
		moved := bytes.Replace(b, []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`), []byte(`<Signature>`), 1)
		if bytes.Equal(moved, b) {
			t.Fatalf("xmlsec1 output has no <Signature xmlns=...>: %s", b)
		}
		res := dsigTestVerify(t, moved)
		quirks := strings.Join(res.Quirks, "\n")
		if !res.Valid || res.Algorithm != "rsa-sha1" || !strings.Contains(quirks, "edXML namespace") ||
			!strings.Contains(quirks, "as if it were in the XML-DSig namespace") || strings.Contains(quirks, "without the envelope") {
			t.Fatalf("old-producer envelope: %+v", res)
		}
	})
}

func ExampleVerifySignature() {
	res, err := VerifySignature(strings.NewReader(`<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">`+
		`<edXMLEnvelope><edXMLHeader><MessageHeader/></edXMLHeader></edXMLEnvelope></edXML>`), 0)
	fmt.Println(res.Present, err)
	// Output: false <nil>
}
