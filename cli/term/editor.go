package term

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
)

// Errors returned by ReadLine for control keys.
var (
	// ErrInterrupt is Ctrl-C: the line was abandoned.
	ErrInterrupt = errors.New("interrupted")
	// ErrSuspend is Ctrl-Z: leave configuration mode.
	ErrSuspend = errors.New("end of configuration")
)

// DefaultMaxLine is the longest line the editor accepts.
const DefaultMaxLine = 4096

// DefaultHistory is how many lines the history keeps.
const DefaultHistory = 64

// maxEscape bounds how many bytes of an escape sequence are read.
const maxEscape = 32

// Editor reads command lines from a terminal in raw mode.
type Editor struct {
	r *bufio.Reader
	w io.Writer
	// MaxLine is the longest accepted line in bytes; input beyond it is
	// refused with a bell.
	MaxLine int
	// HistorySize bounds the history.
	HistorySize int
	// Help, if set, is called when '?' is typed with the line so far; its
	// text is printed and the prompt and line are redrawn.
	Help func(line string) string
	// Complete, if set, is called on TAB: it returns the new line and the
	// candidates (listed when more than one fits).
	Complete func(line string) (string, []string)

	history []string
	lastCR  bool
	out     crlfWriter
	width   atomic.Int32
}

// SetWidth tells the editor the terminal width in columns so it can
// redraw lines that wrap; 0 (the default) means unknown: lines are
// redrawn as if they never wrap. Safe to call from another goroutine
// (window-change events).
func (e *Editor) SetWidth(cols int) { e.width.Store(int32(min(max(cols, 0), 1<<16))) }

// Width is the terminal width set with SetWidth.
func (e *Editor) Width() int { return int(e.width.Load()) }

// New returns an editor reading keys from r and echoing to w.
func New(r io.Reader, w io.Writer) *Editor {
	return &Editor{r: bufio.NewReaderSize(r, 256), w: w, MaxLine: DefaultMaxLine, HistorySize: DefaultHistory, out: crlfWriter{w}}
}

// Writer returns a writer to the terminal that turns "\n" into "\r\n".
func (e *Editor) Writer() io.Writer { return &e.out }

// History returns the remembered lines, oldest first.
func (e *Editor) History() []string { return append([]string(nil), e.history...) }

// AddHistory remembers a line (blank lines and repeats of the last line
// are not kept).
func (e *Editor) AddHistory(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if n := len(e.history); n > 0 && e.history[n-1] == line {
		return
	}
	e.history = append(e.history, line)
	if max := e.HistorySize; max > 0 && len(e.history) > max {
		e.history = append([]string(nil), e.history[len(e.history)-max:]...)
	}
}

type lineState struct {
	e      *Editor
	prompt string
	buf    []byte
	pos    int
	// oldPos is the cursor position in buf after the last draw; maxRows
	// is how many terminal rows the line has used (for redrawing a line
	// that wraps).
	oldPos  int
	maxRows int
	// refused is set while input is refused because the line is full:
	// the bell rings once for a run of refused characters, not once per
	// byte (a pasted megabyte gets one bell, not a megabyte of them).
	refused bool
}

// fresh records that the cursor is at the start of an empty row: the next
// refresh draws prompt and line from there.
func (s *lineState) fresh() { s.oldPos, s.maxRows = 0, 1 }

// multiRow reports whether the line needs the wrapping-aware redraw.
func (s *lineState) multiRow(cols int) bool {
	return cols > 0 && (s.maxRows > 1 || len(s.prompt)+len(s.buf) >= cols)
}

func (s *lineState) refresh() error {
	if cols := s.e.Width(); s.multiRow(cols) {
		return s.refreshRows(cols)
	}
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(s.prompt)
	b.Write(s.buf)
	b.WriteString("\x1b[K")
	if back := len(s.buf) - s.pos; back > 0 {
		fmt.Fprintf(&b, "\x1b[%dD", back)
	}
	s.oldPos = s.pos
	_, err := io.WriteString(s.e.w, b.String())
	return err
}

