package term

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, input string, setup func(*Editor)) ([]string, []error, string) {
	t.Helper()
	var out bytes.Buffer
	e := New(strings.NewReader(input), &out)
	if setup != nil {
		setup(e)
	}
	var lines []string
	var errs []error
	for range 20 {
		l, err := e.ReadLine("p>")
		if errors.Is(err, io.EOF) {
			break
		}
		lines = append(lines, l)
		errs = append(errs, err)
		if err == nil {
			e.AddHistory(l)
		}
	}
	return lines, errs, out.String()
}

func TestEditorKeys(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		want        []string
	}{
		{"plain", "show version\r", []string{"show version"}},
		{"crlf counts once", "a\r\nb\r\n", []string{"a", "b"}},
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"backspace", "shox\x7fw\r", []string{"show"}},
		{"ctrl-h", "ab\x08c\r", []string{"ac"}},
		{"left insert", "shw\x1b[Do\r", []string{"show"}},
		{"ctrl-a insert", "how\x01s\r", []string{"show"}},
		{"ctrl-b ctrl-f ctrl-e", "ac\x02b\x06\x05d\r", []string{"abcd"}},
		{"ctrl-d deletes under cursor", "abc\x01\x04\r", []string{"bc"}},
		{"ctrl-k", "abcdef\x02\x02\x02\x0b\r", []string{"abc"}},
		{"ctrl-u", "abcdef\x02\x02\x15\r", []string{"ef"}},
		{"ctrl-w", "show ip route\x17\r", []string{"show ip "}},
		{"delete key", "abc\x1b[D\x1b[3~\r", []string{"ab"}},
		{"home end", "bc\x1b[Ha\x1b[Fd\r", []string{"abcd"}},
		{"unknown escape ignored", "a\x1b[99;99zb\x1bxc\r", []string{"abc"}},
		{"history up", "one\rtwo\r\x1b[A\x1b[A\r", []string{"one", "two", "one"}},
		{"history ctrl-p ctrl-n", "one\rtwo\r\x10\x10\x0e\r", []string{"one", "two", "two"}},
		{"history back to typed", "one\rzz\x1b[A\x1b[B\r", []string{"one", "zz"}},
		{"controls refused", "a\x07\x80b\r", []string{"ab"}},
	} {
		lines, _, _ := readAll(t, tc.input, nil)
		if strings.Join(lines, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: got %q want %q", tc.name, lines, tc.want)
		}
	}
}

func TestEditorControlErrors(t *testing.T) {
	_, errs, out := readAll(t, "abc\x03x\x1a", nil)
	if len(errs) != 2 || !errors.Is(errs[0], ErrInterrupt) || !errors.Is(errs[1], ErrSuspend) {
		t.Fatalf("errs %v", errs)
	}
	if !strings.Contains(out, "^C\r\n") || !strings.Contains(out, "^Z\r\n") {
		t.Errorf("output %q", out)
	}
	// Ctrl-D on an empty line is EOF.
	e := New(strings.NewReader("\x04"), io.Discard)
	if _, err := e.ReadLine("p>"); !errors.Is(err, io.EOF) {
		t.Errorf("ctrl-d: %v", err)
	}
}

func TestEditorEcho(t *testing.T) {
	_, _, out := readAll(t, "ab\x7f\r", nil)
	if want := "p>ab\rp>a\x1b[K\r\np>"; out != want {
		t.Errorf("got %q want %q", out, want)
	}
}

func TestEditorMaxLine(t *testing.T) {
	var out bytes.Buffer
	// One bell per run of refused characters: a paste does not echo a
	// bell per byte.
	e := New(strings.NewReader(strings.Repeat("x", 20)+"\x7fyy\r"), &out)
	e.MaxLine = 8
	l, err := e.ReadLine("")
	if err != nil || l != "xxxxxxxy" {
		t.Fatalf("got %q %v", l, err)
	}
	if bytes.Count(out.Bytes(), []byte{'\a'}) != 2 {
		t.Errorf("want 2 bells, output %q", out.String())
	}
}

