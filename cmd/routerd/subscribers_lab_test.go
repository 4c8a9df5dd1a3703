package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// subscriberConfig exercises every AAA and subscriber-access section:
// RADIUS servers of each kind with their options (two authentication
// servers, a quoted key), the server algorithm, method lists, accounting
// and its interval, local pools (two ranges, one pool in another
// virtual router), the subscriber local database, PPPoE and
// IP-subscriber interfaces.
const subscriberConfig = `configure terminal
aaa local database default
aaa local username pppuser password ppp-pw
radius authentication server 10.9.0.1
 key auth-key
 udp-port 11812
 timeout 5
 retransmit 2
 deadtime 1
 max-sessions 100
exit
radius authentication server 10.9.0.2
 key "auth key two"
exit
radius accounting server 10.9.0.1
 key acct-key
 udp-port 11813
exit
radius dynamic-request server 10.9.0.3
 key coa-key
 udp-port 31700
exit
radius algorithm round-robin
aaa authentication ppp default local radius
aaa authentication ip default none
aaa accounting ppp default radius
aaa accounting interval 15
ip local pool SUBS 100.64.0.10 100.64.0.50
ip local pool SUBS 100.64.1.1
ip local pool IPOE 10.2.0.100 10.2.0.150
interface gigabitEthernet 2/0/0
 ip address 10.1.0.1 255.255.255.0
 encapsulation pppoe
 pppoe ac-name erx-lab
 pppoe sessions 100
 ppp authentication chap pap
interface gigabitEthernet 2/0/1
 ip address 10.2.0.1 255.255.255.0
 ip auto-configure ip-subscriber pool IPOE
exit
virtual-router vr1
ip local pool VRPOOL 100.80.0.1 100.80.0.9
virtual-router default
`

// TestLabSubscriberConfigRoundTrip applies the AAA and subscriber
// configuration over SSH, takes `show configuration`, starts a fresh
// routerd from it and checks that the fresh router replays every line
// (the sections come back in an order where each line's dependencies
// exist: pools named by interfaces, servers named by method lists), shows
// the same configuration, and serves a PPPoE subscriber with it.
func TestLabSubscriberConfigRoundTrip(t *testing.T) {
	ports := []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1"}
	a := lab.New(t, lab.Config{Ports: ports})
	a.Start()
	if out := a.MustSSH(subscriberConfig); strings.Contains(out, "%") {
		t.Fatalf("configuration rejected:\n%s\nconsole:\n%s", out, a.Console())
	}
	first := a.MustSSH("show configuration")
	for _, want := range []string{
		"radius authentication server 10.9.0.2\n key \"auth key two\"",
		" max-sessions 100", "radius dynamic-request server 10.9.0.3", "radius algorithm round-robin",
		"aaa authentication ppp default local radius", "aaa accounting interval 15",
		" ip auto-configure ip-subscriber pool IPOE", " pppoe ac-name erx-lab", "ip local pool SUBS 100.64.1.1",
		"ip local pool VRPOOL 100.80.0.1 100.80.0.9",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("show configuration lacks %q:\n%s", want, first)
		}
	}
	a.Stop()

	b := replayShown(t, ports, first)

	// The replayed router serves a subscriber: local CHAP, an address
	// from the pool.
	emu := neighbourEmulator(t, b.Neighbours[0])
	ctx, cancel := context.WithTimeout(context.Background(), loginLimit)
	defer cancel()
	s, err := emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 2, 1}, User: "pppuser",
		Password: "ppp-pw", Accept: []ppp.AuthProtocol{ppp.AuthCHAP}, Retries: 5, RetryInterval: 2 * time.Second})
	if err != nil {
		t.Fatalf("login on the replayed router: %v\nconsole:\n%s", err, b.Console())
	}
	if s.Address().String() != "100.64.0.10" {
		t.Errorf("address %v, want the first of pool SUBS", s.Address())
	}
	out, err := b.SSHPassword(lab.Password, "show subscribers\nshow radius servers\nshow ip local pool")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pppuser   PPP  100.64.0.10", "10.9.0.2 authentication  1812", "10.9.0.3 dynamic-request 31700",
		"SUBS 100.64.0.10 100.64.0.50", "IPOE 10.2.0.100  10.2.0.150"} {
		if !strings.Contains(out, want) {
			t.Errorf("replayed router's show output lacks %q:\n%s", want, out)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// openPacket opens an AF_PACKET link on eth0 of namespace ns.
func openPacket(t *testing.T, ns string) pppoetest.Link {
	t.Helper()
	var link pppoetest.Link
	if err := lab.InNetns(ns, func() (err error) { link, err = pppoetest.OpenPacket("eth0"); return err }); err != nil {
		t.Fatal(err)
	}
	return link
}

// neighbourEmulator is a PPPoE subscriber emulator on eth0 of neighbour
// namespace ns, with IPv6 off in ns (no kernel traffic of its own on
// the subscribers' wire); it is closed when the test ends.
func neighbourEmulator(t *testing.T, ns string) *pppoetest.Emulator {
	t.Helper()
	lab.Run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	emu := pppoetest.NewEmulator(openPacket(t, ns))
	t.Cleanup(func() { emu.Close() })
	return emu
}
