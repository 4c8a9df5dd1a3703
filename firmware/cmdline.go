package firmware

import (
	"fmt"
	"os"
	"strings"
)

// Cmdline holds the kernel command line's key=value parameters; a bare
// word maps to "". A later duplicate wins, as in the kernel.
type Cmdline map[string]string

// DefaultBoard is the board used when erx.board= is not given.
const DefaultBoard = "qemu"

// KernelCmdline reads and parses /proc/cmdline.
func KernelCmdline() (Cmdline, error) {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	return ParseCmdline(string(b)), nil
}

// ParseCmdline splits a kernel command line into parameters. Double quotes
// group words, as the kernel allows (key="a b").
func ParseCmdline(s string) Cmdline {
	c := Cmdline{}
	var word strings.Builder
	inQuote, have := false, false
	flush := func() {
		if !have {
			return
		}
		k, v, _ := strings.Cut(word.String(), "=")
		c[k] = v
		word.Reset()
		have = false
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			flush()
		default:
			word.WriteRune(r)
			have = true
		}
	}
	flush()
	return c
}

// Board returns erx.board=, or DefaultBoard when it is absent or empty.
func (c Cmdline) Board() string {
	if b := c["erx.board"]; b != "" {
		return b
	}
	return DefaultBoard
}