func TestEditorHelpAndComplete(t *testing.T) {
	setup := func(e *Editor) {
		e.Help = func(line string) string { return "  help for [" + line + "]\n" }
		e.Complete = func(line string) (string, []string) {
			switch line {
			case "sh":
				return "show ", []string{"show"}
			case "show v":
				return "show ver", []string{"version", "verbose"}
			}
			return line, nil
		}
	}
	lines, _, out := readAll(t, "sh\t?\r", setup)
	if len(lines) != 1 || lines[0] != "show " {
		t.Fatalf("lines %q", lines)
	}
	if want := "p>sh\rp>show \x1b[K?\r\n  help for [show ]\r\n\rp>show \x1b[K\r\np>"; out != want {
		t.Errorf("got %q\nwant %q", out, want)
	}
	lines, _, out = readAll(t, "show v\t\r", setup)
	if lines[0] != "show ver" || !strings.Contains(out, "\r\nversion  verbose\r\n") {
		t.Errorf("got %q %q", lines, out)
	}
	lines, _, out = readAll(t, "x\t\r", setup)
	if lines[0] != "x" || !strings.Contains(out, "\a") {
		t.Errorf("no completion: %q %q", lines, out)
	}
}

func TestReadSecret(t *testing.T) {
	var out bytes.Buffer
	e := New(strings.NewReader("pa\x7fass\r"), &out)
	s, err := e.ReadSecret("Password: ")
	if err != nil || s != "pass" {
		t.Fatalf("got %q %v", s, err)
	}
	if out.String() != "Password: \r\n" {
		t.Errorf("secret echoed: %q", out.String())
	}
}

func TestPager(t *testing.T) {
	text := ""
	for i := range 10 {
		text += string(rune('a'+i)) + "\n"
	}
	clear := "\r" + strings.Repeat(" ", len(MorePrompt)) + "\r"
	for _, tc := range []struct {
		name   string
		keys   string
		length int
		want   string
	}{
		{"no paging", "", 0, strings.ReplaceAll(text, "\n", "\r\n")},
		{"fits", "", 11, strings.ReplaceAll(text, "\n", "\r\n")},
		{"space", "  ", 5, "a\r\nb\r\nc\r\nd\r\n" + MorePrompt + clear + "e\r\nf\r\ng\r\nh\r\n" + MorePrompt + clear + "i\r\nj\r\n"},
		{"enter", "\r\n\r ", 5, "a\r\nb\r\nc\r\nd\r\n" + MorePrompt + clear + "e\r\n" + MorePrompt + clear + "f\r\n" + MorePrompt + clear + "g\r\nh\r\ni\r\nj\r\n"},
		{"quit", "q", 5, "a\r\nb\r\nc\r\nd\r\n" + MorePrompt + clear},
	} {
		var out bytes.Buffer
		e := New(strings.NewReader(tc.keys), &out)
		if err := e.Page(text, tc.length); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if out.String() != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, out.String(), tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	text := "alpha 1\nbeta 2\ngamma 3\ndelta 4\n"
	for _, tc := range []struct{ spec, want string }{
		{"include a 1", "alpha 1\n"},
		{"inc ta", "beta 2\ndelta 4\n"},
		{"exclude a [12]", "gamma 3\ndelta 4\n"},
		{"begin gam", "gamma 3\ndelta 4\n"},
		{"count", "Count: 4 lines\n"},
		{"i ^b", "beta 2\n"},
	} {
		f, err := ParseFilter(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if got := f.Apply(text); got != tc.want {
			t.Errorf("%q: got %q want %q", tc.spec, got, tc.want)
		}
	}
	for _, bad := range []string{"", "include", "count x", "frob x", "include (", "e"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzEditor(f *testing.F) {
	for _, s := range []string{"show\r", "\x1b[A\x1b[B\x1b[3~\r", "\x1b[" + strings.Repeat("9", 100), "a\tb?\x17\x15\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e := New(strings.NewReader(in), io.Discard)
		e.MaxLine = 64
		e.SetWidth(13)
		e.Help = func(string) string { return "h\n" }
		e.Complete = func(l string) (string, []string) { return l + "x", []string{"a", "b"} }
		for range len(in) + 1 {
			l, err := e.ReadLine("> ")
			if len(l) > 64 {
				t.Fatalf("line longer than MaxLine: %d", len(l))
			}
			if errors.Is(err, io.EOF) {
				return
			}
			e.AddHistory(l)
		}
	})
}

func FuzzFilter(f *testing.F) {
	f.Add("include a.*b")
	f.Add("count")
	f.Fuzz(func(t *testing.T, spec string) {
		if flt, err := ParseFilter(spec); err == nil {
			flt.Apply("a\nb\n")
		}
	})
}
