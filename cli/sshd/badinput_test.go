package sshd

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/erxos/erx/internal/syncbuf"
)

// shell is an interactive session over the Go client whose output is
// read continuously into a buffer.
type shell struct {
	c   *gossh.Client
	s   *gossh.Session
	in  io.WriteCloser
	out *syncbuf.Buffer
}

func openShell(t testing.TB, addr, user, pw string) *shell {
	t.Helper()
	c, err := dial(t, addr, user, gossh.Password(pw))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("vt100", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	sh := &shell{c: c, s: s, out: &syncbuf.Buffer{}}
	sh.in, _ = s.StdinPipe()
	s.Stdout, s.Stderr = sh.out, sh.out
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return sh
}

// until waits for want to appear in the output after the mark-th byte.
func (sh *shell) until(t testing.TB, mark int, want string) {
	t.Helper()
	from := mark
	waitFor(t, func() bool {
		b := sh.out.String()
		if strings.Contains(b[min(from, len(b)):], want) {
			return true
		}
		from = max(mark, len(b)-len(want))
		return false
	})
}

func (sh *shell) mark() int {
	return sh.out.Len()
}

func TestBadInputOverSSH(t *testing.T) {
	h := start(t, nil)
	sh := openShell(t, h.addr, "oper", "op")
	sh.until(t, 0, "host1>")

	// A 1 MB line: the editor keeps 4096 bytes and rings the bell for the
	// rest; the line is refused and the session goes on.
	m := sh.mark()
	go func() {
		sh.in.Write(bytes.Repeat([]byte("a"), 1<<20))
		sh.in.Write([]byte("\r"))
	}()
	sh.until(t, m, "% Unrecognized command\r\nhost1>")
	m = sh.mark()
	fmt.Fprint(sh.in, "show privilege\r")
	sh.until(t, m, "Current privilege level is 1")

	// Escape sequences, known and unknown, truncated and overlong.
	m = sh.mark()
	for _, seq := range []string{"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[999999999999C", "\x1b[1;5D", "\x1b]0;title\x07",
		"\x1bO", "\x1b[" + strings.Repeat("9", 5000) + "H", "\x1b[3~", "\x1b\x1b\x1b", "\x1bx", "\x1b[200~paste\x1b[201~"} {
		fmt.Fprint(sh.in, seq)
	}
	fmt.Fprint(sh.in, "\x03\x15show privilege\r")
	sh.until(t, m, "Current privilege level is 1")

	// Arbitrary bytes (no Ctrl-D, which ends the session by design).
	r := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 32<<10)
	for i := range junk {
		junk[i] = byte(r.IntN(256))
		if junk[i] == 0x04 {
			junk[i] = 'x'
		}
	}
	m = sh.mark()
	go func() {
		sh.in.Write(junk)
		sh.in.Write([]byte("\x03\x03\r\x03\x15show privilege\r"))
	}()
	sh.until(t, m, "Current privilege level is ")
	m = sh.mark()
	fmt.Fprint(sh.in, "exit\r")
	if err := sh.s.Wait(); err != nil {
		t.Errorf("session end after bad input: %v", err)
	}
}

