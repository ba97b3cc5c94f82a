package envelope

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerifySignature feeds VerifySignature (and Sign, which parses the same way) arbitrary
// input: neither may panic, a result is coherent, and whatever Sign accepts verifies.
func FuzzVerifySignature(f *testing.F) {
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	k := dsigTestNewKey(f, "fuzz", ek, "ecdsa-sha256")
	opts := SignOptions{Signer: k.key, Chain: []*x509.Certificate{k.cert}, MaxBytes: 1 << 20}

	small := `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">` +
		`<edXML:edXMLHeader><edXML:MessageHeader><edXML:StatusCode>01</edXML:StatusCode></edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>`
	f.Add([]byte(small))
	var signed bytes.Buffer
	if err := Sign(bytes.NewReader([]byte(small)), &signed, opts); err != nil {
		f.Fatal(err)
	}
	f.Add(signed.Bytes())
	f.Add(bytes.Replace(signed.Bytes(), []byte("ds:"), []byte(""), -1))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY a "b">]><a>&a;</a>`))
	f.Add([]byte("1212<edXML/>"))
	if files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "interop", "edxml", "*.edxml")); len(files) > 0 {
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b[:min(len(b), 4096)])
			if i := bytes.Index(b, []byte("<Signature>")); i >= 0 && len(b) < 1<<16 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := VerifySignature(bytes.NewReader(data), 1<<20)
		if err == nil {
			if res == nil || (res.Valid && (res.Problem != "" || !res.Present || res.Signer == nil)) || (!res.Valid && res.Present && res.Problem == "") {
				t.Fatalf("incoherent result %+v", res)
			}
		}
		var out bytes.Buffer
		if err := Sign(bytes.NewReader(data), &out, opts); err == nil {
			if res, err := VerifySignature(&out, 0); err != nil || !res.Valid {
				t.Fatalf("Sign output does not verify: %+v %v", res, err)
			}
		}
	})
}
