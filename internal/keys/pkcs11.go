//go:build cgo

package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/vbdt/vbdt/internal/pki"
)

// module is a loaded and initialized PKCS#11 library.
type module struct {
	ctx  *pkcs11.Ctx
	path string
}

func loadModule(path string) (*module, error) {
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("cannot load PKCS#11 module %s (missing file, or not a PKCS#11 library for this machine)", path)
	}
	if err := ctx.Initialize(); err != nil && !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ctx.Destroy()
		return nil, fmt.Errorf("initializing PKCS#11 module %s: %w", path, err)
	}
	return &module{ctx: ctx, path: path}, nil
}

func (m *module) close() error {
	err := m.ctx.Finalize()
	m.ctx.Destroy()
	return err
}

func isCKR(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

type slotToken struct {
	slot uint
	info pkcs11.TokenInfo
}

func (m *module) tokens() ([]slotToken, error) {
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("listing slots of %s: %w", m.path, err)
	}
	var out []slotToken
	for _, s := range slots {
		ti, err := m.ctx.GetTokenInfo(s)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		out = append(out, slotToken{s, ti})
	}
	return out, nil
}

func (t slotToken) matches(attrs map[string]string) bool {
	for k, want := range attrs {
		var got string
		switch k {
		case "token":
			got = t.info.Label
		case "manufacturer":
			got = t.info.ManufacturerID
		case "model":
			got = t.info.Model
		case "serial":
			got = t.info.SerialNumber
		case "slot-id":
			got = fmt.Sprint(t.slot)
		default:
			continue
		}
		if strings.TrimSpace(got) != want {
			return false
		}
	}
	return true
}

func (m *module) selectToken(u *URI) (slotToken, error) {
	toks, err := m.tokens()
	if err != nil {
		return slotToken{}, err
	}
	var hits []slotToken
	var labels []string
	for _, t := range toks {
		labels = append(labels, fmt.Sprintf("%q", t.info.Label))
		if t.matches(u.Attrs) {
			hits = append(hits, t)
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case len(toks) == 0:
		return slotToken{}, fmt.Errorf("pkcs11: no initialized token in %s", m.path)
	case len(hits) == 0:
		return slotToken{}, fmt.Errorf("pkcs11: token %q not found in %s (tokens: %s)", u.Attrs["token"], m.path, strings.Join(labels, ", "))
	}
	return slotToken{}, fmt.Errorf("pkcs11: %d tokens match (%s): add token= or serial= to the URI", len(hits), strings.Join(labels, ", "))
}

// login logs the session's user in with pin, exactly once: a rejected PIN is reported with
// what the token says of the tries left and is never retried.
func (m *module) login(sh pkcs11.SessionHandle, t slotToken, pin string) error {
	err := m.ctx.Login(sh, pkcs11.CKU_USER, pin)
	switch {
	case err == nil, isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN):
		return nil
	case isCKR(err, pkcs11.CKR_PIN_INCORRECT):
		left := ""
		if ti, e := m.ctx.GetTokenInfo(t.slot); e == nil {
			left = pinTries(ti.Flags)
		}
		return fmt.Errorf("%w for token %q (not retried)%s", ErrPINIncorrect, t.info.Label, left)
	case isCKR(err, pkcs11.CKR_PIN_LOCKED):
		return fmt.Errorf("pkcs11: the user PIN of token %q is locked: its security officer must unblock it", t.info.Label)
	case isCKR(err, pkcs11.CKR_PIN_LEN_RANGE):
		return fmt.Errorf("%w for token %q: wrong length (not retried)", ErrPINIncorrect, t.info.Label)
	}
	return fmt.Errorf("pkcs11: login to token %q: %w", t.info.Label, err)
}

func pinTries(flags uint) string {
	switch {
	case flags&pkcs11.CKF_USER_PIN_LOCKED != 0:
		return "; the token is now locked"
	case flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0:
		return "; the token reports ONE try left before it locks"
	case flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0:
		return "; the token reports few tries left"
	}
	return "; the token does not report how many tries are left"
}

