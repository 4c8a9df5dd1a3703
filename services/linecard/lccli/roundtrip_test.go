package lccli

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/erxos/erx/services/linecard"
)

// engineState describes everything the commands put into the data plane
// (interface indexes excepted: they are never reused, so a replay that
// skips deleted interfaces numbers differently).
func engineState(t testing.TB, e *linecard.Engine) string {
	t.Helper()
	var b strings.Builder
	ifs := e.Interfaces()
	slices.SortFunc(ifs, func(a, b linecard.InterfaceInfo) int { return strings.Compare(a.Name, b.Name) })
	for _, i := range ifs {
		fmt.Fprintf(&b, "if %q kind=%v vlan=%d vr=%s up=%v mtu=%d mac=%x desc=%q addrs=%v\n",
			i.Name, i.Kind, i.VLAN, i.VirtualRouter, i.AdminUp, i.MTU, i.MAC, i.Description, i.Addresses)
	}
	for _, vr := range e.VirtualRouters() {
		fmt.Fprintf(&b, "vr %s\n", vr)
		rs, err := e.Routes(vr)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			fmt.Fprintf(&b, " route %v %v %d %v %q best=%v\n", r.Prefix, r.Type, r.Distance, r.NextHop, r.Interface, r.Best)
		}
		as, err := e.ARPEntries(vr)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			fmt.Fprintf(&b, " arp %v %x %v %q\n", a.Addr, a.MAC, a.State, a.Interface)
		}
	}
	return b.String()
}

// everyCommand configures with every configuration command the package
// registers, including ones that undo earlier ones.
var everyCommand = []string{
	"interface gigabitEthernet 2/0/0",
	"description uplink to the core",
	"mtu 1400",
	"ip mtu 1380",
	"ip address 10.0.0.1 255.255.255.0",
	"ip address 10.0.1.1 255.255.255.0 secondary",
	"ip address 10.0.2.1 255.255.255.0 secondary",
	"no ip address 10.0.2.1 255.255.255.0",
	"interface gigabitEthernet 2/0/1",
	"encapsulation vlan",
	"mtu 1496",
	"interface gigabitEthernet 2/0/1.100",
	"description customer a",
	"vlan id 100",
	"ip address 10.1.0.1 255.255.255.0",
	"interface gigabitEthernet 2/0/1.200",
	"shutdown",
	"vlan id 200",
	"interface gigabitEthernet 2/0/1.300",
	"description no vlan yet",
	"interface gigabitEthernet 2/0/1.400",
	"vlan id 400",
	"interface gigabitEthernet 2/0/1.500",
	"vlan id 500",
	"shutdown",
	"no shutdown",
	"description temporary",
	"no description",
	"mtu 1200",
	"no mtu",
	"exit",
	"no interface gigabitEthernet 2/0/1.400",
	"interface loopback 0",
	"ip address 192.0.2.1 255.255.255.255",
	"interface loopback 7",
	"interface loopback 8",
	"no interface loopback 8",
	"interface fastEthernet 6/0/0",
	"description management",
	"ip address 192.168.1.10 255.255.255.0",
	"ip route 0.0.0.0 0.0.0.0 10.0.0.254",
	"ip route 172.16.0.0 255.255.0.0 gigabitEthernet 2/0/1.100",
	"ip route 172.16.0.0 255.255.0.0 10.0.0.9 200",
	"ip route 172.18.0.0 255.255.0.0 10.0.0.9",
	"no ip route 172.18.0.0 255.255.0.0",
	"arp 10.0.0.9 0200.0000.0009",
	"arp 10.1.0.9 0200.0000.0109",
	"arp 10.0.1.7 0200.0000.0107",
	"no arp 10.0.1.7",
	"virtual-router vr1",
	"interface gigabitEthernet 3/0/0",
	"ip address 10.0.0.1 255.255.255.0",
	"ip mtu 1300",
	"interface gigabitEthernet 2/0/1.200",
	"ip address 10.2.0.1 255.255.255.0",
	"exit",
	"ip route 0.0.0.0 0.0.0.0 10.0.0.99 10",
	"ip route 10.8.0.0 255.255.0.0 gigabitEthernet 2/0/1.200",
	"arp 10.0.0.77 0200.0000.0077",
	"virtual-router vr2",
	"virtual-router vr3",
	"ip route 10.3.0.0 255.255.0.0 10.9.9.9",
	"virtual-router default",
	"no virtual-router vr3",
	"virtual-router vr2",
}

