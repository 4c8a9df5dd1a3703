package dhcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// MAC is a 48-bit Ethernet address.
type MAC = header.MAC

// UDP ports.
const (
	ServerPort = 67
	ClientPort = 68
)

// FrameSender transmits an untagged Ethernet frame out of a port.
type FrameSender interface {
	SendFrame(port string, frame []byte) error
}

// Client describes who asks for a lease, for authorization.
type Client struct {
	MAC  MAC
	Port string
	// CircuitID and RemoteID are option 82 sub-options 1 and 2, if relayed.
	CircuitID, RemoteID []byte
	Hostname            string
	// Option82 is the raw value of the relay agent information option
	// (all its sub-options), GatewayIP the relay's giaddr (invalid: not
	// relayed) and Options the client's DHCP options as received, for
	// RADIUS (ERX-Dhcp-Option-82, -Gi-Address, -Options). A restored lease
	// being authorized again has none of these.
	Option82  []byte
	GatewayIP netip.Addr
	Options   []byte
}

// ErrAuthUnavailable, wrapped in an Authenticator's error, says that the
// client was neither accepted nor refused (no server answered). A restored
// lease (ResumeLeases) is then authorized again later instead of dropped.
var ErrAuthUnavailable = errors.New("dhcp: authorization unavailable")

// ErrLeaseGone is returned by an Event's Ack or Refuse when the binding
// is no longer waiting for it: cleared or expired meanwhile, or its server
// closed (a binding waiting for its ACK is not kept on flash).
var ErrLeaseGone = errors.New("dhcp: lease gone")

// resumeRetry is how long a restored lease waits before its authorization
// is tried again after ErrAuthUnavailable.
const resumeRetry = 5 * time.Second

// resumeWorkers bounds the authorizations of restored leases in flight
// (ResumeLeases): thousands of leases restored while the RADIUS servers
// do not answer must not become thousands of requests every resumeRetry.
const resumeWorkers = 8

// Authenticator authorizes an IPoE client (typically RADIUS with the MAC
// address or circuit ID as user name). A nil error accepts.
type Authenticator interface {
	AuthorizeDHCP(ctx context.Context, c Client) (subscriber.Attributes, error)
}

// AddressPool hands out subscriber addresses (pool.Server implements it).
type AddressPool interface {
	Allocate(pool string) (netip.Addr, error)
	Reserve(a netip.Addr) (owned bool, err error)
	Release(a netip.Addr) error
}

// Store persists the lease table (the router's flash).
type Store interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
}

// Config configures a Server.
type Config struct {
	// ServerID is our address on the subscriber subnet (option 54).
	ServerID netip.Addr
	// PrefixLen gives the subnet mask (option 1), default 24.
	PrefixLen int
	// Router is option 3 (default ServerID).
	Router netip.Addr
	// DNS servers (option 6) unless the authenticator gives others.
	DNS []netip.Addr
	// LeaseTime defaults to 1h; OfferTimeout (how long an offered address
	// is held) to 1m.
	LeaseTime, OfferTimeout time.Duration
	// Pool supplies addresses; PoolName selects a pool ("" = any).
	Pool     AddressPool
	PoolName string
	// Authenticator is optional: nil admits every client.
	Authenticator Authenticator
	// Store is optional; StoreName defaults to "dhcp-leases.json".
	// Changes are written at most once per PersistDelay (default 1s) and
	// on Close.
	Store        Store
	StoreName    string
	PersistDelay time.Duration
	// Clock defaults to the real clock.
	Clock clock.Clock
	// PortMAC returns a port's Ethernet address (required).
	PortMAC func(port string) (MAC, bool)
	// Sender transmits replies (required).
	Sender FrameSender
	// OnEvent receives lease events, without server locks held.
	OnEvent func(Event)
	// AckAfterBind leaves the DHCPACK of a new binding (not of a renewal)
	// to the OnEvent consumer: its EventBound carries Ack, to call once
	// the subscriber is installed, so that the client's first packet finds
	// its session (dynamic interface, mirror taps) in place, and Refuse,
	// to call instead when it cannot be installed. Until one of them runs
	// the client's retransmitted REQUESTs are ignored, and the binding is
	// not written to the Store.
	AckAfterBind bool
}

