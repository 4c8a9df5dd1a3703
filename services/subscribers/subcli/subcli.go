package subcli

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/subscribers"
)

// Deps are what the commands drive.
type Deps struct {
	Engine *subscribers.Engine // required
	Pools  *pool.Registry      // the registry the engine was built with; required
	// NAS is how the router names itself in RADIUS requests (NAS-IP-Address
	// / NAS-Identifier); Hostname, if set, supplies NAS-Identifier at each
	// reconfiguration.
	NAS      radius.NASIdentity
	Hostname func() string
	// DynamicHost is the address the dynamic-request server listens on
	// ("" = all addresses).
	DynamicHost string
	// Clock defaults to time.Now (for `show subscribers` login times).
	Clock func() time.Time
	// MirrorVisible reports whether a session has mirror access
	// (mirror-enable); only such a session sees the secret counters of
	// mirroring CoA-Requests. nil: nobody does.
	MirrorVisible func(*command.Context) bool
}

// Server kinds of the RADIUS Configuration mode.
const (
	kindAuth    = "authentication"
	kindAcct    = "accounting"
	kindDynamic = "dynamic-request"
)

// radiusServer is one `radius ... server` entry as configured.
type radiusServer struct {
	kind        string
	addr        netip.Addr
	key         string
	port        int // 0: default
	timeout     int // seconds; 0: default
	retransmit  int // -1: not set
	deadtime    int // minutes; 0: not set
	maxSessions int // 0: not set
}

// serverRef is the ModeValue of (config-radius).
type serverRef struct {
	kind string
	addr netip.Addr
}

type ifConf struct {
	pppoe    bool
	autoConf bool
	acName   string
	sessions int
	auth     []ppp.AuthProtocol
	dupProt  bool // pppoe duplicate-protection
	ipoe     bool
	ipoePool string
}

type poolRange struct {
	start, end netip.Addr
}

type poolConf struct {
	vr, name string
	ranges   []poolRange
}

type state struct {
	d Deps

	mu         sync.Mutex
	servers    []*radiusServer
	algorithm  radius.Algorithm
	methods    map[subscribers.Type][]subscribers.Method
	acctRadius bool
	acctSet    bool
	interval   int // minutes; 0: off
	pools      []*poolConf
	ifs        map[string]*ifConf
	dns        map[string]subscribers.DNSServers // aaa dns, by VR
}

// Register adds the commands and configuration sections to tree.
func Register(tree *command.Tree, d Deps) error {
	if tree == nil || d.Engine == nil || d.Pools == nil {
		return errors.New("subcli: a tree, an engine and pools are required")
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	s := &state{d: d, methods: map[subscribers.Type][]subscribers.Method{}, ifs: map[string]*ifConf{},
		dns: map[string]subscribers.DNSServers{}}
	for _, c := range append(s.configCommands(), s.execCommands()...) {
		if err := tree.Register(c); err != nil {
			return fmt.Errorf("subcli: register %q: %w", c.Syntax, err)
		}
	}
	for _, sec := range s.sections() {
		if err := tree.AddConfig(sec); err != nil {
			return fmt.Errorf("subcli: %w", err)
		}
	}
	return nil
}

// ifName is the data plane's name of an interface argument.
func ifName(n command.InterfaceName) string { return n.Type + " " + n.Location }

// display is the display form: "GigabitEthernet2/0/1.100".
func display(name string) string {
	typ, loc, _ := strings.Cut(name, " ")
	if typ == "" {
		return name
	}
	return strings.ToUpper(typ[:1]) + typ[1:] + loc
}

func vrName(vr string) string {
	if vr == "" {
		return "default"
	}
	return vr
}

// applyRADIUSLocked pushes the server lists to the engine.
func (s *state) applyRADIUSLocked() error {
	nas := s.d.NAS
	if s.d.Hostname != nil && nas.Identifier == "" {
		nas.Identifier = s.d.Hostname()
	}
	auth := radius.Config{Algorithm: s.algorithm, NAS: nas}
	acct := radius.Config{Algorithm: s.algorithm, NAS: nas}
	var dyn subscribers.DynamicSettings
	dyn.Host = s.d.DynamicHost
	for _, r := range s.servers {
		if r.key == "" {
			continue // not usable until `key` is given (JunosE enters the mode first)
		}
		sc := radius.ServerConfig{Secret: r.key, Timeout: time.Duration(r.timeout) * time.Second,
			Retransmit: r.retransmit, DeadTime: time.Duration(r.deadtime) * time.Minute, MaxOutstanding: r.maxSessions}
		if r.retransmit == 0 {
			sc.Retransmit = -1 // `retransmit 0`: no retransmissions
		} else if r.retransmit < 0 {
			sc.Retransmit = 0 // default
		}
		switch r.kind {
		case kindAuth:
			sc.Addr = netip.AddrPortFrom(r.addr, uint16(orDefault(r.port, 1812)))
			auth.Servers = append(auth.Servers, sc)
		case kindAcct:
			sc.Addr = netip.AddrPortFrom(r.addr, uint16(orDefault(r.port, 1813)))
			acct.Servers = append(acct.Servers, sc)
		case kindDynamic:
			if dyn.Port == 0 {
				dyn.Port = uint16(orDefault(r.port, radius.DefaultDynamicPort))
			}
			dyn.Clients = append(dyn.Clients, radius.DynamicClient{Addr: r.addr, Secret: r.key})
		}
	}
	if err := s.d.Engine.SetRADIUS(auth, acct); err != nil {
		return err
	}
	return s.d.Engine.SetDynamicRequest(dyn)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (s *state) findServerLocked(ref serverRef) *radiusServer {
	for _, r := range s.servers {
		if r.kind == ref.kind && r.addr == ref.addr {
			return r
		}
	}
	return nil
}

// radiusCtx returns the server the (config-radius) session is on.
func (s *state) radiusCtx(ctx *command.Context) (*radiusServer, error) {
	ref, ok := ctx.ModeValue.(serverRef)
	if !ok {
		return nil, errors.New("not in RADIUS Configuration mode")
	}
	r := s.findServerLocked(ref)
	if r == nil {
		return nil, errors.New("server was removed")
	}
	return r, nil
}

func (s *state) ifLocked(name string) *ifConf {
	c := s.ifs[name]
	if c == nil {
		c = &ifConf{}
		s.ifs[name] = c
	}
	return c
}

// applyIfLocked pushes one interface's access configuration.
func (s *state) applyIfLocked(name string) error {
	c := s.ifs[name]
	if c == nil {
		c = &ifConf{}
	}
	var perr, ierr error
	if c.pppoe {
		perr = s.d.Engine.SetPPPoE(name, &subscribers.PPPoEConfig{ACName: c.acName, MaxSessions: c.sessions, Auth: c.auth,
			DuplicateProtection: c.dupProt})
	} else if p, _ := s.d.Engine.PPPoE(name); p != nil {
		perr = s.d.Engine.SetPPPoE(name, nil)
	}
	if c.ipoe {
		ierr = s.d.Engine.SetIPoE(name, &subscribers.IPoEConfig{Pool: c.ipoePool})
	} else if s.d.Engine.IPoE(name) != nil {
		ierr = s.d.Engine.SetIPoE(name, nil)
	}
	return errors.Join(perr, ierr)
}

func methodsString(ms []subscribers.Method) string {
	var w []string
	for _, m := range ms {
		w = append(w, m.String())
	}
	return strings.Join(w, " ")
}

func authString(a []ppp.AuthProtocol) string {
	var w []string
	for _, p := range a {
		w = append(w, p.String())
	}
	return strings.Join(w, " ")
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
