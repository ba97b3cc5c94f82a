package evidence

import (
	"encoding/pem"
	"testing"
)

// FuzzFilesAdd feeds the sniffing of evidence files (PEM or DER certificates, CRLs, OCSP
// responses, PKCS#7 bundles) and the parsers behind it arbitrary bytes: no panic, and what is
// accepted is what the kind-specific parsers accept.
func FuzzFilesAdd(f *testing.F) {
	e := newEnv(f, envConfig{})
	ocspDER := e.ocspDER(f, e.leaf.cert, e.inter.cert)
	crlDER := e.crl(e.inter, "")
	p7c := pkcs7Certs(e.inter.cert, e.root.cert)
	for _, seed := range [][]byte{
		e.leaf.cert.Raw, ocspDER, crlDER, p7c,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.root.cert.Raw}),
		append(pem.EncodeToMemory(&pem.Block{Type: "OCSP RESPONSE", Bytes: ocspDER}), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crlDER})...),
		pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7c}),
		[]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
		{0x30, 0x03, 0x0a, 0x01, 0x00},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fs Files
		err := fs.Add(data, "fuzz")
		n := len(fs.Certs) + len(fs.OCSPs) + len(fs.CRLs)
		if err == nil && n == 0 {
			t.Fatal("accepted, yet nothing was added")
		}
		if err != nil && n != 0 {
			t.Fatal("rejected, yet something was added")
		}
		for _, it := range fs.OCSPs {
			if len(it.ids) == 0 {
				t.Fatal("an OCSP response without CertIDs")
			}
			// whatever a file claims, checking it against a certificate must fail cleanly
			checkOCSP(it.DER, e.leaf.cert, e.inter.cert, e.now(), DefaultMaxAge)
		}
		for _, it := range fs.CRLs {
			if it.list == nil {
				t.Fatal("a CRL not parsed")
			}
		}
		ocspCertIDs(data)
		parseCertificates(data)
		parsePKCS7Certs(data)
		parseCacheEntry(data)
	})
}
