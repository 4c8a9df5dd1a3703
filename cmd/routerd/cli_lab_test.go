package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/erxos/erx/internal/lab"
)

// TestLabManualCommit: with `service manual-commit`, configuration reaches
// flash only on `write memory`; after a restart of routerd the committed
// configuration is back and the uncommitted changes are gone.
func TestLabManualCommit(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0"}})
	l.Start()
	cnf := filepath.Join(l.FlashDir(), "system.cnf")

	l.MustSSH("configure terminal\nservice manual-commit\nhostname committed7\n" +
		"interface gigabitEthernet 2/0/0\n description uplink-committed\n ip address 10.7.0.1 255.255.255.0\n")
	if b, _ := os.ReadFile(cnf); strings.Contains(string(b), "committed7") {
		t.Errorf("manual-commit mode wrote to flash before write memory:\n%s", b)
	}
	l.MustSSH("write memory")
	b, err := os.ReadFile(cnf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"service manual-commit", "hostname committed7", "description uplink-committed", "ip address 10.7.0.1 255.255.255.0"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("system.cnf after write memory lacks %q:\n%s", want, b)
		}
	}

	// Uncommitted changes: visible in the running configuration only.
	l.MustSSH("configure terminal\nhostname uncommitted9\n" +
		"interface gigabitEthernet 2/0/0\n description uplink-uncommitted\n" +
		"ip route 10.99.0.0 255.255.0.0 10.7.0.2\n")
	if out := l.MustSSH("show configuration"); !strings.Contains(out, "hostname uncommitted9") || !strings.Contains(out, "ip route 10.99.0.0 255.255.0.0 10.7.0.2") {
		t.Fatalf("running configuration lacks the uncommitted changes:\n%s", out)
	}

	l.Stop()
	l.Start()
	out := l.MustSSH("show configuration")
	for _, want := range []string{"service manual-commit", "hostname committed7", " description uplink-committed", " ip address 10.7.0.1 255.255.255.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("after restart, show configuration lacks committed %q:\n%s\nconsole:\n%s", want, out, l.Console())
		}
	}
	for _, gone := range []string{"uncommitted9", "uplink-uncommitted", "10.99.0.0"} {
		if strings.Contains(out, gone) {
			t.Errorf("after restart, uncommitted %q is still configured:\n%s", gone, out)
		}
	}
}

// roundTripConfig is applied over SSH; it exercises the system, interface,
// VLAN, loopback, routing, static ARP and virtual-router sections.
const roundTripConfig = `configure terminal
hostname rt-lab
clock timezone EST -5
banner motd #Authorized access only#
interface gigabitEthernet 2/0/0
 description core uplink
 ip address 10.1.0.1 255.255.255.0
 ip address 10.1.1.1 255.255.255.0 secondary
 ip mtu 1400
interface gigabitEthernet 2/0/1
 encapsulation vlan
interface gigabitEthernet 2/0/1.10
 vlan id 10
 description customer ten
 ip address 10.10.0.1 255.255.255.0
interface gigabitEthernet 2/0/1.20
 vlan id 20
 ip address 10.20.0.1 255.255.255.0
 shutdown
interface loopback 0
 ip address 192.168.255.1 255.255.255.255
exit
ip route 0.0.0.0 0.0.0.0 10.1.0.254
ip route 172.16.0.0 255.240.0.0 10.10.0.2 20
ip route 10.200.0.0 255.255.0.0 gigabitEthernet 2/0/1.10
arp 10.1.0.77 0011.2233.4455
virtual-router vr1
interface gigabitEthernet 2/0/2
 description in vr1
 ip address 10.50.0.1 255.255.255.0
exit
ip route 10.60.0.0 255.255.0.0 10.50.0.2
arp 10.50.0.9 0011.2233.4466
virtual-router default
line vty 0 4
 exec-timeout 30
`

// generatedLine matches the timestamp line of show configuration.
var generatedLine = regexp.MustCompile(`(?m)^! Configuration script being generated on .*\n`)

// TestLabConfigRoundTrip applies a configuration over SSH, takes `show
// configuration`, writes it as a fresh routerd's startup configuration and
// checks that the fresh router shows the same configuration.
func TestLabConfigRoundTrip(t *testing.T) {
	ports := []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1", "gigabitEthernet 2/0/2"}
	a := lab.New(t, lab.Config{Ports: ports})
	a.Start()
	if out := a.MustSSH(roundTripConfig); strings.Contains(out, "%") {
		t.Fatalf("configuration rejected:\n%s\nconsole:\n%s", out, a.Console())
	}
	first := a.MustSSH("show configuration")
	for _, want := range []string{"hostname rt-lab", "interface gigabitEthernet 2/0/1.20", "virtual-router vr1", "ip route 10.60.0.0 255.255.0.0 10.50.0.2", "arp 10.1.0.77 0011.2233.4455", " ip address 10.1.1.1 255.255.255.0 secondary"} {
		if !strings.Contains(first, want) {
			t.Errorf("show configuration lacks %q:\n%s", want, first)
		}
	}
	a.Stop()
	replayShown(t, ports, first)
}

// replayShown starts a fresh routerd whose flash holds only first, the
// `show configuration` of another router (which carries the
// administrator: same password, the first lab's key), and checks that it
// replays every line and shows the same configuration. It returns the
// running fresh router.
func replayShown(t *testing.T, ports []string, first string) *lab.Lab {
	t.Helper()
	b := lab.New(t, lab.Config{Ports: ports})
	if err := os.WriteFile(filepath.Join(b.FlashDir(), "system.cnf"), []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Start()
	if strings.Contains(b.Console(), "failed lines") && !strings.Contains(b.Console(), "(0 failed lines)") {
		t.Errorf("replaying the shown configuration failed lines; console:\n%s", b.Console())
	}
	second, err := b.SSHPassword(lab.Password, "show configuration")
	if err != nil {
		t.Fatalf("show configuration on the fresh router: %v\n%s\nconsole:\n%s", err, second, b.Console())
	}
	x, y := generatedLine.ReplaceAllString(first, ""), generatedLine.ReplaceAllString(second, "")
	if x != y {
		t.Errorf("show configuration differs after the round trip\n--- first\n%s\n--- replayed\n%s\n--- diff\n%s", first, second, lineDiff(x, y))
	}
	return b
}

// lineDiff lists lines only in a (-) or only in b (+), in order.
func lineDiff(a, b string) string {
	in := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for _, l := range strings.Split(a, "\n") {
		if mb[l] == 0 {
			d = append(d, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if ma[l] == 0 {
			d = append(d, "+ "+l)
		}
	}
	if len(d) == 0 {
		return "(same lines, different order)"
	}
	return strings.Join(d, "\n")
}
