package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/local"
)

// The test binary doubles as routerd: started with erxRouterdEnv set it
// runs main() with the arguments that follow.
const erxRouterdEnv = "ERX_TEST_AS_ROUTERD"

func TestMain(m *testing.M) {
	if os.Getenv(erxRouterdEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lab is a host-board test bed: routerd in namespace rtr, the OpenSSH
// client in namespace cli, joined by a veth pair.
type lab struct {
	t        *testing.T
	rtr, cli string
	src, dst string // data-port neighbours
	dir      string // flash, keys, logs
	key      string // client private key
	routerd  *exec.Cmd
	console  *bytes.Buffer
}

const (
	labRouterAddr = "192.0.2.1"
	labClientAddr = "192.0.2.2"
	labPassword   = "lab-Pass-42"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newLab(t *testing.T) *lab {
	if os.Geteuid() != 0 {
		t.Skip("host-board lab requires root (network namespaces)")
	}
	for _, tool := range []string{"ip", "ssh", "sshpass", "ssh-keygen", "ssh-keyscan"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make test installs it): %v", tool, err)
		}
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	l := &lab{t: t, rtr: "erxt-r" + id, cli: "erxt-c" + id, dir: t.TempDir()}
	run(t, "ip", "netns", "add", l.rtr)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.rtr).Run() })
	run(t, "ip", "netns", "add", l.cli)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.cli).Run() })
	run(t, "ip", "-n", l.rtr, "link", "add", "mgmt0", "type", "veth", "peer", "name", "eth0", "netns", l.cli)
	run(t, "ip", "-n", l.cli, "addr", "add", labClientAddr+"/24", "dev", "eth0")
	run(t, "ip", "-n", l.cli, "link", "set", "eth0", "up")
	run(t, "ip", "-n", l.cli, "link", "set", "lo", "up")

	// Two data ports: gigabitEthernet 2/0/0 towards namespace src,
	// 2/0/1 towards namespace dst.
	l.src, l.dst = "erxt-s"+id, "erxt-d"+id
	for i, ns := range []string{l.src, l.dst} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", l.rtr, "link", "add", fmt.Sprintf("ge%d", i), "type", "veth", "peer", "name", "eth0", "netns", ns)
		run(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("10.%d.0.2/24", i+1), "dev", "eth0")
		run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", ns, "route", "add", "default", "via", fmt.Sprintf("10.%d.0.1", i+1))
	}
	board := `{"name": "lab", "management": {"nic": "mgmt0", "address": "` + labRouterAddr + `/24"},
		"ports": [{"name": "gigabitEthernet 2/0/0", "nic": "ge0"}, {"name": "gigabitEthernet 2/0/1", "nic": "ge1"}]}`
	if err := os.WriteFile(filepath.Join(l.dir, "board.json"), []byte(board), 0o644); err != nil {
		t.Fatal(err)
	}
	l.key = filepath.Join(l.dir, "id_ed25519")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", l.key)
	pub, err := os.ReadFile(l.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := local.HashSecret(labPassword)
	if err != nil {
		t.Fatal(err)
	}
	flashDir := filepath.Join(l.dir, "flash")
	os.MkdirAll(flashDir, 0o755)
	seed := fmt.Sprintf("username admin privilege 15 secret 5 %s\nusername admin public-key %s\n", hash, strings.TrimSpace(string(pub)))
	if err := os.WriteFile(filepath.Join(flashDir, "system.cnf"), []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// start runs routerd in the router namespace and waits for its SSH banner.
func (l *lab) start() {
	t := l.t
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l.console = new(bytes.Buffer)
	cmd := exec.Command("ip", "netns", "exec", l.rtr, exe,
		"-board", "host", "-board-file", filepath.Join(l.dir, "board.json"),
		"-flash", filepath.Join(l.dir, "flash"), "-ssh-addr", ":22")
	cmd.Env = append(os.Environ(), erxRouterdEnv+"=1")
	cmd.Stdout, cmd.Stderr = l.console, l.console
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.routerd = cmd
	t.Cleanup(l.stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if out, err := l.keyscan(); err == nil && out != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SSH banner from routerd within 60s; console:\n%s", l.console)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends routerd with SIGTERM and waits for it.
func (l *lab) stop() {
	if l.routerd == nil {
		return
	}
	l.routerd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- l.routerd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		l.routerd.Process.Kill()
		<-done
		l.t.Errorf("routerd did not stop on SIGTERM; console:\n%s", l.console)
	}
	l.routerd = nil
}

func (l *lab) keyscan() (string, error) {
	out, err := exec.Command("ip", "netns", "exec", l.cli, "ssh-keyscan", "-T", "2", "-t", "ed25519", labRouterAddr).Output()
	return strings.TrimSpace(string(out)), err
}

// sshOpts are the OpenSSH client options of every login (ssh keeps the
// first value it is given for an option, so logins add theirs after).
var sshOpts = []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
	"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"}

// sshKey runs command lines on the router, logging in with the key.
func (l *lab) sshKey(lines string) (string, error) {
	args := append([]string{"netns", "exec", l.cli, "ssh"}, sshOpts...)
	args = append(args, "-o", "BatchMode=yes", "-i", l.key, "admin@"+labRouterAddr, lines)
	return l.exec(args)
}

// sshPassword runs command lines on the router, logging in with a password.
func (l *lab) sshPassword(password, lines string) (string, error) {
	args := []string{"netns", "exec", l.cli, "sshpass", "-p", password, "ssh"}
	args = append(args, sshOpts...)
	args = append(args, "-o", "PubkeyAuthentication=no", "admin@"+labRouterAddr, lines)
	return l.exec(args)
}

func (l *lab) exec(args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	return string(out), err
}

func TestHostBoardSSH(t *testing.T) {
	l := newLab(t)
	l.start()
	hostKey, err := l.keyscan()
	if err != nil {
		t.Fatal(err)
	}

	out, err := l.sshKey("show version")
	if err != nil {
		t.Fatalf("key login: %v\n%s\nconsole:\n%s", err, out, l.console)
	}
	for _, want := range []string{"erx Edge Routing Switch E320-HOST", "System Release: erx_", "System running for:"} {
		if !strings.Contains(out, want) {
			t.Errorf("show version lacks %q:\n%s", want, out)
		}
	}

	out, err = l.sshPassword(labPassword, "show version")
	if err != nil || !strings.Contains(out, "System Release:") {
		t.Fatalf("password login: %v\n%s", err, out)
	}
	if out, err := l.sshPassword("wrong-password", "show version"); err == nil {
		t.Fatalf("wrong password accepted:\n%s", out)
	}

	// Configure over SSH; it is committed to flash at once and survives a
	// restart of routerd, as does the host key.
	if out, err := l.sshKey("configure terminal\nhostname lab7"); err != nil {
		t.Fatalf("configure: %v\n%s", err, out)
	}
	l.stop()
	l.start()
	if k, _ := l.keyscan(); k != hostKey {
		t.Errorf("host key changed across restart:\nbefore %s\nafter  %s", hostKey, k)
	}
	out, err = l.sshKey("show configuration")
	if err != nil {
		t.Fatalf("show configuration: %v\n%s", err, out)
	}
	if !strings.Contains(out, "hostname lab7") {
		t.Errorf("hostname did not survive the restart:\n%s", out)
	}
}

// TestHostBoardForwarding configures the data ports over SSH the E Series
// way and forwards traffic between two namespaces through erx's own data
// plane (kernel forwarding stays off in the router's namespace).
func TestHostBoardForwarding(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "netns", "exec", l.rtr, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	l.start()
	cfg := "configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n"
	if out, err := l.sshKey(cfg); err != nil {
		t.Fatalf("configure: %v\n%s\nconsole:\n%s", err, out, l.console)
	}
	// The data ports carry no kernel addresses.
	if out := run(t, "ip", "-n", l.rtr, "-4", "addr", "show", "dev", "ge0"); strings.Contains(out, "inet ") {
		t.Errorf("data port has a kernel address:\n%s", out)
	}
	if out, err := exec.Command("ip", "netns", "exec", l.src, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.2").CombinedOutput(); err != nil {
		t.Fatalf("ping through the router: %v\n%s\nconsole:\n%s", err, out, l.console)
	}
	out, err := l.sshKey("show arp")
	if err != nil || !strings.Contains(out, "10.1.0.2") || !strings.Contains(out, "10.2.0.2") {
		t.Errorf("show arp lacks the neighbours (%v):\n%s", err, out)
	}
	out, err = l.sshKey("show interfaces gigabitEthernet 2/0/0")
	if err != nil || !strings.Contains(out, "GigabitEthernet2/0/0 is Up") {
		t.Errorf("show interfaces (%v):\n%s", err, out)
	}
	// Replayed from flash after a restart, the data plane forwards again.
	l.stop()
	l.start()
	if out, err := exec.Command("ip", "netns", "exec", l.src, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.2.0.2").CombinedOutput(); err != nil {
		t.Fatalf("ping after restart: %v\n%s\nconsole:\n%s", err, out, l.console)
	}
}
