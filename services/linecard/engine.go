package linecard

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/services/linecard/arp"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
)

// DefaultVirtualRouter is the virtual router that always exists.
const DefaultVirtualRouter = "default"

// Errors returned by the configuration API.
var (
	ErrNoSuchInterface     = errors.New("no such interface")
	ErrInterfaceExists     = errors.New("interface already exists")
	ErrNoSuchVirtualRouter = errors.New("no such virtual router")
	ErrVirtualRouterExists = errors.New("virtual router already exists")
	ErrVirtualRouterInUse  = errors.New("virtual router has interfaces")
	ErrBadAddress          = errors.New("bad address")
	ErrAddressOverlap      = errors.New("address overlaps another interface's subnet")
	ErrNoSuchAddress       = errors.New("no such address")
	ErrBadArgument         = errors.New("bad argument")
	ErrRunning             = errors.New("engine already running")
	ErrNoRoute             = errors.New("no route")
)

// Kind is the kind of an interface.
type Kind uint8

// Interface kinds.
const (
	Physical Kind = iota // a port, untagged traffic
	VLANSub              // an 802.1Q subinterface of a port
	Loopback             // no port; its addresses are local only
	PPPoESub             // a dynamic PPPoE subscriber interface (one session) over a physical or VLAN interface
	IPoESub              // a dynamic IP subscriber interface (one DHCP subscriber) over a physical or VLAN interface
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Physical:
		return "physical"
	case VLANSub:
		return "vlan"
	case Loopback:
		return "loopback"
	case PPPoESub:
		return "pppoe"
	case IPoESub:
		return "ip"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Config configures an Engine. Zero fields take the defaults given.
type Config struct {
	ARP            arp.Config // neighbour timers and queue length
	ICMPRate       int        // ICMP errors per second per interface; default 100
	ICMPBurst      int        // default 10
	BroadcastRate  int        // broadcast frames per second per interface; default 1000
	BroadcastBurst int        // default 1000: a second's worth (a herd of PPPoE clients' PADIs after an outage)
	BatchSize      int        // frames per receive batch; default 64
	// WorkerCPUs pins forwarding worker i (in port, then queue order) to
	// CPU WorkerCPUs[i%len] on a locked OS thread; empty leaves placement
	// to the Go scheduler. On a 2-core box with the traffic source on CPU
	// 0, {1} keeps the data plane on its own core.
	WorkerCPUs []int
	// WorkerNice, when non-zero, sets the nice value (-20..19) of every
	// forwarding worker's thread, so that on a shared box other processes
	// take less of its core (the kernel's own forwarding runs in softirq,
	// ahead of every process). Needs CAP_SYS_NICE to go below 0.
	WorkerNice int
	Control    ControlPlane     // receives punted frames; nil drops them as unhandled
	Clock      func() time.Time // default time.Now
}

// PortConfig attaches a port to the engine as a physical interface.
type PortConfig struct {
	Port      port.Port
	Interface string // interface name, e.g. "gigabitEthernet 2/0/0"
}

type vrouter struct {
	name string
	fib  *fib.Table
}

type portState struct {
	p     port.Port
	idx   int
	phys  *iface
	vlans [4096]atomic.Pointer[iface]
	link  atomic.Bool // carrier, polled by the timer goroutine
}

// carrierer is implemented by ports that know their link state
// (afpacket.Port, memport.Port). Ports without it count as always up.
type carrierer interface {
	Carrier() (bool, error)
}

// linkPollTicks is how many 100 ms timer ticks pass between link polls.
const linkPollTicks = 10

// pollLinks reads the carrier of every port and, when one changed, calls
// the WatchLinks callbacks (outside every lock).
func (e *Engine) pollLinks() {
	changed := false
	for _, ps := range e.ports {
		up := true
		if c, ok := ps.p.(carrierer); ok {
			if u, err := c.Carrier(); err == nil {
				up = u
			}
		}
		if ps.link.Swap(up) != up {
			changed = true
		}
	}
	if !changed {
		return
	}
	e.watchMu.Lock()
	fns := make([]func(), 0, len(e.linkWatchers))
	for _, fn := range e.linkWatchers {
		fns = append(fns, fn)
	}
	e.watchMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// WatchLinks calls changed (from the timer goroutine, holding no engine
// lock) whenever the carrier of a port goes up or down, until cancel is
// called. The mirroring engine uses it to re-check analyzer routes.
func (e *Engine) WatchLinks(changed func()) (cancel func()) {
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	if e.linkWatchers == nil {
		e.linkWatchers = make(map[uint64]func())
	}
	e.nextWatcher++
	id := e.nextWatcher
	e.linkWatchers[id] = changed
	return func() {
		e.watchMu.Lock()
		delete(e.linkWatchers, id)
		e.watchMu.Unlock()
	}
}

type iface struct {
	index uint32
	name  string
	kind  Kind
	port  *portState // nil for loopback
	vlan  uint16
	mac   [6]byte

	vr    atomic.Pointer[vrouter]
	up    atomic.Bool
	mtu   atomic.Uint32
	addrs atomic.Pointer[[]netip.Prefix]
	arp   *arp.Table
	lanes []laneCounters
	tap   [2]atomic.Pointer[Tap]

	// analyzer: the interface is an analyzer port (SetAnalyzer): it drops
	// everything it receives, learns no ARP and sends no ARP.
	analyzer atomic.Bool

	// PPPoE subscriber interfaces: parent, session ID and peer MAC are
	// fixed at creation; sessions (on a parent) is their table, nil
	// until the parent's first session (pppoe.go).
	parent   *iface
	sid      uint16
	peer     [6]byte
	sessions atomic.Pointer[pppoeTable]

	// IP subscriber interfaces (ipoe.go): peerAddr is the subscriber's
	// address, fixed at creation; ipoe (on a parent) is the classifier,
	// nil while the parent has no IP subscriber.
	peerAddr netip.Addr
	ipoe     atomic.Pointer[ipoeTable]

	icmpTAT, bcastTAT atomic.Int64 // token buckets (GCRA theoretical arrival times)

	// guarded by Engine.mu
	desc string
	base Counters
}

// Engine is the line-card data plane: ports, interfaces, virtual routers
// with their FIBs, ARP, counters, mirror taps and the forwarding workers.
// Configuration methods are safe for concurrent use and take effect while
// traffic flows.
type Engine struct {
	cfg   Config
	ports []*portState
	lanes int     // workers + control lane + ARP lane
	nwork int     // port workers: lanes [0, nwork)
	ctl   *worker // control lane: TransmitFrame, SendIPv4, queued packets; under ctlMu
	ctlMu sync.Mutex

	watchMu      sync.Mutex        // guards linkWatchers, nextWatcher
	linkWatchers map[uint64]func() // WatchLinks callbacks
	nextWatcher  uint64
	arpw         *worker // ARP lane: requests and gratuitous ARP; under arpMu
	arpMu        sync.Mutex

	mu        sync.Mutex
	byName    map[string]*iface
	vrs       map[string]*vrouter
	nextIndex uint32
	// ifaces holds the interfaces by index (nil holes). Workers load the
	// slice and a slot without locks; writers (Engine.mu) store a slot in
	// place and publish a longer slice over the same array while it has
	// room, so adding an interface costs O(1), not a copy of the table.
	ifaces atomic.Pointer[[]atomic.Pointer[iface]]
	// timed lists the interfaces whose ARP timers tickTimers runs (not
	// the subscribers'), so a tick is O(ports and VLANs), not O(every
	// index ever assigned). Copied on change under mu.
	timed     atomic.Pointer[[]*iface]
	analyzers map[string]bool // interface names in analyzer mode (SetAnalyzer)

	control atomic.Pointer[ControlPlane] // Config.Control, replaceable with SetControlPlane

	running bool
	stop    atomic.Bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// New returns an engine owning the given ports, each as a physical
// interface in the default virtual router, administratively up, with
// the port's MTU. The engine does not close the ports.
func New(cfg Config, ports ...PortConfig) (*Engine, error) {
	if cfg.ICMPRate == 0 {
		cfg.ICMPRate = 100
	}
	if cfg.ICMPBurst == 0 {
		cfg.ICMPBurst = 10
	}
	if cfg.BroadcastRate == 0 {
		cfg.BroadcastRate = 1000
	}
	if cfg.BroadcastBurst == 0 {
		cfg.BroadcastBurst = 1000
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 64
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	e := &Engine{cfg: cfg, byName: make(map[string]*iface), vrs: make(map[string]*vrouter), nextIndex: 1}
	e.vrs[DefaultVirtualRouter] = &vrouter{name: DefaultVirtualRouter, fib: fib.New()}
	e.SetControlPlane(cfg.Control)
	workers := 0
	for _, pc := range ports {
		if pc.Port == nil || pc.Interface == "" {
			return nil, fmt.Errorf("linecard: port %d: %w: port and interface name are required", len(e.ports), ErrBadArgument)
		}
		workers += pc.Port.Queues()
		e.ports = append(e.ports, &portState{p: pc.Port, idx: len(e.ports)})
	}
	e.nwork = workers
	e.lanes = workers + 2
	e.ifaces.Store(&[]atomic.Pointer[iface]{}) // an engine without ports still has a (empty) table
	e.pollLinks()
	e.ctl = newWorker(e, workers, nil, 0, 1)
	e.ctl.secret = secretToAnalyzer
	e.arpw = newWorker(e, workers+1, nil, 0, 1)
	for i, pc := range ports {
		ps := e.ports[i]
		ifc, err := e.addIfaceLocked(pc.Interface, Physical, ps, 0)
		if err != nil {
			return nil, err
		}
		ps.phys = ifc
	}
	return e, nil
}

func (e *Engine) now() time.Time { return e.cfg.Clock() }

// SetControlPlane replaces the control plane punted frames go to (nil:
// they are dropped as unhandled). It may be called while traffic flows,
// so the control plane can be built after the engine it drives.
func (e *Engine) SetControlPlane(cp ControlPlane) {
	if cp == nil {
		e.control.Store(nil)
		return
	}
	e.control.Store(&cp)
}

// addIfaceLocked creates an interface and makes it visible; called with
// e.mu held or before the engine is shared.
func (e *Engine) addIfaceLocked(name string, kind Kind, ps *portState, vlan uint16) (*iface, error) {
	ifc, err := e.newIfaceLocked(name, kind, ps, vlan)
	if err != nil {
		return nil, err
	}
	e.publishIfaceLocked(ifc)
	return ifc, nil
}

// newIfaceLocked builds an interface with the next index, not yet
// visible to anyone: the caller completes it (a subscriber's parent and
// peer) and then publishes it with publishIfaceLocked. Called with e.mu
// held or before the engine is shared.
func (e *Engine) newIfaceLocked(name string, kind Kind, ps *portState, vlan uint16) (*iface, error) {
	if name == "" {
		return nil, fmt.Errorf("linecard: %w: empty interface name", ErrBadArgument)
	}
	if _, ok := e.byName[name]; ok {
		return nil, fmt.Errorf("linecard: interface %q: %w", name, ErrInterfaceExists)
	}
	ifc := &iface{index: e.nextIndex, name: name, kind: kind, port: ps, vlan: vlan, lanes: make([]laneCounters, e.lanes)}
	e.nextIndex++
	ifc.vr.Store(e.vrs[DefaultVirtualRouter])
	ifc.addrs.Store(&[]netip.Prefix{})
	ifc.up.Store(true)
	if ps != nil {
		ifc.mac = ps.p.HardwareAddr()
		ifc.mtu.Store(uint32(ps.p.MTU()))
	} else {
		ifc.mtu.Store(65535)
	}
	ifc.arp = arp.New(e.cfg.ARP, &arpSender{e: e, ifc: ifc})
	return ifc, nil
}

// publishIfaceLocked makes a complete interface visible: by name, in the
// index table the workers read, in the timer list (interfaces that
// resolve neighbours) and on its port. Every field the workers read must
// be set before. Called with e.mu held or before the engine is shared.
func (e *Engine) publishIfaceLocked(ifc *iface) {
	e.byName[ifc.name] = ifc
	tbl := *e.ifaces.Load()
	if int(ifc.index) >= cap(tbl) {
		grown := make([]atomic.Pointer[iface], len(tbl), 2*int(ifc.index)+16)
		for i := range tbl {
			grown[i].Store(tbl[i].Load())
		}
		tbl = grown
	}
	if ifc.kind == Physical {
		ifc.port.phys = ifc
	}
	e.applyAnalyzerLocked(ifc) // before the interface is visible to workers
	tbl = tbl[:ifc.index+1]
	tbl[ifc.index].Store(ifc) // beyond the length workers see until the Store below
	e.ifaces.Store(&tbl)
	if ifc.resolvesNeighbors() {
		e.setTimedLocked(ifc, true)
	}
	if ifc.kind == VLANSub {
		ifc.port.vlans[ifc.vlan].Store(ifc)
	}
}

// resolvesNeighbors reports whether ifc has ARP timers to run: every
// interface but a subscriber's, which sends to its peer's known MAC.
func (ifc *iface) resolvesNeighbors() bool {
	return ifc.kind != PPPoESub && ifc.kind != IPoESub
}

// setTimedLocked adds ifc to (on) or removes it from the interfaces
// whose ARP timers tickTimers runs. The list is copied on change (only
// physical, VLAN and loopback interfaces are in it: rare changes), so
// the timer goroutine reads it without locks and subscriber logins and
// logouts never touch it. Called with e.mu held or before the engine is
// shared.
func (e *Engine) setTimedLocked(ifc *iface, on bool) {
	var old []*iface
	if p := e.timed.Load(); p != nil {
		old = *p
	}
	l := make([]*iface, 0, len(old)+1)
	for _, x := range old {
		if x != ifc {
			l = append(l, x)
		}
	}
	if on {
		l = append(l, ifc)
	}
	e.timed.Store(&l)
}

func (e *Engine) ifaceByIndex(i uint32) *iface {
	t := *e.ifaces.Load()
	if int(i) < len(t) {
		return t[i].Load()
	}
	return nil
}

func (e *Engine) lookup(name string) (*iface, error) {
	ifc := e.byName[name]
	if ifc == nil {
		return nil, fmt.Errorf("linecard: interface %q: %w", name, ErrNoSuchInterface)
	}
	return ifc, nil
}
