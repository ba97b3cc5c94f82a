package sign

import (
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"

	"github.com/vbdt/vbdt/internal/batch"
)

// serialSigner gives a key to one goroutine, locked to one OS thread, that makes every
// signature of a batch: the workers hand it digests and go on preparing. A token session is
// used by one thread only, and the token's code and key stay warm in one core's caches.
type serialSigner struct {
	crypto.Signer
	reqs chan signReq
}

type signReq struct {
	digest []byte
	opts   crypto.SignerOpts
	reply  chan signReply
}

type signReply struct {
	sig []byte
	err error
}

func newSerialSigner(s crypto.Signer) *serialSigner {
	ss := &serialSigner{Signer: s, reqs: make(chan signReq)}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for r := range ss.reqs {
			sig, err := s.Sign(rand.Reader, r.digest, r.opts) // RSA-PSS salts need randomness
			if err != nil {
				err = batch.Fatal(fmt.Errorf("the key cannot sign: %w", err)) // every document would fail the same way
			}
			r.reply <- signReply{sig, err}
		}
	}()
	return ss
}

// Sign hands the digest to the signing goroutine and waits for its signature.
func (ss *serialSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	reply := make(chan signReply, 1)
	ss.reqs <- signReq{digest, opts, reply}
	r := <-reply
	return r.sig, r.err
}

// stop ends the signing goroutine.
func (ss *serialSigner) stop() { close(ss.reqs) }
