package ui

// Exit codes of vbdt: one constant each, shared by every command. docs/exit-codes.md and
// `vbdt help exit-codes` are generated from ExitCodes, so they cannot drift from the code.
const (
	ExitOK           = 0   // success: every item done
	ExitFailure      = 1   // failure
	ExitPartial      = 3   // partial batch: some items failed, the rest were written
	ExitVerifyFail   = 10  // verification negative: a signature is invalid, untrusted, or the document changed illegally
	ExitKey          = 11  // key unavailable: module, slot, login or PIN failure; or a PIN is needed and there is no terminal
	ExitRegister     = 12  // register conflict or locked
	ExitNotPermitted = 13  // refused: the document's signatures (DocMDP) or Decree 30's order of steps do not permit the change
	ExitUsage        = 64  // usage error: bad flags, arguments or configuration
	ExitInterrupted  = 130 // interrupted
)

// ExitCode documents one exit code.
type ExitCode struct {
	Code    int
	Meaning string
}

// ExitCodes is the documented table, in ascending order.
var ExitCodes = []ExitCode{
	{ExitOK, "success: every item done"},
	{ExitFailure, "failure"},
	{ExitPartial, "partial batch: some items failed, the rest were written"},
	{ExitVerifyFail, "verification negative: a signature is invalid, untrusted, or the document changed illegally"},
	{ExitKey, "key unavailable: module, slot, login or PIN failure; or a PIN is needed and there is no terminal"},
	{ExitRegister, "register conflict or locked"},
	{ExitNotPermitted, "refused: the document's signatures (DocMDP) or Decree 30's order of steps do not permit the change"},
	{ExitUsage, "usage error: bad flags, arguments or configuration"},
	{ExitInterrupted, "interrupted"},
}

// ExitMeaning returns the documented meaning of code, or "" if code is not documented.
func ExitMeaning(code int) string {
	for _, c := range ExitCodes {
		if c.Code == code {
			return c.Meaning
		}
	}
	return ""
}