// TestClientThatNeverReads: a client that sends commands but never reads
// the output fills its window; its session blocks, and no other session
// notices.
func TestClientThatNeverReads(t *testing.T) {
	h := start(t, nil)
	c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s.RequestPty("vt100", 24, 80, nil)
	stdin, _ := s.StdinPipe()
	s.StdoutPipe() // never read
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		fmt.Fprint(stdin, "terminal length 0\r")
		for range 20000 { // about 12 MB of output: far beyond any window
			if _, err := fmt.Fprint(stdin, "show version\r"); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	waitFor(t, func() bool { return sent.Load() > 100 })
	for range 3 {
		c2, err := dial(t, h.addr, "oper", gossh.Password("op"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := execCmd(t, c2, "show users")
		if err != nil || !strings.Contains(out, "vty 0 admin") {
			t.Errorf("show users beside a stuck session: %v %q", err, out)
		}
		c2.Close()
	}
	c.Close() // the stuck session ends with its connection
	<-writerDone
	waitFor(t, func() bool { return len(h.srv.Users()) == 0 })
}

// TestThousandsOfFailedLogins: thousands of wrong passwords from one
// address lock it out; logins from another address still work.
func TestThousandsOfFailedLogins(t *testing.T) {
	h := start(t, nil)
	var tries atomic.Int64
	for tries.Load() < 2000 {
		cfg := &gossh.ClientConfig{User: "admin", HostKeyCallback: gossh.InsecureIgnoreHostKey(),
			Auth: []gossh.AuthMethod{gossh.RetryableAuthMethod(gossh.PasswordCallback(func() (string, error) {
				tries.Add(1)
				return "wrong", nil
			}), 6)}}
		if c, err := gossh.Dial("tcp", h.addr, cfg); err == nil {
			c.Close()
			t.Fatal("wrong password accepted")
		}
	}
	if _, err := dial(t, h.addr, "admin", gossh.Password("secret")); err == nil {
		t.Error("the right password is accepted from a locked-out address")
	}
	if n := strings.Count(h.log(), "ssh login lockout"); n != 1 {
		t.Errorf("%d lockout log lines, want 1", n)
	}
	// Another source address (all of 127/8 is loopback on Linux).
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	conn, err := d.Dial("tcp", h.addr)
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, h.addr, &gossh.ClientConfig{User: "admin", HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Auth: []gossh.AuthMethod{gossh.Password("secret")}})
	if err != nil {
		t.Fatalf("login from another address during the lockout: %v", err)
	}
	c := gossh.NewClient(cc, chans, reqs)
	defer c.Close()
	if out, err := execCmd(t, c, "show privilege"); err != nil || out != "Current privilege level is 15\n" {
		t.Errorf("%v %q", err, out)
	}
}

func dialFrom(t *testing.T, src, addr, user, pw string) (*gossh.Client, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot bind %s: %v", src, err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Auth: []gossh.AuthMethod{gossh.Password(pw)}})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return gossh.NewClient(cc, chans, reqs), nil
}

func configure(t *testing.T, h *harness, cfg string) {
	t.Helper()
	if err := h.srv.opts.Interp.Replay(strings.NewReader(cfg), func(n int, l string, err error) { t.Errorf("config line %d %q: %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
}

// TestAccessClass: a connection gets the first free line whose access
// class admits its address; an address no line admits is refused before
// authentication.
func TestAccessClass(t *testing.T) {
	h := start(t, nil)
	configure(t, h, "access-list local2 permit host 127.0.0.2\naccess-list not3 deny host 127.0.0.3\naccess-list not3 permit any\n"+
		"line vty 0 1\n access-class local2 in\nline vty 2 29\n access-class not3 in\n")
	c, err := dialFrom(t, "127.0.0.1", h.addr, "admin", "secret")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if out, err := execCmd(t, c, "show users"); err != nil || !strings.Contains(out, "* vty 2 admin") {
		t.Errorf("127.0.0.1 should get vty 2: %v %q", err, out)
	}
	c2, err := dialFrom(t, "127.0.0.2", h.addr, "admin", "secret")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if out, err := execCmd(t, c2, "show users"); err != nil || !strings.Contains(out, "* vty 0 admin") {
		t.Errorf("127.0.0.2 should get vty 0: %v %q", err, out)
	}
	if c3, err := dialFrom(t, "127.0.0.3", h.addr, "admin", "secret"); err == nil {
		c3.Close()
		t.Error("127.0.0.3 was admitted")
	}
	waitFor(t, func() bool { return strings.Contains(h.log(), "refused by access-class") })
	if strings.Contains(h.log(), "ssh login failed") {
		t.Error("a refused address reached authentication")
	}
}

type radiusAuth struct{ *testAuth }

func (radiusAuth) PasswordMethod(method, user, pw string, _ net.Addr) (int, error) {
	switch {
	case method != "radius":
		return 0, ErrMethodUnavailable
	case user == "down":
		return 0, ErrMethodUnavailable
	case pw == "rad":
		return 7, nil
	}
	return 0, fmt.Errorf("rejected")
}

// TestLoginMethodLists: the method list of the line decides how a login
// is checked.
func TestLoginMethodLists(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      string
		radius   bool
		user, pw string
		want     string // "Current privilege level is N" or "" for refused
	}{
		{"default local", "", false, "admin", "secret", "15"},
		{"default local refuses", "", false, "admin", "x", ""},
		{"none", "aaa authentication login open none\nline vty 0 29\n login authentication open\n", false, "anyone", "x", "1"},
		{"radius unavailable falls back", "aaa authentication login r radius local\nline vty 0 29\n login authentication r\n", false, "admin", "secret", "15"},
		{"radius accepts", "aaa authentication login r radius local\nline vty 0 29\n login authentication r\n", true, "someone", "rad", "7"},
		{"radius rejects: final", "aaa authentication login r radius local\nline vty 0 29\n login authentication r\n", true, "admin", "secret", ""},
		{"radius down: next", "aaa authentication login r radius local\nline vty 0 29\n login authentication r\n", true, "down", "x", ""},
		{"default list", "aaa authentication login default radius\n", true, "someone", "rad", "7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, func(o *Options) {
				if tc.radius {
					o.Auth = radiusAuth{o.Auth.(*testAuth)}
				}
			})
			configure(t, h, tc.cfg)
			c, err := dial(t, h.addr, tc.user, gossh.Password(tc.pw))
			if tc.want == "" {
				if err == nil {
					c.Close()
					t.Fatal("login accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if out, err := execCmd(t, c, "show privilege"); err != nil || out != "Current privilege level is "+tc.want+"\n" {
				t.Errorf("%v %q", err, out)
			}
		})
	}
}
