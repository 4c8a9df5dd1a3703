package ppp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/subscriber"
)

// Authenticator checks subscriber credentials, typically through RADIUS.
// A nil error accepts; any error rejects.
type Authenticator interface {
	AuthenticatePAP(ctx context.Context, user, password string) (subscriber.Attributes, error)
	AuthenticateCHAP(ctx context.Context, user string, id uint8, challenge, response []byte) (subscriber.Attributes, error)
}

// AddressPool hands out subscriber addresses (pool.Server implements it).
type AddressPool interface {
	// Allocate returns a free address from the named pool ("" = any).
	Allocate(pool string) (netip.Addr, error)
	// Reserve marks a given address used; owned is false if no pool holds it.
	Reserve(a netip.Addr) (owned bool, err error)
	// Release returns an address.
	Release(a netip.Addr) error
}

// Transport carries PPP frames (protocol field onward) to the peer;
// *pppoe.Session implements it.
type Transport interface {
	SendPPP(frame []byte) error
}

// EventType says what happened to a session.
type EventType int

// Session events.
const (
	EventAuthenticated EventType = iota + 1
	EventUp
	EventDown
)

// String names the event.
func (t EventType) String() string {
	switch t {
	case EventAuthenticated:
		return "authenticated"
	case EventUp:
		return "up"
	case EventDown:
		return "down"
	}
	return "unknown"
}

// Event is reported through Config.OnEvent.
type Event struct {
	Type EventType
	// User and Attributes are set from EventAuthenticated on.
	User       string
	Attributes subscriber.Attributes
	// Address is the peer address once up.
	Address netip.Addr
	// Cause is set on EventDown.
	Cause subscriber.Cause
}

// Config configures a Session.
type Config struct {
	// Name is our CHAP name (the AC / host name).
	Name string
	// Auth lists the acceptable authentication protocols in preference
	// order (`ppp authentication chap pap`); empty: none.
	Auth []AuthProtocol
	// MRU defaults to 1492.
	MRU uint16
	// LocalAddress is our IPCP address (the subscriber's gateway).
	LocalAddress netip.Addr
	// PrimaryDNS and SecondaryDNS are offered unless the authenticator
	// gives others.
	PrimaryDNS, SecondaryDNS netip.Addr
	// EchoInterval is the LCP keepalive period (0: no keepalives);
	// EchoLoss is how many unanswered requests drop the link (default 3).
	EchoInterval time.Duration
	EchoLoss     int
	// Timing are the restart timer and counters.
	Timing Timing
	// AuthTimeout bounds the authentication phase (default 30s).
	AuthTimeout time.Duration
	// Clock defaults to the real clock.
	Clock clock.Clock
	// Authenticator is required when Auth is non-empty.
	Authenticator Authenticator
	// Pool supplies addresses not given by the authenticator.
	Pool AddressPool
	// SelectPool, if set, picks the pool from the authentication result
	// (e.g. the local address server of Attributes.VirtualRouter); a nil
	// result falls back to Pool.
	SelectPool func(subscriber.Attributes) AddressPool
	// OnEvent receives events in order, without session locks held; it may
	// call back into the Session.
	OnEvent func(Event)
}

// Phase is the RFC 1661 §3.2 link phase.
type Phase int

// Link phases.
const (
	PhaseDead Phase = iota
	PhaseEstablish
	PhaseAuthenticate
	PhaseNetwork
	PhaseTerminate
)

// String names the phase.
func (p Phase) String() string {
	return [...]string{"dead", "establish", "authenticate", "network", "terminate"}[p]
}

// Counters are per-session statistics.
type Counters struct {
	EchoSent, EchoReplies, ProtocolRejects, Discarded uint64
}

// Session is the PPP link of one subscriber, authenticator side. All
// methods are safe for concurrent use.
type Session struct {
	cfg Config
	tr  Transport
	clk clock.Clock

	mu       sync.Mutex
	lcp      *LCP
	ipcp     *IPCP
	lcpFSM   *FSM
	ipcpFSM  *FSM
	phase    Phase
	user     string
	attrs    subscriber.Attributes
	addr     netip.Addr
	ownsAddr bool
	pool     AddressPool
	cause    subscriber.Cause
	done     chan struct{}
	ended    bool
	counters Counters

	authCtx    context.Context
	authCancel context.CancelFunc
	authGen    uint64
	authTimer  clock.Timer
	authBusy   bool
	authDone   bool
	authID     uint8
	authOK     bool
	challenge  [16]byte
	chapTries  int
	chapTimer  clock.Timer
	echoTimer  clock.Timer
	echoMissed int
	echoID     uint8
	sessTimer  clock.Timer
	wg         sync.WaitGroup

	lcpWentDown bool
	events      []Event
	delivering  bool
}