// EventType says what happened to a lease.
type EventType int

// Lease events.
const (
	EventBound EventType = iota + 1
	EventReleased
	EventExpired
)

// String names the event.
func (t EventType) String() string {
	switch t {
	case EventBound:
		return "bound"
	case EventReleased:
		return "released"
	case EventExpired:
		return "expired"
	}
	return "unknown"
}

// Event is reported through Config.OnEvent. Bound is also reported on each
// renewal (with the new expiry), and by ResumeLeases for a lease restored
// from the Store (Restored set).
type Event struct {
	Type     EventType
	Lease    Lease
	Cause    subscriber.Cause
	Restored bool
	// Ack sends the DHCPACK of a new binding (Config.AckAfterBind); nil
	// when the server sent it already. Refuse instead forgets the binding
	// (its address returns to the pool) and NAKs the client, which starts
	// over. Either returns ErrLeaseGone when the binding is no longer
	// waiting (cleared, expired, or the server closed): the consumer must
	// not keep a session for it.
	Ack, Refuse func() error
}

// Lease is one client's address binding.
type Lease struct {
	MAC       MAC
	Address   netip.Addr
	Port      string
	CircuitID []byte `json:",omitempty"`
	RemoteID  []byte `json:",omitempty"`
	Expires   time.Time
	Bound     bool
	Owned     bool // address came from the pool and goes back to it
	Attrs     subscriber.Attributes
}

// lease is the server's state of one binding. Each binding is its own
// *lease (a client bound again gets a new one), so a callback that kept
// the pointer tells a stale binding from the current one by identity.
type lease struct {
	Lease
	timer clock.Timer // expiry (the offer's timeout while not bound)
	// ackPending: bound, the DHCPACK waits for Event.Ack or Refuse
	// (Config.AckAfterBind).
	ackPending bool
	// resuming: a restored lease queued for, in, or waiting to retry its
	// authorization (ResumeLeases); retry is the timer of the next try.
	resuming bool
	retry    clock.Timer
}

// Stats are message counters.
type Stats struct {
	Discover, Offer, Request, Ack, Nak, Release, Decline, Inform, Dropped, AuthRejected uint64
}

// Server is the DHCPv4 server engine. It is safe for concurrent use.
type Server struct {
	cfg Config
	clk clock.Clock

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	leases  map[MAC]*lease
	pending map[MAC]bool // DISCOVER authorizations in flight
	held    map[MAC]bool // restored leases waiting for ResumeLeases
	stats   Stats
	closed  bool
	// resumeQ holds the restored leases waiting for one of the
	// resumeWorkers; resuming counts those workers.
	resumeQ  []*lease
	resuming int

	persistTimer clock.Timer
}

