package subscribers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/services/access/dhcp"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
)

// DataPlane is what the engine needs of the line card; *linecard.Engine
// implements it.
type DataPlane interface {
	TransmitFrame(ifname string, frame []byte) error
	Interface(name string) (linecard.InterfaceInfo, error)
	Interfaces() []linecard.InterfaceInfo
	AddPPPoEInterface(name, parent string, sessionID uint16, peer [6]byte) error
	AddIPoEInterface(name, parent string, addr netip.Addr, peer [6]byte) error
	DeleteInterface(name string) error
	SetVirtualRouter(name, vr string) error
	AddRoute(vr string, r linecard.Route) error
	DeleteRoute(vr string, r linecard.Route) error
	Counters(ifname string) (linecard.Counters, error)
}

// Config configures an Engine.
type Config struct {
	DataPlane DataPlane      // required
	Pools     *pool.Registry // `ip local pool`; required
	// Local are the local subscriber users of the `local` method
	// (optional; see ClearPasswords for CHAP).
	Local LocalUsers
	// Hostname is the CHAP name the router sends (default "erx").
	Hostname string
	// LeaseStore persists DHCP leases (optional; the router's flash).
	// The bound leases found there when IPoE is enabled on an interface
	// get their sessions back (see ResumeLeases).
	LeaseStore dhcp.Store
	// HoldLeases makes the restored leases wait for ResumeLeases instead
	// of resuming when SetIPoE restores them: routerd replays its whole
	// configuration first (pools, RADIUS servers and the mirroring
	// triggers come after the interfaces).
	HoldLeases bool
	// EchoInterval is the PPP LCP keepalive period (default 30 s; a
	// negative value disables keepalives).
	EchoInterval time.Duration
	// Clock defaults to time.Now.
	Clock func() time.Time
	// InterimTick is how often interim accounting is checked (default 1 s).
	InterimTick time.Duration
	// PADIRate bounds the PADIs per second each access interface answers,
	// all clients together (default pppoe.Config's, 1000/s).
	PADIRate float64
}

// PPPoEConfig is the PPPoE configuration of one access interface.
type PPPoEConfig struct {
	// ACName is the AC-Name tag (`pppoe ac-name`; default the hostname).
	ACName string
	// MaxSessions bounds the interface's sessions (`pppoe sessions`; 0:
	// the protocol maximum).
	MaxSessions int
	// Auth is `ppp authentication` (default: chap then pap).
	Auth []ppp.AuthProtocol
	// DuplicateProtection is `pppoe duplicate-protection`: at most one
	// session per client MAC address on the interface; a PADR from a MAC
	// that already has a session gets a PADS with an AC-System-Error.
	DuplicateProtection bool
}

// IPoEConfig is the DHCP (IP subscriber) configuration of one access
// interface. The interface needs an address: it is the DHCP server
// identifier and the subscribers' router.
type IPoEConfig struct {
	Pool      string        // local pool to draw from ("" = any pool of the VR)
	LeaseTime time.Duration // default 1 h
	DNS       []netip.Addr
}

// CoARequest is what the engine hands to the mirroring hook for a
// CoA-Request carrying lawful-intercept VSAs.
type CoARequest struct {
	AcctSessionID, Username, CallingStationID, NASPortID string
	// VirtualRouter scopes Username and Address: the request's
	// ERX-Virtual-Router-Name (VSA 4874-1); "" is the dynamic-request
	// server's, the default virtual router.
	VirtualRouter string
	Address       netip.Addr
	Mirror        erxradius.Mirror
	From          netip.AddrPort
}

// MirrorCoA acts on the mirroring VSAs of a CoA-Request (the lead connects
// it to mirror.Engine.HandleCoA).
type MirrorCoA func(CoARequest) (ack bool, cause erxradius.ErrorCause)

// DynamicSettings configure the dynamic-request (CoA/Disconnect) server.
type DynamicSettings struct {
	Clients []erxradius.DynamicClient // `radius dynamic-request server` entries; none: no server
	Host    string                    // listen address ("" = all)
	Port    uint16                    // default radius.DefaultDynamicPort (1700)
}

// Engine is the subscriber glue: it implements linecard.ControlPlane,
// runs PPPoE/PPP and DHCP per access interface, authenticates through the
// AAA method lists, installs subscribers in the data plane, keeps the
// session table, publishes events and sends accounting. It is safe for
// concurrent use.
type Engine struct {
	cfg   Config
	table *Table
	bus   Bus
	aaa   AAA
	acct  *accounting

	// aaaStats count authentications (show aaa statistics); see aaa.go.
	aaaStats AAACounters

	mu          sync.Mutex
	methods     map[Type][]Method
	dns         map[string]DNSServers // `aaa dns`, by virtual router
	acctOn      bool
	interval    time.Duration
	authCfg     erxradius.Config
	acctCfg     erxradius.Config
	authClient  *erxradius.Client
	acctClient  *erxradius.Client
	dynSettings DynamicSettings
	dyn         *erxradius.DynamicServer
	mirror      MirrorCoA
	leasesHeld  bool // Config.HoldLeases until ResumeLeases
	access      map[string]*access
	accessRO    atomic.Pointer[map[string]*access] // copy of access for HandlePunt: no lock on the data path
	lives       map[uint64]*live
	closed      bool

	// authPending/acctPending: servers are configured (authCfg/acctCfg)
	// but their client could not be created yet because the network was
	// unreachable; it is created at first use (retryRADIUSLocked).
	authPending, acctPending bool

	// control loop: everything that changes sessions runs on one
	// goroutine, never on a data-plane worker.
	qmu   sync.Mutex
	queue []func()
	wake  chan struct{}
	stop  chan struct{}
	wg    sync.WaitGroup
}

// closeGrace bounds how long Close waits for accounting records (the
// logouts' Stops) to be answered.
const closeGrace = 5 * time.Second

// live is the engine's private state of one session.
type live struct {
	id        uint64
	typ       Type
	acc       *access
	sid       uint16
	mac       [6]byte
	ppp       *ppp.Session
	grant     Grant
	granted   bool
	installed bool
	// accounted: accounting was on when the session was installed (its
	// Start was sent); its Interim-Updates and Stop follow that, not the
	// current `aaa accounting` setting, so Start and Stop always pair.
	accounted   bool
	ifname      string
	vr          string
	addr        netip.Addr
	lastInterim time.Time
}

