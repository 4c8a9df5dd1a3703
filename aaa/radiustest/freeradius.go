package radiustest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// ConfigDir is the FreeRADIUS configuration the test servers start from.
const ConfigDir = "/etc/freeradius/3.0"

// FreeRADIUSConfig says how to run a test FreeRADIUS.
type FreeRADIUSConfig struct {
	Secret string // shared secret of the loopback client; default "testing123"
	// Users is the content of mods-config/files/authorize (FreeRADIUS
	// users-file syntax).
	Users string
	// StartTimeout bounds the wait for "Ready to process requests";
	// default 60 s.
	StartTimeout time.Duration
	// Threaded runs the server as in production (its thread pool,
	// info-level log) instead of the single-threaded debug mode (-X) the
	// functional tests read: for load measurements.
	Threaded bool
}

// FreeRADIUS is a running FreeRADIUS server owned by one test.
type FreeRADIUS struct {
	Dir      string         // its configuration directory
	AuthAddr netip.AddrPort // Access-Request port
	AcctAddr netip.AddrPort // Accounting-Request port
	Secret   string
	AcctDir  string // radacctdir: accounting detail files

	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{}
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

// Write appends p and notices the server's ready line.
func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if bytes.Contains(l.b.Bytes(), []byte("Ready to process requests")) {
		l.once.Do(func() { close(l.ready) })
	}
	return len(p), nil
}

// String returns everything written so far.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Log returns the server's debug output so far.
func (f *FreeRADIUS) Log() string { return f.log.String() }

// StartFreeRADIUS starts FreeRADIUS for t and stops it when t ends. The
// debug log is attached to t when it fails. It fails t (never skips) when
// FreeRADIUS is not installed.
func StartFreeRADIUS(t testing.TB, cfg FreeRADIUSConfig) *FreeRADIUS {
	t.Helper()
	bin, err := exec.LookPath("freeradius")
	if err != nil {
		t.Fatalf("radiustest: the freeradius binary is missing (apt-get install freeradius; the Makefile does): %v", err)
	}
	if cfg.Secret == "" {
		cfg.Secret = "testing123"
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	dir := filepath.Join(t.TempDir(), "raddb")
	if err := copyTree(ConfigDir, dir); err != nil {
		t.Fatalf("radiustest: copy %s: %v", ConfigDir, err)
	}
	ports, err := freeUDPPorts(2)
	if err != nil {
		t.Fatalf("radiustest: %v", err)
	}
	f := &FreeRADIUS{
		Dir:      dir,
		AuthAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ports[0]),
		AcctAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ports[1]),
		Secret:   cfg.Secret,
		AcctDir:  filepath.Join(dir, "log", "radacct"),
		log:      &logBuffer{ready: make(chan struct{})},
		done:     make(chan struct{}),
	}
	if err := f.writeConfig(cfg); err != nil {
		t.Fatalf("radiustest: configure FreeRADIUS: %v", err)
	}
	args := []string{"-f", "-X", "-l", "stdout", "-d", dir}
	if cfg.Threaded {
		args = []string{"-f", "-l", "stdout", "-d", dir}
	}
	f.cmd = exec.Command(bin, args...)
	f.cmd.Stdout = f.log
	f.cmd.Stderr = f.log
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("radiustest: start freeradius: %v", err)
	}
	go func() {
		_ = f.cmd.Wait()
		close(f.done)
	}()
	t.Cleanup(func() {
		f.stop()
		if t.Failed() {
			t.Logf("FreeRADIUS debug log (%s):\n%s", dir, f.Log())
		}
	})
	select {
	case <-f.log.ready:
	case <-f.done:
		t.Fatalf("radiustest: freeradius exited before it was ready: %v\n%s", f.cmd.ProcessState, f.Log())
	case <-time.After(cfg.StartTimeout):
		t.Fatalf("radiustest: freeradius not ready after %v\n%s", cfg.StartTimeout, f.Log())
	}
	return f
}

func (f *FreeRADIUS) stop() {
	if f.cmd.Process != nil {
		_ = f.cmd.Process.Signal(os.Interrupt)
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			_ = f.cmd.Process.Kill()
			<-f.done
		}
	}
}