// NewServer validates cfg, restores persisted leases and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Sender == nil || cfg.PortMAC == nil || cfg.Pool == nil || !cfg.ServerID.Is4() {
		return nil, errors.New("dhcp: Sender, PortMAC, Pool and an IPv4 ServerID are required")
	}
	if cfg.PrefixLen <= 0 || cfg.PrefixLen > 32 {
		cfg.PrefixLen = 24
	}
	if !cfg.Router.IsValid() {
		cfg.Router = cfg.ServerID
	}
	if cfg.LeaseTime <= 0 {
		cfg.LeaseTime = time.Hour
	}
	if cfg.OfferTimeout <= 0 {
		cfg.OfferTimeout = time.Minute
	}
	if cfg.PersistDelay <= 0 {
		cfg.PersistDelay = time.Second
	}
	if cfg.StoreName == "" {
		cfg.StoreName = "dhcp-leases.json"
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	s := &Server{cfg: cfg, clk: cfg.Clock, leases: make(map[MAC]*lease), pending: make(map[MAC]bool), held: make(map[MAC]bool)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.restore(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops lease timers, writes a pending lease snapshot and waits for
// authorizations in flight and frames being handled: once it returns,
// OnEvent is not called again. Leases stay persisted.
func (s *Server) Close() {
	s.mu.Lock()
	if s.persistTimer != nil {
		s.persistTimer.Stop()
		s.persistTimer = nil
		s.writeLocked()
	}
	s.closed = true
	for _, l := range s.leases {
		stopTimers(l)
	}
	clear(s.resumeQ)
	s.resumeQ = nil
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// stopTimers stops l's expiry and authorization retry timers.
func stopTimers(l *lease) {
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.retry != nil {
		l.retry.Stop()
	}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Leases returns the current leases (bound and offered).
func (s *Server) Leases() []Lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Lease, 0, len(s.leases))
	for _, l := range s.leases {
		out = append(out, l.Lease)
	}
	return out
}

// Lookup returns the lease of a client (bound or offered).
func (s *Server) Lookup(mac MAC) (Lease, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[mac]; ok {
		return l.Lease, true
	}
	return Lease{}, false
}

// ResumeLeases brings back the subscribers of the bound leases restored
// from the Store at NewServer, except those skip reports as already
// known: each is authorized again through the Authenticator with the
// identity it was bound with (MAC address, port, option 82), as a new
// DISCOVER would be, and reported with EventBound and Restored set when
// accepted. A lease restored while its pool did not exist yet reserves its
// address now. A refused lease, one the authenticator now gives another
// address, or one whose address the pool has given away meanwhile, is
// dropped and reported with EventReleased and Restored set
// (its address returns to the pool; the client is NAKed at its next
// renewal and starts over). An authorization that fails with
// ErrAuthUnavailable is tried again every few seconds until the lease
// expires. While a lease is being authorized again its client's REQUESTs
// are ignored (the client retransmits). The authorizations run in the
// background, at most resumeWorkers at a time; Close waits for them.
func (s *Server) ResumeLeases(skip func(Lease) bool) {
	s.mu.Lock()
	var restored []Lease
	for mac := range s.held {
		if l, ok := s.leases[mac]; ok && l.Bound {
			restored = append(restored, l.Lease)
		}
	}
	s.mu.Unlock()
	var todo, known []Lease
	for _, l := range restored { // skip runs without the server's lock
		if skip != nil && skip(l) {
			known = append(known, l)
		} else {
			todo = append(todo, l)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range known {
		delete(s.held, l.MAC)
	}
	for _, l := range todo {
		if cur, ok := s.leases[l.MAC]; ok && cur.Bound && s.held[l.MAC] && !s.closed {
			delete(s.held, l.MAC)
			cur.resuming = true
			s.queueResumeLocked(cur)
		}
	}
}

// queueResumeLocked queues the authorization of restored lease l and
// starts a resume worker unless resumeWorkers run already. Called with
// s.mu held, s not closed.
func (s *Server) queueResumeLocked(l *lease) {
	s.resumeQ = append(s.resumeQ, l)
	if s.resuming < resumeWorkers {
		s.resuming++
		s.wg.Add(1) // not closed: Close has not begun to wait
		go s.resumeWorker()
	}
}

// resumeWorker authorizes queued restored leases one at a time until the
// queue is empty or the server closes.
func (s *Server) resumeWorker() {
	defer s.wg.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.resumeQ) > 0 && !s.closed {
		l := s.resumeQ[0]
		s.resumeQ[0] = nil
		s.resumeQ = s.resumeQ[1:]
		if s.leases[l.MAC] != l || !l.resuming {
			continue // dropped meanwhile
		}
		ll := l.Lease
		s.mu.Unlock()
		s.resume(l, ll)
		s.mu.Lock()
	}
	s.resuming--
}

// resume re-authorizes restored lease l, whose state was ll when it
// was taken from the queue.
func (s *Server) resume(l *lease, ll Lease) {
	var attrs subscriber.Attributes
	var err error
	if s.cfg.Authenticator != nil {
		attrs, err = s.cfg.Authenticator.AuthorizeDHCP(s.ctx, Client{MAC: ll.MAC, Port: ll.Port,
			CircuitID: ll.CircuitID, RemoteID: ll.RemoteID})
	}
	s.mu.Lock()
	if s.closed || s.leases[ll.MAC] != l || !l.resuming {
		s.mu.Unlock() // released, expired or cleared meanwhile (dropLocked ended the resuming state)
		return
	}
	if errors.Is(err, ErrAuthUnavailable) {
		// No answer (at boot the servers may not be reachable yet): try
		// again later; the lease stays resuming until its expiry, which
		// (like Close) stops the timer.
		l.retry = s.clk.AfterFunc(resumeRetry, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if !s.closed && s.leases[l.MAC] == l && l.resuming {
				s.queueResumeLocked(l)
			}
		})
		s.mu.Unlock()
		return
	}
	l.resuming = false
	var rerr error
	if err == nil && !l.Owned {
		// Restored before its pool existed (a configuration replayed in
		// order: interfaces before pools): reserve the address now. The
		// pool may have given it to another client meanwhile (ErrInUse):
		// then the address is that client's, not to be released with
		// this lease.
		var owned bool
		if owned, rerr = s.cfg.Pool.Reserve(l.Address); rerr == nil {
			l.Owned = owned
		}
	}
	if err != nil || rerr != nil || attrs.Address.Is4() && !attrs.Address.IsUnspecified() && attrs.Address != ll.Address {
		cause := subscriber.CauseNASError
		if err != nil {
			s.stats.AuthRejected++
			cause = subscriber.CauseAuthFailed
		}
		s.dropLocked(l)
		s.mu.Unlock()
		s.emit(Event{Type: EventReleased, Lease: ll, Cause: cause, Restored: true})
		return
	}
	if s.cfg.Authenticator != nil {
		l.Attrs = attrs
	}
	ll = l.Lease
	s.mu.Unlock()
	s.emit(Event{Type: EventBound, Lease: ll, Restored: true})
}

func (s *Server) restore() error {
	if s.cfg.Store == nil {
		return nil
	}
	b, err := s.cfg.Store.ReadFile(s.cfg.StoreName)
	if err != nil || len(b) == 0 {
		return nil // no lease file yet
	}
	var saved []Lease
	if err := json.Unmarshal(b, &saved); err != nil {
		return fmt.Errorf("dhcp: restore leases: %w", err)
	}
	now := s.clk.Now()
	for _, l := range saved {
		if !l.Bound || !now.Before(l.Expires) || !l.Address.Is4() {
			continue
		}
		owned, err := s.cfg.Pool.Reserve(l.Address)
		if err != nil {
			continue
		}
		l.Owned = owned
		nl := &lease{Lease: l}
		s.leases[l.MAC] = nl
		s.held[l.MAC] = true // no session until ResumeLeases
		s.armLocked(nl, l.Expires.Sub(now))
	}
	return nil
}

// persistLocked schedules a snapshot of the bound leases; changes within
// PersistDelay are coalesced into one write. Called with s.mu held.
func (s *Server) persistLocked() {
	if s.cfg.Store == nil || s.persistTimer != nil || s.closed {
		return
	}
	s.persistTimer = s.clk.AfterFunc(s.cfg.PersistDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.persistTimer != nil {
			s.persistTimer = nil
			s.writeLocked()
		}
	})
}

// writeLocked writes the bound leases to the store, except those whose
// ACK was not sent yet. Called with s.mu held.
func (s *Server) writeLocked() {
	var out []Lease
	for _, l := range s.leases {
		if l.Bound && !l.ackPending {
			out = append(out, l.Lease)
		}
	}
	b, err := json.Marshal(out)
	if err == nil {
		_ = s.cfg.Store.WriteFile(s.cfg.StoreName, b)
	}
}

// armLocked (re)starts the expiry timer of l.
func (s *Server) armLocked(l *lease, d time.Duration) {
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = s.clk.AfterFunc(d, func() { s.expire(l) })
}

func (s *Server) expire(l *lease) {
	s.mu.Lock()
	if s.closed || s.leases[l.MAC] != l {
		s.mu.Unlock()
		return
	}
	bound := l.Bound
	s.dropLocked(l)
	s.mu.Unlock()
	if bound {
		s.emit(Event{Type: EventExpired, Lease: l.Lease, Cause: subscriber.CauseLeaseExpired})
	}
}

// dropLocked forgets l and returns its address. A restored lease being
// authorized again stops there (its callbacks find it gone).
func (s *Server) dropLocked(l *lease) {
	stopTimers(l)
	l.resuming, l.ackPending = false, false
	delete(s.leases, l.MAC)
	delete(s.held, l.MAC)
	if l.Owned {
		_ = s.cfg.Pool.Release(l.Address)
	}
	if l.Bound {
		s.persistLocked()
	}
}

func (s *Server) emit(e Event) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(e)
	}
}

