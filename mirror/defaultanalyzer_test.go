package mirror

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/arp"
)

// Default-analyzer lab: the analyzer 172.16.9.9 has no route; 2/0/2
// (10.9.0.1/24, static ARP for the next hop 10.9.0.2) and 2/0/4 can be
// analyzers; 2/0/3 is an ordinary interface.
var (
	farAnalyzer = netip.MustParseAddr("172.16.9.9")
	anaIf       = "gigabitEthernet 2/0/2"
	anaIf2      = "gigabitEthernet 2/0/4"
	plainIf     = "gigabitEthernet 2/0/3"
)

func newDefaultRig(t *testing.T, store *memStore) *rig {
	t.Helper()
	r := newRig(t, store)
	r.dp.setInterface(linecard.InterfaceInfo{Name: anaIf, Kind: linecard.Physical, AdminUp: true, LinkUp: true,
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24")}})
	r.dp.setInterface(linecard.InterfaceInfo{Name: anaIf2, Kind: linecard.VLANSub, AdminUp: true, LinkUp: true,
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.8.0.1/24")}})
	r.dp.setInterface(linecard.InterfaceInfo{Name: "ip-7", Kind: linecard.IPoESub})
	r.dp.setInterface(linecard.InterfaceInfo{Name: "ppp-7", Kind: linecard.PPPoESub})
	r.dp.mu.Lock()
	r.dp.arps = []linecard.ARPEntry{
		{Interface: anaIf, Entry: arp.Entry{Addr: netip.MustParseAddr("10.9.0.3"), State: arp.Static}},
		{Interface: anaIf, Entry: arp.Entry{Addr: netip.MustParseAddr("10.9.0.2"), State: arp.Static}},
		{Interface: anaIf, Entry: arp.Entry{Addr: netip.MustParseAddr("10.9.0.1"), State: arp.Reachable}},
		{Interface: anaIf, Entry: arp.Entry{Addr: netip.MustParseAddr("192.168.1.1"), State: arp.Static}}, // off-subnet
	}
	r.dp.mu.Unlock()
	r.must(r.e.CreatePolicy("default", "LI-D", admin))
	r.must(r.e.SetRule("LI-D", Rule{Analyzer: farAnalyzer, Port: 30030, MirrorID: 21, HasMirrorID: true}, admin))
	r.must(r.e.Attach("default", "gigabitEthernet 2/0/0", Input, "LI-D", admin))
	return r
}

// TestDefaultAnalyzer: `ip analyzer default` carries the copies of a
// policy whose analyzer has no route through an analyzer interface, to
// the analyzer itself on its subnet or to its static next hop; an
// analyzer a route leads to wins; one default per virtual router; never
// a subscriber interface.
func TestDefaultAnalyzer(t *testing.T) {
	rt := func(ifname string) *Route {
		return &Route{Interface: ifname, Source: netip.MustParseAddr("10.7.0.1"), NextHop: netip.MustParseAddr("10.7.0.2")}
	}
	for _, tc := range []struct {
		name    string
		setup   func(r *rig)
		route   *Route // the FIB's route to the analyzer, nil: none
		via     string // "" unreachable
		nextHop string
		reason  string
	}{
		{name: "no default analyzer", reason: "no route"},
		{name: "no route", setup: func(r *rig) { r.must(r.e.SetDefaultAnalyzer(anaIf, admin)) },
			via: anaIf + " (default analyzer)", nextHop: "10.9.0.2"},
		{name: "route out of an ordinary interface", setup: func(r *rig) { r.must(r.e.SetDefaultAnalyzer(anaIf, admin)) },
			route: rt(plainIf), via: anaIf + " (default analyzer)", nextHop: "10.9.0.2"},
		{name: "route to another analyzer wins", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.must(r.e.SetAnalyzerInterface(plainIf, true, admin))
		}, route: rt(plainIf), via: plainIf + ",", nextHop: "10.7.0.2"},
		{name: "analyzer on the default analyzer's subnet", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.must(r.e.SetRule("LI-D", Rule{Analyzer: netip.MustParseAddr("10.9.0.77"), Port: 30030}, admin))
		}, via: anaIf + " (default analyzer)", nextHop: "10.9.0.77"},
		{name: "no static next hop", setup: func(r *rig) { r.must(r.e.SetDefaultAnalyzer(anaIf2, admin)) }, reason: "no route"},
		{name: "plain ip analyzer drops the default role", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.must(r.e.SetAnalyzerInterface(anaIf, true, admin))
		}, reason: "no route"},
		{name: "no ip analyzer", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.must(r.e.SetAnalyzerInterface(anaIf, false, admin))
		}, route: rt(plainIf), reason: "not in analyzer mode"},
		{name: "a second default replaces the first", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.must(r.e.SetDefaultAnalyzer(anaIf2, admin))
			if r.e.IsDefaultAnalyzer(anaIf) || !r.e.IsAnalyzer(anaIf) || !r.e.IsDefaultAnalyzer(anaIf2) {
				r.t.Error("the first default analyzer should stay an analyzer and lose the default role")
			}
		}, reason: "no route"},
		{name: "default analyzer of another virtual router", setup: func(r *rig) {
			r.dp.setInterface(linecard.InterfaceInfo{Name: anaIf, VirtualRouter: "isp1", AdminUp: true, LinkUp: true,
				Addresses: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24")}})
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
		}, reason: "no route"},
		{name: "default analyzer administratively down", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.dp.setUp(anaIf, false, true)
		}, reason: "no route (default analyzer " + anaIf + " down)"},
		{name: "default analyzer without link", setup: func(r *rig) {
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			r.dp.setUp(anaIf, true, false)
		}, reason: "no route (default analyzer " + anaIf + " down)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDefaultRig(t, nil)
			if tc.route != nil {
				r.routes.set(farAnalyzer, tc.route)
			}
			if tc.setup != nil {
				tc.setup(r)
			}
			r.e.RoutesChanged()
			out := r.show("LI-D")
			tp := r.dp.tap("gigabitEthernet 2/0/0", Input)
			if tc.via == "" {
				contains(t, out, "Analyzer: unreachable: "+tc.reason, "Mirror action: disabled")
				if tp != nil {
					t.Errorf("tap %+v while the analyzer is unreachable", tp)
				}
				return
			}
			contains(t, out, "Analyzer: reachable via "+tc.via, "next hop "+tc.nextHop, "Mirror action: enabled")
			if tp == nil {
				t.Error("no tap with a reachable analyzer")
			}
		})
	}
}

