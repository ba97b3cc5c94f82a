package ui

import "time"

// The messages of --json: every line vbdt writes in JSON mode is one of these structs, the same
// shape for a message type whatever the command; docs/json.md shows each with an example.
// Keys are snake_case and are only ever added, never renamed.

// Item is one result: a document signed, a number issued, a register entry listed, a finding,
// a key. Input and Output name the files of batch commands; Result holds the command's own
// result for the item (documented per command in docs/json.md).
type Item struct {
	MessageType string `json:"message_type"` // "item"
	// Status is what became of the item: the command's verb when it was done (signed,
	// numbered, issued, listed, …), skipped, or failed.
	Status string `json:"status"`
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	Reason string `json:"reason,omitempty"` // why it was skipped
	Error  string `json:"error,omitempty"`  // why it failed
	Bytes  int64  `json:"bytes,omitempty"`  // size of the output written
	Result any    `json:"result,omitempty"`
}

// Status reports progress of long work, every few seconds.
type Status struct {
	MessageType    string  `json:"message_type"` // "status"
	Task           string  `json:"task"`
	ItemsDone      int     `json:"items_done"`
	ItemsTotal     int     `json:"items_total"`
	PercentDone    float64 `json:"percent_done"`
	SecondsElapsed float64 `json:"seconds_elapsed"`
}

// Summary ends a command's output: how many items there were and what became of them. Result
// holds the command's own totals, if any.
type Summary struct {
	MessageType    string  `json:"message_type"` // "summary"
	Command        string  `json:"command"`
	Total          int     `json:"total"`
	Done           int     `json:"done"`
	Skipped        int     `json:"skipped"`
	Failed         int     `json:"failed"`
	SecondsElapsed float64 `json:"seconds_elapsed"`
	Result         any     `json:"result,omitempty"`
}

// ErrorMessage is the error a command ends with, on stderr.
type ErrorMessage struct {
	MessageType string   `json:"message_type"` // "error"
	Message     string   `json:"message"`
	ExitCode    int      `json:"exit_code"`
	Hints       []string `json:"hints,omitempty"`
}

// Warning is a problem that did not stop the command, on stderr.
type Warning struct {
	MessageType string `json:"message_type"` // "warning"
	Message     string `json:"message"`
}

// EmitItem writes an item line to stdout.
func (u *UI) EmitItem(it Item) {
	it.MessageType = "item"
	u.emit(u.Out, it)
}

// EmitSummary writes the summary line to stdout.
func (u *UI) EmitSummary(s Summary) {
	s.MessageType = "summary"
	u.emit(u.Out, s)
}

// Seconds is a duration in seconds to the millisecond, as messages give it.
func Seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