// NewSession returns a session in the Dead phase; call Start when the
// lower layer (the PPPoE session) is up.
func NewSession(cfg Config, tr Transport) *Session {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.EchoLoss <= 0 {
		cfg.EchoLoss = 3
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = 30 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "erx"
	}
	s := &Session{cfg: cfg, tr: tr, clk: cfg.Clock, done: make(chan struct{}), cause: subscriber.CauseUnknown, pool: cfg.Pool}
	s.authCtx, s.authCancel = context.WithCancel(context.Background())
	s.lcp = NewLCP(LCPConfig{MRU: cfg.MRU, Auth: cfg.Auth})
	s.lcp.OnUp = s.lcpUp
	s.lcp.OnDown = s.lcpDown
	s.lcp.OnFinished = s.lcpFinished
	s.ipcp = &IPCP{Local: cfg.LocalAddress}
	s.ipcp.OnUp = s.ipcpUp
	s.ipcp.OnFinished = s.ipcpFinished
	s.lcpFSM = NewFSM(ProtoLCP, s.lcp, cfg.Timing, s.send, s.after)
	s.lcpFSM.SetExtra(s.lcpExtra)
	s.ipcpFSM = NewFSM(ProtoIPCP, s.ipcp, cfg.Timing, s.send, s.after)
	return s
}

// after schedules f under the session lock; nothing runs once ended.
func (s *Session) after(d time.Duration, f func()) clock.Timer {
	return s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		if !s.ended {
			f()
		}
		s.unlockAndFlush()
	})
}

// unlockAndFlush releases s.mu and delivers queued events in order. A call
// made from within OnEvent only queues; the outer delivery loop sends.
func (s *Session) unlockAndFlush() {
	if s.delivering || len(s.events) == 0 || s.cfg.OnEvent == nil {
		if s.cfg.OnEvent == nil {
			s.events = s.events[:0]
		}
		s.mu.Unlock()
		return
	}
	s.delivering = true
	for len(s.events) > 0 {
		evs := s.events
		s.events = nil
		s.mu.Unlock()
		for _, ev := range evs {
			s.cfg.OnEvent(ev)
		}
		s.mu.Lock()
	}
	s.delivering = false
	s.mu.Unlock()
}

func (s *Session) emit(t EventType) {
	s.events = append(s.events, Event{Type: t, User: s.user, Attributes: s.attrs, Address: s.addr, Cause: s.cause})
}

func (s *Session) send(frame []byte) {
	if s.ended {
		return
	}
	_ = s.tr.SendPPP(frame)
}

func (s *Session) sendPacket(proto uint16, code, id uint8, data []byte) {
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	n, err := MarshalPacket(*bp, proto, code, id, data)
	if err == nil {
		s.send((*bp)[:n])
	}
}

// Start signals lower-layer-up and opens LCP.
func (s *Session) Start() {
	s.mu.Lock()
	if !s.ended && s.phase == PhaseDead {
		s.phase = PhaseEstablish
		s.lcpFSM.Open()
		s.lcpFSM.Up()
	}
	s.unlockAndFlush()
}

// Done is closed once the session has ended and EventDown was queued.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait blocks until the session has ended and its authentication
// goroutines have returned.
func (s *Session) Wait() {
	<-s.done
	s.wg.Wait()
}

// Phase returns the link phase.
func (s *Session) Phase() Phase {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.phase
}

// LCPState and IPCPState return the automaton states.
func (s *Session) LCPState() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lcpFSM.State()
}

// IPCPState returns the IPCP automaton state.
func (s *Session) IPCPState() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ipcpFSM.State()
}