func TestRoundTrip(t *testing.T) {
	r := newRig(t)
	r.configure(t, everyCommand...)
	cfg := r.config(t)
	want := `hostname host1
interface gigabitEthernet 2/0/0
 description uplink to the core
 mtu 1400
 ip address 10.0.0.1 255.255.255.0
 ip address 10.0.1.1 255.255.255.0 secondary
 ip mtu 1380
interface gigabitEthernet 2/0/1
 mtu 1496
 encapsulation vlan
interface gigabitEthernet 2/0/1.100
 vlan id 100
 description customer a
 ip address 10.1.0.1 255.255.255.0
interface gigabitEthernet 2/0/1.200
 vlan id 200
 shutdown
interface gigabitEthernet 2/0/1.300
 description no vlan yet
interface gigabitEthernet 2/0/1.500
 vlan id 500
interface fastEthernet 6/0/0
 description management
 ip address 192.168.1.10 255.255.255.0
interface loopback 0
 ip address 192.0.2.1 255.255.255.255
interface loopback 7
ip route 0.0.0.0 0.0.0.0 10.0.0.254
ip route 172.16.0.0 255.255.0.0 gigabitEthernet 2/0/1.100
ip route 172.16.0.0 255.255.0.0 10.0.0.9 200
arp 10.0.0.9 0200.0000.0009
arp 10.1.0.9 0200.0000.0109
virtual-router vr1
interface gigabitEthernet 2/0/1.200
 ip address 10.2.0.1 255.255.255.0
interface gigabitEthernet 3/0/0
 ip address 10.0.0.1 255.255.255.0
 ip mtu 1300
ip route 0.0.0.0 0.0.0.0 10.0.0.99 10
ip route 10.8.0.0 255.255.0.0 gigabitEthernet 2/0/1.200
arp 10.0.0.77 0200.0000.0077
virtual-router vr2
`
	if cfg != want {
		t.Fatalf("running configuration:\n%s\nwant:\n%s", cfg, want)
	}
	// What show configuration prints replays into a fresh router.
	var shown bytes.Buffer
	if err := r.session().Exec("show configuration", &shown); err != nil {
		t.Fatal(err)
	}
	r2 := newRig(t)
	if err := r2.in.Replay(&shown, func(n int, line string, err error) {
		t.Errorf("replay line %d %q: %v", n, line, err)
	}); err != nil {
		t.Fatal(err)
	}
	if got := r2.config(t); got != cfg {
		t.Errorf("replayed running configuration:\n%s\nwant:\n%s", got, cfg)
	}
	if got, want := engineState(t, r2.eng), engineState(t, r.eng); got != want {
		t.Errorf("replayed data plane:\n%s\nwant:\n%s", got, want)
	}
	if got, want := r2.mgmt.State(), r.mgmt.State(); got.Address != want.Address || got.Mode != want.Mode {
		t.Errorf("management port %+v, want %+v", got, want)
	}
}

