// Package lab builds host-board test beds: routerd as an ordinary process
// in a network namespace of its own, its management port reached by the
// real OpenSSH client from a second namespace, and each data port a veth
// to a neighbour namespace. Every namespace is created by the test and
// removed when it ends. The tests that use it need root.
package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/local"
	"github.com/erxos/erx/internal/netns"
	"github.com/erxos/erx/internal/syncbuf"
)

// Addresses of the management network between the router and the client
// namespace (TEST-NET-1, inside the test's own namespaces).
const (
	RouterAddr = "192.0.2.1"
	ClientAddr = "192.0.2.2"
	// Password is the seeded administrator's password.
	Password = "lab-Pass-42"
)

// Config describes a lab.
type Config struct {
	// Ports are the data ports, e.g. "gigabitEthernet 2/0/0". Port i is the
	// router's NIC "ge<i>", a veth whose peer is "eth0" (up, no address) in
	// namespace Neighbours[i].
	Ports []string
	// Startup is appended to the seeded startup configuration.
	Startup string
}

// Lab is one test bed.
type Lab struct {
	t testing.TB
	// Router and Client are the namespaces of routerd and of the SSH client.
	Router, Client string
	// Neighbours are the namespaces at the far end of the data ports.
	Neighbours []string
	// Dir holds the flash directory, the board file and the client key.
	Dir string
	// Key is the administrator's SSH private key.
	Key string

	routerd *exec.Cmd
	done    chan struct{}
	console syncbuf.Buffer
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	return netns.Run(t, name, args...)
}

// New creates the namespaces, the board file and a flash seeded with an
// administrator (key and password). It skips the test when not root.
func New(t testing.TB, cfg Config) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("host-board lab requires root (network namespaces)")
	}
	for _, tool := range []string{"ip", "ssh", "sshpass", "ssh-keygen", "ssh-keyscan", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make test installs it): %v", tool, err)
		}
	}
	id := nextID()
	l := &Lab{t: t, Router: "erxl-r" + id, Client: "erxl-c" + id, Dir: t.TempDir()}
	l.addNS(l.Router)
	l.addNS(l.Client)
	netns.Veth(t, l.Router, "mgmt0", l.Client, "eth0")
	Run(t, "ip", "-n", l.Client, "addr", "add", ClientAddr+"/24", "dev", "eth0")
	Run(t, "ip", "-n", l.Client, "link", "set", "eth0", "up")

	var ports []string
	for i, name := range cfg.Ports {
		ns := fmt.Sprintf("erxl-n%d-%s", i, id)
		l.addNS(ns)
		l.Neighbours = append(l.Neighbours, ns)
		netns.Veth(t, l.Router, fmt.Sprintf("ge%d", i), ns, "eth0")
		Run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
		ports = append(ports, fmt.Sprintf(`{"name": %q, "nic": "ge%d"}`, name, i))
	}
	board := fmt.Sprintf(`{"name": "lab", "management": {"nic": "mgmt0", "address": "%s/24"}, "ports": [%s]}`,
		RouterAddr, strings.Join(ports, ", "))
	if err := os.WriteFile(filepath.Join(l.Dir, "board.json"), []byte(board), 0o644); err != nil {
		t.Fatal(err)
	}

	l.Key = filepath.Join(l.Dir, "id_ed25519")
	Run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", l.Key)
	pub, err := os.ReadFile(l.Key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := local.HashSecret(Password)
	if err != nil {
		t.Fatal(err)
	}
	seed := fmt.Sprintf("username admin privilege 15 secret 5 %s\nusername admin public-key %s\n%s",
		hash, strings.TrimSpace(string(pub)), cfg.Startup)
	if err := os.MkdirAll(l.FlashDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.FlashDir(), "system.cnf"), []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *Lab) addNS(name string) {
	netns.Add(l.t, name)
	Run(l.t, "ip", "-n", name, "link", "set", "lo", "up")
}

// FlashDir is the directory standing in for the router's flash.
func (l *Lab) FlashDir() string { return filepath.Join(l.Dir, "flash") }

