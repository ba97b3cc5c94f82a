// Package asynchash computes a SHA-256 on another goroutine: a writer that must record the
// fixity of what it writes (a converted document, an envelope's attachments) pays a copy, not
// a hash, and both cores work.
package asynchash

import (
	"crypto/sha256"
	"hash"
)

// Hash is a SHA-256 fed by Write and computed on its own goroutine; Sum ends it.
type Hash struct {
	chunks, free chan []byte
	sum          chan []byte
	n            int64
}

// chunk is the size of the copies handed to the hashing goroutine; chunks of them circulate,
// so hashing allocates nothing after its start.
const (
	chunk  = 128 << 10
	chunks = 8
)

// New starts a hash.
func New() *Hash { return start(sha256.New()) }

func start(h hash.Hash) *Hash {
	a := &Hash{chunks: make(chan []byte, chunks), free: make(chan []byte, chunks), sum: make(chan []byte, 1)}
	for range chunks {
		a.free <- make([]byte, 0, chunk)
	}
	go func() {
		for c := range a.chunks {
			h.Write(c)
			a.free <- c[:0]
		}
		a.sum <- h.Sum(nil)
	}()
	return a
}

// Write hands a copy of p to the hashing goroutine; it never fails.
func (a *Hash) Write(p []byte) (int, error) {
	n := len(p)
	a.n += int64(n)
	for len(p) > 0 {
		c := <-a.free
		k := min(len(p), chunk)
		a.chunks <- append(c, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Size is how many bytes were written.
func (a *Hash) Size() int64 { return a.n }

// Sum ends the stream and returns its hash; the Hash takes no more writes.
func (a *Hash) Sum() []byte {
	close(a.chunks)
	return <-a.sum
}