// TestBadInputChangesNothing types each bad line into a configured router
// and checks that it fails with a % message and changes neither the
// running configuration nor the data plane.
func TestBadInputChangesNothing(t *testing.T) {
	base := []string{
		"interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0", "encapsulation vlan",
		"interface gigabitEthernet 2/0/0.100", "vlan id 100", "ip address 10.1.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/1", "ip address 10.0.1.1 255.255.255.0",
		"ip route 0.0.0.0 0.0.0.0 10.0.0.254",
		"arp 10.0.0.9 0200.0000.0009",
		"virtual-router vr1",
		"interface gigabitEthernet 3/0/0", "ip address 10.0.0.1 255.255.255.0",
		"virtual-router default",
	}
	for _, tc := range []struct {
		ctx  []string // lines that set up the mode (their own effect is checked too)
		line string
		want string
	}{
		{nil, "interface gigabitEthernet 9/0/0", "% Invalid interface\n"},
		{nil, "interface gigabitEthernet 2/0/9.5", "% Invalid interface\n"},
		{[]string{"interface gigabitEthernet 2/0/1"}, "ip address 10.0.0.7 255.255.0.0", "% 10.0.0.7 255.255.0.0 overlaps 10.0.0.1 255.255.255.0 on gigabitEthernet 2/0/0\n"},
		{[]string{"interface gigabitEthernet 2/0/1"}, "ip address 10.0.1.9 255.255.255.0", ""},
		{[]string{"interface gigabitEthernet 2/0/1"}, "ip address 10.0.1.1 255.0.255.0", "                    ^\n% Invalid input detected at '^' marker.\n"},
		{[]string{"interface gigabitEthernet 2/0/0.100"}, "vlan id 4095", "        ^\n% Invalid input detected at '^' marker.\n"},
		{[]string{"interface gigabitEthernet 2/0/0.100"}, "vlan id 200", "% VLAN ID 100 is already configured on gigabitEthernet 2/0/0.100; delete the subinterface to change it\n"},
		{[]string{"interface gigabitEthernet 2/0/0.200"}, "vlan id 100", "% VLAN ID 100 is already used by gigabitEthernet 2/0/0.100\n"},
		{[]string{"interface gigabitEthernet 2/0/0"}, "no encapsulation vlan", "% Remove the subinterfaces of gigabitEthernet 2/0/0 first (gigabitEthernet 2/0/0.100)\n"},
		{[]string{"interface gigabitEthernet 2/0/0"}, "mtu 1501", "% MTU 1501 is out of range 68-1500 on gigabitEthernet 2/0/0\n"},
		{[]string{"virtual-router vr1", "interface gigabitEthernet 2/0/1"}, "ip address 10.7.0.1 255.255.255.0", "% Interface gigabitEthernet 2/0/1 is in virtual router default\n"},
		{[]string{"virtual-router vr1"}, "ip route 10.9.0.0 255.255.0.0 gigabitEthernet 2/0/1", "% Interface gigabitEthernet 2/0/1 is in virtual router default\n"},
		{nil, "ip route 10.9.0.1 255.255.0.0 10.0.0.2", "% Inconsistent address and mask\n"},
		{nil, "no ip route 10.9.0.0 255.255.0.0", "% No matching route to delete\n"},
		{nil, "no virtual-router vr1", "% Virtual router vr1 has interfaces (gigabitEthernet 3/0/0); remove their addresses first\n"},
		{nil, "no virtual-router nosuch", "% Virtual router nosuch does not exist\n"},
		{nil, "arp 10.5.0.9 0200.0000.0009", "% No interface in virtual router default has a subnet containing 10.5.0.9\n"},
		{nil, "arp 10.0.0.8 0200.0000", "% Invalid MAC address (use xxxx.xxxx.xxxx)\n"},
		{nil, "no interface gigabitEthernet 2/0/0", "% Physical interface gigabitEthernet 2/0/0 cannot be deleted\n"},
		{[]string{"interface fastEthernet 6/0/0"}, "ip address 10.0.1.5 255.255.255.0", "% 10.0.1.5 255.255.255.0 overlaps 10.0.1.1 255.255.255.0 on gigabitEthernet 2/0/1\n"},
		{[]string{"interface fastEthernet 6/0/0"}, "ip address 192.168.7.5 255.255.255.0 secondary", "% Secondary addresses are not supported on the management port\n"},
		{[]string{"interface loopback 9"}, "ip address 10.1.0.9 255.255.255.255", "% 10.1.0.9 255.255.255.255 overlaps 10.1.0.1 255.255.255.0 on gigabitEthernet 2/0/0.100\n"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			r := newRig(t)
			r.configure(t, base...)
			s := r.session()
			var out bytes.Buffer
			for _, l := range append([]string{"configure terminal"}, tc.ctx...) {
				if err := s.Exec(l, &out); err != nil {
					t.Fatalf("%q: %v %s", l, err, out.String())
				}
			}
			cfg, eng := r.config(t), engineState(t, r.eng)
			out.Reset()
			err := s.Exec(tc.line, &out)
			if out.String() != tc.want {
				t.Errorf("output %q, want %q", out.String(), tc.want)
			}
			if (err != nil) != (tc.want != "") {
				t.Errorf("error %v with output %q", err, out.String())
			}
			if tc.want == "" {
				return
			}
			if got := r.config(t); got != cfg {
				t.Errorf("configuration changed:\n%s\nwas:\n%s", got, cfg)
			}
			if got := engineState(t, r.eng); got != eng {
				t.Errorf("data plane changed:\n%s\nwas:\n%s", got, eng)
			}
		})
	}
}

// TestDeletedVirtualRouter: a session whose virtual router another
// session deleted gets a clear error, not a panic.
func TestDeletedVirtualRouter(t *testing.T) {
	r := newRig(t)
	a, b := r.session(), r.session()
	transcript(a, "configure terminal", "virtual-router vr1")
	transcript(b, "configure terminal", "no virtual-router vr1")
	got := transcript(a, "ip route 10.0.0.0 255.0.0.0 10.1.1.1", "arp 10.0.0.1 0200.0000.0001", "do show ip route", "do show arp", "do ping 10.0.0.1")
	want := "host1:vr1(config)#ip route 10.0.0.0 255.0.0.0 10.1.1.1\n% Virtual router vr1 does not exist\n" +
		"host1:vr1(config)#arp 10.0.0.1 0200.0000.0001\n% Virtual router vr1 does not exist\n" +
		"host1:vr1(config)#do show ip route\n% Virtual router vr1 does not exist\n" +
		"host1:vr1(config)#do show arp\n% Virtual router vr1 does not exist\n" +
		"host1:vr1(config)#do ping 10.0.0.1\n% Virtual router vr1 does not exist\n" +
		"host1:vr1(config)#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
