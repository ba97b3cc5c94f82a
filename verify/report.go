package verify

import (
	"time"

	"github.com/vbdt/vbdt/internal/nd30"
	"github.com/vbdt/vbdt/internal/pdf"
)

// Indication is the ETSI EN 319 102-1 §5.1.3 main status of a validation.
type Indication string

const (
	TotalPassed   Indication = "TOTAL_PASSED"
	TotalFailed   Indication = "TOTAL_FAILED"
	Indeterminate Indication = "INDETERMINATE"
)

// rank orders indications from best to worst.
func (i Indication) rank() int {
	switch i {
	case TotalPassed:
		return 0
	case Indeterminate:
		return 1
	}
	return 2
}

// SubIndication is the ETSI EN 319 102-1 §5.1.3 reason for a failed or indeterminate result.
type SubIndication string

const (
	FormatFailure           SubIndication = "FORMAT_FAILURE"
	HashFailure             SubIndication = "HASH_FAILURE"
	SigCryptoFailure        SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked                 SubIndication = "REVOKED"
	Expired                 SubIndication = "EXPIRED"
	NotYetValid             SubIndication = "NOT_YET_VALID"
	SigConstraintsFailure   SubIndication = "SIG_CONSTRAINTS_FAILURE"
	ChainConstraintsFailure SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
	CryptoConstraintsNoPOE  SubIndication = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
	NoCertificateChainFound SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	RevokedNoPOE            SubIndication = "REVOKED_NO_POE"
	OutOfBoundsNoPOE        SubIndication = "OUT_OF_BOUNDS_NO_POE"
	TryLater                SubIndication = "TRY_LATER"
	// NoSigningCertificateFound: the certificate that signed cannot be found (a document
	// timestamp made without its TSA's certificate): INDETERMINATE.
	NoSigningCertificateFound SubIndication = "NO_SIGNING_CERTIFICATE_FOUND"
	// NoSignatureFound is vbdt's: a document without any signature is not a signed document.
	NoSignatureFound SubIndication = "NO_SIGNATURE_FOUND"
)

// Severity says how much a finding weighs.
type Severity string

const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Failure Severity = "failure"
)

// Finding is one observation of the verifier, with a stable code for scripts.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Text     string   `json:"text"`
}

// Report is the verdict on one document.
type Report struct {
	File       string     `json:"file"`
	Size       int64      `json:"size"`
	Revisions  int        `json:"revisions"`
	Pages      int        `json:"pages"`
	Profile    string     `json:"profile,omitempty"`
	Indication Indication `json:"indication"`
	// SubIndication and Reason are those of the signature that decided the verdict, or of
	// the document (no signature, a failed profile).
	SubIndication SubIndication `json:"sub_indication,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Signatures    []Signature   `json:"signatures"`
	// Findings are about the document as a whole: the Decree 30 profile, repairs.
	Findings    []Finding `json:"findings,omitempty"`
	ValidatedAt time.Time `json:"validated_at"`
	Online      bool      `json:"online"`
}

// Signature is the verdict on one signature or document timestamp.
type Signature struct {
	Field string `json:"field"`
	// Kind is "signature" or "document timestamp".
	Kind      string    `json:"kind"`
	SubFilter string    `json:"sub_filter"`
	Role      nd30.Role `json:"role,omitempty"` // as Decree 30 sees it, when it can tell
	// Revision is the 1-based revision whose end the signature signed; SignedSize that end.
	Revision        int            `json:"revision"`
	SignedSize      int64          `json:"signed_size"`
	CoversWholeFile bool           `json:"covers_whole_file"`
	Level           string         `json:"level"` // B-B, B-T, B-LT, B-LTA, or "document timestamp"
	DocMDP          int            `json:"docmdp,omitempty"`
	FieldLock       *pdf.FieldLock `json:"field_lock,omitempty"`
	// Signer is the signing certificate (the TSA's for a document timestamp).
	Signer *CertInfo `json:"signer,omitempty"`
	// Claimed is what the signature dictionary says; none of it is proven.
	Claimed Claimed `json:"claimed"`
	// Time is the time the signature is validated at, and TimeSource where it comes from:
	// "signature timestamp", "document timestamp", "claimed signing time (unproven)" or
	// "validation time".
	Time          time.Time      `json:"time,omitzero"`
	TimeSource    string         `json:"time_source"`
	Timestamp     *TimestampInfo `json:"timestamp,omitempty"`
	Integrity     Result         `json:"integrity"`
	Trust         Trust          `json:"trust"`
	Revocation    Revocation     `json:"revocation"`
	Changes       Changes        `json:"changes"`
	Indication    Indication     `json:"indication"`
	SubIndication SubIndication  `json:"sub_indication,omitempty"`
	Reason        string         `json:"reason,omitempty"`
	Findings      []Finding      `json:"findings,omitempty"`

	// ltvMaterial: the document's DSS holds revocation data speaking for the signing time (or
	// none is needed): what B-LT asks
	ltvMaterial bool
}

// Claimed is what a signature dictionary says about itself.
type Claimed struct {
	Name        string    `json:"name,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Location    string    `json:"location,omitempty"`
	ContactInfo string    `json:"contact_info,omitempty"`
	Time        time.Time `json:"time,omitzero"`
}

// CertInfo summarizes a certificate.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
	Key       string    `json:"key"` // RSA-2048, ECDSA-P256
	// UID is the national identifier Vietnamese certificates carry (CCCD:…, MST:…).
	UID string `json:"uid,omitempty"`
}

// TimestampInfo is a signature timestamp (or a document timestamp's token).
type TimestampInfo struct {
	Time    time.Time `json:"time"`
	TSA     *CertInfo `json:"tsa,omitempty"`
	Trusted bool      `json:"trusted"`
	Problem string    `json:"problem,omitempty"`
}

// Result is the outcome of one check.
type Result struct {
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// Trust says where the signer's certificate chains to.
type Trust struct {
	Result
	Chain []string `json:"chain,omitempty"` // subjects, signer first, root last
	Root  string   `json:"root,omitempty"`
	// National names the pinned Vietnamese national root the chain reaches, if any.
	National string `json:"national_root,omitempty"`
	// Anchor says where the trusted root came from: "pinned", "configured", "system".
	Anchor string `json:"anchor,omitempty"`
}

// Revocation says whether the certificates of the chain were revoked at the signature's time.
type Revocation struct {
	// Status is "good", "revoked", "unknown" or "not required" (no certificate of the chain
	// names a revocation service).
	Status  string    `json:"status"`
	Source  string    `json:"source,omitempty"` // "DSS OCSP", "CMS CRL", "online OCSP", …
	Revoked time.Time `json:"revoked_at,omitzero"`
	Problem string    `json:"problem,omitempty"`
}

// Changes says what changed in the document after the signature and whether it permits that.
type Changes struct {
	Worst   Modification `json:"worst"`
	Allowed bool         `json:"allowed"`
	Items   []string     `json:"items,omitempty"`
}