func (m *module) find(sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := m.ctx.FindObjectsInit(sh, tmpl); err != nil {
		return nil, err
	}
	defer m.ctx.FindObjectsFinal(sh)
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := m.ctx.FindObjects(sh, 64)
		if err != nil {
			return nil, err
		}
		if len(hs) == 0 {
			return all, nil
		}
		all = append(all, hs...)
	}
}

// attr reads one attribute; tokens refuse a whole request if one attribute is sensitive,
// so attributes are read one by one.
func (m *module) attr(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, typ uint) []byte {
	a, err := m.ctx.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil || len(a) != 1 {
		return nil
	}
	return a[0].Value
}

func (m *module) attrBool(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, typ uint) bool {
	v := m.attr(sh, h, typ)
	return len(v) > 0 && v[0] != 0
}

func (m *module) attrUint(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, typ uint) (uint, bool) {
	v := m.attr(sh, h, typ)
	if len(v) == 0 || len(v) > 8 {
		return 0, false
	}
	var n uint
	for i := len(v) - 1; i >= 0; i-- { // native byte order: little-endian on the machines we build for
		n = n<<8 | uint(v[i])
	}
	return n, true
}

// object is a key or certificate found on a token.
type object struct {
	handle pkcs11.ObjectHandle
	label  string
	id     []byte
	pub    crypto.PublicKey // nil when not readable (EC private keys carry no point)
	cert   *x509.Certificate
	curve  elliptic.Curve // EC keys
	kind   uint           // CKK_RSA, CKK_EC
	bits   int
}

func (m *module) objects(sh pkcs11.SessionHandle, class uint, extra ...*pkcs11.Attribute) ([]object, error) {
	hs, err := m.find(sh, append([]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}, extra...))
	if err != nil {
		return nil, err
	}
	out := make([]object, 0, len(hs))
	for _, h := range hs {
		o := object{handle: h, label: string(m.attr(sh, h, pkcs11.CKA_LABEL)), id: m.attr(sh, h, pkcs11.CKA_ID)}
		if class == pkcs11.CKO_CERTIFICATE {
			c, err := x509.ParseCertificate(m.attr(sh, h, pkcs11.CKA_VALUE))
			if err != nil {
				continue // not an X.509 certificate we can use
			}
			o.cert, o.pub = c, c.PublicKey
		} else {
			m.readKey(sh, &o)
		}
		out = append(out, o)
	}
	return out, nil
}

func (m *module) readKey(sh pkcs11.SessionHandle, o *object) {
	kt, _ := m.attrUint(sh, o.handle, pkcs11.CKA_KEY_TYPE)
	o.kind = kt
	switch kt {
	case pkcs11.CKK_RSA:
		mod := m.attr(sh, o.handle, pkcs11.CKA_MODULUS)
		exp := m.attr(sh, o.handle, pkcs11.CKA_PUBLIC_EXPONENT)
		if len(mod) > 0 && len(exp) > 0 {
			n := new(big.Int).SetBytes(mod)
			o.pub = &rsa.PublicKey{N: n, E: int(new(big.Int).SetBytes(exp).Int64())}
			o.bits = n.BitLen()
		}
	case pkcs11.CKK_EC:
		o.curve = curveFromParams(m.attr(sh, o.handle, pkcs11.CKA_EC_PARAMS))
		if o.curve != nil {
			o.bits = o.curve.Params().BitSize
			if pt := m.attr(sh, o.handle, pkcs11.CKA_EC_POINT); len(pt) > 0 {
				o.pub = ecPublic(o.curve, pt)
			}
		}
	}
}

func curveFromParams(der []byte) elliptic.Curve {
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(der, &oid); err != nil {
		return nil
	}
	switch oid.String() {
	case "1.2.840.10045.3.1.7":
		return elliptic.P256()
	case "1.3.132.0.34":
		return elliptic.P384()
	case "1.3.132.0.35":
		return elliptic.P521()
	}
	return nil
}

// ecPublic decodes CKA_EC_POINT: a DER OCTET STRING around the uncompressed point, or (some
// tokens) the bare point.
func ecPublic(curve elliptic.Curve, v []byte) crypto.PublicKey {
	var inner []byte
	if rest, err := asn1.Unmarshal(v, &inner); err == nil && len(rest) == 0 {
		v = inner
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, v)
	if err != nil {
		return nil
	}
	return pub
}

func sameKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && b != nil && e.Equal(b)
}

func keyTemplate(u *URI) []*pkcs11.Attribute {
	var t []*pkcs11.Attribute
	if v, ok := u.Attrs["object"]; ok {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_LABEL, v))
	}
	if v, ok := u.Attrs["id"]; ok {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(v)))
	}
	return t
}

func openPKCS11(u *URI, opts Options) (k *Key, err error) {
	path, err := resolveModule(u, opts)
	if err != nil {
		return nil, err
	}
	m, err := loadModule(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			m.close()
		}
	}()
	t, err := m.selectToken(u)
	if err != nil {
		return nil, err
	}
	sh, err := m.ctx.OpenSession(t.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: opening a session on token %q: %w", t.info.Label, err)
	}
	pin := ""
	if t.info.Flags&pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH == 0 {
		var ok bool
		if pin, ok, err = pinFor(u, opts); err != nil {
			return nil, err
		} else if !ok {
			if pin, err = askPIN(opts, fmt.Sprintf("PIN of token %q", t.info.Label)); err != nil {
				return nil, err
			}
		}
	}
	if err := m.login(sh, t, pin); err != nil {
		return nil, err
	}
	keys, err := m.objects(sh, pkcs11.CKO_PRIVATE_KEY, keyTemplate(u)...)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: searching keys: %w", err)
	}
	switch {
	case len(keys) == 0:
		return nil, fmt.Errorf("pkcs11: no private key matching object=%q id=%x on token %q (see vbdt keys list)", u.Attrs["object"], u.Attrs["id"], t.info.Label)
	case len(keys) > 1:
		return nil, fmt.Errorf("pkcs11: %d private keys match on token %q: add object= or id= to the URI", len(keys), t.info.Label)
	}
	key := keys[0]
	s := &p11Signer{m: m, session: sh, key: key.handle, kind: key.kind,
		alwaysAuth: m.attrBool(sh, key.handle, pkcs11.CKA_ALWAYS_AUTHENTICATE)}
	if s.alwaysAuth {
		s.pin = pin
	}
	certs, err := m.objects(sh, pkcs11.CKO_CERTIFICATE)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: reading certificates: %w", err)
	}
	var pool []*x509.Certificate
	if side := u.Query["cert"]; side != "" {
		if pool, err = ReadCertificates(side); err != nil {
			return nil, err
		}
	}
	for _, c := range certs {
		pool = append(pool, c.cert)
	}
	if s.pub, err = m.publicKey(sh, key, certs, pool); err != nil {
		return nil, err
	}
	chain, err := matchChain(s, pool)
	if err != nil {
		return nil, err
	}
	if key.pub == nil {
		// The private key object shows no public part (EC): prove the match with a signature.
		if err := checkBySigning(s); err != nil {
			return nil, err
		}
	}
	return &Key{Signer: s, Chain: chain, close: m.close}, nil
}

// publicKey finds the key's public half: from the private key object (RSA), from the public
// key object with the same CKA_ID, or from the certificate with that ID.
func (m *module) publicKey(sh pkcs11.SessionHandle, key object, certs []object, pool []*x509.Certificate) (crypto.PublicKey, error) {
	if key.pub != nil {
		return key.pub, nil
	}
	if len(key.id) > 0 {
		pubs, _ := m.objects(sh, pkcs11.CKO_PUBLIC_KEY, pkcs11.NewAttribute(pkcs11.CKA_ID, key.id))
		for _, p := range pubs {
			if p.pub != nil {
				return p.pub, nil
			}
		}
		for _, c := range certs {
			if bytes.Equal(c.id, key.id) {
				return c.pub, nil
			}
		}
	}
	if len(pool) == 1 {
		return pool[0].PublicKey, nil
	}
	return nil, fmt.Errorf("pkcs11: cannot tell which certificate belongs to key %q: give the certificate the key's CKA_ID or add ?cert=chain.pem", key.label)
}

func checkBySigning(s crypto.Signer) error {
	digest := make([]byte, 32)
	rand.Read(digest)
	sig, err := s.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("pkcs11: test signature: %w", err)
	}
	if pub, ok := s.Public().(*ecdsa.PublicKey); ok && !ecdsa.VerifyASN1(pub, digest, sig) {
		return fmt.Errorf("pkcs11: the key does not match its certificate")
	}
	return nil
}