func TestDefaultAnalyzerRefused(t *testing.T) {
	r := newDefaultRig(t, nil)
	for _, tc := range []struct {
		ifname string
		want   error
	}{
		{"ip-7", ErrNotDefaultCapable},
		{"ppp-7", ErrNotDefaultCapable},
		{"loopback 0", ErrNotAnalyzerCapable},
		{"gigabitEthernet 2/0/0", ErrMirroredAnalyzer},
	} {
		if err := r.e.SetDefaultAnalyzer(tc.ifname, admin); !errors.Is(err, tc.want) {
			t.Errorf("ip analyzer default on %s: %v, want %v", tc.ifname, err, tc.want)
		}
		if r.e.IsAnalyzer(tc.ifname) || r.e.IsDefaultAnalyzer(tc.ifname) {
			t.Errorf("%s became an analyzer", tc.ifname)
		}
	}
	r.dp.missing["gigabitEthernet 9/0/0"] = true
	if err := r.e.SetDefaultAnalyzer("gigabitEthernet 9/0/0", admin); !errors.Is(err, linecard.ErrNoSuchInterface) {
		t.Errorf("missing interface: %v", err)
	}
}

// TestDefaultAnalyzerShownAndStored: the default role is in the secure
// configuration, the show ip interface section and the secure log, and
// survives a reload through the secure store.
func TestDefaultAnalyzerShownAndStored(t *testing.T) {
	store := &memStore{}
	r := newDefaultRig(t, store)
	r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
	r.must(r.e.SetAnalyzerInterface(anaIf2, true, admin))
	var cfg, ifc bytes.Buffer
	r.must(r.e.WriteInterfaceConfig(&cfg))
	contains(t, cfg.String(), "interface "+anaIf+"\n ip analyzer default\n", "interface "+anaIf2+"\n ip analyzer\n")
	r.must(r.e.WriteIPInterface(&ifc, anaIf, linecard.Counters{}))
	contains(t, ifc.String(), "Analyzer interface (send only)", "Default analyzer of virtual router default")
	contains(t, r.logText(), "ip analyzer default on "+anaIf)

	r2 := newDefaultRig(t, store)
	var after bytes.Buffer
	r2.must(r2.e.WriteInterfaceConfig(&after))
	if after.String() != cfg.String() {
		t.Errorf("after reload:\n%s\nbefore:\n%s", after.String(), cfg.String())
	}
	if !r2.e.IsDefaultAnalyzer(anaIf) || r2.e.IsDefaultAnalyzer(anaIf2) {
		t.Error("default role not restored")
	}
	contains(t, r2.show("LI-D"), "reachable via "+anaIf+" (default analyzer)")
	if !strings.Contains(string(store.files[DefaultStoreFile]), `"default_analyzers"`) {
		t.Error("default analyzer not in the secure store")
	}
}