// User returns the authenticated user name.
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Address returns the peer's address once assigned.
func (s *Session) Address() netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Counters returns the session statistics.
func (s *Session) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Input processes one PPP frame (protocol field onward) from the peer.
func (s *Session) Input(b []byte) {
	f, err := ParseFrame(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.unlockAndFlush()
	if s.ended {
		return
	}
	switch f.Protocol() {
	case ProtoLCP:
		s.lcpFSM.Input(f.Information())
		s.settleLCP()
	case ProtoPAP:
		if s.phase == PhaseAuthenticate || s.authDone {
			s.papInput(f.Information())
		}
	case ProtoCHAP:
		if s.phase == PhaseAuthenticate || s.authDone {
			s.chapInput(f.Information())
		}
	case ProtoIPCP:
		if s.phase == PhaseNetwork {
			s.ipcpFSM.Input(f.Information())
		} else {
			s.counters.Discarded++
		}
	case ProtoIPv4:
		// The data plane forwards IP itself; stray IP is dropped here.
		s.counters.Discarded++
	default:
		if s.lcpFSM.State() != Opened {
			s.counters.Discarded++
			return
		}
		// Protocol-Reject: rejected protocol followed by its information.
		data := b
		if len(data) > int(s.lcp.PeerMRU)-4 {
			data = data[:int(s.lcp.PeerMRU)-4]
		}
		s.counters.ProtocolRejects++
		s.sendPacket(ProtoLCP, CodeProtocolReject, s.lcpFSM.NextID(), data)
	}
}

// LowerDown tells the session its transport is gone (PADT received, port
// down); it ends without sending anything.
func (s *Session) LowerDown(cause subscriber.Cause) {
	s.mu.Lock()
	defer s.unlockAndFlush()
	if s.ended {
		return
	}
	s.finish(cause)
}

// Close terminates the session from our side (admin clear, RADIUS
// Disconnect, session timeout): LCP sends Terminate-Request and the session
// ends on Terminate-Ack or after the restart counter runs out.
func (s *Session) Close(cause subscriber.Cause) {
	s.mu.Lock()
	defer s.unlockAndFlush()
	s.closeLocked(cause)
}

func (s *Session) closeLocked(cause subscriber.Cause) {
	if s.ended {
		return
	}
	if s.cause == subscriber.CauseUnknown {
		s.cause = cause
	}
	s.phase = PhaseTerminate
	s.ipcpFSM.Kill()
	switch s.lcpFSM.State() {
	case Closed, Stopped, Initial, Starting:
		s.finish(s.cause)
	default:
		s.lcpFSM.Close()
		if st := s.lcpFSM.State(); st == Closed || st == Initial {
			s.finish(s.cause)
		}
	}
}

// finish ends the session: stops timers, returns the address and queues
// EventDown. Called with s.mu held.
func (s *Session) finish(cause subscriber.Cause) {
	if s.ended {
		return
	}
	if s.cause == subscriber.CauseUnknown {
		s.cause = cause
	}
	if s.cause == subscriber.CauseUnknown {
		s.cause = subscriber.CauseNASError
	}
	s.lcpFSM.Kill()
	s.ipcpFSM.Kill()
	for _, t := range []clock.Timer{s.authTimer, s.chapTimer, s.echoTimer, s.sessTimer} {
		if t != nil {
			t.Stop()
		}
	}
	s.authCancel()
	s.phase = PhaseDead
	if s.ownsAddr && s.pool != nil {
		_ = s.pool.Release(s.addr)
		s.ownsAddr = false
	}
	s.emit(EventDown)
	s.ended = true
	close(s.done)
}

// LCP this-layer actions.

func (s *Session) lcpUp() {
	if s.lcp.LoopedBack() {
		s.closeLocked(subscriber.CauseNegotiationFailed)
		return
	}
	s.startEcho()
	switch s.lcp.Auth {
	case AuthPAP:
		s.phase = PhaseAuthenticate
		s.startAuthTimer()
	case AuthCHAP:
		s.phase = PhaseAuthenticate
		s.startAuthTimer()
		s.chapTries = 0
		s.sendChallenge()
	default:
		if len(s.cfg.Auth) > 0 {
			// The peer never agreed to authenticate.
			s.closeLocked(subscriber.CauseAuthFailed)
			return
		}
		s.authenticated(subscriber.Attributes{})
	}
}

func (s *Session) lcpDown() {
	if s.echoTimer != nil {
		s.echoTimer.Stop()
	}
	s.ipcpFSM.Kill()
	if s.phase != PhaseTerminate && !s.ended {
		// Peer-initiated terminate or renegotiation: we do not renegotiate
		// an authenticated link, so the session ends.
		if s.cause == subscriber.CauseUnknown {
			s.cause = subscriber.CauseUserRequest
		}
		s.phase = PhaseTerminate
		s.lcpWentDown = true
	}
}

// settleLCP runs after LCP input: if the peer renegotiated (LCP left
// Opened other than by terminating), close the link.
func (s *Session) settleLCP() {
	if !s.lcpWentDown || s.ended {
		return
	}
	s.lcpWentDown = false
	switch s.lcpFSM.State() {
	case Stopping, Closing, Closed, Stopped:
	default:
		s.lcpFSM.Close()
	}
}

func (s *Session) lcpFinished() {
	if s.lcp.AuthRejected() {
		s.cause = subscriber.CauseAuthFailed
	}
	s.finish(subscriber.CauseNegotiationFailed)
}

// lcpExtra handles LCP codes 8-11.
func (s *Session) lcpExtra(p Packet) bool {
	switch p.Code() {
	case CodeProtocolReject:
		if len(p.Data()) >= 2 && binary.BigEndian.Uint16(p.Data()) == ProtoIPCP {
			s.ipcpFSM.RejectFatal()
		}
		return true
	case CodeEchoRequest:
		if s.lcpFSM.State() == Opened {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], s.lcp.Magic)
			data := append(b[:], p.Data()[min(4, len(p.Data())):]...)
			s.sendPacket(ProtoLCP, CodeEchoReply, p.Identifier(), data)
		}
		return true
	case CodeEchoReply:
		if s.lcpFSM.State() == Opened {
			s.echoMissed = 0
			s.counters.EchoReplies++
		}
		return true
	case CodeDiscardRequest:
		return true
	}
	return false
}

