package table

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Placeholder is the cell value JunosE prints for "nothing here"; it is
// centred in its column.
const Placeholder = "---"

// Render writes header, dashes and rows to w, each line ending in "\n".
// Rows shorter than the header are padded with empty cells; extra cells
// are ignored.
func Render(w io.Writer, header []string, rows [][]string) error {
	_, err := io.WriteString(w, String(header, rows))
	return err
}

// String returns the rendered table.
func String(header []string, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i := 0; i < len(header) && i < len(r); i++ {
			width[i] = max(width[i], utf8.RuneCountInString(r[i]))
		}
	}
	var b strings.Builder
	line := func(cells []string, cell func(i int, s string) string) {
		for i := range header {
			if i > 0 {
				b.WriteByte(' ')
			}
			s := ""
			if i < len(cells) {
				s = cells[i]
			}
			b.WriteString(cell(i, s))
		}
		b.WriteByte('\n')
	}
	line(header, func(i int, s string) string { return centre(s, width[i]) })
	line(header, func(i int, _ string) string { return strings.Repeat("-", width[i]) })
	for _, r := range rows {
		line(r, func(i int, s string) string {
			if s == Placeholder {
				return centre(s, width[i])
			}
			return s + strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
		})
	}
	return b.String()
}

// centre pads s to width with floor(slack/2) spaces on the left.
func centre(s string, width int) string {
	slack := width - utf8.RuneCountInString(s)
	left := slack / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", slack-left)
}
