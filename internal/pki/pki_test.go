package pki_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/vbdt/vbdt/internal/pki"
	"github.com/vbdt/vbdt/internal/testpki"
)

func TestFormatNameVietnamese(t *testing.T) {
	set, err := testpki.Generate(testpki.ECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := set.Get(testpki.Approver).Cert
	got := pki.FormatName(c.RawSubject)
	for _, want := range []string{"CN=Nguyễn Văn Ấn (TEST)", "UID=CCCD:001085012345", "ST=Hà Nội", "C=VN"} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatName = %q, missing %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "C=VN") {
		t.Errorf("most specific first: %q", got)
	}
	if s := pki.Summarize(c); s.UserID != "CCCD:001085012345" || s.KeyType != "ECDSA P-256" ||
		strings.Join(s.KeyUsage, ",") != "digitalSignature,nonRepudiation" {
		t.Errorf("summary %+v", s)
	}
	if got := pki.FormatName([]byte{0x30, 0x03, 0x31}); !strings.Contains(got, "unparseable") {
		t.Errorf("bad DER: %q", got)
	}
}

func TestTSACertificateHasCriticalEKU(t *testing.T) {
	set, err := testpki.Generate(testpki.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := set.Get(testpki.TSA).Cert
	for _, e := range c.Extensions {
		if e.Id.String() == "2.5.29.37" && !e.Critical {
			t.Fatal("TSA EKU must be critical (RFC 3161)")
		}
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Fatalf("EKU %v", c.ExtKeyUsage)
	}
}

func TestTrace(t *testing.T) {
	set, err := testpki.Generate(testpki.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, err := testpki.Generate(testpki.RSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	chain := set.Chain(testpki.Organization)
	root := set.Get(testpki.Root).Cert
	pinned := []pki.PinnedRoot{{Name: "test pinned root", SHA256: pki.Fingerprint(root)}}

	r := pki.Trace(chain, nil, pki.VietnamRoots())
	if r.Problem != "" || r.Root == nil || !r.Root.Equal(root) || r.Pinned != nil || r.Anchor {
		t.Errorf("unpinned root: %+v", r)
	}
	r = pki.Trace(chain, nil, pinned)
	if r.Pinned == nil || r.Pinned.Name != "test pinned root" {
		t.Errorf("pinned root not recognized: %+v", r)
	}
	r = pki.Trace(chain[:2], []*x509.Certificate{root}, nil)
	if !r.Anchor || r.Problem != "" {
		t.Errorf("anchor not recognized: %+v", r)
	}
	// A chain whose intermediate is from another PKI does not verify.
	r = pki.Trace([]*x509.Certificate{chain[0], other.Get(testpki.Intermediate).Cert, other.Get(testpki.Root).Cert}, nil, pinned)
	if r.Problem == "" || r.Root != nil {
		t.Errorf("forged chain accepted: %+v", r)
	}
}

func TestOrderChain(t *testing.T) {
	set, err := testpki.Generate(testpki.ECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, inter, root := set.Get(testpki.Approver).Cert, set.Get(testpki.Intermediate).Cert, set.Get(testpki.Root).Cert
	other := set.Get(testpki.TSA).Cert
	got := pki.OrderChain(leaf, []*x509.Certificate{root, other, leaf, inter})
	if len(got) != 3 || !got[1].Equal(inter) || !got[2].Equal(root) {
		t.Fatalf("chain of %d", len(got))
	}
	if got := pki.OrderChain(leaf, nil); len(got) != 1 {
		t.Fatalf("lone leaf: %d", len(got))
	}
}

func TestVietnamRootsWellFormed(t *testing.T) {
	for _, r := range pki.VietnamRoots() {
		if len(r.SHA256) != 64 || strings.ToUpper(r.SHA256) != r.SHA256 {
			t.Errorf("%s: fingerprint %q", r.Name, r.SHA256)
		}
	}
}

func FuzzFormatName(f *testing.F) {
	set, _ := testpki.Generate(testpki.ECDSA, time.Now())
	f.Add(set.Get(testpki.Approver).Cert.RawSubject)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		if s := pki.FormatName(der); s == "" && len(der) > 2 {
			// an empty RDN sequence is the only name that formats to ""
			if der[0] != 0x30 {
				t.Fatalf("%x formatted to nothing", der)
			}
		}
	})
}
