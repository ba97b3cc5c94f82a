package cms

import (
	"bytes"
	"crypto"
	"os/exec"
	"testing"
)

// exercise runs everything that works on a parsed message: it must not panic.
func exercise(sd *SignedData) {
	for _, si := range sd.Signers {
		cert := sd.SignerCertificate(si, nil)
		si.MessageDigest()
		si.SigningTime()
		if h, err := si.Hash(); err == nil && cert != nil {
			si.Verify(cert, make([]byte, h.Size()))
			si.CheckSigningCertificate(cert)
		}
		for _, tok := range si.TimestampTokens() {
			ParseTimestamp(tok, nil)
		}
	}
}

func FuzzParse(f *testing.F) {
	keys := testKeys(f)
	der := build(f, keys["p256"], crypto.SHA256, false, []byte("fuzz"))
	f.Add(der)
	f.Add(toIndefinite(der, 6))
	f.Add(handBuild(f, []byte("fuzz"), []handSigner{{k: keys["p256"], ski: true}, {k: keys["p384"], reversed: true}}, []byte{0x30, 0}))
	f.Add([]byte{0x24, 0x80, 0x04, 0x01, 'a', 0x24, 0x03, 0x04, 0x01, 'b', 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, n, changed, err := toDER(data); err == nil {
			if n > len(data) || (!changed && !bytes.Equal(d, data[:n])) {
				t.Fatal("toDER: bad span")
			}
			if again, _, changed2, err := toDER(d); err != nil || changed2 || !bytes.Equal(again, d) {
				t.Fatalf("toDER is not idempotent: %v %v", changed2, err)
			}
		}
		sd, err := Parse(data)
		if err == nil {
			exercise(sd)
		}
		ParseTimestamp(data, nil)
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add(build(f, testKeys(f)["p256"], crypto.SHA256, false, []byte("fuzz")))
	if _, err := exec.LookPath("openssl"); err == nil {
		tok := openSSLToken(f, []byte("fuzz"), "sha256")
		f.Add(tok)
		f.Add(toIndefinite(tok, 5))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ts, err := ParseTimestamp(data, nil); err == nil {
			ts.Covers(data)
			exercise(ts.SignedData)
		}
		if info, err := parseTSTInfo(data); err == nil && info.Serial == nil {
			t.Fatal("no serial")
		}
	})
}