// p11Signer is a crypto.Signer over one logged-in session. The session serializes calls:
// PKCS#11 sessions are not safe for concurrent use.
type p11Signer struct {
	mu         sync.Mutex
	m          *module
	session    pkcs11.SessionHandle
	key        pkcs11.ObjectHandle
	kind       uint
	pub        crypto.PublicKey
	alwaysAuth bool   // CKA_ALWAYS_AUTHENTICATE: log in again (CKU_CONTEXT_SPECIFIC) after each SignInit
	pin        string // kept only for alwaysAuth keys
}

func (s *p11Signer) Public() crypto.PublicKey { return s.pub }

// Sign signs a digest: RSA PKCS#1 v1.5, RSA-PSS (opts *rsa.PSSOptions) or ECDSA (DER result).
func (s *p11Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, input, err := s.mechanism(digest, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.m.ctx.SignInit(s.session, []*pkcs11.Mechanism{mech}, s.key); err != nil {
		return nil, fmt.Errorf("pkcs11: sign init: %w", err)
	}
	if s.alwaysAuth {
		if err := s.m.ctx.Login(s.session, pkcs11.CKU_CONTEXT_SPECIFIC, s.pin); err != nil {
			s.m.ctx.Sign(s.session, nil) // end the operation
			return nil, unavailable(fmt.Errorf("pkcs11: per-signature login (CKA_ALWAYS_AUTHENTICATE): %w", err))
		}
	}
	sig, err := s.m.ctx.Sign(s.session, input)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: sign: %w", err)
	}
	if s.kind == pkcs11.CKK_EC {
		return ecdsaDER(sig)
	}
	return sig, nil
}

var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

var pssHash = map[crypto.Hash][2]uint{
	crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
}

func (s *p11Signer) mechanism(digest []byte, opts crypto.SignerOpts) (*pkcs11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, nil, fmt.Errorf("pkcs11: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	switch s.kind {
	case pkcs11.CKK_EC:
		return pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil), digest, nil
	case pkcs11.CKK_RSA:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			p, ok := pssHash[h]
			if !ok {
				return nil, nil, fmt.Errorf("pkcs11: RSA-PSS with %v is not supported", h)
			}
			salt := pss.SaltLength
			if salt == rsa.PSSSaltLengthAuto || salt == rsa.PSSSaltLengthEqualsHash {
				salt = h.Size()
			}
			return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(p[0], p[1], uint(salt))), digest, nil
		}
		prefix, ok := digestInfoPrefix[h]
		if !ok {
			return nil, nil, fmt.Errorf("pkcs11: RSA PKCS#1 v1.5 with %v is not supported", h)
		}
		return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), append(bytes.Clone(prefix), digest...), nil
	}
	return nil, nil, fmt.Errorf("pkcs11: key type %d cannot sign here (RSA and EC only)", s.kind)
}

// ecdsaDER turns PKCS#11's raw r‖s into the DER SEQUENCE that X.509 and CMS use.
func ecdsaDER(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 {
		return nil, fmt.Errorf("pkcs11: ECDSA signature of odd length %d", len(raw))
	}
	r := new(big.Int).SetBytes(raw[:len(raw)/2])
	sv := new(big.Int).SetBytes(raw[len(raw)/2:])
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(sv)
	})
	return b.Bytes()
}

