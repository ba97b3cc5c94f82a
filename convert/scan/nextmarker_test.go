package scan

import (
	"math/rand/v2"
	"testing"
)

func noisyEntropy(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n+2)
	for len(b) < n {
		c := byte(r.Uint32())
		b = append(b, c)
		if c == 0xFF {
			b = append(b, 0)
		}
	}
	return append(b, 0xFF, 0xD9)
}

// BenchmarkNextMarker: the scan of a JPEG's entropy-coded data for its end, in memory (1 MB
// of noise with stuffed 0xFF bytes).
func BenchmarkNextMarker(b *testing.B) {
	data := noisyEntropy(1<<20, 3)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if nextMarker(data) != len(data)-2 {
			b.Fatal("wrong")
		}
	}
}
