package sign

import "github.com/vbdt/vbdt/internal/evidence"

// TSA is an RFC 3161 time-stamping authority, for B-T signatures: the checked client of
// package evidence (basic authentication, policy, retries). Its Hash makes the message
// imprint (SHA-256 when zero), independently of the signature's.
type TSA = evidence.TSA