// Clear removes a client's lease (admin clear or RADIUS Disconnect).
func (s *Server) Clear(mac MAC, cause subscriber.Cause) bool {
	s.mu.Lock()
	l, ok := s.leases[mac]
	if ok {
		s.dropLocked(l)
	}
	s.mu.Unlock()
	if ok && l.Bound {
		s.emit(Event{Type: EventReleased, Lease: l.Lease, Cause: cause})
	}
	return ok
}

// ErrClosed is returned by HandleFrame after Close.
var ErrClosed = errors.New("dhcp: server closed")

// HandleFrame processes one untagged Ethernet frame carrying IPv4/UDP to
// port 67, received on port. Other frames are ignored with an error.
func (s *Server) HandleFrame(port string, frame []byte) error {
	// Close waits for the frames being handled: no event after it.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	f := header.Ethernet(frame)
	if err := f.Validate(); err != nil {
		return s.drop(err)
	}
	if f.EtherType() != header.EtherTypeIPv4 {
		return s.drop(fmt.Errorf("dhcp: ethertype %#x", f.EtherType()))
	}
	ip := header.IPv4(f.Payload())
	if err := ip.Validate(); err != nil {
		return s.drop(err)
	}
	if ip.Protocol() != header.ProtocolUDP {
		return s.drop(errors.New("dhcp: not UDP"))
	}
	u := header.UDP(ip.Payload())
	if err := u.Validate(); err != nil {
		return s.drop(err)
	}
	if u.DestinationPort() != ServerPort {
		return s.drop(errors.New("dhcp: not to port 67"))
	}
	m, err := dhcpv4.FromBytes(u.Payload())
	if err != nil {
		return s.drop(fmt.Errorf("dhcp: decode: %w", err))
	}
	if m.OpCode != dhcpv4.OpcodeBootRequest || len(m.ClientHWAddr) != 6 {
		return s.drop(errors.New("dhcp: not a BOOTREQUEST from Ethernet"))
	}
	in := inbound{port: port, src: MAC(f.Source()), msg: m, mac: MAC(m.ClientHWAddr)}
	if rai := m.RelayAgentInfo(); rai != nil {
		in.circuit = rai.Get(dhcpv4.AgentCircuitIDSubOption)
		in.remote = rai.Get(dhcpv4.AgentRemoteIDSubOption)
	}
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		return s.discover(in)
	case dhcpv4.MessageTypeRequest:
		return s.request(in)
	case dhcpv4.MessageTypeRelease:
		return s.release(in)
	case dhcpv4.MessageTypeDecline:
		return s.decline(in)
	case dhcpv4.MessageTypeInform:
		return s.inform(in)
	}
	return s.drop(fmt.Errorf("dhcp: message type %v", m.MessageType()))
}

