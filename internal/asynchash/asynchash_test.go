package asynchash

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// The hash is the SHA-256 of everything written, in order, whatever the sizes of the writes.
func TestHash(t *testing.T) {
	data := make([]byte, 3*chunk*chunks+12345)
	rand.Read(data)
	for _, step := range []int{1, 1000, chunk - 1, chunk, 5 * chunk, len(data)} {
		h := New()
		for p := data; len(p) > 0; {
			k := min(step, len(p))
			h.Write(p[:k])
			p = p[k:]
		}
		want := sha256.Sum256(data)
		if got := h.Sum(); !bytes.Equal(got, want[:]) || h.Size() != int64(len(data)) {
			t.Errorf("writes of %d: %x (%d bytes), want %x", step, got, h.Size(), want)
		}
	}
}
