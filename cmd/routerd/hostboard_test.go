package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/erxos/erx/internal/lab"
)

func TestMain(m *testing.M) {
	code := m.Run()
	lab.Cleanup()
	os.Exit(code)
}

func TestHostBoardSSH(t *testing.T) {
	l := lab.New(t, lab.Config{})
	l.Start()
	hostKey, err := l.Keyscan()
	if err != nil {
		t.Fatal(err)
	}

	out := l.MustSSH("show version")
	for _, want := range []string{"erx Edge Routing Switch E320-HOST", "System Release: erx_", "System running for:"} {
		if !strings.Contains(out, want) {
			t.Errorf("show version lacks %q:\n%s", want, out)
		}
	}
	out, err = l.SSHPassword(lab.Password, "show version")
	if err != nil || !strings.Contains(out, "System Release:") {
		t.Fatalf("password login: %v\n%s", err, out)
	}
	if out, err := l.SSHPassword("wrong-password", "show version"); err == nil {
		t.Fatalf("wrong password accepted:\n%s", out)
	}

	// Configure over SSH; it is committed to flash at once and survives a
	// restart of routerd, as does the host key.
	l.MustSSH("configure terminal\nhostname lab7")
	l.Stop()
	l.Start()
	if k, _ := l.Keyscan(); k != hostKey {
		t.Errorf("host key changed across restart:\nbefore %s\nafter  %s", hostKey, k)
	}
	if out := l.MustSSH("show configuration"); !strings.Contains(out, "hostname lab7") {
		t.Errorf("hostname did not survive the restart:\n%s", out)
	}
}

// TestHostBoardForwarding configures the data ports over SSH the E Series
// way and forwards traffic between two namespaces through erx's own data
// plane (kernel forwarding stays off in the router's namespace).
func TestHostBoardForwarding(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1"}})
	src := l.Neighbours[0]
	for i, ns := range l.Neighbours {
		lab.Run(t, "ip", "-n", ns, "addr", "add", []string{"10.1.0.2/24", "10.2.0.2/24"}[i], "dev", "eth0")
		lab.Run(t, "ip", "-n", ns, "route", "add", "default", "via", []string{"10.1.0.1", "10.2.0.1"}[i])
	}
	lab.Run(t, "ip", "netns", "exec", l.Router, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	l.Start()
	l.MustSSH("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n")
	// The data ports carry no kernel addresses.
	if out := lab.Run(t, "ip", "-n", l.Router, "-4", "addr", "show", "dev", "ge0"); strings.Contains(out, "inet ") {
		t.Errorf("data port has a kernel address:\n%s", out)
	}
	ping := func(when string) {
		t.Helper()
		if out, err := exec.Command("ip", "netns", "exec", src, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.2").CombinedOutput(); err != nil {
			t.Fatalf("ping through the router %s: %v\n%s\nconsole:\n%s", when, err, out, l.Console())
		}
	}
	ping("after configuration")
	if out := l.MustSSH("show arp"); !strings.Contains(out, "10.1.0.2") || !strings.Contains(out, "10.2.0.2") {
		t.Errorf("show arp lacks the neighbours:\n%s", out)
	}
	if out := l.MustSSH("show interfaces gigabitEthernet 2/0/0"); !strings.Contains(out, "GigabitEthernet2/0/0 is Up") {
		t.Errorf("show interfaces:\n%s", out)
	}
	// Replayed from flash after a restart, the data plane forwards again.
	l.Stop()
	l.Start()
	ping("after a restart")
}
