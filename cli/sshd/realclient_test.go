package sshd

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/internal/syncbuf"
	gossh "golang.org/x/crypto/ssh"
)

// recordingCommitter keeps every commit.
type recordingCommitter struct {
	mu      sync.Mutex
	commits []string
}

func (c *recordingCommitter) Commit(b []byte) error {
	c.mu.Lock()
	c.commits = append(c.commits, string(b))
	c.mu.Unlock()
	return nil
}

func (c *recordingCommitter) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.commits...)
}

// openssh returns the ssh binary and the options every test client uses,
// with a key file for admin.
func openssh(t testing.TB, addr string) (bin, host string, common []string, keyFile string) {
	t.Helper()
	bin, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal("OpenSSH client not installed (make deps installs openssh-client)")
	}
	host, port, _ := strings.Cut(addr, ":")
	block, err := gossh.MarshalPrivateKey(clientPriv(t), "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	common = []string{"-p", port, "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR"}
	return bin, host, common, keyFile
}

// tclQuote quotes s as a Tcl string for expect's send.
func tclQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\' || c == '[' || c == ']' || c == '$' || c == '{' || c == '}':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestOpenSSHExpect drives the real OpenSSH client in a pseudo-terminal
// with expect: password login, ? help at several positions, TAB
// completion, abbreviations, --More-- paging, Ctrl-C, Ctrl-Z, a few
// configuration commands and write memory in manual-commit mode.
// expect waits without a time limit (the go test -timeout bounds it).
func TestOpenSSHExpect(t *testing.T) {
	expectBin, err := exec.LookPath("expect")
	if err != nil {
		t.Fatal("expect not installed (make deps installs it)")
	}
	com := &recordingCommitter{}
	h := startWith(t, func(o *cli.Options) { o.Committer = com }, nil)
	sshBin, host, common, _ := openssh(t, h.addr)

	type step struct{ send, expect string }
	steps := []step{
		{"", "password:"},
		{"secret\r", "Logged in on vty 0 via SSH.\r\nCopyright (c) 2026 erx authors.  All rights reserved.\r\n\r\nhost1#"},
		// ? at the start, after a keyword, inside a word, after a full command.
		{"?", "  configure "},
		{"", "host1#"},
		{"show ?", "  version "},
		{"", "host1#show "},
		{"\x15sh?", "show"},
		{"", "host1#sh"},
		{"\x15show version ?", "<cr>"},
		{"", "host1#show version "},
		// TAB completion, then Enter.
		{"\x15sh\t", "host1#show "},
		{"ver\t", "show version "},
		{"\r", "System Release: erx_0-1-0.rel"},
		{"", "host1#"},
		// Abbreviations.
		{"sh ver | include Release\r", "System Release: erx_0-1-0.rel\r\nhost1#"},
		{"conf t\r", "host1(config)#"},
		// Ctrl-Z returns to Privileged Exec.
		{"\x1a", "^Z\r\nhost1#"},
		// Ctrl-C abandons a line: nothing runs, no error.
		{"configure terminal\x03", "^C\r\nhost1#"},
		// Paging: show version has 12 lines here; with length 10 the pager
		// stops after 9.
		{"terminal length 10\r", "host1#"},
		{"show version\r", " --More-- "},
		{" ", "0    online SRP-320"},
		{"", "host1#"},
		// Configuration in manual-commit mode, then write memory.
		{"configure terminal\r", "host1(config)#"},
		{"service manual-commit\r", "host1(config)#"},
		{"hostname r2\r", "r2(config)#"},
		{"line vty 0 29\r", "r2(config-line)#"},
		{"exec-timeout 30\r", "r2(config-line)#"},
		{"end\r", "r2#"},
		{"show configuration | include hostname\r", "hostname r2\r\nr2#"},
		{"write memory\r", "r2#"},
		{"exit\r", "eof"},
	}
	var script strings.Builder
	fmt.Fprintf(&script, "set timeout -1\nlog_user 1\nspawn %s %s -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 admin@%s\n",
		sshBin, strings.Join(common, " "), host)
	for _, st := range steps {
		if st.send != "" {
			fmt.Fprintf(&script, "send -- %s\n", tclQuote(st.send))
		}
		if st.expect == "eof" {
			script.WriteString("expect eof\n")
			continue
		}
		fmt.Fprintf(&script, "expect -ex %s\n", tclQuote(st.expect))
	}
	script.WriteString("catch wait result\nexit [lindex $result 3]\n")
	file := filepath.Join(t.TempDir(), "session.exp")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf syncbuf.Buffer
	cmd := exec.Command(expectBin, "-f", file)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if testing.Verbose() {
		// A hang shows how far the session got.
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = cmd.Stdout
	}
	err = cmd.Run()
	out := []byte(buf.String())
	if err != nil {
		t.Fatalf("expect: %v\n%s", err, out)
	}
	// The help lines and the unchanged error-free Ctrl-C line.
	for _, want := range []string{"host1#?\r\n", "  show ", "host1#configure terminal^C\r\n"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("% ")) {
		t.Errorf("an error was printed:\n%s", out)
	}
	// Manual commit: hostname r2 reached the flash only with write memory,
	// together with everything after it.
	commits := com.all()
	if n := len(commits); n < 2 || commits[n-2] != "hostname host1\nservice manual-commit\n" ||
		commits[n-1] != "hostname r2\nservice manual-commit\nline vty 0 29\n exec-timeout 30 0\n" {
		t.Errorf("commits: %q", commits)
	}
}

