package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Safe makes text from documents, registers and file names harmless to show: control
// characters (ESC sequences that would drive the terminal, BEL, tabs and newlines that would
// break a TSV row), bidirectional overrides that would reorder what a reader sees (Trojan
// Source), line separators and bytes that are not UTF-8 are written as visible escapes
// (\x1b, \t, \u202e, \xff). Everything else, Vietnamese included, is left as it is.
func Safe(s string) string {
	clean := true
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 { // a byte that is not UTF-8
				clean = false
				break
			}
		} else if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune: C0 and C1 controls, DEL, bidirectional formatting characters, line and
// paragraph separators.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
