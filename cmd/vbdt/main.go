// Command vbdt is the toolkit for the electronic official documents of Vietnamese state
// agencies. See `vbdt help` and docs/.

// Certificates of older PKIs have negative serial numbers, which Go refuses by default: a
// verifier must still read the documents they signed.
//
//go:debug x509negativeserial=1
package main

import (
	"os"
	_ "time/tzdata" // Asia/Ho_Chi_Minh must resolve on machines without a zoneinfo database

	"github.com/vbdt/vbdt/internal/cli"
)

// Stamped by the release build (-ldflags "-X main.version=…").
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	os.Exit(cli.Main(cli.BuildInfo{Version: version, Commit: commit, Date: date}))
}