// access is one access interface.
type access struct {
	name  string
	vlan  uint16
	mac   [6]byte
	vr    string
	pppoe *pppoe.Engine
	pcfg  *PPPoEConfig // nil: PPPoE off
	dhcp  *dhcp.Server
	icfg  *IPoEConfig // nil: IPoE off
	// pending is a PPPoE configuration waiting for the interface's
	// sessions to end (AC-Name and session limit need a new engine).
	pending *PPPoEConfig

	sessions map[uint16]*live  // PPPoE, by session ID
	leases   map[[6]byte]*live // IPoE, by MAC
	grants   map[[6]byte]Grant // IPoE authorizations waiting for the bind
	mu       sync.Mutex        // guards the maps and pppoe/dhcp pointers
	// gw is the gateway found by scanning every interface (unnumbered
	// access interface), reused for gatewayTTL: the scan grows with the
	// subscribers' own interfaces. Guarded by mu.
	gw   netip.Addr
	gwAt time.Time
}

// gatewayTTL is how long an unnumbered access interface's gateway (a
// loopback's address) is reused before the interfaces are scanned again.
const gatewayTTL = time.Second

// New returns a running engine. Call Close to stop it.
func New(cfg Config) (*Engine, error) {
	if cfg.DataPlane == nil || cfg.Pools == nil {
		return nil, errors.New("subscribers: DataPlane and Pools are required")
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "erx"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.EchoInterval == 0 {
		cfg.EchoInterval = 30 * time.Second
	}
	if cfg.EchoInterval < 0 {
		cfg.EchoInterval = 0
	}
	if cfg.InterimTick <= 0 {
		cfg.InterimTick = time.Second
	}
	e := &Engine{cfg: cfg, table: newTable(cfg.Clock(), cfg.Clock), methods: map[Type][]Method{}, leasesHeld: cfg.HoldLeases,
		access: map[string]*access{}, lives: map[uint64]*live{},
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	e.aaa.Local = cfg.Local
	e.acct = newAccounting(func() RADIUSAccounter {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.retryRADIUSLocked()
		if e.acctClient == nil {
			return nil
		}
		return e.acctClient
	})
	e.wg.Add(2)
	go e.loop()
	go e.interimLoop()
	return e, nil
}

// Table returns the session table.
func (e *Engine) Table() *Table { return e.table }

// Bus returns the event bus.
func (e *Engine) Bus() *Bus { return &e.bus }

// Subscribe registers a session event consumer (see ConsumerOptions).
func (e *Engine) Subscribe(name string, fn func(Event), opt ConsumerOptions) (cancel func()) {
	return e.bus.Subscribe(name, fn, opt)
}

// post queues fn for the control goroutine.
func (e *Engine) post(fn func()) {
	e.qmu.Lock()
	e.queue = append(e.queue, fn)
	e.qmu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) loop() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			e.runQueued()
			return
		case <-e.wake:
			e.runQueued()
		}
	}
}

func (e *Engine) runQueued() {
	for {
		e.qmu.Lock()
		q := e.queue
		e.queue = nil
		e.qmu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// Sync waits until everything queued so far on the control goroutine
// has run (for tests and the CLI after a clear).
func (e *Engine) Sync() {
	done := make(chan struct{})
	e.post(func() { close(done) })
	select {
	case <-done:
	case <-e.stop:
	}
}

func (e *Engine) interimLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.InterimTick)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.post(func() { e.interim(e.cfg.Clock()) })
		}
	}
}

// Close logs every subscriber out (NAS-Request; accounting Stop is sent
// within the RADIUS timeouts), stops the engines, the dynamic-request
// server and the RADIUS clients, and waits for every goroutine.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	accs := make([]*access, 0, len(e.access))
	for _, a := range e.access {
		accs = append(accs, a)
	}
	dyn := e.dyn
	e.dyn = nil
	e.mu.Unlock()
	if dyn != nil {
		_ = dyn.Close()
	}
	for _, a := range accs {
		e.disableAccess(a, true, true, true)
	}
	e.Sync()
	close(e.stop)
	e.wg.Wait()
	e.table.acctNext.wait() // a reservation being written ahead
	e.acct.close(closeGrace)
	e.bus.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range []*erxradius.Client{e.authClient, e.acctClient} {
		if c != nil {
			_ = c.Close()
		}
	}
	e.authClient, e.acctClient = nil, nil
	e.authPending, e.acctPending = false, false
	return nil
}

// HandlePunt implements linecard.ControlPlane. It runs on a data-plane
// worker: the PPPoE and DHCP engines copy what they keep and never block;
// everything else is posted to the control goroutine.
func (e *Engine) HandlePunt(p *linecard.Punt) {
	m := e.accessRO.Load()
	if m == nil {
		return
	}
	a := (*m)[p.Interface]
	if a == nil {
		return
	}
	a.mu.Lock()
	pe, ds := a.pppoe, a.dhcp
	a.mu.Unlock()
	switch p.Reason {
	case linecard.PuntPPPoEDiscovery, linecard.PuntPPPoESession:
		if pe != nil {
			_ = pe.HandleFrame(p.Interface, p.Frame)
		}
	case linecard.PuntBroadcast, linecard.PuntLocal:
		if ds != nil && isDHCPToServer(p.Frame) {
			_ = ds.HandleFrame(p.Interface, p.Frame)
		}
	}
}

// isDHCPToServer reports whether an untagged Ethernet frame is IPv4/UDP
// to port 67.
func isDHCPToServer(f []byte) bool {
	if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != 17 {
		return false
	}
	ihl := int(f[14]&0xf) * 4
	return ihl >= 20 && len(f) >= 14+ihl+8 && binary.BigEndian.Uint16(f[14+ihl+2:]) == dhcp.ServerPort
}

// ---- configuration ----

// SetAuthentication sets the method list of a subscriber type (`aaa
// authentication ppp|ip default METHODS`); nil restores the default
// (radius for ppp, none for ip).
func (e *Engine) SetAuthentication(t Type, methods []Method) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(methods) == 0 {
		delete(e.methods, t)
		return
	}
	e.methods[t] = slices.Clone(methods)
}

// Authentication returns the method list of t and whether it was
// configured.
func (e *Engine) Authentication(t Type) ([]Method, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, ok := e.methods[t]
	if !ok {
		if t == TypeIPoE {
			return []Method{MethodNone}, false
		}
		return []Method{MethodRADIUS}, false
	}
	return slices.Clone(m), true
}

// SetAccounting turns RADIUS accounting on or off (`aaa accounting ppp
// default radius|none`) and sets the interim interval (`aaa accounting
// interval`; 0: no interim updates unless RADIUS sends
// Acct-Interim-Interval).
func (e *Engine) SetAccounting(on bool, interval time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.acctOn, e.interval = on, interval
}

// Accounting returns the accounting settings.
func (e *Engine) Accounting() (on bool, interval time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acctOn, e.interval
}

