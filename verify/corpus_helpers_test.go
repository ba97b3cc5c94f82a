package verify_test

// Helpers of the verification corpus (corpus_test.go): raw incremental updates the way an
// attacker writes them (after sign/attack_test.go), CMS surgery, a loopback OCSP responder,
// document timestamps, and poppler's pdfsig as the second opinion.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/testpki/pdfedit"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"github.com/vbdt/vbdt/sign"
)

// The byte-level editing helpers, shared with the other packages' attack tests.
var (
	qpdfJSON     = pdfedit.QPDFJSON
	refNum       = pdfedit.RefNum
	objByT       = pdfedit.ObjByT
	decoded      = pdfedit.Decoded
	stream       = pdfedit.Stream
	flate        = pdfedit.Flate
	rawIncrement = pdfedit.RawIncrement
	appendRaw    = pdfedit.AppendRaw
	lastBody     = pdfedit.LastBody
	startxrefRE  = pdfedit.StartxrefRE
)

// ---- raw incremental updates ---------------------------------------------------------------

// docObjs are the numbers of a document's catalog, page tree, first page and its content.
type docObjs struct {
	root, pages, page, contents, size int
}

func objects(t testing.TB, path string) docObjs {
	t.Helper()
	objs := qpdfJSON(t, path)
	var o docObjs
	o.root = refNum(t, objs["trailer"]["/Root"])
	o.pages = refNum(t, objs[strconv.Itoa(o.root)]["/Pages"])
	o.page = refNum(t, objs[strconv.Itoa(o.pages)]["/Kids"].([]any)[0])
	o.contents = refNum(t, objs[strconv.Itoa(o.page)]["/Contents"])
	o.size = int(objs["trailer"]["/Size"].(float64))
	return o
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// insertKey adds "key value" to the end of a dictionary body.
func insertKey(body, entry string) string {
	body = strings.TrimSpace(body)
	return strings.TrimSuffix(body, ">>") + " " + entry + " >>"
}

// ---- signature surgery ----------------------------------------------------------------------

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\] *`)

// sigSpot is where the n-th signature dictionary (in file order) has its /ByteRange text and
// its /Contents gap.
type sigSpot struct {
	brStart, brEnd int // the "/ByteRange [...]   " text with its padding
	br             [4]int64
}

func spots(t testing.TB, data []byte) []sigSpot {
	t.Helper()
	var out []sigSpot
	for _, m := range byteRangeRE.FindAllSubmatchIndex(data, -1) {
		s := sigSpot{brStart: m[0], brEnd: m[1]}
		for i := range 3 {
			v, _ := strconv.ParseInt(string(data[m[2+2*i]:m[3+2*i]]), 10, 64)
			s.br[i+1] = v
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("no /ByteRange")
	}
	return out
}

// setByteRange rewrites a /ByteRange in place, padded to its old width.
func setByteRange(t testing.TB, data []byte, s sigSpot, br [4]int64) {
	t.Helper()
	txt := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3])
	if len(txt) > s.brEnd-s.brStart {
		t.Fatalf("the new /ByteRange %s does not fit %d bytes", txt, s.brEnd-s.brStart)
	}
	copy(data[s.brStart:s.brEnd], txt+strings.Repeat(" ", s.brEnd-s.brStart-len(txt)))
}

// cmsOf returns the DER CMS in the gap of a signature (without the zero padding).
func cmsOf(t testing.TB, data []byte, s sigSpot) []byte {
	t.Helper()
	raw, err := hex.DecodeString(string(data[s.br[1]+1 : s.br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	in := cryptobyte.String(raw)
	var el cryptobyte.String
	if !in.ReadASN1Element(&el, cbasn1.SEQUENCE) {
		t.Fatal("the /Contents is not DER")
	}
	return el
}

// putCMS writes der into the gap of a signature, padded with zeros.
func putCMS(t testing.TB, data []byte, s sigSpot, der []byte) {
	t.Helper()
	h := strings.ToUpper(hex.EncodeToString(der))
	room := int(s.br[2] - s.br[1] - 2)
	if len(h) > room {
		t.Fatalf("CMS of %d bytes does not fit", len(der))
	}
	copy(data[s.br[1]+1:s.br[2]-1], h+strings.Repeat("0", room-len(h)))
}

// editSignedData rewrites the SignedData of a ContentInfo: edit gets its fields (version,
// digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos) as DER elements
// and returns them again.
func editSignedData(t testing.TB, ci []byte, edit func(fields [][]byte) [][]byte) []byte {
	t.Helper()
	in := cryptobyte.String(ci)
	var seq, oid, explicit, sd cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Element(&oid, cbasn1.OBJECT_IDENTIFIER) ||
		!seq.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !explicit.ReadASN1(&sd, cbasn1.SEQUENCE) {
		t.Fatal("not a CMS ContentInfo")
	}
	var fields [][]byte
	for !sd.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !sd.ReadAnyASN1Element(&el, &tag) {
			t.Fatal("bad SignedData")
		}
		fields = append(fields, el)
	}
	fields = edit(fields)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(oid)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, f := range fields {
					b.AddBytes(f)
				}
			})
		})
	})
	return b.BytesOrPanic()
}

// certificatesField is the [0] IMPLICIT certificates of a SignedData holding certs.
func certificatesField(certs ...*x509.Certificate) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
		for _, c := range certs {
			b.AddBytes(c.Raw)
		}
	})
	return b.BytesOrPanic()
}

// rewriteCMS applies edit to the CMS of the index-th signature of the file at in into out.
func rewriteCMS(t testing.TB, in, out string, index int, edit func(fields [][]byte) [][]byte) string {
	t.Helper()
	data := readFile(t, in)
	s := spots(t, data)[index]
	putCMS(t, data, s, editSignedData(t, cmsOf(t, data, s), edit))
	writeFile(t, out, data)
	return out
}

// ---- document timestamps ---------------------------------------------------------------------

// addDocTimestamp appends an invisible /DocTimeStamp signature field "dts" to the document at
// in (a page with /Annots and a catalog with /AcroForm /Fields, as vbdt writes them), whose
// token stamp makes from the signed bytes.
func addDocTimestamp(t testing.TB, in, out string, stamp func(signed []byte) []byte) string {
	t.Helper()
	o := objects(t, in)
	const ph = 8192
	placeholder := "/ByteRange [0 0000000000 0000000000 0000000000]"
	cat := lastBody(t, in, o.root)
	if !regexp.MustCompile(`/Fields\s*\[`).MatchString(cat) {
		t.Fatalf("the catalog has no direct /AcroForm /Fields: %.200s", cat)
	}
	cat = regexp.MustCompile(`/Fields\s*\[`).ReplaceAllString(cat, fmt.Sprintf("/Fields [%d 0 R ", o.size+1))
	pg := lastBody(t, in, o.page)
	if regexp.MustCompile(`/Annots\s*\[`).MatchString(pg) {
		pg = regexp.MustCompile(`/Annots\s*\[`).ReplaceAllString(pg, fmt.Sprintf("/Annots [%d 0 R ", o.size+1))
	} else {
		pg = insertKey(pg, fmt.Sprintf("/Annots [%d 0 R]", o.size+1))
	}
	data := rawIncrement(t, in, map[int]string{
		o.root: cat, o.page: pg,
		o.size:     fmt.Sprintf("<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 %s /Contents <%s> >>", placeholder, strings.Repeat("0", 2*ph)),
		o.size + 1: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (dts) /V %d 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>", o.size, o.page),
	}, nil)
	at := bytes.LastIndex(data, []byte(placeholder))
	cs := bytes.LastIndex(data, []byte("/Contents <")) + len("/Contents ")
	ce := cs + 2 + 2*ph
	br := fmt.Sprintf("/ByteRange [0 %d %d %d]", cs, ce, len(data)-ce)
	copy(data[at:], br+strings.Repeat(" ", len(placeholder)-len(br)))
	token := stamp(append(bytes.Clone(data[:cs]), data[ce:]...))
	copy(data[cs+1:], strings.ToUpper(hex.EncodeToString(token)))
	writeFile(t, out, data)
	return out
}

// tsaToken asks the corpus TSA for a token over data.
func (c *corpus) tsaToken(t testing.TB, data []byte) []byte {
	t.Helper()
	token, _, err := (&sign.TSA{URL: c.tsa.URL}).Stamp(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// ---- certificates and OCSP -------------------------------------------------------------------

// issue makes a signing certificate for key from the intermediate of the corpus PKI, valid
// from notBefore to notAfter, naming ocspURL as its OCSP responder when not "".
func issue(t testing.TB, issuer *x509.Certificate, issuerKey crypto.Signer, pub crypto.PublicKey, cn string, notBefore, notAfter time.Time, ocspURL string) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: issuer.Subject, NotBefore: notBefore, NotAfter: notAfter,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	tmpl.Subject.CommonName = cn
	tmpl.Subject.ExtraNames = nil
	if ocspURL != "" {
		tmpl.OCSPServer = []string{ocspURL}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, pub, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// ocspServer answers every request about a certificate of issuer as revoked at revokedAt (or
// good when revokedAt is zero), signed by the delegated responder.
func ocspServer(t testing.TB, issuer, responder *x509.Certificate, key crypto.Signer, revokedAt time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now()
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
			NextUpdate: now.Add(time.Hour), Certificate: responder}
		if !revokedAt.IsZero() {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, revokedAt, ocsp.KeyCompromise
		}
		der, err := ocsp.CreateResponse(issuer, responder, tmpl, key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ---- pdfsig ----------------------------------------------------------------------------------

// popplerVerdict is what pdfsig says about a document.
type popplerVerdict struct {
	out        string
	signed     int // signatures pdfsig found (signed fields), document timestamps aside
	valid      int // of them, "Signature is Valid."
	timestamps int // document timestamps, which pdfsig does not validate
}

// ok is pdfsig's "every signature is valid" (its exit status means nothing).
func (p popplerVerdict) ok() bool { return p.signed > 0 && p.valid == p.signed }

func (p popplerVerdict) summary() string {
	var keep []string
	for _, l := range strings.Split(p.out, "\n") {
		ll := strings.ToLower(l)
		if strings.Contains(ll, "validation") || strings.Contains(ll, "document signed") || strings.Contains(ll, "error") || strings.Contains(ll, "does not contain") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	return strings.Join(keep, " | ")
}

func (c *corpus) pdfsig(t testing.TB, path string) popplerVerdict {
	t.Helper()
	args := []string{"-no-ocsp", "-nocert"}
	if c.nss != "" {
		args = []string{"-nssdir", "sql:" + c.nss}
	}
	out, _ := exec.Command("pdfsig", append(args, path)...).CombinedOutput()
	v := popplerVerdict{out: string(out)}
	for _, block := range strings.Split(v.out, "Signature #")[1:] {
		if strings.Contains(block, "form field is not signed") {
			continue
		}
		if strings.Contains(block, "Signature Type: unknown") && strings.Contains(block, "not yet been verified") {
			v.timestamps++ // a document timestamp: pdfsig 22.12 cannot validate ETSI.RFC3161
			continue
		}
		v.signed++
		if strings.Contains(block, "Signature Validation: Signature is Valid.") {
			v.valid++
		}
	}
	return v
}

// nssDB makes an NSS database trusting the corpus roots and holding the approver's key (RSA)
// under the nickname "approver", for pdfsig to check certificates and to sign; "" without
// certutil and pk12util.
func nssDB(t testing.TB, dir, pkiDir string, roots []string, p12, password string) string {
	t.Helper()
	for _, tool := range []string{"certutil", "pk12util"} {
		if _, err := exec.LookPath(tool); err != nil {
			return ""
		}
	}
	db := filepath.Join(dir, "nssdb")
	os.MkdirAll(db, 0o755)
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("certutil", "-N", "-d", "sql:"+db, "--empty-password")
	for i, r := range roots {
		run("certutil", "-A", "-d", "sql:"+db, "-n", fmt.Sprintf("root%d", i), "-t", "CT,C,C", "-i", r)
	}
	run("pk12util", "-i", p12, "-d", "sql:"+db, "-W", password)
	return db
}

// nssNick is the nickname of the first key's certificate in the NSS database db.
func nssNick(t testing.TB, db string) string {
	t.Helper()
	out, err := exec.Command("certutil", "-L", "-d", "sql:"+db).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[len(f)-1], "u,u,u") {
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), f[len(f)-1]))
		}
	}
	t.Fatalf("no key in the NSS database:\n%s", out)
	return ""
}

// certOf is the signer's certificate of the first signature in data.
func certOf(t testing.TB, data []byte) *x509.Certificate {
	t.Helper()
	var cert *x509.Certificate
	editSignedData(t, cmsOf(t, data, spots(t, data)[0]), func(f [][]byte) [][]byte {
		in := cryptobyte.String(f[3])
		var certs, c cryptobyte.String
		if !in.ReadASN1(&certs, cbasn1.Tag(0).Constructed().ContextSpecific()) || !certs.ReadASN1Element(&c, cbasn1.SEQUENCE) {
			t.Fatal("no certificates in the CMS")
		}
		var err error
		if cert, err = x509.ParseCertificate(c); err != nil {
			t.Fatal(err)
		}
		return f
	})
	return cert
}