func (s *Server) drop(err error) error {
	s.mu.Lock()
	s.stats.Dropped++
	s.mu.Unlock()
	return err
}

type inbound struct {
	port            string
	src             MAC
	mac             MAC
	msg             *dhcpv4.DHCPv4
	circuit, remote []byte
}

func (s *Server) forUs(m *dhcpv4.DHCPv4) bool {
	sid := m.ServerIdentifier()
	if sid == nil {
		return true
	}
	a, ok := netip.AddrFromSlice(sid.To4())
	return ok && a == s.cfg.ServerID
}

func (s *Server) discover(in inbound) error {
	s.mu.Lock()
	s.stats.Discover++
	if l, ok := s.leases[in.mac]; ok {
		// Known client (offered or bound): offer the same address again.
		ll := l.Lease
		if !l.Bound {
			s.armLocked(l, s.cfg.OfferTimeout)
		}
		s.stats.Offer++
		s.mu.Unlock()
		return s.reply(in, dhcpv4.MessageTypeOffer, ll)
	}
	if s.pending[in.mac] || s.closed {
		s.mu.Unlock()
		return nil // authorization in flight; the client retransmits
	}
	s.pending[in.mac] = true
	s.mu.Unlock()

	c := Client{MAC: in.mac, Port: in.port, CircuitID: in.circuit, RemoteID: in.remote, Hostname: in.msg.HostName(),
		Options: in.msg.Options.ToBytes()}
	if rai := in.msg.Options.Get(dhcpv4.OptionRelayAgentInformation); rai != nil {
		c.Option82 = bytes.Clone(rai)
	}
	if gi, ok := netip.AddrFromSlice(in.msg.GatewayIPAddr.To4()); ok && !gi.IsUnspecified() {
		c.GatewayIP = gi
	}
	if s.cfg.Authenticator == nil {
		return s.offer(in, subscriber.Attributes{}, nil)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		attrs, err := s.cfg.Authenticator.AuthorizeDHCP(s.ctx, c)
		s.offer(in, attrs, err)
	}()
	return nil
}