// DNSServers are the name servers `aaa dns primary|secondary` give PPP
// subscribers in IPCP when RADIUS gives none (ERX-Primary-Dns,
// ERX-Secondary-Dns). Invalid: none.
type DNSServers struct {
	Primary, Secondary netip.Addr
}

// SetDNS sets the default name servers of the PPP subscribers of a
// virtual router ("" = default); the zero value removes them. They apply
// to the logins after the call.
func (e *Engine) SetDNS(vr string, d DNSServers) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dns == nil {
		e.dns = map[string]DNSServers{}
	}
	if d == (DNSServers{}) {
		delete(e.dns, vrName(vr))
		return
	}
	e.dns[vrName(vr)] = d
}

// DNS returns the default name servers of a virtual router.
func (e *Engine) DNS(vr string) DNSServers {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dns[vrName(vr)]
}

// withDefaultDNS fills the name servers RADIUS (or the local and none
// methods) left out with the `aaa dns` ones of virtual router vr, each
// on its own: a RADIUS primary keeps the configured secondary.
func (e *Engine) withDefaultDNS(vr string, at subscriber.Attributes) subscriber.Attributes {
	d := e.DNS(vr)
	if !at.PrimaryDNS.IsValid() || at.PrimaryDNS.IsUnspecified() {
		at.PrimaryDNS = d.Primary
	}
	if !at.SecondaryDNS.IsValid() || at.SecondaryDNS.IsUnspecified() {
		at.SecondaryDNS = d.Secondary
	}
	return at
}

// AccountingStats returns the accounting counters.
func (e *Engine) AccountingStats() AccountingStats { return e.acct.stats() }

// SetRADIUS replaces the authentication and accounting server lists. A
// list without servers closes its client. Kept servers keep their
// counters and outstanding requests.
func (e *Engine) SetRADIUS(auth, acct erxradius.Config) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("subscribers: closed")
	}
	var err error
	e.authClient, e.authPending, err = reconfigureLater(e.authClient, auth)
	if err != nil {
		return fmt.Errorf("subscribers: authentication servers: %w", err)
	}
	e.acctClient, e.acctPending, err = reconfigureLater(e.acctClient, acct)
	if err != nil {
		return fmt.Errorf("subscribers: accounting servers: %w", err)
	}
	e.authCfg, e.acctCfg = auth, acct
	e.setAuthClientLocked()
	return nil
}

func (e *Engine) setAuthClientLocked() {
	if e.authClient != nil {
		e.aaa.RADIUS = e.authClient
	} else {
		e.aaa.RADIUS = nil
	}
}

// retryRADIUSLocked creates the clients SetRADIUS had to leave for later
// because the network did not reach the servers yet (at boot the saved
// configuration is replayed before the management port has its address).
func (e *Engine) retryRADIUSLocked() {
	if e.closed {
		return
	}
	if e.authPending {
		if c, err := erxradius.NewClient(e.authCfg); err == nil {
			e.authClient, e.authPending = c, false
			e.setAuthClientLocked()
		}
	}
	if e.acctPending {
		if c, err := erxradius.NewClient(e.acctCfg); err == nil {
			e.acctClient, e.acctPending = c, false
		}
	}
}

// reconfigureLater is reconfigure, except that a new client whose
// servers cannot be reached yet (a network error: no route, no address)
// is left pending rather than refused: the configuration is kept and the
// client is created at first use.
func reconfigureLater(c *erxradius.Client, cfg erxradius.Config) (*erxradius.Client, bool, error) {
	nc, err := reconfigure(c, cfg)
	var ne *net.OpError
	if err != nil && c == nil && errors.As(err, &ne) {
		return nil, true, nil
	}
	return nc, false, err
}

func reconfigure(c *erxradius.Client, cfg erxradius.Config) (*erxradius.Client, error) {
	if len(cfg.Servers) == 0 {
		if c != nil {
			_ = c.Close()
		}
		return nil, nil
	}
	if c == nil {
		return erxradius.NewClient(cfg)
	}
	return c, c.Reconfigure(cfg)
}

// RADIUSStats returns the per-server counters of the authentication and
// accounting clients (`show radius statistics`).
func (e *Engine) RADIUSStats() (auth, acct []erxradius.ServerStats) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.authClient != nil {
		auth = e.authClient.Stats()
	}
	if e.acctClient != nil {
		acct = e.acctClient.Stats()
	}
	return auth, acct
}

// SetMirrorCoA installs the hook CoA-Requests with lawful-intercept VSAs
// go to (nil: they are NAKed with Error-Cause 405).
func (e *Engine) SetMirrorCoA(h MirrorCoA) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mirror = h
}

// SetDynamicRequest (re)starts the dynamic-request server for the given
// clients; no clients stops it. A changed address or port restarts it.
func (e *Engine) SetDynamicRequest(d DynamicSettings) error {
	if d.Port == 0 {
		d.Port = erxradius.DefaultDynamicPort
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("subscribers: closed")
	}
	cfg := erxradius.DynamicConfig{Clients: d.Clients}
	if e.dyn != nil && (len(d.Clients) == 0 || d.Host != e.dynSettings.Host || d.Port != e.dynSettings.Port) {
		_ = e.dyn.Close()
		e.dyn = nil
	}
	e.dynSettings = d
	if len(d.Clients) == 0 {
		return nil
	}
	if e.dyn != nil {
		e.dyn.Reconfigure(cfg)
		return nil
	}
	s, err := erxradius.ListenDynamic(netJoin(d.Host, d.Port), cfg, e)
	if err != nil {
		return fmt.Errorf("subscribers: dynamic-request server: %w", err)
	}
	e.dyn = s
	return nil
}

func netJoin(host string, port uint16) string {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

// DynamicRequestAddr returns where the dynamic-request server listens
// (invalid when it is off).
func (e *Engine) DynamicRequestAddr() netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dyn == nil {
		return netip.AddrPort{}
	}
	return e.dyn.Addr()
}

// DynamicStats returns the dynamic-request server's counters.
func (e *Engine) DynamicStats() (erxradius.DynamicStats, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dyn == nil {
		return erxradius.DynamicStats{}, false
	}
	return e.dyn.Stats(), true
}

// openAccess returns (creating) the access state of ifname, unless the
// engine is closed.
func (e *Engine) openAccess(ifname string) (*access, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("subscribers: closed")
	}
	if a := e.access[ifname]; a != nil {
		return a, nil
	}
	info, err := e.cfg.DataPlane.Interface(ifname)
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	if info.Kind != linecard.Physical && info.Kind != linecard.VLANSub {
		return nil, fmt.Errorf("subscribers: %q: subscribers need a physical or VLAN interface", ifname)
	}
	a := &access{name: ifname, vlan: info.VLAN, mac: info.MAC, vr: info.VirtualRouter,
		sessions: map[uint16]*live{}, leases: map[[6]byte]*live{}, grants: map[[6]byte]Grant{}}
	e.access[ifname] = a
	ro := maps.Clone(e.access)
	e.accessRO.Store(&ro)
	return a, nil
}

