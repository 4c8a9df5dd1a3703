package term

import (
	"io"
	"strings"
)

// MorePrompt is the pager prompt, printed at the start of a line.
const MorePrompt = " --More-- "

// Page writes text to the terminal, stopping after every screenful of
// length-1 lines at the ` --More-- ` prompt: Space shows the next page,
// Enter the next line, and q (or Ctrl-C) stops the output. length 0
// disables paging. "\n" is written as "\r\n".
func (e *Editor) Page(text string, length int) error {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if length <= 1 || len(lines) < length {
		_, err := io.WriteString(&e.out, text)
		return err
	}
	budget := length - 1
	for i := 0; i < len(lines); {
		if budget == 0 {
			if _, err := io.WriteString(e.w, MorePrompt); err != nil {
				return err
			}
			key, err := e.r.ReadByte()
			for err == nil && key == '\n' && e.lastCR {
				e.lastCR = false
				key, err = e.r.ReadByte()
			}
			if err != nil {
				return err
			}
			e.lastCR = false
			if _, err := io.WriteString(e.w, "\r"+strings.Repeat(" ", len(MorePrompt))+"\r"); err != nil {
				return err
			}
			switch key {
			case ' ':
				budget = length - 1
			case '\r', '\n':
				budget = 1
				e.lastCR = key == '\r'
			default:
				return nil
			}
		}
		if _, err := io.WriteString(&e.out, lines[i]); err != nil {
			return err
		}
		i++
		budget--
	}
	return nil
}
