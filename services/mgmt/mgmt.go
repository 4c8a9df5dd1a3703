package mgmt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/jsimonetti/rtnetlink/v2/rtnl"
	"golang.org/x/sys/unix"
)

// Config is how the management port gets its address.
type Config struct {
	NIC     string       // kernel interface; empty: no management port
	DHCP    bool         // DHCPv4 (Address and Gateway ignored)
	Address netip.Prefix // static address, when valid and not DHCP
	Gateway netip.Addr   // static default route, when valid and not DHCP
}

// Modes reported in State.Mode.
const (
	ModeNone   = "none"   // no NIC or no address configured
	ModeStatic = "static" // static address
	ModeDHCP   = "dhcp"   // DHCPv4 client
)

// Lease is the DHCPv4 lease in use.
type Lease struct {
	Server   netip.Addr
	DNS      []netip.Addr
	Obtained time.Time     // when the lease was last acknowledged
	Duration time.Duration // lease time granted
	Renewals int           // successful renewals of this lease
}

// State is the management port as it is now.
type State struct {
	NIC     string
	Mode    string
	Up      bool         // the address is configured
	Address netip.Prefix // invalid when none
	Gateway netip.Addr   // invalid when none
	Lease   *Lease       // DHCP only
	Err     string       // the last error, empty when all is well
}

// Port runs the management port. Create it with New; Run drives it.
type Port struct {
	log *slog.Logger

	mu      sync.Mutex
	cfg     Config
	set     bool // Set was called
	state   State
	changed chan struct{}

	// Retry delays (tests shorten them).
	retryMin, retryMax time.Duration
}

// New returns a Port logging to log.
func New(log *slog.Logger) *Port {
	return &Port{
		log:      log,
		changed:  make(chan struct{}, 1),
		state:    State{Mode: ModeNone},
		retryMin: time.Second,
		retryMax: 30 * time.Second,
	}
}

// Set replaces the configuration; Run applies it at once, removing the
// address and route it had configured before.
func (p *Port) Set(cfg Config) {
	p.mu.Lock()
	p.cfg, p.set = cfg, true
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// Config returns the configuration in force.
func (p *Port) Config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// State returns a copy of the current state.
func (p *Port) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state
	if s.Lease != nil {
		l := *s.Lease
		l.DNS = append([]netip.Addr(nil), l.DNS...)
		s.Lease = &l
	}
	return s
}

func (p *Port) update(f func(*State)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.state)
}