// SetPPPoE enables PPPoE on an access interface (c != nil) or disables it
// (nil: its sessions are logged out). Changing AC-Name, the session
// limit or duplicate protection while sessions are up takes effect when
// the interface's last session has ended (JunosE: duplicate protection
// does not affect sessions already up); `ppp authentication` applies to
// new sessions at once.
func (e *Engine) SetPPPoE(ifname string, c *PPPoEConfig) error {
	a, err := e.openAccess(ifname)
	if err != nil {
		return err
	}
	if c == nil {
		e.disableAccess(a, true, false, false)
		return nil
	}
	cc := *c
	cc.Auth = slices.Clone(c.Auth)
	a.mu.Lock()
	defer a.mu.Unlock()
	rebuild := a.pppoe == nil || a.pcfg.ACName != cc.ACName || a.pcfg.MaxSessions != cc.MaxSessions ||
		a.pcfg.DuplicateProtection != cc.DuplicateProtection
	if a.pppoe != nil && rebuild && (len(a.sessions) > 0 || len(a.pppoe.Sessions()) > 0) {
		a.pcfg.Auth = cc.Auth
		a.pending = &cc
		return nil
	}
	if rebuild {
		pe, err := e.newPPPoE(a, &cc)
		if err != nil {
			return err
		}
		a.pppoe = pe
	}
	a.pcfg, a.pending = &cc, nil
	return nil
}

func (e *Engine) newPPPoE(a *access, c *PPPoEConfig) (*pppoe.Engine, error) {
	ac := c.ACName
	if ac == "" {
		ac = e.cfg.Hostname
	}
	perMAC := 0
	if c.DuplicateProtection {
		perMAC = 1
	}
	pe, err := pppoe.NewEngine(pppoe.Config{ACName: ac, MaxSessions: c.MaxSessions, MaxSessionsPerMAC: perMAC,
		GlobalPADIRate: e.cfg.PADIRate,
		PortMAC:        func(port string) (pppoe.MAC, bool) { return a.mac, port == a.name },
		Sender:         sender{e.cfg.DataPlane}, Handler: &pppoeHandler{e: e, a: a}})
	if err != nil {
		return nil, fmt.Errorf("subscribers: pppoe on %q: %w", a.name, err)
	}
	return pe, nil
}

// PPPoE returns the PPPoE configuration of an interface (nil: off) and
// the configuration waiting for its sessions to end, if any.
func (e *Engine) PPPoE(ifname string) (cfg, pending *PPPoEConfig) {
	e.mu.Lock()
	a := e.access[ifname]
	e.mu.Unlock()
	if a == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return clonePPPoE(a.pcfg), clonePPPoE(a.pending)
}

func clonePPPoE(c *PPPoEConfig) *PPPoEConfig {
	if c == nil {
		return nil
	}
	cc := *c
	cc.Auth = slices.Clone(c.Auth)
	return &cc
}

// SetIPoE enables the DHCP server for IP subscribers on an access
// interface (c != nil) or disables it (nil: its subscribers are logged
// out). A new configuration restarts the server; bound leases are kept
// when LeaseStore is set.
func (e *Engine) SetIPoE(ifname string, c *IPoEConfig) error {
	a, err := e.openAccess(ifname)
	if err != nil {
		return err
	}
	if c == nil {
		e.disableAccess(a, false, true, false)
		return nil
	}
	info, err := e.cfg.DataPlane.Interface(ifname)
	if err != nil {
		return fmt.Errorf("subscribers: %w", err)
	}
	if len(info.Addresses) == 0 {
		return fmt.Errorf("subscribers: %q: IP subscribers need an address on the interface", ifname)
	}
	addr := info.Addresses[0]
	cc := *c
	cc.DNS = slices.Clone(c.DNS)
	var store dhcp.Store
	if e.cfg.LeaseStore != nil {
		store = e.cfg.LeaseStore
	}
	ds, err := dhcp.NewServer(dhcp.Config{ServerID: addr.Addr(), PrefixLen: addr.Bits(), DNS: cc.DNS,
		LeaseTime: cc.LeaseTime, Pool: vrPool{e.cfg.Pools, a.vr}, PoolName: cc.Pool,
		Authenticator: &ipoeAuth{e: e, a: a}, Store: store, StoreName: "dhcp-" + sanitize(ifname) + ".json",
		PortMAC: func(port string) (dhcp.MAC, bool) { return a.mac, port == a.name },
		Sender:  sender{e.cfg.DataPlane}, AckAfterBind: true,
		OnEvent: func(ev dhcp.Event) { e.post(func() { e.dhcpEvent(a, ev) }) }})
	if err != nil {
		return fmt.Errorf("subscribers: dhcp on %q: %w", ifname, err)
	}
	a.mu.Lock()
	old := a.dhcp
	a.dhcp, a.icfg = ds, &cc
	a.mu.Unlock()
	if old != nil {
		old.Close()
	}
	e.mu.Lock()
	held := e.leasesHeld
	e.mu.Unlock()
	if !held {
		resumeLeases(a, ds)
	}
	return nil
}

// ResumeLeases gives the DHCP leases restored from flash their sessions
// back, on every interface with IPoE, and from then on at once whenever
// SetIPoE restores some (Config.HoldLeases). Like a subscriber logging in
// again, each is authorized again through the `ip` method list with the
// identity it was bound with (MAC address, option 82) and, if accepted,
// gets a new session: a new Acct-Session-Id, Access-Request, accounting
// Start, its IP subscriber interface and host route, and the Login event
// (mirroring triggers match as at any login). A refused lease is cleared:
// its client is NAKed at its next renewal and starts over.
func (e *Engine) ResumeLeases() {
	e.mu.Lock()
	e.leasesHeld = false
	accs := make([]*access, 0, len(e.access))
	for _, a := range e.access {
		accs = append(accs, a)
	}
	e.mu.Unlock()
	for _, a := range accs {
		a.mu.Lock()
		ds := a.dhcp
		a.mu.Unlock()
		if ds != nil {
			resumeLeases(a, ds)
		}
	}
}

// LeasesHeld reports whether the DHCP leases restored from flash still
// wait for ResumeLeases (Config.HoldLeases).
func (e *Engine) LeasesHeld() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leasesHeld
}

// resumeLeases resumes the leases of ds that have no session yet (a
// reconfiguration keeps the sessions it has).
func resumeLeases(a *access, ds *dhcp.Server) {
	ds.ResumeLeases(func(l dhcp.Lease) bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		s := a.leases[[6]byte(l.MAC)]
		return s != nil && s.addr == l.Address
	})
}

