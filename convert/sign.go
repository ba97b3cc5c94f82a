package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vbdt/vbdt/verify"
)

// Signed is a signature a converted document carries (vbdt convert sign: the organization's
// copy signature, role copy).
type Signed struct {
	Field  string    `json:"field"`
	Signer string    `json:"signer"`
	Time   time.Time `json:"time,omitzero"`
	Level  string    `json:"level"`
}

// RecordSignatures brings the sidecar of the converted document at path up to date after it
// was signed: its size and SHA-256 (the manifest's fixity), and its signatures, each checked
// intact. It reports whether anything changed.
func RecordSignatures(path string) (*Result, bool, error) {
	r, err := ReadSidecar(path)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return nil, false, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum == r.SHA256 && n == r.Bytes {
		return r, false, nil
	}
	checks, err := verify.CheckFile(path)
	if err != nil {
		return nil, false, err
	}
	r.Signatures = nil
	for _, c := range checks {
		if !c.Intact {
			continue
		}
		s := Signed{Field: c.Field, Signer: c.Signer, Level: c.Level}
		if e := c.Evidence(); e != nil {
			s.Time = e.Time // the timestamp's, else the time the signature claims
		}
		r.Signatures = append(r.Signatures, s)
	}
	r.Bytes, r.SHA256 = n, sum
	return r, true, writeSidecar(path, r)
}

// CheckFixity checks that the converted document at path still begins with the bytes its
// sidecar records (their size and SHA-256): later stages only append (a signature, a text
// layer), so anything else means the file was replaced or changed since.
func CheckFixity(path string) error {
	r, err := ReadSidecar(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if n, err := io.Copy(h, io.LimitReader(f, r.Bytes)); err != nil {
		return err
	} else if n != r.Bytes || hex.EncodeToString(h.Sum(nil)) != r.SHA256 {
		return fmt.Errorf("it is not the document its sidecar records (changed or replaced since conversion)")
	}
	return nil
}

// LaterStage says why a converted document must not be made again: it was signed or given a
// text layer after conversion (a new conversion would drop them); "" when it may.
func LaterStage(path string) string {
	r, err := ReadSidecar(path)
	switch {
	case err != nil:
		return ""
	case len(r.Signatures) > 0:
		return "signed after conversion: not converted again (remove it to redo it)"
	case r.OCR != nil:
		return "given a text layer after conversion: not converted again (remove it to redo it)"
	}
	return ""
}