// Console is what routerd printed so far.
func (l *Lab) Console() string { return l.console.String() }

// Start runs routerd in the router namespace and waits for its SSH banner.
func (l *Lab) Start() {
	t := l.t
	t.Helper()
	bin := routerdBinary(t)
	cmd := exec.Command("ip", "netns", "exec", l.Router, bin,
		"-board", "host", "-board-file", filepath.Join(l.Dir, "board.json"),
		"-flash", l.FlashDir(), "-ssh-addr", ":22")
	cmd.Stdout, cmd.Stderr = &l.console, &l.console
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.routerd, l.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(l.done)
	t.Cleanup(l.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if out, err := l.Keyscan(); err == nil && out != "" {
			return
		}
		select {
		case <-l.done:
			t.Fatalf("routerd exited during start; console:\n%s", l.Console())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SSH banner from routerd within 60s; console:\n%s", l.Console())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop ends routerd with SIGTERM and waits for it; it is a no-op when
// routerd is not running.
func (l *Lab) Stop() {
	if l.routerd == nil {
		return
	}
	l.routerd.Process.Signal(syscall.SIGTERM)
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		l.routerd.Process.Kill()
		<-l.done
		l.t.Errorf("routerd did not stop on SIGTERM; console:\n%s", l.Console())
	}
	l.routerd = nil
}

// RouterdPID is the process ID of the running routerd (`ip netns exec`
// replaces itself with it), or 0 when it is not running.
func (l *Lab) RouterdPID() int {
	if l.routerd == nil {
		return 0
	}
	return l.routerd.Process.Pid
}

// Keyscan returns the router's Ed25519 host key as ssh-keyscan prints it.
func (l *Lab) Keyscan() (string, error) {
	out, err := exec.Command("ip", "netns", "exec", l.Client, "ssh-keyscan", "-T", "2", "-t", "ed25519", RouterAddr).Output()
	return strings.TrimSpace(string(out)), err
}

// sshOpts are the OpenSSH client options of every login (ssh keeps the
// first value it is given for an option, so logins add theirs after).
var sshOpts = []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
	"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"}

// SSH runs command lines (newline-separated) on the router as admin,
// logging in with the key.
func (l *Lab) SSH(lines string) (string, error) {
	args := append([]string{"netns", "exec", l.Client, "ssh"}, sshOpts...)
	args = append(args, "-o", "BatchMode=yes", "-i", l.Key, "admin@"+RouterAddr, lines)
	return l.ip(args)
}

// SSHPassword runs command lines on the router, logging in with a password.
func (l *Lab) SSHPassword(password, lines string) (string, error) {
	args := []string{"netns", "exec", l.Client, "sshpass", "-p", password, "ssh"}
	args = append(args, sshOpts...)
	args = append(args, "-o", "PubkeyAuthentication=no", "admin@"+RouterAddr, lines)
	return l.ip(args)
}

// MustSSH is SSH that fails the test on error, with the console.
func (l *Lab) MustSSH(lines string) string {
	l.t.Helper()
	out, err := l.SSH(lines)
	if err != nil {
		l.t.Fatalf("ssh %q: %v\n%s\nconsole:\n%s", lines, err, out, l.Console())
	}
	return out
}

// In runs a command inside namespace ns.
func (l *Lab) In(ns string, name string, args ...string) (string, error) {
	return l.ip(append([]string{"netns", "exec", ns, name}, args...))
}

func (l *Lab) ip(args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	return string(out), err
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	idMu      sync.Mutex
	idNext    int
)

// nextID names a lab uniquely on the machine: process and sequence.
func nextID() string {
	idMu.Lock()
	defer idMu.Unlock()
	idNext++
	return fmt.Sprintf("%d-%d", os.Getpid()%100000, idNext)
}

// routerdBinary builds routerd once per test process.
func routerdBinary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "erx-lab-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "routerd")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/routerd")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build routerd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Cleanup removes the routerd binary built for this process; call it from
// TestMain after m.Run.
func Cleanup() {
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
}
