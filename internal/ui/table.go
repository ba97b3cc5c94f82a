package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// Table prints rows under headers: a bordered lipgloss table on a terminal, TSV (header line
// first, tabs and newlines inside cells replaced by spaces) when stdout is not a terminal.
func (u *UI) Table(headers []string, rows [][]string) {
	if !u.OutTTY {
		var b strings.Builder
		writeTSV(&b, headers)
		for _, r := range rows {
			writeTSV(&b, r)
		}
		u.Printf("%s", b.String())
		return
	}
	head := u.outStyle.NewStyle().Bold(true).Padding(0, 1)
	cell := u.outStyle.NewStyle().Padding(0, 1)
	t := table.New().
		Border(lipgloss.RoundedBorder()).
		BorderStyle(u.outStyle.NewStyle().Faint(true)).
		Headers(headers...).
		Rows(safeRows(rows)...).
		StyleFunc(func(row, col int) lipgloss.Style {
			if row == table.HeaderRow {
				return head
			}
			return cell
		})
	u.Printf("%s\n", t.Render())
}

// writeTSV writes one row: a cell's tabs, newlines and other controls are escaped (Safe), so
// a row is always one line of len(cells) fields.
func writeTSV(b *strings.Builder, cells []string) {
	for i, c := range cells {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(Safe(c))
	}
	b.WriteByte('\n')
}

// Row prints one row of results as TSV (when stdout is not a terminal, and in human mode as
// the same line), every cell made safe.
func (u *UI) Row(cells ...string) {
	var b strings.Builder
	writeTSV(&b, cells)
	u.Printf("%s", b.String())
}

func safeRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = Safe(c)
		}
	}
	return out
}

// Fields prints label/value pairs: aligned on a terminal, TSV otherwise.
func (u *UI) Fields(pairs [][2]string) {
	if !u.OutTTY {
		var b strings.Builder
		for _, p := range pairs {
			writeTSV(&b, p[:])
		}
		u.Printf("%s", b.String())
		return
	}
	width := 0
	for _, p := range pairs {
		width = max(width, lipgloss.Width(p[0]))
	}
	label := u.outStyle.NewStyle().Bold(true).Width(width + 2)
	var b strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&b, "%s%s\n", label.Render(p[0]), Safe(p[1]))
	}
	u.Printf("%s", b.String())
}
