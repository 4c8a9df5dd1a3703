package lccli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/erxos/erx/cli"
)

// TestCommandLevels checks the privilege levels of cli.md §2: Privileged
// Exec show commands need level 5, ping and traceroute are User Exec
// (level 1), clear commands need 10.
func TestCommandLevels(t *testing.T) {
	r := newRig(t)
	r.configure(t, "interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0")
	for _, tc := range []struct {
		line  string
		level int // lowest level that may run it
	}{
		{"show interfaces gigabitEthernet 2/0/0", 5},
		{"show ip interface brief", 5},
		{"show ip interface gigabitEthernet 2/0/0", 5},
		{"show ip route", 5},
		{"show arp", 5},
		{"show virtual-router", 5},
		{"virtual-router default", 1},
		{"clear arp-cache", 10},
		{"clear interfaces", 10},
	} {
		for _, level := range []int{tc.level - 1, tc.level} {
			if level < 0 {
				continue
			}
			s := r.in.NewSession(cli.SessionOptions{User: "u", Privilege: level})
			var out bytes.Buffer
			err := s.Exec(tc.line, &out)
			refused := err != nil // every line succeeds where allowed
			if want := level < tc.level; refused != want {
				t.Errorf("level %d: %q refused=%v, want %v (err %v)\n%s", level, tc.line, refused, want, err, out.String())
			}
		}
	}
}

// TestFailedVLANLeavesNoBlock: a subinterface whose `vlan id` failed and
// that has nothing else configured is not written to the configuration;
// one with a description still is.
func TestFailedVLANLeavesNoBlock(t *testing.T) {
	r := newRig(t)
	s := r.session()
	var out bytes.Buffer
	for _, l := range []string{"configure terminal", "interface gigabitEthernet 2/0/0.100", "vlan id 100",
		"interface gigabitEthernet 2/0/1.7", "description waiting for encapsulation", "end"} {
		s.Exec(l, &out)
	}
	if !strings.Contains(out.String(), "% VLAN encapsulation is not configured") {
		t.Fatalf("vlan id did not fail:\n%s", out.String())
	}
	cfg := r.config(t)
	if strings.Contains(cfg, "gigabitEthernet 2/0/0.100") {
		t.Errorf("empty subinterface block in the configuration:\n%s", cfg)
	}
	if !strings.Contains(cfg, "interface gigabitEthernet 2/0/1.7\n description waiting for encapsulation\n") {
		t.Errorf("configured subinterface missing:\n%s", cfg)
	}
}

// TestAdministrativeMTU: `show interfaces` gives the MTU in force as
// Administrative, never 0.
func TestAdministrativeMTU(t *testing.T) {
	r := newRig(t)
	r.configure(t, "interface gigabitEthernet 2/0/1", "mtu 1400", "encapsulation vlan",
		"interface gigabitEthernet 2/0/1.5", "vlan id 5",
		"interface gigabitEthernet 2/0/0", "encapsulation vlan",
		"interface gigabitEthernet 2/0/0.6", "vlan id 6", "mtu 1200",
		"interface loopback 2")
	for _, tc := range []struct{ ifName, want string }{
		{"gigabitEthernet 2/0/0", "MTU: Operational 1500, Administrative 1500"},
		{"gigabitEthernet 2/0/1", "MTU: Operational 1400, Administrative 1400"},
		{"gigabitEthernet 2/0/1.5", "MTU: Operational 1400, Administrative 1400"},
		{"gigabitEthernet 2/0/0.6", "MTU: Operational 1200, Administrative 1200"},
		{"loopback 2", "MTU: Operational 65535, Administrative 65535"},
	} {
		var out bytes.Buffer
		if err := r.session().Exec("show interfaces "+tc.ifName, &out); err != nil {
			t.Fatalf("%s: %v", tc.ifName, err)
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("show interfaces %s: want %q in\n%s", tc.ifName, tc.want, out.String())
		}
	}
}

// TestVirtualRouterBlocksLast: the running configuration writes each
// non-default virtual router as a `virtual-router NAME` block after all
// default-VR lines and never prints `virtual-router default` (API.md), so
// that replaying it puts nothing in the wrong context.
func TestVirtualRouterBlocksLast(t *testing.T) {
	r := newRig(t)
	r.configure(t,
		"virtual-router vr1", "interface gigabitEthernet 2/0/1", "ip address 10.1.0.1 255.255.255.0",
		"exit", "ip route 10.9.0.0 255.255.0.0 10.1.0.7",
		"virtual-router default", "interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0",
		"exit", "ip route 10.8.0.0 255.255.0.0 10.0.0.7")
	cfg := r.config(t)
	if strings.Contains(cfg, "virtual-router default") {
		t.Errorf("configuration prints virtual-router default:\n%s", cfg)
	}
	vr := strings.Index(cfg, "virtual-router vr1\n")
	if vr < 0 {
		t.Fatalf("no virtual-router vr1 block:\n%s", cfg)
	}
	for _, l := range []string{"ip address 10.0.0.1 255.255.255.0", "ip route 10.8.0.0 255.255.0.0 10.0.0.7"} {
		if i := strings.Index(cfg, l); i < 0 || i > vr {
			t.Errorf("default-VR line %q not before the vr1 block:\n%s", l, cfg)
		}
	}
	for _, l := range []string{"ip address 10.1.0.1 255.255.255.0", "ip route 10.9.0.0 255.255.0.0 10.1.0.7"} {
		if i := strings.Index(cfg, l); i < vr {
			t.Errorf("vr1 line %q not in the vr1 block:\n%s", l, cfg)
		}
	}
}
