package term

import (
	"errors"
	"io"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// screen is a minimal VT100 model: enough to check what a real terminal
// shows after the editor's output (auto-wrap with a pending-wrap column,
// CR, LF, cursor moves, erase to end of line / screen).
type screen struct {
	w       int
	rows    [][]byte
	r, c    int
	pending bool
}

func (s *screen) row(r int) []byte {
	for len(s.rows) <= r {
		s.rows = append(s.rows, []byte(strings.Repeat(" ", s.w)))
	}
	return s.rows[r]
}

func (s *screen) write(p string) {
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch == '\r':
			s.c, s.pending = 0, false
		case ch == '\n':
			s.r++
			s.pending = false
		case ch == '\a':
		case ch == 0x1b && i+1 < len(p) && p[i+1] == '[':
			j := i + 2
			for j < len(p) && (p[j] >= '0' && p[j] <= '9' || p[j] == ';') {
				j++
			}
			if j >= len(p) {
				return
			}
			n, err := strconv.Atoi(p[i+2 : j])
			if err != nil {
				n = 1
			}
			switch p[j] {
			case 'A':
				s.r = max(s.r-n, 0)
			case 'B':
				s.r += n
			case 'C':
				s.c = min(s.c+n, s.w-1)
			case 'D':
				s.c = max(s.c-n, 0)
			case 'K':
				row := s.row(s.r)
				for k := s.c; k < s.w; k++ {
					row[k] = ' '
				}
			case 'J':
				row := s.row(s.r)
				for k := s.c; k < s.w; k++ {
					row[k] = ' '
				}
				for k := s.r + 1; k < len(s.rows); k++ {
					s.rows[k] = []byte(strings.Repeat(" ", s.w))
				}
			}
			s.pending = false
			i = j
		default:
			if s.pending {
				s.r, s.c, s.pending = s.r+1, 0, false
			}
			s.row(s.r)[s.c] = ch
			if s.c == s.w-1 {
				s.pending = true
			} else {
				s.c++
			}
		}
	}
}

// text is the screen content with trailing spaces removed per row and
// empty rows at the end dropped.
func (s *screen) text() string {
	var rows []string
	for _, r := range s.rows {
		rows = append(rows, strings.TrimRight(string(r), " "))
	}
	for len(rows) > 0 && rows[len(rows)-1] == "" {
		rows = rows[:len(rows)-1]
	}
	return strings.Join(rows, "\n")
}

// wrapped is how prompt+line should look on a screen of width w.
func wrapped(s string, w int) string {
	var rows []string
	for len(s) > w {
		rows = append(rows, strings.TrimRight(s[:w], " "))
		s = s[w:]
	}
	rows = append(rows, strings.TrimRight(s, " "))
	for len(rows) > 0 && rows[len(rows)-1] == "" {
		rows = rows[:len(rows)-1]
	}
	return strings.Join(rows, "\n")
}

// model applies the same keys to a plain buffer.
type model struct {
	buf []byte
	pos int
}

func (m *model) key(k string) {
	switch k {
	case "\x1b[D":
		m.pos = max(m.pos-1, 0)
	case "\x1b[C":
		m.pos = min(m.pos+1, len(m.buf))
	case "\x7f":
		if m.pos > 0 {
			m.buf = append(m.buf[:m.pos-1], m.buf[m.pos:]...)
			m.pos--
		}
	case "\x01":
		m.pos = 0
	case "\x05":
		m.pos = len(m.buf)
	case "\x0b":
		m.buf = m.buf[:m.pos]
	default:
		m.buf = append(m.buf[:m.pos], append([]byte(k), m.buf[m.pos:]...)...)
		m.pos++
	}
}

func checkScreen(t *testing.T, width int, prompt string, keys []string) {
	t.Helper()
	var sc screen
	sc.w = width
	var out strings.Builder
	e := New(strings.NewReader(strings.Join(keys, "")), &out)
	e.SetWidth(width)
	if _, err := e.ReadLine(prompt); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadLine: %v", err)
	}
	sc.write(out.String())
	var m model
	for _, k := range keys {
		m.key(k)
	}
	want := wrapped(prompt+string(m.buf), width)
	if got := sc.text(); got != want {
		t.Fatalf("width %d keys %q:\nscreen:\n%s\nwant:\n%s\noutput %q", width, keys, got, want, out.String())
	}
	at := len(prompt) + m.pos
	wantR, wantC := at/width, at%width
	r, c := sc.r, sc.c
	if sc.pending {
		r, c = r+1, 0
	}
	if r != wantR || c != wantC {
		t.Fatalf("width %d keys %q: cursor at %d,%d want %d,%d; output %q", width, keys, r, c, wantR, wantC, out.String())
	}
}

func TestWrappedLineRedraw(t *testing.T) {
	typed := func(s string) []string {
		var k []string
		for _, c := range s {
			k = append(k, string(c))
		}
		return k
	}
	long := typed("username admin public-key ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
	for _, tc := range []struct {
		width int
		keys  []string
	}{
		{20, long},
		{20, append(append([]string{}, long...), "\x01", "X", "\x05", "\x7f", "\x7f")},
		{20, append(append([]string{}, long...), "\x1b[D", "\x1b[D", "\x1b[D", "\x1b[D", "\x1b[D", "\x1b[D", "\x0b")},
		{16, typed("ab")},                  // exactly fills the first row with a 14-char prompt
		{16, append(typed("ab"), "\x7f")},  // and back
		{16, append(typed("abc"), "\x7f")}, // wrap, unwrap
		{10, append(typed("0123456789012345678901234"), "\x01", "\x7f", "\x1b[C", "\x1b[C", "Z")},
	} {
		checkScreen(t, tc.width, "host1(config)#", tc.keys)
	}
	rng := rand.New(rand.NewSource(1))
	keys := []string{"a", "b", "c", "\x1b[D", "\x1b[C", "\x7f", "\x01", "\x05", "\x0b"}
	for range 300 {
		var k []string
		for range rng.Intn(80) {
			k = append(k, keys[rng.Intn(len(keys))])
		}
		checkScreen(t, 8+rng.Intn(24), []string{"r1#", "host1(config-if)#"}[rng.Intn(2)], k)
	}
}
