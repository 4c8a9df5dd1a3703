package lccli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/mgmt"
)

// Engine is the part of the data plane the commands configure and show.
// *linecard.Engine implements it.
type Engine interface {
	AddVirtualRouter(name string) error
	DeleteVirtualRouter(name string) error
	SetVirtualRouter(ifname, vr string) error
	AddVLANInterface(name, parent string, vlan uint16) error
	AddLoopback(name string) error
	DeleteInterface(name string) error
	SetAdminUp(name string, up bool) error
	SetMTU(name string, mtu int) error
	SetDescription(name, desc string) error
	AddAddress(name string, a netip.Prefix) error
	DeleteAddress(name string, a netip.Prefix) error
	Interface(name string) (linecard.InterfaceInfo, error)
	AddRoute(vr string, r linecard.Route) error
	DeleteRoute(vr string, r linecard.Route) error
	Routes(vr string) ([]linecard.RouteInfo, error)
	AddStaticARP(ifname string, ip netip.Addr, mac [6]byte) error
	DeleteARP(ifname string, ip netip.Addr) error
	ClearARP(ifname string) error
	ARPEntries(vr string) ([]linecard.ARPEntry, error)
	Counters(ifname string) (linecard.Counters, error)
	ClearCounters(ifname string) error
}

// The data plane and the management port satisfy the interfaces the
// commands are written against.
var (
	_ Engine                = (*linecard.Engine)(nil)
	_ ProbeEngine           = (*linecard.Engine)(nil)
	_ linecard.ControlPlane = (*PuntProber)(nil)
	_ ManagementPort        = (*mgmt.Port)(nil)
)

// ManagementPort is the kernel-owned management port (*mgmt.Port
// implements it): the commands give it its configuration and show its
// state.
type ManagementPort interface {
	Set(cfg mgmt.Config)
	State() mgmt.State
}

// Deps is what the commands need from the router.
type Deps struct {
	// Engine is the data plane. Required.
	Engine Engine
	// Ports are the board's data ports. Each is an interface of Engine
	// under its input-form name ("gigabitEthernet 2/0/0"); a port the
	// engine lacks (its NIC is missing) is left out, so `interface` calls
	// it invalid.
	Ports []board.Port
	// Management is the board's management port (Port or NIC empty: none).
	Management board.Management
	// Mgmt applies the management port's configuration; nil when the
	// board has no management port.
	Mgmt ManagementPort
	// Prober sends ping and traceroute probes; nil makes both commands
	// answer that they are not available.
	Prober Prober
	// Clock gives the time for ARP entry ages; nil: time.Now.
	Clock func() time.Time
	// IPInterfaceDetail, if set, may add lines at the end of each
	// interface's `show ip interface` entry for the session in ctx (the
	// secure packet-mirroring section, only for a session with mirror
	// access: mirrorcli.ShowIPInterface). c are the interface's counters.
	IPInterfaceDetail func(ctx *command.Context, w io.Writer, ifname string, c linecard.Counters) error
}

// Register adds the interface, IP and routing commands and their
// running-configuration sections to tree, and makes the tree list the
// configured virtual routers (tree.SetVirtualRouters).
func Register(tree *command.Tree, deps Deps) error {
	if tree == nil || deps.Engine == nil {
		return errors.New("lccli: a tree and an engine are required")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	s, err := newState(deps)
	if err != nil {
		return err
	}
	for _, c := range s.commands() {
		if err := tree.Register(c); err != nil {
			return fmt.Errorf("lccli: register %q: %w", c.Syntax, err)
		}
	}
	for _, sec := range s.sections() {
		if err := tree.AddConfig(sec); err != nil {
			return fmt.Errorf("lccli: %w", err)
		}
	}
	tree.SetVirtualRouters(s.vrList)
	return nil
}

// ifKind is what an interface is, as the CLI sees it.
type ifKind uint8

const (
	kindPort     ifKind = iota // a board data port (physical interface)
	kindSub                    // a VLAN subinterface of a data port
	kindLoopback               // loopback N
	kindMgmt                   // the management port (kernel-owned)
)

// ifConf is one interface's configuration as the user typed it.
type ifConf struct {
	id       ifID
	kind     ifKind
	desc     string
	shutdown bool
	mtu      int // `mtu`; 0 = not set
	ipMTU    int // `ip mtu`; 0 = not set
	encap    bool
	vlan     uint16         // subinterface VLAN ID; 0 until `vlan id`
	addrs    []netip.Prefix // primary first, then secondaries
	vr       string         // virtual router of the IP interface ("default" until an address binds it)
	baseMTU  int            // the MTU the engine gave the interface when it was created
}

// inEngine reports whether the data plane has the interface.
func (c *ifConf) inEngine() bool {
	switch c.kind {
	case kindMgmt:
		return false
	case kindSub:
		return c.vlan != 0
	}
	return true
}

// staticRoute is one `ip route` line.
type staticRoute struct {
	prefix   netip.Prefix
	nextHop  netip.Addr // invalid when via an interface
	iface    string     // engine name; empty when via a next hop
	distance int        // 0 = default (1)
}

// staticARP is one `arp` line.
type staticARP struct {
	addr  netip.Addr
	mac   [6]byte
	iface string
}

// state is the configuration of this package and the data plane it drives.
type state struct {
	d Deps

	mu     sync.Mutex
	ifs    map[string]*ifConf // by engine name (input form)
	vrs    map[string]bool    // non-default virtual routers
	routes map[string][]staticRoute
	arps   map[string][]staticARP
	mgmtID ifID
}

func newState(d Deps) (*state, error) {
	s := &state{d: d, ifs: map[string]*ifConf{}, vrs: map[string]bool{}, routes: map[string][]staticRoute{}, arps: map[string][]staticARP{}}
	for _, p := range d.Ports {
		typ, sl, ad, po, err := board.ParsePortName(p.Name)
		if err != nil {
			return nil, fmt.Errorf("lccli: %w", err)
		}
		id := ifID{typ: typ, slot: sl, adapter: ad, port: po}
		info, err := d.Engine.Interface(id.String())
		if err != nil {
			continue
		}
		s.ifs[id.String()] = &ifConf{id: id, kind: kindPort, vr: linecard.DefaultVirtualRouter, baseMTU: info.MTU}
	}
	if d.Management.Port != "" && d.Management.NIC != "" {
		typ, sl, ad, po, err := board.ParsePortName(d.Management.Port)
		if err != nil {
			return nil, fmt.Errorf("lccli: management port: %w", err)
		}
		s.mgmtID = ifID{typ: typ, slot: sl, adapter: ad, port: po}
		s.ifs[s.mgmtID.String()] = &ifConf{id: s.mgmtID, kind: kindMgmt, vr: linecard.DefaultVirtualRouter}
	}
	return s, nil
}

// commands are every command the package registers.
func (s *state) commands() []*command.Command {
	var out []*command.Command
	out = append(out, s.configCommands()...)
	out = append(out, s.execCommands()...)
	return append(out, s.probeCommands()...)
}
