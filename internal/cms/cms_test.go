package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// testKey is a key with a self-signed certificate.
type testKey struct {
	key  crypto.Signer
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     map[string]testKey
)

// testKeys makes the test keys once: "rsa" (2048), "p256", "p384" and "rsa-other".
func testKeys(t testing.TB) map[string]testKey {
	keysOnce.Do(func() {
		keys = map[string]testKey{}
		mk := func(name string, k crypto.Signer) {
			keys[name] = testKey{k, selfSigned(t, k, name)}
		}
		r, _ := rsa.GenerateKey(rand.Reader, 2048)
		mk("rsa", r)
		r2, _ := rsa.GenerateKey(rand.Reader, 2048)
		mk("rsa-other", r2)
		p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		mk("p256", p256)
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		mk("p384", p384)
	})
	return keys
}

func selfSigned(t testing.TB, k crypto.Signer, cn string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		SubjectKeyId: []byte(cn + "-ski"),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func digestOf(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

func build(t testing.TB, k testKey, h crypto.Hash, pss bool, content []byte) []byte {
	t.Helper()
	der, err := Build(Request{Signer: k.key, Chain: []*x509.Certificate{k.cert}, Hash: h, PSS: pss, Digest: digestOf(h, content)})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// parseOne parses der, wants exactly the finding codes want, and returns the first signer with
// its certificate.
func parseOne(t *testing.T, der []byte, want ...string) (*SignedData, *SignerInfo, *x509.Certificate) {
	t.Helper()
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	got := codes(sd.Findings)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v (%v)", got, want, sd.Findings)
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si, nil)
	if cert == nil {
		t.Fatal("no signer certificate")
	}
	return sd, si, cert
}

func TestRoundTrip(t *testing.T) {
	keys := testKeys(t)
	content := []byte("Công văn số 123/UBND")
	for _, tc := range []struct {
		key string
		pss bool
	}{{"rsa", false}, {"rsa", true}, {"p256", false}, {"p384", false}} {
		for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
			name := tc.key + "/" + h.String()
			if tc.pss {
				name += "/pss"
			}
			t.Run(name, func(t *testing.T) {
				k := keys[tc.key]
				der := build(t, k, h, tc.pss, content)
				sd, si, cert := parseOne(t, der)
				if !cert.Equal(k.cert) || sd.Content != nil || !sd.ContentType.Equal(OIDData) || len(sd.Signers) != 1 {
					t.Fatal("unexpected SignedData")
				}
				if got, err := si.Hash(); err != nil || got != h {
					t.Fatalf("Hash = %v, %v", got, err)
				}
				digest := digestOf(h, content)
				if err := si.Verify(cert, digest); err != nil {
					t.Fatal(err)
				}
				if err := si.Verify(cert, digestOf(h, []byte("other"))); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("wrong digest: %v", err)
				}
				bad := *si
				bad.Signature = bytes.Clone(si.Signature)
				bad.Signature[len(bad.Signature)/2] ^= 1
				if err := bad.Verify(cert, digest); !errors.Is(err, ErrSignature) {
					t.Fatalf("flipped signature: %v", err)
				}
				other := keys["rsa-other"].cert
				if tc.key != "rsa" {
					if err := si.Verify(other, digest); !errors.Is(err, ErrKeyType) {
						t.Fatalf("RSA key for ECDSA: %v", err)
					}
				}
				if present, err := si.CheckSigningCertificate(cert); !present || err != nil {
					t.Fatalf("CheckSigningCertificate = %v, %v", present, err)
				}
				if present, err := si.CheckSigningCertificate(other); !present || err == nil {
					t.Fatalf("CheckSigningCertificate(other) = %v, %v", present, err)
				}
				if _, ok := si.SigningTime(); ok {
					t.Fatal("a signing time appeared")
				}
			})
		}
	}
}

func TestBuildErrors(t *testing.T) {
	k := testKeys(t)["p256"]
	_, err := Build(Request{Signer: k.key, Chain: []*x509.Certificate{k.cert}, Hash: crypto.SHA256, PSS: true, Digest: make([]byte, 32)})
	if !errors.Is(err, ErrKeyType) {
		t.Fatalf("PSS with ECDSA: %v", err)
	}
	_, err = Build(Request{Signer: k.key, Chain: []*x509.Certificate{k.cert}, Hash: crypto.SHA1, Digest: make([]byte, 20)})
	if err == nil || errors.Is(err, ErrKeyType) {
		t.Fatalf("SHA-1: %v", err)
	}
}