// IPoE returns the IP subscriber configuration of an interface (nil: off).
func (e *Engine) IPoE(ifname string) *IPoEConfig {
	e.mu.Lock()
	a := e.access[ifname]
	e.mu.Unlock()
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.icfg == nil {
		return nil
	}
	c := *a.icfg
	c.DNS = slices.Clone(a.icfg.DNS)
	return &c
}

// AccessInterfaces returns the interfaces with PPPoE or IPoE enabled,
// sorted.
func (e *Engine) AccessInterfaces() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for n, a := range e.access {
		a.mu.Lock()
		if a.pcfg != nil || a.icfg != nil {
			out = append(out, n)
		}
		a.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// disableAccess turns PPPoE and/or IPoE off on a, logging its subscribers
// out (NAS-Request on shutdown, Admin-Reset otherwise). keepLeases (on
// shutdown) ends the IP subscribers' sessions but keeps their DHCP leases
// on flash, for ResumeLeases at the next start; otherwise the leases are
// cleared.
func (e *Engine) disableAccess(a *access, pppoeOff, ipoeOff, keepLeases bool) {
	cause := subscriber.CauseAdminReset
	if pppoeOff && ipoeOff {
		cause = subscriber.CauseNASRequest
	}
	a.mu.Lock()
	var ends []*ppp.Session
	var pe *pppoe.Engine
	var ds *dhcp.Server
	if pppoeOff {
		pe, a.pppoe, a.pcfg, a.pending = a.pppoe, nil, nil, nil
		for _, l := range a.sessions {
			if l.ppp != nil {
				ends = append(ends, l.ppp)
			}
		}
	}
	if ipoeOff {
		ds, a.dhcp, a.icfg = a.dhcp, nil, nil
	}
	a.mu.Unlock()
	if pe != nil {
		for _, s := range pe.Sessions() {
			_ = pe.Terminate(s.ID, cause) // PADT; SessionEnded → LowerDown
		}
	}
	for _, s := range ends {
		s.LowerDown(cause)
		s.Wait()
	}
	if ds != nil && keepLeases {
		// No lease event after Close; the bound leases stay on flash. The
		// sessions end on the control goroutine after the events ds posted
		// before (a binding queued there still gets its session first).
		ds.Close()
		e.post(func() {
			a.mu.Lock()
			ls := make([]*live, 0, len(a.leases))
			for _, l := range a.leases {
				ls = append(ls, l)
			}
			a.mu.Unlock()
			for _, l := range ls {
				e.endIPoE(a, l, cause)
			}
		})
		return
	}
	if ds != nil {
		for _, l := range ds.Leases() {
			ds.Clear(l.MAC, cause)
		}
		ds.Close()
	}
}

// sender adapts the data plane to the access engines' FrameSender.
type sender struct{ dp DataPlane }

func (s sender) SendFrame(port string, frame []byte) error { return s.dp.TransmitFrame(port, frame) }

// vrPool is the local address server of a virtual router, looked up at
// each use (the registry removes a server with its last pool).
type vrPool struct {
	g  *pool.Registry
	vr string
}

func (p vrPool) server() (*pool.Server, bool) { return p.g.Lookup(vrName(p.vr)) }

func (p vrPool) Allocate(name string) (netip.Addr, error) {
	if s, ok := p.server(); ok {
		return s.Allocate(name)
	}
	return netip.Addr{}, fmt.Errorf("virtual router %s: %w", vrName(p.vr), pool.ErrNoPool)
}

func (p vrPool) Reserve(a netip.Addr) (bool, error) {
	if s, ok := p.server(); ok {
		return s.Reserve(a)
	}
	return false, nil // in no pool: the caller need not release it
}

func (p vrPool) Release(a netip.Addr) error {
	if s, ok := p.server(); ok {
		return s.Release(a)
	}
	return nil
}

// ---- PPPoE / PPP ----

type pppoeHandler struct {
	e *Engine
	a *access
}

// SessionStarted implements pppoe.Handler (on a worker): the PPP session
// is created on the control goroutine.
func (h *pppoeHandler) SessionStarted(ps *pppoe.Session) {
	h.e.post(func() { h.e.startPPP(h.a, ps) })
}

// SessionPPP implements pppoe.Handler.
func (h *pppoeHandler) SessionPPP(ps *pppoe.Session, b []byte) {
	f := slices.Clone(b)
	h.e.post(func() {
		h.a.mu.Lock()
		l := h.a.sessions[ps.ID]
		h.a.mu.Unlock()
		if l != nil && l.ppp != nil {
			l.ppp.Input(f)
		}
	})
}

// SessionEnded implements pppoe.Handler.
func (h *pppoeHandler) SessionEnded(ps *pppoe.Session, cause subscriber.Cause) {
	h.e.post(func() {
		h.a.mu.Lock()
		l := h.a.sessions[ps.ID]
		h.a.mu.Unlock()
		if l != nil && l.ppp != nil {
			l.ppp.LowerDown(cause)
		}
	})
}

// gateway picks the IPCP address of the router for subscribers on a: the
// interface's address, else a loopback's, else any address in its VR (the
// last two found by a scan that is reused for gatewayTTL, so an address
// change reaches new logins within a second).
func (e *Engine) gateway(a *access) netip.Addr {
	// The access interface's own address needs no scan of every
	// interface (which grows with the subscribers: O(n) per login).
	if in, err := e.cfg.DataPlane.Interface(a.name); err == nil && len(in.Addresses) > 0 &&
		vrName(in.VirtualRouter) == vrName(a.vr) {
		return in.Addresses[0].Addr()
	}
	now := e.cfg.Clock()
	a.mu.Lock()
	gw, at := a.gw, a.gwAt
	a.mu.Unlock()
	if gw.IsValid() && now.Sub(at) < gatewayTTL && now.Sub(at) >= 0 {
		return gw
	}
	gw = e.scanGateway(a)
	a.mu.Lock()
	a.gw, a.gwAt = gw, now
	a.mu.Unlock()
	return gw
}

// scanGateway is gateway's search of every interface.
func (e *Engine) scanGateway(a *access) netip.Addr {
	var loop, any netip.Addr
	for _, in := range e.cfg.DataPlane.Interfaces() {
		if len(in.Addresses) == 0 || vrName(in.VirtualRouter) != vrName(a.vr) {
			continue
		}
		switch {
		case in.Name == a.name:
			return in.Addresses[0].Addr()
		case in.Kind == linecard.Loopback && !loop.IsValid():
			loop = in.Addresses[0].Addr()
		case !any.IsValid():
			any = in.Addresses[0].Addr()
		}
	}
	if loop.IsValid() {
		return loop
	}
	if any.IsValid() {
		return any
	}
	return netip.AddrFrom4([4]byte{10, 255, 255, 254}) // nothing configured: a private placeholder
}

func (e *Engine) startPPP(a *access, ps *pppoe.Session) {
	a.mu.Lock()
	pc := a.pcfg
	if pc == nil || a.sessions[ps.ID] != nil {
		a.mu.Unlock()
		return
	}
	auth := slices.Clone(pc.Auth)
	a.mu.Unlock()
	if len(auth) == 0 {
		auth = []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}
	}
	port := PortOf(a.name, a.vlan)
	s := e.table.add(&Session{Type: TypePPPoE, AccessInterface: a.name, VLAN: a.vlan, PPPoESessionID: ps.ID,
		MAC: ps.PeerMAC, CallingStationID: callingStationID(ps.PeerMAC), NASPortID: port.NASPortID(),
		VirtualRouter: a.vr, State: StateAuthenticating})
	l := &live{id: s.ID, typ: TypePPPoE, acc: a, sid: ps.ID, mac: ps.PeerMAC, vr: a.vr}
	l.ppp = ppp.NewSession(ppp.Config{Name: e.cfg.Hostname, Auth: auth, LocalAddress: e.gateway(a),
		EchoInterval: e.cfg.EchoInterval, Authenticator: &pppAuth{e: e, l: l, s: s},
		Pool: vrPool{e.cfg.Pools, a.vr},
		SelectPool: func(at subscriber.Attributes) ppp.AddressPool {
			if at.VirtualRouter != "" {
				return vrPool{e.cfg.Pools, at.VirtualRouter}
			}
			return nil
		},
		OnEvent: func(ev ppp.Event) { e.post(func() { e.pppEvent(l, ev) }) }}, ps)
	a.mu.Lock()
	if a.pcfg == nil || a.pppoe == nil { // PPPoE was turned off meanwhile
		a.mu.Unlock()
		e.table.remove(l.id)
		return
	}
	a.sessions[ps.ID] = l
	a.mu.Unlock()
	e.mu.Lock()
	e.lives[l.id] = l
	e.mu.Unlock()
	l.ppp.Start()
}