func (s *Session) startEcho() {
	if s.cfg.EchoInterval <= 0 {
		return
	}
	s.echoTimer = s.after(s.cfg.EchoInterval, s.echoTick)
}

func (s *Session) echoTick() {
	if s.lcpFSM.State() != Opened {
		return
	}
	if s.echoMissed >= s.cfg.EchoLoss {
		if s.cause == subscriber.CauseUnknown {
			s.cause = subscriber.CauseLostCarrier
		}
		s.phase = PhaseTerminate
		s.lcpFSM.Close() // courtesy Terminate-Request
		s.finish(subscriber.CauseLostCarrier)
		return
	}
	s.echoMissed++
	s.echoID++
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], s.lcp.Magic)
	s.counters.EchoSent++
	s.sendPacket(ProtoLCP, CodeEchoRequest, s.echoID, b[:])
	s.echoTimer = s.after(s.cfg.EchoInterval, s.echoTick)
}

// Authentication.

func (s *Session) startAuthTimer() {
	s.authTimer = s.after(s.cfg.AuthTimeout, func() {
		if s.phase == PhaseAuthenticate {
			s.closeLocked(subscriber.CauseAuthFailed)
		}
	})
}

func (s *Session) papInput(b []byte) {
	p, err := ParsePacket(b)
	if err != nil || p.Code() != PAPAuthenticateRequest || s.lcp.Auth != AuthPAP {
		return
	}
	if s.authDone {
		// Our Ack was lost: repeat it.
		if s.authOK {
			s.sendPacket(ProtoPAP, PAPAuthenticateAck, p.Identifier(), []byte{0})
		}
		return
	}
	if s.authBusy {
		return
	}
	user, pass, err := ParsePAPRequest(p.Data())
	if err != nil {
		return
	}
	s.authBusy = true
	s.authID = p.Identifier()
	s.user = string(user)
	u, pw := string(user), string(pass)
	s.runAuth(func(ctx context.Context) (subscriber.Attributes, error) {
		return s.cfg.Authenticator.AuthenticatePAP(ctx, u, pw)
	})
}

func (s *Session) sendChallenge() {
	if s.chapTries >= s.lcpFSM.timing.MaxConfigure {
		s.closeLocked(subscriber.CauseAuthFailed)
		return
	}
	if s.chapTries == 0 {
		rand.Read(s.challenge[:])
		s.authID = s.lcpFSM.NextID()
	}
	s.chapTries++
	var b [128]byte
	data := AppendCHAPValue(b[:0], s.challenge[:], []byte(s.cfg.Name))
	s.sendPacket(ProtoCHAP, CHAPChallenge, s.authID, data)
	s.chapTimer = s.after(s.lcpFSM.timing.Restart, func() {
		if s.phase == PhaseAuthenticate && !s.authBusy {
			s.sendChallenge()
		}
	})
}