// refreshRows redraws a line that wraps over several terminal rows of
// width cols: clear every row it used, draw it again and put the cursor
// back at pos.
func (s *lineState) refreshRows(cols int) error {
	var b strings.Builder
	plen := len(s.prompt)
	rows := (plen + len(s.buf) + cols - 1) / cols
	cursorRow := (plen + s.oldPos + cols) / cols
	oldRows := s.maxRows
	s.maxRows = max(s.maxRows, rows)
	if d := oldRows - cursorRow; d > 0 {
		fmt.Fprintf(&b, "\x1b[%dB", d)
	}
	for range oldRows - 1 {
		b.WriteString("\r\x1b[0K\x1b[1A")
	}
	b.WriteString("\r\x1b[0K")
	b.WriteString(s.prompt)
	b.Write(s.buf)
	if s.pos > 0 && s.pos == len(s.buf) && (plen+s.pos)%cols == 0 {
		// The cursor sits past the last column: move it to the next row.
		b.WriteString("\n\r")
		rows++
		s.maxRows = max(s.maxRows, rows)
	}
	if d := rows - (plen+s.pos+cols)/cols; d > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d)
	}
	if col := (plen + s.pos) % cols; col > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dC", col)
	} else {
		b.WriteString("\r")
	}
	s.oldPos = s.pos
	_, err := io.WriteString(s.e.w, b.String())
	return err
}

// toEnd moves the cursor after the last character of a wrapped line, so
// that output which follows does not overwrite the line's last rows.
func (s *lineState) toEnd() error {
	if !s.multiRow(s.e.Width()) || s.pos == len(s.buf) {
		return nil
	}
	saved := s.pos
	s.pos = len(s.buf)
	err := s.refresh()
	s.pos = saved
	return err
}

func (s *lineState) set(line string) error {
	if len(line) > s.e.MaxLine {
		line = line[:s.e.MaxLine]
	}
	s.buf = append(s.buf[:0], line...)
	s.pos = len(s.buf)
	return s.refresh()
}

func (e *Editor) bell() error {
	_, err := e.w.Write([]byte{'\a'})
	return err
}