// pppAuth is the ppp.Authenticator of one session.
type pppAuth struct {
	e *Engine
	l *live
	s Session
}

func (p *pppAuth) authenticate(ctx context.Context, c Credentials) (subscriber.Attributes, error) {
	methods, _ := p.e.Authentication(TypePPPoE)
	p.e.mu.Lock()
	p.e.retryRADIUSLocked()
	a := &AAA{RADIUS: p.e.aaa.RADIUS, Local: p.e.aaa.Local, Stats: &p.e.aaaStats, Kind: AuthPPP}
	p.e.mu.Unlock()
	g, err := a.Authenticate(ctx, methods, Identity{Port: PortOf(p.s.AccessInterface, p.s.VLAN),
		CallingStationID: p.s.CallingStationID, Framed: true}, c)
	if err != nil {
		return subscriber.Attributes{}, err
	}
	p.e.mu.Lock()
	p.l.grant, p.l.granted = g, true
	p.e.mu.Unlock()
	return p.e.withDefaultDNS(p.s.VirtualRouter, g.Attributes), nil
}

// AuthenticatePAP implements ppp.Authenticator.
func (p *pppAuth) AuthenticatePAP(ctx context.Context, user, password string) (subscriber.Attributes, error) {
	return p.authenticate(ctx, Credentials{User: user, Password: password, PAP: true})
}

// AuthenticateCHAP implements ppp.Authenticator.
func (p *pppAuth) AuthenticateCHAP(ctx context.Context, user string, id uint8, challenge, response []byte) (subscriber.Attributes, error) {
	return p.authenticate(ctx, Credentials{User: user, CHAPID: id, CHAPChallenge: challenge, CHAPResponse: response})
}

// DynamicInterfaceName is the name of the PPPoE subscriber interface of
// session sid on access interface parent: parent.sid for a subinterface
// (gigabitEthernet 2/0/0.100.5, the E Series sub-subinterface form),
// parent.0.sid for a physical interface.
func DynamicInterfaceName(parent string, vlan, sid uint16) string {
	if vlan == 0 {
		return parent + ".0." + strconv.Itoa(int(sid))
	}
	return parent + "." + strconv.Itoa(int(sid))
}

// ipoeIndexBase is where the numbers of IP subscriber interfaces start:
// above every PPPoE session ID and every VLAN ID, so the two kinds of
// dynamic interface never share a name.
const ipoeIndexBase = 1 << 30

// IPoEInterfaceName is the name of the dynamic IP subscriber interface of
// session id (the table's ID) on access interface parent, in the form of
// the PPPoE ones: parent.N on a subinterface, parent.0.N on a physical
// interface, with N = 1073741824 + id (mod 2^30).
func IPoEInterfaceName(parent string, vlan uint16, id uint64) string {
	n := strconv.FormatUint(ipoeIndexBase+id%ipoeIndexBase, 10)
	if vlan == 0 {
		return parent + ".0." + n
	}
	return parent + "." + n
}

func (e *Engine) pppEvent(l *live, ev ppp.Event) {
	switch ev.Type {
	case ppp.EventAuthenticated:
		e.table.update(l.id, func(s *Session) { s.Username = ev.User })
	case ppp.EventUp:
		e.mu.Lock()
		g := l.grant
		e.mu.Unlock()
		name := DynamicInterfaceName(l.acc.name, l.acc.vlan, l.sid)
		dp := e.cfg.DataPlane
		if err := dp.AddPPPoEInterface(name, l.acc.name, l.sid, l.mac); err != nil {
			l.ppp.Close(subscriber.CauseNASError)
			return
		}
		vr := l.acc.vr
		if g.Attributes.VirtualRouter != "" && vrName(g.Attributes.VirtualRouter) != vrName(vr) {
			vr = g.Attributes.VirtualRouter
			if err := dp.SetVirtualRouter(name, vr); err != nil {
				_ = dp.DeleteInterface(name)
				l.ppp.Close(subscriber.CauseNASError)
				return
			}
		}
		l.ifname, l.vr, l.addr, l.installed = name, vr, ev.Address, true
		e.install(l, ev.User, g)
	case ppp.EventDown:
		e.logout(l, ev.Cause)
		l.acc.mu.Lock()
		if l.acc.sessions[l.sid] == l {
			delete(l.acc.sessions, l.sid)
		}
		pe := l.acc.pppoe
		var pend *PPPoEConfig
		if len(l.acc.sessions) == 0 && l.acc.pending != nil {
			pend, l.acc.pending = l.acc.pending, nil
		}
		l.acc.mu.Unlock()
		if pe != nil {
			_ = pe.Terminate(l.sid, ev.Cause) // PADT unless already gone
		}
		if pend != nil {
			_ = e.SetPPPoE(l.acc.name, pend)
		}
	}
}