// writeConfig turns the copied configuration into a private test server.
func (f *FreeRADIUS) writeConfig(cfg FreeRADIUSConfig) error {
	conf := filepath.Join(f.Dir, "radiusd.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	s := string(b)
	replace := []struct{ re, with string }{
		{`(?m)^logdir = .*$`, "logdir = " + filepath.Join(f.Dir, "log")},
		{`(?m)^run_dir = .*$`, "run_dir = " + filepath.Join(f.Dir, "run")},
		{`(?m)^\s*user = .*$`, ""},
		{`(?m)^\s*group = .*$`, ""},
		{`(?m)^(\s*)reject_delay = .*$`, "${1}reject_delay = 0"},
	}
	for _, r := range replace {
		re := regexp.MustCompile(r.re)
		if !re.MatchString(s) {
			return fmt.Errorf("radiusd.conf has no line matching %s", r.re)
		}
		s = re.ReplaceAllString(s, r.with)
	}
	if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
		return err
	}
	for _, d := range []string{"log/radacct", "run"} {
		if err := os.MkdirAll(filepath.Join(f.Dir, d), 0o755); err != nil {
			return err
		}
	}
	// One site of our own; no inner-tunnel (fixed port 18120) and no EAP
	// (which needs it).
	for _, p := range []string{"sites-enabled/default", "sites-enabled/inner-tunnel", "mods-enabled/eap"} {
		if err := os.Remove(filepath.Join(f.Dir, p)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	site := fmt.Sprintf(`server erxtest {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = %d
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = %d
	}
	authorize {
		preprocess
		chap
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
	preacct {
		preprocess
		acct_unique
	}
	accounting {
		detail
	}
	post-auth {
	}
}
`, f.AuthAddr.Port(), f.AcctAddr.Port())
	if err := os.WriteFile(filepath.Join(f.Dir, "sites-enabled", "erxtest"), []byte(site), 0o644); err != nil {
		return err
	}
	clients := fmt.Sprintf("client loopback {\n\tipaddr = 127.0.0.0/8\n\tsecret = %s\n\tnas_type = other\n}\n", cfg.Secret)
	if err := os.WriteFile(filepath.Join(f.Dir, "clients.conf"), []byte(clients), 0o644); err != nil {
		return err
	}
	authorize := filepath.Join(f.Dir, "mods-config", "files", "authorize")
	_ = os.Remove(authorize) // may be a symlink to ../../users
	return os.WriteFile(authorize, []byte(cfg.Users), 0o644)
}

// copyTree copies a directory, keeping symbolic links as they are (the
// *-enabled links are relative).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// freeUDPPorts returns n loopback UDP ports that were free a moment ago.
func freeUDPPorts(n int) ([]uint16, error) {
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var ports []uint16
	for range n {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		conns = append(conns, c)
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	}
	return ports, nil
}

// FreeUDPPort returns a loopback UDP port nobody listened on a moment ago
// (for a dead server, or a dynamic-request server).
func FreeUDPPort(t testing.TB) uint16 {
	t.Helper()
	p, err := freeUDPPorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]
}

// AccountingRecords parses every detail file FreeRADIUS wrote so far.
func (f *FreeRADIUS) AccountingRecords() ([]DetailRecord, error) {
	files, err := filepath.Glob(filepath.Join(f.AcctDir, "*", "detail-*"))
	if err != nil {
		return nil, err
	}
	var out []DetailRecord
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		recs, err := ParseDetail(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

// WaitAccounting polls the detail files until match returns true for a
// record, or ctx ends (FreeRADIUS writes them after it answers).
func (f *FreeRADIUS) WaitAccounting(ctx context.Context, match func(DetailRecord) bool) (DetailRecord, error) {
	for {
		recs, err := f.AccountingRecords()
		if err != nil {
			return DetailRecord{}, err
		}
		for _, r := range recs {
			if match(r) {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return DetailRecord{}, fmt.Errorf("no matching accounting record among %d: %w", len(recs), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