func (s *Session) chapInput(b []byte) {
	p, err := ParsePacket(b)
	if err != nil || p.Code() != CHAPResponse || s.lcp.Auth != AuthCHAP || p.Identifier() != s.authID {
		return
	}
	if s.authDone {
		if s.authOK {
			s.sendPacket(ProtoCHAP, CHAPSuccess, p.Identifier(), []byte("Welcome"))
		}
		return
	}
	if s.authBusy {
		return
	}
	resp, name, err := ParseCHAPValue(p.Data())
	if err != nil {
		return
	}
	if s.chapTimer != nil {
		s.chapTimer.Stop()
	}
	s.authBusy = true
	s.user = string(name)
	u, id := string(name), p.Identifier()
	ch := s.challenge
	r := append([]byte(nil), resp...)
	s.runAuth(func(ctx context.Context) (subscriber.Attributes, error) {
		return s.cfg.Authenticator.AuthenticateCHAP(ctx, u, id, ch[:], r)
	})
}

// runAuth calls the authenticator off the lock and posts the result back.
func (s *Session) runAuth(fn func(context.Context) (subscriber.Attributes, error)) {
	if s.cfg.Authenticator == nil {
		s.authResult(subscriber.Attributes{}, errors.New("no authenticator configured"))
		return
	}
	s.authGen++
	gen := s.authGen
	ctx := s.authCtx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		attrs, err := fn(ctx)
		s.mu.Lock()
		if !s.ended && gen == s.authGen {
			s.authResult(attrs, err)
		}
		s.unlockAndFlush()
	}()
}

func (s *Session) authResult(attrs subscriber.Attributes, err error) {
	s.authBusy = false
	s.authDone = true
	s.authOK = err == nil
	proto, ok, nok := ProtoPAP, PAPAuthenticateAck, PAPAuthenticateNak
	if s.lcp.Auth == AuthCHAP {
		proto, ok, nok = ProtoCHAP, CHAPSuccess, CHAPFailure
	}
	if err != nil {
		msg := "Authentication failed"
		if proto == ProtoPAP {
			s.sendPacket(proto, nok, s.authID, append([]byte{byte(len(msg))}, msg...))
		} else {
			s.sendPacket(proto, nok, s.authID, []byte(msg))
		}
		s.closeLocked(subscriber.CauseAuthFailed)
		return
	}
	if proto == ProtoPAP {
		s.sendPacket(proto, ok, s.authID, []byte{0})
	} else {
		s.sendPacket(proto, ok, s.authID, []byte("Welcome"))
	}
	if s.authTimer != nil {
		s.authTimer.Stop()
	}
	s.authenticated(attrs)
}

// authenticated moves to the Network phase: assigns the address and opens
// IPCP.
func (s *Session) authenticated(attrs subscriber.Attributes) {
	s.attrs = attrs
	s.emit(EventAuthenticated)
	addr, owned, err := s.assign(attrs)
	if err != nil {
		s.closeLocked(subscriber.CauseNASError)
		return
	}
	s.addr, s.ownsAddr = addr, owned
	s.ipcp.Peer = addr
	s.ipcp.PrimaryDNS, s.ipcp.SecondaryDNS = s.cfg.PrimaryDNS, s.cfg.SecondaryDNS
	if attrs.PrimaryDNS.IsValid() {
		s.ipcp.PrimaryDNS = attrs.PrimaryDNS
	}
	if attrs.SecondaryDNS.IsValid() {
		s.ipcp.SecondaryDNS = attrs.SecondaryDNS
	}
	s.phase = PhaseNetwork
	s.ipcpFSM.Open()
	s.ipcpFSM.Up()
}

func (s *Session) assign(attrs subscriber.Attributes) (netip.Addr, bool, error) {
	if s.cfg.SelectPool != nil {
		if p := s.cfg.SelectPool(attrs); p != nil {
			s.pool = p
		}
	}
	if attrs.Address.Is4() && !attrs.Address.IsUnspecified() {
		if s.pool == nil {
			return attrs.Address, false, nil
		}
		owned, err := s.pool.Reserve(attrs.Address)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("framed address: %w", err)
		}
		return attrs.Address, owned, nil
	}
	if s.pool == nil {
		return netip.Addr{}, false, errors.New("no address pool")
	}
	a, err := s.pool.Allocate(attrs.Pool)
	if err != nil {
		return netip.Addr{}, false, err
	}
	return a, true, nil
}

func (s *Session) ipcpUp() {
	s.emit(EventUp)
	if t := s.attrs.SessionTimeout; t > 0 && s.sessTimer == nil {
		s.sessTimer = s.after(t, func() { s.closeLocked(subscriber.CauseSessionTimeout) })
	}
}

func (s *Session) ipcpFinished() {
	if s.phase == PhaseNetwork {
		s.closeLocked(subscriber.CauseNegotiationFailed)
	}
}