// ReadLine shows prompt and returns the line typed, without the line end.
// It returns ErrInterrupt on Ctrl-C, ErrSuspend on Ctrl-Z, and io.EOF on
// Ctrl-D at an empty line or when the input ends. The line is not added
// to the history; the caller decides (see AddHistory).
func (e *Editor) ReadLine(prompt string) (string, error) {
	s := &lineState{e: e, prompt: prompt, maxRows: 1}
	if cols := e.Width(); cols > 0 {
		s.maxRows = max(1, (len(prompt)+cols-1)/cols)
	}
	if _, err := io.WriteString(e.w, prompt); err != nil {
		return "", err
	}
	hist := len(e.history)
	saved := ""
	for {
		c, err := e.r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' && e.lastCR {
			e.lastCR = false
			continue
		}
		e.lastCR = c == '\r'
		wasRefused := s.refused
		s.refused = false
		switch c {
		case '\r', '\n':
			if err := s.toEnd(); err != nil {
				return "", err
			}
			_, err := io.WriteString(e.w, "\r\n")
			return string(s.buf), err
		case 0x01: // Ctrl-A
			s.pos = 0
			err = s.refresh()
		case 0x05: // Ctrl-E
			s.pos = len(s.buf)
			err = s.refresh()
		case 0x02: // Ctrl-B
			if s.pos > 0 {
				s.pos--
				err = s.refresh()
			}
		case 0x06: // Ctrl-F
			if s.pos < len(s.buf) {
				s.pos++
				err = s.refresh()
			}
		case 0x04: // Ctrl-D
			if len(s.buf) == 0 {
				io.WriteString(e.w, "\r\n")
				return "", io.EOF
			}
			if s.pos < len(s.buf) {
				s.buf = append(s.buf[:s.pos], s.buf[s.pos+1:]...)
				err = s.refresh()
			}
		case 0x0b: // Ctrl-K
			s.buf = s.buf[:s.pos]
			err = s.refresh()
		case 0x15: // Ctrl-U
			s.buf = append(s.buf[:0], s.buf[s.pos:]...)
			s.pos = 0
			err = s.refresh()
		case 0x17: // Ctrl-W
			i := s.pos
			for i > 0 && s.buf[i-1] == ' ' {
				i--
			}
			for i > 0 && s.buf[i-1] != ' ' {
				i--
			}
			s.buf = append(s.buf[:i], s.buf[s.pos:]...)
			s.pos = i
			err = s.refresh()
		case 0x10: // Ctrl-P
			err = e.historyMove(s, &hist, &saved, -1)
		case 0x0e: // Ctrl-N
			err = e.historyMove(s, &hist, &saved, +1)
		case 0x03: // Ctrl-C
			if err := s.toEnd(); err != nil {
				return "", err
			}
			_, err := io.WriteString(e.w, "^C\r\n")
			if err != nil {
				return "", err
			}
			return "", ErrInterrupt
		case 0x1a: // Ctrl-Z
			if err := s.toEnd(); err != nil {
				return "", err
			}
			_, err := io.WriteString(e.w, "^Z\r\n")
			if err != nil {
				return "", err
			}
			return "", ErrSuspend
		case 0x7f, 0x08: // Backspace
			if s.pos > 0 {
				s.buf = append(s.buf[:s.pos-1], s.buf[s.pos:]...)
				s.pos--
				err = s.refresh()
			}
		case '\t':
			if e.Complete == nil {
				err = e.bell()
				break
			}
			line, cands := e.Complete(string(s.buf[:s.pos]))
			switch {
			case len(cands) > 1:
				err = s.toEnd()
				if err == nil {
					_, err = io.WriteString(e.w, "\r\n"+strings.Join(cands, "  ")+"\r\n")
				}
				if err == nil {
					s.fresh()
					err = s.set(line + string(s.buf[s.pos:]))
				}
			case line != string(s.buf[:s.pos]) && len(line)+len(s.buf)-s.pos <= e.MaxLine:
				rest := string(s.buf[s.pos:])
				s.buf = append(append(s.buf[:0], line...), rest...)
				s.pos = len(line)
				err = s.refresh()
			default:
				err = e.bell()
			}
		case '?':
			if e.Help == nil {
				err = s.insert(c, wasRefused)
				break
			}
			text := e.Help(string(s.buf[:s.pos]))
			err = s.toEnd()
			if err == nil {
				_, err = io.WriteString(e.w, "?\r\n")
			}
			if err == nil {
				_, err = e.out.Write([]byte(text))
			}
			if err == nil {
				s.fresh()
				err = s.refresh()
			}
		case 0x1b:
			err = e.escape(s, &hist, &saved)
		default:
			if c < 0x20 || c >= 0x80 {
				err = e.bell()
				break
			}
			err = s.insert(c, wasRefused)
		}
		if err != nil {
			return "", err
		}
	}
}

func (s *lineState) insert(c byte, wasRefused bool) error {
	if len(s.buf) >= s.e.MaxLine {
		s.refused = true
		if wasRefused {
			return nil
		}
		return s.e.bell()
	}
	if s.pos == len(s.buf) && !s.multiRow(s.e.Width()) && (s.e.Width() <= 0 || len(s.prompt)+len(s.buf)+1 < s.e.Width()) {
		s.buf = append(s.buf, c)
		s.pos++
		s.oldPos = s.pos
		_, err := s.e.w.Write([]byte{c})
		return err
	}
	s.buf = append(s.buf, 0)
	copy(s.buf[s.pos+1:], s.buf[s.pos:])
	s.buf[s.pos] = c
	s.pos++
	return s.refresh()
}

