package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/cli"
	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type memStore struct {
	mu     sync.Mutex
	files  map[string][]byte
	writes int
}

func (m *memStore) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (m *memStore) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = append([]byte(nil), data...)
	m.writes++
	return nil
}

type testAuth struct {
	users map[string]struct {
		pw   string
		priv int
		key  gossh.PublicKey
	}
}

func (a *testAuth) Password(user, pw string, _ net.Addr) (int, error) {
	u, ok := a.users[user]
	if !ok || u.pw != pw {
		return 0, errors.New("bad login")
	}
	return u.priv, nil
}

func (a *testAuth) PublicKey(user string, key gossh.PublicKey, _ net.Addr) (int, error) {
	u, ok := a.users[user]
	if !ok || u.key == nil || !bytes.Equal(u.key.Marshal(), key.Marshal()) {
		return 0, errors.New("bad key")
	}
	return u.priv, nil
}

type testSystem struct{}

func (testSystem) Identity() cli.Identity {
	return cli.Identity{Product: "erx Edge Routing Switch E320-QEMU", Copyright: "Copyright (c) 2026 erx authors.  All rights reserved.",
		ReleaseFile: "erx_0-1-0.rel", Version: "0.1.0 release-0.0", BuildID: 1, BuildTime: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
}
func (testSystem) Slots() []cli.Slot {
	return []cli.Slot{{Number: 0, State: "online", Type: "SRP-320", Admin: "enabled"}}
}
func (testSystem) BootTime() time.Time { return time.Now().Add(-time.Hour) }
func (testSystem) Reload() error       { return nil }

var (
	sharedStore     = &memStore{files: map[string][]byte{}}
	clientSigner    gossh.Signer
	clientKeyPriv   ed25519.PrivateKey
	clientSignerErr error
	clientOnce      sync.Once
)

func clientKey(t testing.TB) gossh.Signer {
	clientOnce.Do(func() {
		_, clientKeyPriv, clientSignerErr = ed25519.GenerateKey(rand.Reader)
		if clientSignerErr != nil {
			return
		}
		clientSigner, clientSignerErr = gossh.NewSignerFromKey(clientKeyPriv)
	})
	if clientSignerErr != nil {
		t.Fatal(clientSignerErr)
	}
	return clientSigner
}

func clientPriv(t testing.TB) ed25519.PrivateKey {
	clientKey(t)
	return clientKeyPriv
}

type harness struct {
	srv    *Server
	addr   string
	cancel context.CancelFunc
	done   chan error
	logs   *bytes.Buffer
	logMu  *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func start(t *testing.T, mod func(*Options)) *harness {
	t.Helper()
	return startWith(t, nil, mod)
}

// startWith starts a server whose interpreter has the options cliMod
// sets (System is testSystem unless set).
func startWith(t testing.TB, cliMod func(*cli.Options), mod func(*Options)) *harness {
	t.Helper()
	copts := cli.Options{System: testSystem{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if cliMod != nil {
		cliMod(&copts)
	}
	interp, err := cli.New(copts)
	if err != nil {
		t.Fatal(err)
	}
	auth := &testAuth{users: map[string]struct {
		pw   string
		priv int
		key  gossh.PublicKey
	}{
		"admin": {"secret", 15, clientKey(t).PublicKey()},
		"oper":  {"op", 5, nil},
	}}
	h := &harness{logs: &bytes.Buffer{}, logMu: &sync.Mutex{}, done: make(chan error, 1)}
	opts := Options{KeyStore: sharedStore, Auth: auth, Interp: interp, Logger: slog.New(slog.NewTextHandler(lockedWriter{h.logMu, h.logs}, nil))}
	if mod != nil {
		mod(&opts)
	}
	h.srv, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

func (h *harness) log() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.String()
}

func dial(t testing.TB, addr, user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
}

func execCmd(t testing.TB, c *gossh.Client, cmd string) (string, error) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	return string(out), err
}

func TestExecPasswordAndKey(t *testing.T) {
	h := start(t, nil)
	for _, auth := range []gossh.AuthMethod{gossh.Password("secret"), gossh.PublicKeys(clientKey(t))} {
		c, err := dial(t, h.addr, "admin", auth)
		if err != nil {
			t.Fatal(err)
		}
		out, err := execCmd(t, c, "show version")
		if err != nil {
			t.Fatalf("exec: %v\n%s", err, out)
		}
		if !strings.HasPrefix(out, "erx Edge Routing Switch E320-QEMU\n") || !strings.Contains(out, "System Release: erx_0-1-0.rel\n") {
			t.Errorf("show version output:\n%s", out)
		}
		out, err = execCmd(t, c, "show bogus")
		var ee *gossh.ExitError
		if !errors.As(err, &ee) || ee.ExitStatus() != 1 || !strings.Contains(out, "% Invalid input detected at '^' marker.") {
			t.Errorf("bad command: err %v out %q", err, out)
		}
		out, err = execCmd(t, c, "configure terminal\nhostname r1\nend\nshow configuration | include hostname")
		if err != nil || out != "hostname r1\n" {
			t.Errorf("config via exec: err %v out %q", err, out)
		}
		c.Close()
	}
}

func TestExecPrivilegeFilter(t *testing.T) {
	h := start(t, nil)
	c, err := dial(t, h.addr, "oper", gossh.Password("op"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := execCmd(t, c, "configure terminal")
	if err == nil || !strings.Contains(out, "% Unrecognized command") {
		t.Errorf("level 5 user ran configure: %v %q", err, out)
	}
	if out, err := execCmd(t, c, "show version | count"); err != nil || !strings.HasPrefix(out, "Count: ") {
		t.Errorf("show version | count: %v %q", err, out)
	}
}

func TestHostKeyPersisted(t *testing.T) {
	store := &memStore{files: map[string][]byte{}}
	var keys [2][]byte
	for i := range 2 {
		h := start(t, func(o *Options) { o.KeyStore = store })
		var got gossh.PublicKey
		c, err := gossh.Dial("tcp", h.addr, &gossh.ClientConfig{User: "admin", Auth: []gossh.AuthMethod{gossh.Password("secret")},
			HostKeyAlgorithms: []string{gossh.KeyAlgoED25519},
			HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
				got = k
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		keys[i] = got.Marshal()
		h.cancel()
		// Serve returns once the RSA key, generated while it served, is
		// stored; hand its result back for the cleanup.
		err = <-h.done
		h.done <- err
	}
	if !bytes.Equal(keys[0], keys[1]) {
		t.Error("host key changed across restart")
	}
	if store.writes != 2 {
		t.Errorf("%d key writes, want 2 (ed25519 + rsa, once)", store.writes)
	}
	for _, name := range []string{Ed25519KeyFile, RSAKeyFile} {
		if !strings.HasPrefix(string(store.files[name]), "-----BEGIN OPENSSH PRIVATE KEY-----\n") {
			t.Errorf("%s is not an OpenSSH PEM key", name)
		}
	}
}

func TestLockout(t *testing.T) {
	h := start(t, func(o *Options) { o.MaxAuthFailures = 3; o.Lockout = time.Hour })
	for range 3 {
		if _, err := dial(t, h.addr, "admin", gossh.Password("wrong")); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	if _, err := dial(t, h.addr, "admin", gossh.Password("secret")); err == nil {
		t.Fatal("login accepted during lockout")
	}
	if !strings.Contains(h.log(), "ssh login lockout") {
		t.Errorf("lockout not logged:\n%s", h.log())
	}
}

func TestSessionCapAndShowUsers(t *testing.T) {
	h := start(t, func(o *Options) { o.MaxSessions = 2 })
	c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Hold two interactive sessions.
	var sessions []*gossh.Session
	for range 2 {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RequestPty("vt100", 24, 80, nil); err != nil {
			t.Fatal(err)
		}
		s.StdinPipe() // keep stdin open: EOF on stdin ends the session
		out, _ := s.StdoutPipe()
		if err := s.Shell(); err != nil {
			t.Fatal(err)
		}
		readUntil(t, out, "host1#")
		sessions = append(sessions, s)
	}
	// A third is refused cleanly.
	s3, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s3.CombinedOutput("show version")
	if err == nil || !strings.Contains(string(out), "All vty lines are in use") {
		t.Errorf("third session: %v %q", err, out)
	}
	// Free one and list users through an exec session.
	sessions[1].Close()
	waitFor(t, func() bool { return len(h.srv.Users()) == 1 })
	held := h.srv.Users()[0].VTY // the remaining interactive session
	got, err := execCmd(t, c, "show users")
	if err != nil || !strings.Contains(got, fmt.Sprintf("  vty %d admin", held)) || !strings.Contains(got, fmt.Sprintf("* vty %d", 1-held)) {
		t.Errorf("show users: %v\n%s", err, got)
	}
	if got, err := execCmd(t, c, fmt.Sprintf("clear line vty %d", held)); err != nil {
		t.Fatalf("clear line: %v %q", err, got)
	}
	waitFor(t, func() bool { return len(h.srv.Users()) == 0 })
	sessions[0].Close()
}

// waitFor polls cond until it holds. The bound is a hang guard, far above
// anything a slow machine needs, so a stuck server fails one test instead
// of the whole run.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 2 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readUntil(t testing.TB, r io.Reader, want string) string {
	t.Helper()
	var b []byte
	buf := make([]byte, 1024)
	for !strings.Contains(string(b), want) {
		n, err := r.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			t.Fatalf("reading until %q: %v; got %q", want, err, b)
		}
	}
	return string(b)
}

func TestInteractive(t *testing.T) {
	h := start(t, nil)
	c, err := dial(t, h.addr, "oper", gossh.Password("op"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	got := readUntil(t, out, "host1>")
	if want := "Logged in on vty 0 via SSH.\r\nCopyright (c) 2026 erx authors.  All rights reserved.\r\n\r\nhost1>"; got != want {
		t.Errorf("login: got %q want %q", got, want)
	}
	steps := []struct{ send, until string }{
		{"enable 5\r", "host1#"},
		{"sh ver | include Release\r", "host1#"},
		{"sh ?", "host1#sh "},
		{"\x15exit\r", ""},
	}
	for _, st := range steps {
		fmt.Fprint(in, st.send)
		if st.until == "" {
			break
		}
		got := readUntil(t, out, st.until)
		t.Logf("%q -> %q", st.send, got)
	}
	if err := s.Wait(); err != nil {
		t.Errorf("session end: %v", err)
	}
}

func TestBrokenClientLeavesNothing(t *testing.T) {
	h := start(t, nil)
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("SSH-2.0-junk\r\n\x00\x00\x00\xff garbage"))
	conn.Close()
	c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.NewSession()
	s.RequestPty("vt100", 24, 80, nil)
	s.StdinPipe()
	out, _ := s.StdoutPipe()
	s.Shell()
	readUntil(t, out, "host1#")
	c.Close() // drop the TCP connection mid-session
	waitFor(t, func() bool { return len(h.srv.Users()) == 0 })
}

func TestIdleTimeout(t *testing.T) {
	h := start(t, func(o *Options) {
		o.IdleTimeout = 200 * time.Millisecond
		o.KeepAlive = -1 // only the session idle timeout may end it
	})
	c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s.RequestPty("vt100", 24, 80, nil)
	s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	readUntil(t, out, "host1#")
	// The client sends no input: the session ends by idle timeout, and
	// the log says so.
	if err := s.Wait(); err != nil {
		t.Logf("wait: %v", err)
	}
	waitFor(t, func() bool { return strings.Contains(h.log(), "ssh session idle timeout") })
	waitFor(t, func() bool { return len(h.srv.Users()) == 0 })
}

func TestNoPtyShellRefused(t *testing.T) {
	h := start(t, nil)
	c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, _ := c.NewSession()
	var stderr bytes.Buffer
	s.Stderr = &stderr
	s.StdinPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(); err == nil || !strings.Contains(stderr.String(), "terminal is required") {
		t.Errorf("shell without pty: %v %q", err, stderr.String())
	}
}

func TestConnectionCap(t *testing.T) {
	h := start(t, func(o *Options) { o.MaxConnections = 2 })
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Read the server's version line so the connection is admitted.
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	if _, err := dial(t, h.addr, "admin", gossh.Password("secret")); err == nil {
		t.Error("third connection accepted beyond MaxConnections")
	}
	held[0].Close()
	waitFor(t, func() bool {
		c, err := dial(t, h.addr, "admin", gossh.Password("secret"))
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

type failStore struct{ memStore }

func (f *failStore) ReadFile(string) ([]byte, error) { return nil, errors.New("io error") }

func TestLoadHostKeysErrors(t *testing.T) {
	st := &memStore{files: map[string][]byte{Ed25519KeyFile: []byte("garbage")}}
	var warned []string
	keys, err := LoadHostKeys(st, func(msg string, _ ...any) { warned = append(warned, msg) })
	if err != nil || len(keys) != 2 || len(warned) != 1 {
		t.Fatalf("corrupt key: %v, %d keys, warnings %q", err, len(keys), warned)
	}
	if keys[0].PublicKey().Type() != gossh.KeyAlgoED25519 || keys[1].PublicKey().Type() != gossh.KeyAlgoRSA {
		t.Errorf("key types %s %s", keys[0].PublicKey().Type(), keys[1].PublicKey().Type())
	}
	raw, err := gossh.ParseRawPrivateKey(st.files[RSAKeyFile])
	if k, ok := raw.(*rsa.PrivateKey); err != nil || !ok || k.N.BitLen() != 3072 {
		t.Errorf("RSA host key: %v %T", err, raw)
	}
	if _, err := LoadHostKeys(&failStore{}, nil); err == nil {
		t.Error("read error ignored")
	}
}