func TestUnsignedAttribute(t *testing.T) {
	k := testKeys(t)["p256"]
	token := []byte{0x30, 0x03, 0x02, 0x01, 0x07}
	der, err := Build(Request{Signer: k.key, Chain: []*x509.Certificate{k.cert}, Hash: crypto.SHA256, Digest: make([]byte, 32),
		Unsigned: func(sig []byte) ([][]byte, error) { return [][]byte{EncodeAttribute(OIDTimeStampToken, token)}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, si, _ := parseOne(t, der)
	if got := si.TimestampTokens(); len(got) != 1 || !bytes.Equal(got[0], token) {
		t.Fatalf("TimestampTokens = %x", got)
	}
}

// toIndefinite re-encodes the constructed elements of der down to depth levels with indefinite
// lengths, as BER producers do.
func toIndefinite(der []byte, levels int) []byte {
	s := cryptobyte.String(der)
	var out []byte
	for !s.Empty() {
		var elem, body cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1Element(&elem, &tag) {
			panic("bad DER")
		}
		if levels == 0 || tag&0x20 == 0 {
			out = append(out, elem...)
			continue
		}
		e := elem
		e.ReadAnyASN1(&body, &tag)
		out = append(out, byte(tag), 0x80)
		out = append(out, toIndefinite(body, levels-1)...)
		out = append(out, 0, 0)
	}
	return out
}

func TestBER(t *testing.T) {
	k := testKeys(t)["rsa"]
	content := []byte("ber")
	der := build(t, k, crypto.SHA256, false, content)
	ber := toIndefinite(der, 6) // down into the signed attributes
	if bytes.Equal(ber, der) {
		t.Fatal("no change")
	}
	_, dsi, _ := parseOne(t, der)
	_, si, cert := parseOne(t, append(ber, make([]byte, 100)...), "ber")
	if !bytes.Equal(si.RawSignedAttrs, dsi.RawSignedAttrs) {
		t.Fatal("the signed attributes changed")
	}
	if err := si.Verify(cert, digestOf(crypto.SHA256, content)); err != nil {
		t.Fatal(err)
	}
	// a non-minimal length on the outer SEQUENCE, and a constructed OCTET STRING
	if der[1] != 0x82 {
		t.Fatalf("header %x", der[:4])
	}
	long := append([]byte{0x30, 0x84, 0, 0}, der[2:]...)
	parseOne(t, long, "ber")
	got, _, changed, err := toDER([]byte{0x24, 0x80, 0x04, 0x01, 'a', 0x24, 0x03, 0x04, 0x01, 'b', 0x00, 0x00})
	if err != nil || !changed || !bytes.Equal(got, []byte{0x04, 0x02, 'a', 'b'}) {
		t.Fatalf("constructed OCTET STRING: %x %v %v", got, changed, err)
	}
	for _, bad := range [][]byte{
		{0x30, 0x80, 0x02, 0x01, 0x01},       // no end-of-contents
		{0x04, 0x80, 0x00, 0x00},             // indefinite primitive
		{0x30, 0x05, 0x02, 0x01},             // too short
		{0x24, 0x80, 0x02, 0x01, 0, 0, 0},    // an INTEGER in an OCTET STRING
		{0x30, 0x85, 1, 0, 0, 0, 0, 0x02, 0}, // 5 length bytes
	} {
		if _, _, _, err := toDER(bad); err == nil {
			t.Errorf("toDER(%x) succeeded", bad)
		}
	}
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxDepth+2)
	deep = append(deep, make([]byte, 2*(maxDepth+2))...)
	if _, err := Parse(deep); err == nil {
		t.Error("deep nesting accepted")
	}
}

func TestTrailing(t *testing.T) {
	k := testKeys(t)["p256"]
	der := build(t, k, crypto.SHA256, false, nil)
	parseOne(t, append(bytes.Clone(der), make([]byte, 8192)...))
	parseOne(t, append(bytes.Clone(der), 0, 0, 1), "trailing-data")
	if _, err := Parse(make([]byte, MaxInput+1)); err == nil {
		t.Fatal("oversized input accepted")
	}
}

// handSigner describes one SignerInfo of handBuild.
type handSigner struct {
	k        testKey
	ski      bool                  // name the signer by subject key identifier
	sigAlg   asn1.ObjectIdentifier // overrides the signature algorithm (PKCS #1 v1.5 or ECDSA)
	reversed bool                  // the signed attributes in reverse DER order
}

// handBuild builds a SignedData over content (detached, SHA-256) with the given signers and
// extra certificates, by hand.
func handBuild(t testing.TB, content []byte, signers []handSigner, extraCerts ...[]byte) []byte {
	digest := digestOf(crypto.SHA256, content)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(3)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, DigestOID(crypto.SHA256), nil) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(OIDData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, s := range signers {
						b.AddBytes(s.k.cert.Raw)
					}
					for _, c := range extraCerts {
						b.AddBytes(c)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					for _, s := range signers {
						attrs, err := signedAttributes(crypto.SHA256, digest, s.k.cert)
						if err != nil {
							t.Fatal(err)
						}
						if s.reversed {
							parsed, _, _ := parseAttributes(attrs)
							var ab cryptobyte.Builder
							ab.AddASN1(cbasn1.SET, func(ab *cryptobyte.Builder) {
								for i := len(parsed) - 1; i >= 0; i-- {
									ab.AddBytes(EncodeAttribute(parsed[i].Type, parsed[i].Values[0]))
								}
							})
							attrs = ab.BytesOrPanic()
						}
						sig, err := s.k.key.Sign(rand.Reader, digestOf(crypto.SHA256, attrs), crypto.SHA256)
						if err != nil {
							t.Fatal(err)
						}
						alg := s.sigAlg
						if alg == nil {
							alg = rsaSignatureOID(crypto.SHA256)
							if _, ok := s.k.key.(*ecdsa.PrivateKey); ok {
								alg = ecdsaSignatureOID(crypto.SHA256)
							}
						}
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							if s.ski {
								b.AddASN1Int64(3)
								b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(s.k.cert.SubjectKeyId) })
							} else {
								b.AddASN1Int64(1)
								b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddBytes(s.k.cert.RawIssuer)
									b.AddASN1BigInt(s.k.cert.SerialNumber)
								})
							}
							addAlgorithm(b, DigestOID(crypto.SHA256), nil)
							b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddBytes(attrs[2+lenLen(attrs):])
							})
							addAlgorithm(b, alg, nil)
							b.AddASN1OctetString(sig)
						})
					}
				})
			})
		})
	})
	return b.BytesOrPanic()
}