// sshClient is one running OpenSSH interactive client.
type sshClient struct {
	cmd  *exec.Cmd
	in   *os.File
	out  *syncbuf.Buffer
	done chan error
}

func startOpenSSH(t testing.TB, bin string, args []string) *sshClient {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &sshClient{cmd: exec.Command(bin, args...), in: w, out: &syncbuf.Buffer{}, done: make(chan error, 1)}
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = r, c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.in.Close()
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

var vtyLine = regexp.MustCompile(`Logged in on vty (\d+) via SSH\.`)

// TestOpenSSH32Sessions starts 32 OpenSSH clients at once. As on JunosE
// there are 30 vty lines: 30 clients get a line (each a different one,
// 0-29) and a prompt, the other two are told that all lines are in use
// and exit with status 1; when a session ends, a new client gets its
// line.
func TestOpenSSH32Sessions(t *testing.T) {
	h := start(t, nil)
	bin, host, common, key := openssh(t, h.addr)
	args := append(append([]string{}, common...), "-tt", "-i", key, "-o", "BatchMode=yes", "admin@"+host)
	var clients []*sshClient
	for range 32 {
		clients = append(clients, startOpenSSH(t, bin, args))
	}
	var in, refused []*sshClient
	waitFor(t, func() bool {
		in, refused = nil, nil
		for _, c := range clients {
			o := c.out.String()
			switch {
			case strings.Contains(o, "host1#"):
				in = append(in, c)
			case strings.Contains(o, "% All vty lines are in use"):
				refused = append(refused, c)
			}
		}
		return len(in)+len(refused) == len(clients)
	})
	if len(in) != 30 || len(refused) != 2 {
		t.Fatalf("%d sessions, %d refused; want 30 and 2", len(in), len(refused))
	}
	var vtys []string
	for _, c := range in {
		m := vtyLine.FindStringSubmatch(c.out.String())
		if m == nil {
			t.Fatalf("no login line: %q", c.out.String())
		}
		vtys = append(vtys, m[1])
	}
	sort.Slice(vtys, func(i, j int) bool {
		return len(vtys[i]) < len(vtys[j]) || len(vtys[i]) == len(vtys[j]) && vtys[i] < vtys[j]
	})
	if got := strings.Join(vtys, " "); got != "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29" {
		t.Errorf("vty lines %s", got)
	}
	for _, c := range refused {
		err := <-c.done
		c.done <- err
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("refused client exit: %v", err)
		}
	}
	// Every session still answers.
	for _, c := range in {
		fmt.Fprint(c.in, "show privilege\r")
	}
	for _, c := range in {
		waitFor(t, func() bool { return strings.Contains(c.out.String(), "Current privilege level is 15") })
	}
	// One leaves; a new client gets its line.
	m := vtyLine.FindStringSubmatch(in[0].out.String())
	fmt.Fprint(in[0].in, "exit\r")
	err := <-in[0].done
	in[0].done <- err
	if err != nil {
		t.Errorf("exit: %v", err)
	}
	waitFor(t, func() bool { return len(h.srv.Users()) == 29 })
	late := startOpenSSH(t, bin, args)
	waitFor(t, func() bool { return strings.Contains(late.out.String(), "host1#") })
	if got := vtyLine.FindStringSubmatch(late.out.String()); got == nil || got[1] != m[1] {
		t.Errorf("late client got %v, want vty %s", got, m[1])
	}
	for _, c := range append(in[1:], late) {
		fmt.Fprint(c.in, "exit\r")
	}
	waitFor(t, func() bool { return len(h.srv.Users()) == 0 })
}