func (s *Server) offer(in inbound, attrs subscriber.Attributes, authErr error) error {
	s.mu.Lock()
	delete(s.pending, in.mac)
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if authErr != nil {
		s.stats.AuthRejected++
		s.mu.Unlock()
		return nil // silently ignored, as JunosE does for unauthorized IPoE
	}
	addr, owned, err := s.assign(attrs)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("dhcp: offer to %v: %w", in.mac, err)
	}
	l := &lease{Lease: Lease{
		MAC: in.mac, Address: addr, Owned: owned, Port: in.port,
		CircuitID: bytes.Clone(in.circuit), RemoteID: bytes.Clone(in.remote),
		Expires: s.clk.Now().Add(s.cfg.OfferTimeout), Attrs: attrs,
	}}
	s.leases[in.mac] = l
	s.armLocked(l, s.cfg.OfferTimeout)
	s.stats.Offer++
	ll := l.Lease
	s.mu.Unlock()
	return s.reply(in, dhcpv4.MessageTypeOffer, ll)
}

func (s *Server) assign(attrs subscriber.Attributes) (netip.Addr, bool, error) {
	if attrs.Address.Is4() && !attrs.Address.IsUnspecified() {
		owned, err := s.cfg.Pool.Reserve(attrs.Address)
		return attrs.Address, owned, err
	}
	name := s.cfg.PoolName
	if attrs.Pool != "" {
		name = attrs.Pool
	}
	a, err := s.cfg.Pool.Allocate(name)
	return a, true, err
}

func ip4(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip.To4())
	if !ok {
		return netip.Addr{}
	}
	return a
}