func TestTolerances(t *testing.T) {
	keys := testKeys(t)
	content := []byte("tolerances")
	digest := digestOf(crypto.SHA256, content)
	verifyAll := func(t *testing.T, sd *SignedData) {
		for _, si := range sd.Signers {
			if err := si.Verify(sd.SignerCertificate(si, nil), digest); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("ski", func(t *testing.T) {
		sd, si, cert := parseOne(t, handBuild(t, content, []handSigner{{k: keys["p256"], ski: true}}), "signer-by-ski")
		if !cert.Equal(keys["p256"].cert) || si.IssuerSerial != nil || codes(si.Findings)[0] != "signer-by-ski" {
			t.Fatal("wrong signer")
		}
		verifyAll(t, sd)
	})
	t.Run("several-signers", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["p256"]}, {k: keys["rsa"]}}), "several-signers")
		if len(sd.Signers) != 2 || !sd.SignerCertificate(sd.Signers[1], nil).Equal(keys["rsa"].cert) {
			t.Fatal("wrong signers")
		}
		verifyAll(t, sd)
	})
	t.Run("bad-certificate", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["p384"]}}, []byte{0x30, 0x03, 0x02, 0x01, 0x01}), "bad-certificate")
		if len(sd.Certificates) != 1 {
			t.Fatal("certificates")
		}
		verifyAll(t, sd)
	})
	t.Run("unsorted-attributes", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["p256"], reversed: true}}), "unsorted-attributes")
		verifyAll(t, sd)
	})
	t.Run("sigalg-hash-mismatch", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["rsa"], sigAlg: rsaSignatureOID(crypto.SHA1)}}), "sigalg-hash-mismatch")
		verifyAll(t, sd)
	})
	t.Run("rsaEncryption", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["rsa"], sigAlg: OIDRSAEncryption}}))
		verifyAll(t, sd)
	})
	t.Run("id-ecPublicKey", func(t *testing.T) {
		sd, _, _ := parseOne(t, handBuild(t, content, []handSigner{{k: keys["p384"], sigAlg: OIDECPublicKey}}))
		verifyAll(t, sd)
	})
	t.Run("extra-certificate", func(t *testing.T) {
		der := handBuild(t, content, []handSigner{{k: keys["p256"]}})
		sd, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		sd.Certificates = nil
		si := sd.Signers[0]
		if sd.SignerCertificate(si, nil) != nil || sd.SignerCertificate(si, []*x509.Certificate{keys["rsa"].cert, keys["p256"].cert}) != keys["p256"].cert {
			t.Fatal("extra certificates")
		}
	})
}

func TestDigestOIDs(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512} {
		if got, err := HashOf(DigestOID(h)); err != nil || got != h {
			t.Errorf("%v: %v %v", h, got, err)
		}
	}
	if _, err := HashOf(asn1.ObjectIdentifier{1, 2, 3}); !errors.Is(err, ErrUnsupported) {
		t.Error(err)
	}
}

func TestPSSDefaults(t *testing.T) {
	p, err := parsePSS(nil)
	if err != nil || p.hash != crypto.SHA1 || p.mgfHash != crypto.SHA1 || p.salt != 20 {
		t.Fatal(p, err)
	}
	p, err = parsePSS([]byte{0x30, 0x00})
	if err != nil || p.hash != crypto.SHA1 || p.salt != 20 {
		t.Fatal(p, err)
	}
}

func TestGeneralizedTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"20240102030405Z":     time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"20240102030405.123Z": time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC),
	} {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(in)) })
		s := cryptobyte.String(b.BytesOrPanic())
		got, err := readGeneralizedTime(&s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}