func (e *Editor) historyMove(s *lineState, hist *int, saved *string, d int) error {
	n := *hist + d
	if n < 0 || n > len(e.history) {
		return e.bell()
	}
	if *hist == len(e.history) {
		*saved = string(s.buf)
	}
	*hist = n
	if n == len(e.history) {
		return s.set(*saved)
	}
	return s.set(e.history[n])
}

// escape reads the rest of an escape sequence and acts on the ones it
// knows; unknown sequences are consumed and ignored.
func (e *Editor) escape(s *lineState, hist *int, saved *string) error {
	c, err := e.r.ReadByte()
	if err != nil {
		return err
	}
	if c != '[' && c != 'O' {
		return nil // Alt-key: ignore
	}
	var params []byte
	for i := 0; ; i++ {
		b, err := e.r.ReadByte()
		if err != nil {
			return err
		}
		if i >= maxEscape {
			return nil
		}
		if b >= 0x40 && b <= 0x7e {
			c = b
			break
		}
		params = append(params, b)
	}
	switch {
	case c == 'A':
		return e.historyMove(s, hist, saved, -1)
	case c == 'B':
		return e.historyMove(s, hist, saved, +1)
	case c == 'C':
		if s.pos < len(s.buf) {
			s.pos++
			return s.refresh()
		}
	case c == 'D':
		if s.pos > 0 {
			s.pos--
			return s.refresh()
		}
	case c == 'H' || (c == '~' && (string(params) == "1" || string(params) == "7")):
		s.pos = 0
		return s.refresh()
	case c == 'F' || (c == '~' && (string(params) == "4" || string(params) == "8")):
		s.pos = len(s.buf)
		return s.refresh()
	case c == '~' && string(params) == "3":
		if s.pos < len(s.buf) {
			s.buf = append(s.buf[:s.pos], s.buf[s.pos+1:]...)
			return s.refresh()
		}
	}
	return nil
}

// ReadKey returns the next input byte (used for confirmations).
func (e *Editor) ReadKey() (byte, error) { return e.r.ReadByte() }

// CRLF returns a writer that turns "\n" into "\r\n" on its way to w (for
// output to a pty).
func CRLF(w io.Writer) io.Writer { return &crlfWriter{w} }

// crlfWriter turns "\n" into "\r\n".
type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		i := indexByte(p, '\n')
		if i < 0 {
			m, err := c.w.Write(p)
			return n + m, err
		}
		if i > 0 {
			m, err := c.w.Write(p[:i])
			n += m
			if err != nil {
				return n, err
			}
		}
		if _, err := c.w.Write([]byte("\r\n")); err != nil {
			return n, err
		}
		n++
		p = p[i+1:]
	}
	return n, nil
}

func indexByte(p []byte, c byte) int {
	for i, b := range p {
		if b == c {
			return i
		}
	}
	return -1
}

// ReadSecret shows prompt and reads a line without echoing it (for
// passwords). Ctrl-C abandons it with ErrInterrupt.
func (e *Editor) ReadSecret(prompt string) (string, error) {
	if _, err := io.WriteString(e.w, prompt); err != nil {
		return "", err
	}
	var buf []byte
	for {
		c, err := e.r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' && e.lastCR {
			e.lastCR = false
			continue
		}
		e.lastCR = c == '\r'
		switch {
		case c == '\r' || c == '\n':
			_, err := io.WriteString(e.w, "\r\n")
			return string(buf), err
		case c == 0x03:
			io.WriteString(e.w, "\r\n")
			return "", ErrInterrupt
		case c == 0x7f || c == 0x08:
			if len(buf) > 0 {
				buf = buf[:len(buf)-1]
			}
		case c >= 0x20 && c < 0x7f && len(buf) < e.MaxLine:
			buf = append(buf, c)
		}
	}
}