func (s *Server) request(in inbound) error {
	m := in.msg
	s.mu.Lock()
	s.stats.Request++
	if !s.forUs(m) {
		// The client chose another server: forget our offer.
		if l, ok := s.leases[in.mac]; ok && !l.Bound {
			s.dropLocked(l)
		}
		s.mu.Unlock()
		return nil
	}
	want := ip4(m.RequestedIPAddress())
	if !want.IsValid() || want.IsUnspecified() {
		want = ip4(m.ClientIPAddr) // RENEWING / REBINDING
	}
	l, ok := s.leases[in.mac]
	if ok && (l.resuming || s.held[in.mac] || l.ackPending) {
		// A restored lease waiting for, or in, ResumeLeases, or a new
		// binding waiting for its subscriber to be installed
		// (Event.Ack): the client retransmits.
		s.mu.Unlock()
		return nil
	}
	if !ok || want != l.Address {
		s.stats.Nak++
		s.mu.Unlock()
		return s.reply(in, dhcpv4.MessageTypeNak, Lease{MAC: in.mac})
	}
	newBind := !l.Bound
	l.Bound = true
	l.Expires = s.clk.Now().Add(s.cfg.LeaseTime)
	s.armLocked(l, s.cfg.LeaseTime)
	if newBind && s.cfg.AckAfterBind && s.cfg.OnEvent != nil {
		l.ackPending = true // persisted once ACKed
		ll := l.Lease
		s.mu.Unlock()
		frame, err := s.replyFrame(in, dhcpv4.MessageTypeAck, ll)
		if err != nil {
			s.mu.Lock()
			if s.leases[in.mac] == l {
				s.dropLocked(l)
			}
			s.mu.Unlock()
			return err
		}
		s.emit(Event{Type: EventBound, Lease: ll,
			Ack:    func() error { return s.ackBound(l, in.port, frame) },
			Refuse: func() error { return s.refuseBound(l, in) }})
		return nil
	}
	s.persistLocked()
	s.stats.Ack++
	ll := l.Lease
	s.mu.Unlock()
	err := s.reply(in, dhcpv4.MessageTypeAck, ll)
	s.emit(Event{Type: EventBound, Lease: ll})
	return err
}

// ackBound sends the DHCPACK of binding l, which waited for the
// subscriber's installation (Event.Ack), and persists the binding.
func (s *Server) ackBound(l *lease, port string, frame []byte) error {
	s.mu.Lock()
	if s.closed || s.leases[l.MAC] != l || !l.ackPending {
		s.mu.Unlock()
		return fmt.Errorf("dhcp: ACK to %v: %w", l.MAC, ErrLeaseGone)
	}
	l.ackPending = false
	s.persistLocked()
	s.stats.Ack++
	s.mu.Unlock()
	return s.send(port, frame, dhcpv4.MessageTypeAck, l.MAC)
}

// refuseBound forgets binding l, whose subscriber could not be installed
// (Event.Refuse), and NAKs the REQUEST in that bound it.
func (s *Server) refuseBound(l *lease, in inbound) error {
	s.mu.Lock()
	if s.closed || s.leases[l.MAC] != l || !l.ackPending {
		s.mu.Unlock()
		return fmt.Errorf("dhcp: NAK to %v: %w", l.MAC, ErrLeaseGone)
	}
	s.dropLocked(l)
	s.stats.Nak++
	s.mu.Unlock()
	return s.reply(in, dhcpv4.MessageTypeNak, Lease{MAC: in.mac})
}

func (s *Server) release(in inbound) error {
	s.mu.Lock()
	s.stats.Release++
	l, ok := s.leases[in.mac]
	if !ok || !l.Bound || l.Address != ip4(in.msg.ClientIPAddr) {
		s.mu.Unlock()
		return nil
	}
	s.dropLocked(l)
	s.mu.Unlock()
	s.emit(Event{Type: EventReleased, Lease: l.Lease, Cause: subscriber.CauseUserRequest})
	return nil
}

func (s *Server) decline(in inbound) error {
	s.mu.Lock()
	s.stats.Decline++
	l, ok := s.leases[in.mac]
	if !ok || l.Address != ip4(in.msg.RequestedIPAddress()) {
		s.mu.Unlock()
		return nil
	}
	// The address is in use by someone else: keep it out of the pool
	// (quarantined until restart) and forget the lease.
	l.Owned = false
	bound := l.Bound
	s.dropLocked(l)
	s.mu.Unlock()
	if bound {
		s.emit(Event{Type: EventReleased, Lease: l.Lease, Cause: subscriber.CauseUserRequest})
	}
	return nil
}

func (s *Server) inform(in inbound) error {
	s.mu.Lock()
	s.stats.Inform++
	s.stats.Ack++
	s.mu.Unlock()
	return s.reply(in, dhcpv4.MessageTypeAck, Lease{MAC: in.mac})
}

