// Command vbdt is the toolkit for the electronic official documents of Vietnamese state
// agencies. See `vbdt help` and docs/.
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