// TestDefaultAnalyzerDownRecovers: a default analyzer that goes down
// (administratively or its link) stops carrying copies and shows why; it
// carries them again once up and the routes are re-checked.
func TestDefaultAnalyzerDownRecovers(t *testing.T) {
	for _, tc := range []struct {
		name          string
		adminUp, link bool
	}{
		{"shutdown", false, true},
		{"link down", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newDefaultRig(t, nil)
			r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
			contains(t, r.show("LI-D"), "Mirror action: enabled")
			r.dp.setUp(anaIf, tc.adminUp, tc.link)
			r.e.RoutesChanged()
			contains(t, r.show("LI-D"), "unreachable: no route (default analyzer "+anaIf+" down)", "Mirror action: disabled")
			if r.dp.tap("gigabitEthernet 2/0/0", Input) != nil {
				t.Error("tap toward a down default analyzer")
			}
			r.dp.setUp(anaIf, true, true)
			r.e.RoutesChanged()
			contains(t, r.show("LI-D"), "reachable via "+anaIf+" (default analyzer)", "Mirror action: enabled")
			if r.dp.tap("gigabitEthernet 2/0/0", Input) == nil {
				t.Error("no tap once the default analyzer is back up")
			}
			if !r.hasEvent(EventAnalyzerUnreachable, "LI-D") || !r.hasEvent(EventAnalyzerReachable, "LI-D") {
				t.Errorf("unreachable and reachable not logged:\n%s", r.logText())
			}
		})
	}
}

// TestUnresolvedNextHopUnreachable: a route whose next hop the data plane
// cannot resolve leaves the analyzer unreachable (shown with the reason,
// no tap) instead of enabled with every copy dropped; it recovers when a
// route change makes the next hop resolvable.
func TestUnresolvedNextHopUnreachable(t *testing.T) {
	r := newDefaultRig(t, nil)
	bad := Route{Interface: anaIf, Source: netip.MustParseAddr("10.9.0.1"), NextHop: unresolvedNextHop}
	r.must(r.e.SetAnalyzerInterface(anaIf, true, admin))
	r.routes.set(farAnalyzer, &bad)
	contains(t, r.show("LI-D"), "Analyzer: unreachable: next hop unresolved: ", "Mirror action: disabled")
	if r.dp.tap("gigabitEthernet 2/0/0", Input) != nil {
		t.Error("tap toward an unresolved next hop")
	}
	good := bad
	good.NextHop = netip.MustParseAddr("10.9.0.2")
	r.routes.set(farAnalyzer, &good) // the route watcher re-checks
	contains(t, r.show("LI-D"), "Analyzer: reachable via "+anaIf+",", "Mirror action: enabled")
	if r.dp.tap("gigabitEthernet 2/0/0", Input) == nil {
		t.Error("no tap once the next hop resolves")
	}
}

// TestDefaultAnalyzerLookupsMemoized: one reconciliation reads the ARP
// entries once, however many policies fall back to the default analyzer.
func TestDefaultAnalyzerLookupsMemoized(t *testing.T) {
	r := newDefaultRig(t, nil)
	r.must(r.e.SetDefaultAnalyzer(anaIf, admin))
	for i := range 10 {
		name := fmt.Sprintf("LI-M%d", i)
		r.must(r.e.CreatePolicy("default", name, admin))
		r.must(r.e.SetRule(name, Rule{Analyzer: farAnalyzer, Port: 30030}, admin))
	}
	r.dp.mu.Lock()
	r.dp.arpGets = 0
	r.dp.mu.Unlock()
	r.e.RoutesChanged()
	r.dp.mu.Lock()
	defer r.dp.mu.Unlock()
	if r.dp.arpGets != 1 {
		t.Errorf("ARP entries read %d times in one reconciliation, want 1", r.dp.arpGets)
	}
}