// reply builds the DHCP reply and its Ethernet/IPv4/UDP envelope and
// sends it.
func (s *Server) reply(in inbound, typ dhcpv4.MessageType, l Lease) error {
	frame, err := s.replyFrame(in, typ, l)
	if err != nil {
		return err
	}
	return s.send(in.port, frame, typ, in.mac)
}

func (s *Server) send(port string, frame []byte, typ dhcpv4.MessageType, mac MAC) error {
	if err := s.cfg.Sender.SendFrame(port, frame); err != nil {
		return fmt.Errorf("dhcp: send %v to %v: %w", typ, mac, err)
	}
	return nil
}

// replyFrame builds the DHCP reply to in and its Ethernet/IPv4/UDP
// envelope.
func (s *Server) replyFrame(in inbound, typ dhcpv4.MessageType, l Lease) ([]byte, error) {
	local, ok := s.cfg.PortMAC(in.port)
	if !ok {
		return nil, fmt.Errorf("dhcp: unknown port %q", in.port)
	}
	req := in.msg
	sid := net.IP(s.cfg.ServerID.AsSlice())
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(sid)),
	}
	if typ != dhcpv4.MessageTypeNak {
		mask := net.CIDRMask(s.cfg.PrefixLen, 32)
		mods = append(mods, dhcpv4.WithNetmask(mask), dhcpv4.WithRouter(net.IP(s.cfg.Router.AsSlice())))
		dns := s.cfg.DNS
		if l.Attrs.PrimaryDNS.IsValid() {
			dns = []netip.Addr{l.Attrs.PrimaryDNS}
			if l.Attrs.SecondaryDNS.IsValid() {
				dns = append(dns, l.Attrs.SecondaryDNS)
			}
		}
		if len(dns) > 0 {
			ips := make([]net.IP, len(dns))
			for i, d := range dns {
				ips[i] = net.IP(d.AsSlice())
			}
			mods = append(mods, dhcpv4.WithDNS(ips...))
		}
		if l.Address.IsValid() {
			lt := s.cfg.LeaseTime
			mods = append(mods,
				dhcpv4.WithYourIP(net.IP(l.Address.AsSlice())),
				dhcpv4.WithLeaseTime(uint32(lt/time.Second)),
				dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(lt/2)),
				dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(lt*7/8)),
			)
		}
	}
	if rai := req.Options.Get(dhcpv4.OptionRelayAgentInformation); rai != nil {
		mods = append(mods, dhcpv4.WithGeneric(dhcpv4.OptionRelayAgentInformation, rai))
	}
	resp, err := dhcpv4.NewReplyFromRequest(req, mods...)
	if err != nil {
		return nil, fmt.Errorf("dhcp: build %v: %w", typ, err)
	}
	if typ == dhcpv4.MessageTypeNak {
		resp.YourIPAddr = net.IPv4zero
	}
	payload := resp.ToBytes()

	// RFC 2131 §4.1 destination selection.
	dstMAC, dstIP, dport := in.mac, netip.IPv4Unspecified(), uint16(ClientPort)
	gi := ip4(req.GatewayIPAddr)
	ci := ip4(req.ClientIPAddr)
	switch {
	case gi.IsValid() && !gi.IsUnspecified():
		dstMAC, dstIP, dport = in.src, gi, ServerPort
	case typ == dhcpv4.MessageTypeNak:
		dstMAC, dstIP = header.Broadcast, netip.AddrFrom4([4]byte{255, 255, 255, 255})
	case ci.IsValid() && !ci.IsUnspecified():
		dstIP = ci
	case req.IsBroadcast() || !l.Address.IsValid():
		dstMAC, dstIP = header.Broadcast, netip.AddrFrom4([4]byte{255, 255, 255, 255})
	default:
		dstIP = l.Address
	}
	frame := header.UDPFrameFields{Destination: dstMAC, Source: local,
		IPv4: header.IPv4Fields{TTL: 64, Source: s.cfg.ServerID, Destination: dstIP},
		UDP:  header.UDPFields{SourcePort: ServerPort, DestinationPort: dport}}
	buf := make([]byte, header.UDPFrameHeaderLen+len(payload))
	n, err := frame.Marshal(buf, payload)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