// Run applies cfg — or, if Set was called before Run, the configuration
// given to Set — and then each configuration given to Set, until ctx is
// done; then it removes what it configured and returns ctx.Err(). Run may
// be called again after it returned (a supervisor restart).
func (p *Port) Run(ctx context.Context, cfg Config) error {
	p.mu.Lock()
	if !p.set {
		p.cfg = cfg
	}
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
	for {
		select {
		case <-p.changed:
		case <-ctx.Done():
			return ctx.Err()
		}
		cfg := p.Config()
		runCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		restart := false
		go func() {
			defer wg.Done()
			select {
			case <-p.changed:
				restart = true
				cancel()
			case <-runCtx.Done():
			}
		}()
		p.runConfig(runCtx, cfg)
		cancel()
		wg.Wait()
		if restart {
			// Re-arm the change so the loop applies the new config.
			select {
			case p.changed <- struct{}{}:
			default:
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// runConfig applies one configuration until ctx is done, then undoes it.
func (p *Port) runConfig(ctx context.Context, cfg Config) {
	p.update(func(s *State) { *s = State{NIC: cfg.NIC, Mode: ModeNone} })
	if cfg.NIC == "" {
		<-ctx.Done()
		return
	}
	k := &kernel{nic: cfg.NIC}
	defer k.close(p.log)
	switch {
	case cfg.DHCP:
		p.update(func(s *State) { s.Mode = ModeDHCP })
		p.runDHCP(ctx, k)
	case cfg.Address.IsValid():
		p.update(func(s *State) { s.Mode = ModeStatic })
		p.runStatic(ctx, k, cfg)
	default:
		p.retry(ctx, func() error { return k.up() })
		<-ctx.Done()
	}
}

// retry calls f until it succeeds or ctx is done, recording errors.
func (p *Port) retry(ctx context.Context, f func() error) bool {
	delay := p.retryMin
	for {
		err := f()
		if err == nil {
			p.update(func(s *State) { s.Err = "" })
			return true
		}
		p.update(func(s *State) { s.Err = err.Error() })
		p.log.Warn("management port", "err", err, "retry in", delay.String())
		if !sleep(ctx, delay) {
			return false
		}
		delay = min(delay*2, p.retryMax)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (p *Port) runStatic(ctx context.Context, k *kernel, cfg Config) {
	ok := p.retry(ctx, func() error {
		if err := k.up(); err != nil {
			return err
		}
		if err := k.setAddress(cfg.Address); err != nil {
			return err
		}
		if cfg.Gateway.IsValid() {
			return k.setGateway(cfg.Gateway)
		}
		return nil
	})
	if ok {
		p.update(func(s *State) { s.Up, s.Address, s.Gateway = true, cfg.Address, cfg.Gateway })
		p.log.Info("management port configured", "nic", cfg.NIC, "address", cfg.Address.String())
	}
	<-ctx.Done()
}

// kernel configures one NIC through rtnetlink and remembers what it added
// so that close can take it away again.
type kernel struct {
	nic     string
	conn    *rtnl.Conn
	addr    netip.Prefix
	gateway netip.Addr
}

func (k *kernel) dial() (*rtnl.Conn, *net.Interface, error) {
	ifc, err := net.InterfaceByName(k.nic)
	if err != nil {
		return nil, nil, fmt.Errorf("mgmt: NIC %s: %w", k.nic, err)
	}
	if k.conn == nil {
		c, err := rtnl.Dial(nil)
		if err != nil {
			return nil, nil, fmt.Errorf("mgmt: rtnetlink: %w", err)
		}
		k.conn = c
	}
	return k.conn, ifc, nil
}

func (k *kernel) up() error {
	c, ifc, err := k.dial()
	if err != nil {
		return err
	}
	if ifc.Flags&net.FlagUp != 0 {
		return nil
	}
	if err := c.LinkUp(ifc); err != nil {
		return fmt.Errorf("mgmt: link %s up: %w", k.nic, err)
	}
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// setAddress makes p the NIC's address, replacing the one set before.
func (k *kernel) setAddress(p netip.Prefix) error {
	if k.addr == p {
		return nil
	}
	c, ifc, err := k.dial()
	if err != nil {
		return err
	}
	if k.addr.IsValid() {
		k.delGateway()
		c.AddrDel(ifc, ipNet(k.addr))
		k.addr = netip.Prefix{}
	}
	if err := c.AddrAdd(ifc, ipNet(p)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mgmt: address %s on %s: %w", p, k.nic, err)
	}
	k.addr = p
	return nil
}

var defaultRoute = net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}

// setGateway makes gw the default route through the NIC.
func (k *kernel) setGateway(gw netip.Addr) error {
	if k.gateway == gw {
		return nil
	}
	c, ifc, err := k.dial()
	if err != nil {
		return err
	}
	if err := c.RouteReplace(ifc, defaultRoute, gw.AsSlice()); err != nil {
		return fmt.Errorf("mgmt: default route via %s: %w", gw, err)
	}
	k.gateway = gw
	return nil
}

func (k *kernel) delGateway() {
	if !k.gateway.IsValid() {
		return
	}
	if c, ifc, err := k.dial(); err == nil {
		c.RouteDel(ifc, defaultRoute)
	}
	k.gateway = netip.Addr{}
}

// clear removes the address and route k added.
func (k *kernel) clear() error {
	k.delGateway()
	if !k.addr.IsValid() {
		return nil
	}
	c, ifc, err := k.dial()
	if err != nil {
		return err
	}
	k.addr, err = netip.Prefix{}, c.AddrDel(ifc, ipNet(k.addr))
	return err
}

func (k *kernel) close(log *slog.Logger) {
	if err := k.clear(); err != nil {
		log.Warn("management port: removing the address", "err", err)
	}
	if k.conn != nil {
		k.conn.Close()
	}
}

// leaseInfo extracts what the port needs from an ACK.
type leaseInfo struct {
	addr         netip.Prefix
	gateway      netip.Addr
	server       netip.Addr
	dns          []netip.Addr
	duration, t1 time.Duration
}

func parseACK(ack *dhcpv4.DHCPv4) (leaseInfo, error) {
	var li leaseInfo
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || ip.IsUnspecified() {
		return li, fmt.Errorf("mgmt: DHCP ACK without an address")
	}
	bits := 24
	if m := ack.SubnetMask(); m != nil {
		if ones, total := m.Size(); total == 32 {
			bits = ones
		}
	}
	li.addr = netip.PrefixFrom(ip, bits)
	if rs := ack.Router(); len(rs) > 0 {
		if gw, ok := netip.AddrFromSlice(rs[0].To4()); ok && !gw.IsUnspecified() {
			li.gateway = gw
		}
	}
	if s, ok := netip.AddrFromSlice(ack.ServerIdentifier().To4()); ok {
		li.server = s
	}
	for _, d := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(d.To4()); ok {
			li.dns = append(li.dns, a)
		}
	}
	li.duration = ack.IPAddressLeaseTime(time.Hour)
	if li.duration <= 0 {
		li.duration = time.Hour
	}
	li.t1 = ack.IPAddressRenewalTime(li.duration / 2)
	if li.t1 <= 0 || li.t1 >= li.duration {
		li.t1 = li.duration / 2
	}
	return li, nil
}

// runDHCP obtains a lease, configures it, and renews it at T1 until ctx
// is done; a lease that cannot be renewed before it expires is dropped and
// a new one sought.
func (p *Port) runDHCP(ctx context.Context, k *kernel) {
	if !p.retry(ctx, k.up) {
		return
	}
	var client *nclient4.Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	for ctx.Err() == nil {
		var lease *nclient4.Lease
		ok := p.retry(ctx, func() error {
			if client == nil {
				c, err := nclient4.New(k.nic, nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(2))
				if err != nil {
					return fmt.Errorf("mgmt: DHCP client on %s: %w", k.nic, err)
				}
				client = c
			}
			l, err := client.Request(ctx)
			if err != nil {
				return fmt.Errorf("mgmt: DHCP on %s: %w", k.nic, err)
			}
			lease = l
			return nil
		})
		if !ok {
			return
		}
		p.holdLease(ctx, k, client, lease)
	}
}

// holdLease configures lease and keeps it renewed; it returns when ctx is
// done (after releasing the lease) or when the lease is lost.
func (p *Port) holdLease(ctx context.Context, k *kernel, client *nclient4.Client, lease *nclient4.Lease) {
	renewals := 0
	for {
		li, err := parseACK(lease.ACK)
		if err == nil {
			err = k.setAddress(li.addr)
		}
		if err == nil && li.gateway.IsValid() {
			err = k.setGateway(li.gateway)
		}
		if err != nil {
			p.update(func(s *State) { s.Err = err.Error() })
			p.log.Error("management port: applying the DHCP lease", "err", err)
			sleep(ctx, p.retryMin)
			return
		}
		obtained := time.Now()
		p.update(func(s *State) {
			s.Up, s.Address, s.Gateway, s.Err = true, li.addr, li.gateway, ""
			s.Lease = &Lease{Server: li.server, DNS: li.dns, Obtained: obtained, Duration: li.duration, Renewals: renewals}
		})
		if renewals == 0 {
			p.log.Info("management port: DHCP lease", "nic", k.nic, "address", li.addr.String(), "gateway", li.gateway.String(), "lease", li.duration.String())
		}
		expiry := obtained.Add(li.duration)
		if !sleep(ctx, li.t1) {
			client.Release(lease)
			return
		}
		// Renew until it works or the lease runs out.
		delay := max(min(li.t1/4, p.retryMax), 100*time.Millisecond)
		var renewed *nclient4.Lease
		for renewed == nil {
			l, err := client.Renew(ctx, lease)
			if err == nil {
				renewed = l
				break
			}
			if ctx.Err() != nil {
				client.Release(lease)
				return
			}
			p.update(func(s *State) { s.Err = fmt.Sprintf("mgmt: renewing the DHCP lease: %v", err) })
			left := time.Until(expiry)
			if left <= 0 {
				p.log.Warn("management port: DHCP lease expired", "address", li.addr.String())
				k.clear()
				p.update(func(s *State) { s.Up, s.Address, s.Gateway, s.Lease = false, netip.Prefix{}, netip.Addr{}, nil })
				return
			}
			if !sleep(ctx, min(delay, left)) {
				client.Release(lease)
				return
			}
		}
		lease = renewed
		renewals++
	}
}