// install records the session as active, publishes Login, routes the
// address, publishes AddressAssigned and starts accounting.
func (e *Engine) install(l *live, user string, g Grant) {
	now := e.cfg.Clock()
	s, ok := e.table.update(l.id, func(s *Session) {
		if user != "" {
			s.Username = user
		}
		s.Interface, s.Address, s.VirtualRouter, s.LoginTime, s.State = l.ifname, l.addr, l.vr, now, StateActive
		s.Class, s.AuthServer, s.InterimInterval = g.Auth.Class, g.Server, g.Auth.InterimInterval
	})
	if !ok {
		return
	}
	e.mu.Lock()
	on := e.acctOn
	e.mu.Unlock()
	l.lastInterim, l.accounted = now, on
	if on {
		e.acct.enqueue(record(erxradius.AcctStart, s, Counters{}, now))
	}
	e.bus.Publish(Event{Type: EventLogin, Session: s, Mirror: g.Mirror})
	if err := e.cfg.DataPlane.AddRoute(vrName(l.vr), linecard.Route{Prefix: netip.PrefixFrom(l.addr, 32),
		Interface: l.ifname, Type: fib.Host}); err != nil {
		// The subscriber cannot be reached; end it the normal way.
		e.disconnectLive(l, subscriber.CauseNASError)
	}
	e.bus.Publish(Event{Type: EventAddressAssigned, Session: s})
}

// logout removes an installed session from the data plane, publishes
// Logout, sends the Stop record and forgets the session.
func (e *Engine) logout(l *live, cause subscriber.Cause) {
	e.mu.Lock()
	delete(e.lives, l.id)
	e.mu.Unlock()
	s, ok := e.table.remove(l.id)
	if !ok {
		return
	}
	s.State = StateTerminating
	if l.installed {
		l.installed = false
		c := e.counters(l)
		dp := e.cfg.DataPlane
		_ = dp.DeleteRoute(vrName(l.vr), linecard.Route{Prefix: netip.PrefixFrom(l.addr, 32), Interface: l.ifname, Type: fib.Host})
		_ = dp.DeleteInterface(l.ifname) // PPPoE or IP subscriber interface
		e.bus.Publish(Event{Type: EventLogout, Session: s, Cause: cause, Counters: c})
		if l.accounted {
			r := record(erxradius.AcctStop, s, c, e.cfg.Clock())
			r.TerminateCause = erxradius.TerminateCause(cause.AcctTerminateCause())
			e.acct.enqueue(r)
		}
	}
}

// counters reads a session's counters: its PPPoE or IP subscriber
// interface's own counters (IP bytes; the access interface counts frames).
func (e *Engine) counters(l *live) Counters {
	c, err := e.cfg.DataPlane.Counters(l.ifname)
	if err != nil {
		return Counters{}
	}
	return Counters{InOctets: c.InBytes, OutOctets: c.OutBytes, InPackets: c.InPackets, OutPackets: c.OutPackets}
}

// Interim sends Interim-Update records for the sessions whose interval
// (RADIUS Acct-Interim-Interval, else the configured one) has passed by
// now. The engine calls it every Config.InterimTick; it runs on the
// control goroutine and returns once the records are queued.
func (e *Engine) Interim(now time.Time) {
	done := make(chan struct{})
	e.post(func() { e.interim(now); close(done) })
	select {
	case <-done:
	case <-e.stop:
	}
}

func (e *Engine) interim(now time.Time) {
	e.mu.Lock()
	def := e.interval
	var ls []*live
	for _, l := range e.lives {
		if l.installed && l.accounted {
			ls = append(ls, l)
		}
	}
	e.mu.Unlock()
	for _, l := range ls {
		s, ok := e.table.Get(l.id)
		if !ok || s.State != StateActive {
			continue
		}
		iv := def
		if s.InterimInterval > 0 {
			iv = s.InterimInterval
		}
		if iv <= 0 || now.Sub(l.lastInterim) < iv {
			continue
		}
		l.lastInterim = now
		e.acct.enqueue(record(erxradius.AcctInterim, s, e.counters(l), now))
	}
}

// ---- IPoE ----

// ipoeAuth is the dhcp.Authenticator of an access interface: the `ip`
// method list with the subscriber's MAC address (E Series dotted form)
// as User-Name and User-Password, and for RADIUS what the DHCP request
// carried (erxradius.DHCPClient: ERX-Dhcp-Mac-Addr, -Options,
// -Gi-Address, -Option-82, the agent circuit and remote ids), so the
// server can authorize by MAC address or by option 82.
type ipoeAuth struct {
	e *Engine
	a *access
}

// AuthorizeDHCP implements dhcp.Authenticator.
func (p *ipoeAuth) AuthorizeDHCP(ctx context.Context, c dhcp.Client) (subscriber.Attributes, error) {
	methods, _ := p.e.Authentication(TypeIPoE)
	p.e.mu.Lock()
	p.e.retryRADIUSLocked()
	a := &AAA{RADIUS: p.e.aaa.RADIUS, Local: p.e.aaa.Local, Stats: &p.e.aaaStats, Kind: AuthIP}
	p.e.mu.Unlock()
	mac := [6]byte(c.MAC)
	user := callingStationID(mac)
	extra, err := erxradius.DHCPClient{MAC: net.HardwareAddr(mac[:]), Options: c.Options, GatewayIP: c.GatewayIP,
		Option82: c.Option82, CircuitID: c.CircuitID, RemoteID: c.RemoteID}.Attributes()
	if err != nil {
		return subscriber.Attributes{}, fmt.Errorf("subscribers: DHCP attributes of %v: %w", c.MAC, err)
	}
	g, err := a.Authenticate(ctx, methods, Identity{Port: PortOf(p.a.name, p.a.vlan), CallingStationID: user, Extra: extra},
		Credentials{User: user, Password: user, PAP: true})
	if err != nil && !errors.Is(err, ErrRejected) {
		// Neither accepted nor refused: a restored lease tries again later.
		return subscriber.Attributes{}, fmt.Errorf("%w: %w", dhcp.ErrAuthUnavailable, err)
	}
	if err != nil {
		return subscriber.Attributes{}, err
	}
	p.a.mu.Lock()
	p.a.grants[mac] = g
	p.a.mu.Unlock()
	// The lease is on the interface's subnet: a RADIUS virtual router
	// does not move an IP subscriber.
	g.Attributes.VirtualRouter = ""
	return g.Attributes, nil
}