// listTokens lists the tokens of one module with their keys and certificates. With login,
// private keys are listed too (the PIN comes as for Open).
func listTokens(path string, opts Options, login bool) ([]Token, error) {
	m, err := loadModule(path)
	if err != nil {
		return nil, err
	}
	defer m.close()
	toks, err := m.tokens()
	if err != nil {
		return nil, err
	}
	var out []Token
	for _, t := range toks {
		tok, err := m.listToken(t, opts, login)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
}

func (m *module) listToken(t slotToken, opts Options, login bool) (Token, error) {
	tok := Token{Module: m.path, SlotID: t.slot, Label: t.info.Label, Manufacturer: t.info.ManufacturerID,
		Model: t.info.Model, Serial: t.info.SerialNumber, PINStatus: strings.TrimPrefix(pinTries(t.info.Flags), "; ")}
	if t.info.Flags&(pkcs11.CKF_USER_PIN_COUNT_LOW|pkcs11.CKF_USER_PIN_FINAL_TRY|pkcs11.CKF_USER_PIN_LOCKED) == 0 {
		tok.PINStatus = "ok"
	}
	sh, err := m.ctx.OpenSession(t.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return tok, fmt.Errorf("pkcs11: opening a session on token %q: %w", t.info.Label, err)
	}
	defer m.ctx.CloseSession(sh)
	if login {
		u := &URI{Scheme: "pkcs11", Attrs: map[string]string{}, Query: map[string]string{}}
		pin, ok, err := pinFor(u, opts)
		if err != nil {
			return tok, err
		}
		if !ok {
			if pin, err = askPIN(opts, fmt.Sprintf("PIN of token %q", t.info.Label)); err != nil {
				return tok, err
			}
		}
		if err := m.login(sh, t, pin); err != nil {
			return tok, err
		}
		tok.LoggedIn = true
		defer m.ctx.Logout(sh)
	}
	byID := map[string]*TokenKey{}
	var order []string
	entry := func(o object) *TokenKey {
		id := hex.EncodeToString(o.id)
		if id == "" {
			id = "label:" + o.label
		}
		e, ok := byID[id]
		if !ok {
			e = &TokenKey{ID: hex.EncodeToString(o.id), Label: o.label}
			byID[id] = e
			order = append(order, id)
		}
		return e
	}
	pubs := map[*TokenKey]crypto.PublicKey{}
	certs := map[*TokenKey]*x509.Certificate{}
	for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY, pkcs11.CKO_CERTIFICATE} {
		objs, err := m.objects(sh, class)
		if err != nil {
			return tok, fmt.Errorf("pkcs11: listing objects of token %q: %w", t.info.Label, err)
		}
		for _, o := range objs {
			e := entry(o)
			switch class {
			case pkcs11.CKO_PRIVATE_KEY:
				e.PrivateKey = true
			case pkcs11.CKO_CERTIFICATE:
				sum := pki.Summarize(o.cert)
				e.Certificate, certs[e] = &sum, o.cert
				if e.KeyType == "" {
					e.KeyType, e.KeyBits = pki.KeyTypeOf(o.cert.PublicKey)
				}
				continue
			}
			if o.pub != nil && pubs[e] == nil {
				pubs[e] = o.pub
			}
			if o.bits > 0 {
				e.KeyBits = o.bits
				e.KeyType = "RSA"
				if o.curve != nil {
					e.KeyType = "ECDSA " + o.curve.Params().Name
				}
			}
		}
	}
	slices.SortStableFunc(order, func(x, y string) int { // keys first, then by id
		if kx, ky := byID[x].PrivateKey || pubs[byID[x]] != nil, byID[y].PrivateKey || pubs[byID[y]] != nil; kx != ky {
			if kx {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	})
	for _, id := range order {
		e := byID[id]
		switch {
		case e.Certificate == nil:
			e.Match = "no certificate"
		case !e.PrivateKey && pubs[e] == nil && !tok.LoggedIn:
			e.Match = "unknown (log in to see private keys)"
		case !e.PrivateKey && pubs[e] == nil:
			e.Match = "no key"
		case pubs[e] == nil:
			e.Match = "unknown"
		case sameKey(pubs[e], certs[e].PublicKey):
			e.Match = "yes"
		default:
			e.Match = "no"
		}
		if e.PrivateKey || !tok.LoggedIn {
			attrs := map[string]string{"token": tok.Label}
			if e.Label != "" {
				attrs["object"] = e.Label
			}
			if id, err := hex.DecodeString(e.ID); err == nil && len(id) > 0 {
				attrs["id"] = string(id)
			}
			e.URI = (&URI{Scheme: "pkcs11", Attrs: attrs, Query: map[string]string{"module-path": m.path}}).String()
		}
		tok.Keys = append(tok.Keys, *e)
	}
	return tok, nil
}

// PKCS11Supported reports whether this build can open PKCS#11 tokens.
const PKCS11Supported = true