func (e *Engine) dhcpEvent(a *access, ev dhcp.Event) {
	mac := [6]byte(ev.Lease.MAC)
	a.mu.Lock()
	l := a.leases[mac]
	g, granted := a.grants[mac]
	a.mu.Unlock()
	switch ev.Type {
	case dhcp.EventBound:
		if l != nil {
			if l.addr == ev.Lease.Address {
				if !ackBound(ev) { // the session's lease is gone
					e.endIPoE(a, l, subscriber.CauseNASRequest)
				}
				return
			}
			e.endIPoE(a, l, subscriber.CauseNASRequest)
		}
		if !granted {
			g = Grant{Method: MethodNone}
		}
		port := PortOf(a.name, a.vlan)
		s := e.table.add(&Session{Type: TypeIPoE, Username: callingStationID(mac), AccessInterface: a.name,
			VLAN: a.vlan, MAC: mac, CallingStationID: callingStationID(mac), NASPortID: port.NASPortID(),
			VirtualRouter: a.vr, CircuitID: slices.Clone(ev.Lease.CircuitID), RemoteID: slices.Clone(ev.Lease.RemoteID),
			State: StateAuthenticating})
		name := IPoEInterfaceName(a.name, a.vlan, s.ID)
		l = &live{id: s.ID, typ: TypeIPoE, acc: a, mac: mac, ifname: name, vr: a.vr, addr: ev.Lease.Address}
		if err := e.cfg.DataPlane.AddIPoEInterface(name, a.name, l.addr, mac); err != nil {
			e.table.remove(s.ID)
			a.mu.Lock()
			delete(a.grants, mac)
			a.mu.Unlock()
			if ev.Refuse != nil {
				_ = ev.Refuse() // the client is NAKed and starts over
			}
			return
		}
		l.installed = true
		a.mu.Lock()
		a.leases[mac] = l
		delete(a.grants, mac)
		a.mu.Unlock()
		e.mu.Lock()
		e.lives[l.id] = l
		e.mu.Unlock()
		e.install(l, "", g)
		// Only now the client learns its address: its first packet finds
		// the session's interface, taps and route in place. A binding
		// cleared meanwhile (or whose server closed) ends the session.
		if !ackBound(ev) {
			e.endIPoE(a, l, subscriber.CauseNASRequest)
		}
	case dhcp.EventReleased, dhcp.EventExpired:
		if l != nil && l.addr == ev.Lease.Address {
			e.endIPoE(a, l, ev.Cause)
		}
	}
}

// ackBound sends the DHCPACK the server left to the engine (a new
// binding), if any; a lost ACK is retransmitted by the client's REQUEST.
// It reports false when the binding is gone (dhcp.ErrLeaseGone): the
// subscriber must not keep a session for it.
func ackBound(ev dhcp.Event) bool {
	if ev.Ack == nil {
		return true
	}
	return !errors.Is(ev.Ack(), dhcp.ErrLeaseGone)
}

func (e *Engine) endIPoE(a *access, l *live, cause subscriber.Cause) {
	e.logout(l, cause)
	a.mu.Lock()
	if a.leases[l.mac] == l {
		delete(a.leases, l.mac)
	}
	a.mu.Unlock()
}

// ---- logout / disconnect ----

// Disconnect ends session id with cause (CLI clear, RADIUS Disconnect):
// PPPoE sessions send LCP Terminate-Request then PADT, IPoE leases are
// cleared. It returns false when the session is unknown.
func (e *Engine) Disconnect(id uint64, cause subscriber.Cause) bool {
	e.mu.Lock()
	l := e.lives[id]
	e.mu.Unlock()
	if l == nil {
		// A PPPoE session still authenticating is not in lives until
		// startPPP ran; look it up through its access interface.
		s, ok := e.table.Get(id)
		if !ok || s.Type != TypePPPoE {
			return false
		}
		e.mu.Lock()
		a := e.access[s.AccessInterface]
		e.mu.Unlock()
		if a == nil {
			return false
		}
		a.mu.Lock()
		l = a.sessions[s.PPPoESessionID]
		a.mu.Unlock()
		if l == nil {
			return false
		}
	}
	e.disconnectLive(l, cause)
	return true
}

func (e *Engine) disconnectLive(l *live, cause subscriber.Cause) {
	switch l.typ {
	case TypePPPoE:
		if l.ppp != nil {
			l.ppp.Close(cause)
		}
	case TypeIPoE:
		l.acc.mu.Lock()
		ds := l.acc.dhcp
		l.acc.mu.Unlock()
		if ds == nil || !ds.Clear(dhcp.MAC(l.mac), cause) {
			e.post(func() { e.endIPoE(l.acc, l, cause) })
		}
	}
}

// Logout disconnects every session matching q (`logout subscribers
// username U`, `clear subscribers`) and returns how many.
func (e *Engine) Logout(q Query, cause subscriber.Cause) int {
	n := 0
	for _, s := range e.table.Find(q) {
		if e.Disconnect(s.ID, cause) {
			n++
		}
	}
	return n
}

// PPPoESessions returns the PPPoE discovery sessions of every access
// interface (`show pppoe sessions`), by interface.
func (e *Engine) PPPoESessions() map[string][]*pppoe.Session {
	out := map[string][]*pppoe.Session{}
	for name, pe := range e.pppoeEngines() {
		out[name] = pe.Sessions()
	}
	return out
}

// PPPState is the PPP link state of one session (`show ppp interface`).
type PPPState struct {
	SessionID uint64
	Interface string
	LCP, IPCP ppp.State
	Phase     ppp.Phase
	Counters  ppp.Counters
	Username  string
}

// PPPStates returns the PPP state of every PPPoE session.
func (e *Engine) PPPStates() []PPPState {
	var out []PPPState
	for _, s := range e.table.Find(Query{}) {
		if s.Type != TypePPPoE {
			continue
		}
		e.mu.Lock()
		a := e.access[s.AccessInterface]
		e.mu.Unlock()
		if a == nil {
			continue
		}
		a.mu.Lock()
		l := a.sessions[s.PPPoESessionID]
		a.mu.Unlock()
		if l == nil || l.ppp == nil {
			continue
		}
		name := s.Interface
		if name == "" {
			name = DynamicInterfaceName(s.AccessInterface, s.VLAN, s.PPPoESessionID)
		}
		out = append(out, PPPState{SessionID: s.ID, Interface: name, LCP: l.ppp.LCPState(), IPCP: l.ppp.IPCPState(),
			Phase: l.ppp.Phase(), Counters: l.ppp.Counters(), Username: s.Username})
	}
	return out
}
