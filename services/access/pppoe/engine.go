package pppoe

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
)

// MAC is a 48-bit Ethernet address.
type MAC = header.MAC

// FrameSender transmits an untagged Ethernet frame out of a port. The frame
// buffer is only valid during the call.
type FrameSender interface {
	SendFrame(port string, frame []byte) error
}

// Handler consumes session life-cycle events and PPP payloads. It is called
// without engine locks held, from the goroutine calling HandleFrame or
// Terminate.
type Handler interface {
	// SessionStarted is called after a PADS assigned the session.
	SessionStarted(s *Session)
	// SessionPPP delivers a PPP frame (protocol field onward) received on s.
	// ppp is only valid during the call.
	SessionPPP(s *Session, ppp []byte)
	// SessionEnded is called once when the session is torn down.
	SessionEnded(s *Session, cause subscriber.Cause)
}

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// ACName is sent in the AC-Name tag (default "erx").
	ACName string
	// ServiceNames are offered in PADO; empty means any service is accepted.
	ServiceNames []string
	// MaxSessions bounds all sessions (default and maximum 65534).
	MaxSessions int
	// MaxSessionsPerPort and MaxSessionsPerMAC bound sessions; 0 = no limit.
	MaxSessionsPerPort, MaxSessionsPerMAC int
	// PADIRate is the sustained PADIs per second accepted from one MAC
	// (default 10) and PADIBurst its bucket depth (default 10).
	PADIRate  float64
	PADIBurst int
	// GlobalPADIRate bounds PADIs from all MACs together (default 1000/s,
	// burst the same).
	GlobalPADIRate float64
	// CookieRotation is how often the AC-Cookie secret rotates (default 1m);
	// a cookie stays valid for up to two rotation periods.
	CookieRotation time.Duration
	// Clock defaults to the real clock.
	Clock clock.Clock
	// PortMAC returns the Ethernet address of a port (required).
	PortMAC func(port string) (MAC, bool)
	// Sender transmits frames (required).
	Sender FrameSender
	// Handler receives session events (required).
	Handler Handler
}

// Stats are discovery counters.
type Stats struct {
	PADIRecv, PADOSent, PADRRecv, PADSSent, PADTRecv, PADTSent uint64
	PADIRateDropped, BadCookie, LimitRejected, ServiceRejected uint64
	Malformed, UnknownSession, SendErrors                      uint64
}

type counters struct {
	padiRecv, padoSent, padrRecv, padsSent, padtRecv, padtSent atomic.Uint64
	padiRateDropped, badCookie, limitRejected, serviceRejected atomic.Uint64
	malformed, unknownSession, sendErrors                      atomic.Uint64
}

// Session is one PPPoE session.
type Session struct {
	// Port is the port the session arrived on.
	Port string
	// PeerMAC is the client's address, LocalMAC the port's.
	PeerMAC, LocalMAC MAC
	// ID is the PPPoE SESSION_ID.
	ID uint16
	// ServiceName is the service the client asked for.
	ServiceName string
	// HostUniq and RelaySessionID are the client's tags, if any.
	HostUniq, RelaySessionID []byte
	// Started is when the PADS was sent.
	Started time.Time

	e       *Engine
	pppSeen atomic.Bool
	ended   atomic.Bool // set under Engine.mu; read by SendPPP without it
}

type portMAC struct {
	port string
	mac  MAC
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Engine is the access-concentrator side of PPPoE discovery. It is safe for
// concurrent use and starts no goroutines.
type Engine struct {
	cfg Config
	clk clock.Clock
	c   counters

	mu        sync.Mutex
	sessions  map[uint16]*Session
	perPort   map[string]int
	perMAC    map[portMAC]int
	byPeer    map[portMAC][]*Session // the sessions of each client, for PADR retransmissions
	nextID    uint16
	buckets   map[MAC]*bucket
	global    bucket
	secret    [32]byte
	prev      [32]byte
	rotatedAt time.Time
}

// NewEngine validates cfg and returns an Engine.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Sender == nil || cfg.Handler == nil || cfg.PortMAC == nil {
		return nil, errors.New("pppoe: Sender, Handler and PortMAC are required")
	}
	if cfg.ACName == "" {
		cfg.ACName = "erx"
	}
	if cfg.MaxSessions <= 0 || cfg.MaxSessions > 65534 {
		cfg.MaxSessions = 65534
	}
	if cfg.PADIRate <= 0 {
		cfg.PADIRate = 10
	}
	if cfg.PADIBurst <= 0 {
		cfg.PADIBurst = 10
	}
	if cfg.GlobalPADIRate <= 0 {
		cfg.GlobalPADIRate = 1000
	}
	if cfg.CookieRotation <= 0 {
		cfg.CookieRotation = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	e := &Engine{
		cfg:      cfg,
		clk:      cfg.Clock,
		sessions: make(map[uint16]*Session),
		perPort:  make(map[string]int),
		perMAC:   make(map[portMAC]int),
		byPeer:   make(map[portMAC][]*Session),
		buckets:  make(map[MAC]*bucket),
		nextID:   1,
	}
	if _, err := rand.Read(e.secret[:]); err != nil {
		return nil, fmt.Errorf("pppoe: cookie secret: %w", err)
	}
	e.prev = e.secret
	now := e.clk.Now()
	e.rotatedAt = now
	e.global = bucket{tokens: cfg.GlobalPADIRate, last: now}
	return e, nil
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	c := &e.c
	return Stats{
		PADIRecv: c.padiRecv.Load(), PADOSent: c.padoSent.Load(), PADRRecv: c.padrRecv.Load(),
		PADSSent: c.padsSent.Load(), PADTRecv: c.padtRecv.Load(), PADTSent: c.padtSent.Load(),
		PADIRateDropped: c.padiRateDropped.Load(), BadCookie: c.badCookie.Load(),
		LimitRejected: c.limitRejected.Load(), ServiceRejected: c.serviceRejected.Load(),
		Malformed: c.malformed.Load(), UnknownSession: c.unknownSession.Load(), SendErrors: c.sendErrors.Load(),
	}
}

// Sessions returns the current sessions (for `show pppoe sessions`).
func (e *Engine) Sessions() []*Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		out = append(out, s)
	}
	return out
}

// Session returns the session with the given ID.
func (e *Engine) Session(id uint16) (*Session, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.sessions[id]
	return s, ok
}

// HandleFrame processes one untagged Ethernet frame of EtherType 0x8863 or
// 0x8864 received on port. Malformed or unexpected frames are counted and
// dropped; the returned error only explains why.
func (e *Engine) HandleFrame(port string, frame []byte) error {
	f := header.Ethernet(frame)
	if err := f.Validate(); err != nil {
		e.c.malformed.Add(1)
		return err
	}
	h, err := Parse(f.Payload())
	if err != nil {
		e.c.malformed.Add(1)
		return err
	}
	switch f.EtherType() {
	case header.EtherTypePPPoESession:
		return e.handleSession(port, f, h)
	case header.EtherTypePPPoEDiscovery:
	default:
		e.c.malformed.Add(1)
		return fmt.Errorf("pppoe: ethertype %#x", f.EtherType())
	}
	switch h.Code() {
	case CodePADI:
		return e.handlePADI(port, f, h)
	case CodePADR:
		return e.handlePADR(port, f, h)
	case CodePADT:
		return e.handlePADT(port, f, h)
	}
	e.c.malformed.Add(1)
	return fmt.Errorf("pppoe: unexpected %v from %v", h.Code(), f.Source())
}

func (e *Engine) handleSession(port string, f header.Ethernet, h Header) error {
	if h.Code() != CodeSession {
		e.c.malformed.Add(1)
		return fmt.Errorf("pppoe: session frame with code %v", h.Code())
	}
	e.mu.Lock()
	s, ok := e.sessions[h.SessionID()]
	e.mu.Unlock()
	if !ok || s.Port != port || s.PeerMAC != MAC(f.Source()) {
		e.c.unknownSession.Add(1)
		return fmt.Errorf("pppoe: frame for unknown session %d from %v", h.SessionID(), f.Source())
	}
	s.pppSeen.Store(true)
	e.cfg.Handler.SessionPPP(s, h.Payload())
	return nil
}

// allowPADI runs the per-MAC and global token buckets. Called with e.mu held.
func (e *Engine) allowPADI(mac MAC, now time.Time) bool {
	take := func(b *bucket, rate float64, burst float64) bool {
		el := now.Sub(b.last).Seconds()
		if el > 0 {
			b.tokens += el * rate
			if b.tokens > burst {
				b.tokens = burst
			}
			b.last = now
		}
		if b.tokens < 1 {
			return false
		}
		b.tokens--
		return true
	}
	b, ok := e.buckets[mac]
	if !ok && len(e.buckets) >= maxBuckets {
		e.pruneBuckets(now)
	}
	if !ok && len(e.buckets) < maxBuckets {
		b = &bucket{tokens: float64(e.cfg.PADIBurst), last: now}
		e.buckets[mac] = b
		ok = true
	}
	// A MAC without a bucket (table full of active MACs during a flood
	// from random addresses) is held by the global bucket alone.
	if ok && !take(b, e.cfg.PADIRate, float64(e.cfg.PADIBurst)) {
		return false
	}
	return take(&e.global, e.cfg.GlobalPADIRate, e.cfg.GlobalPADIRate)
}

// maxBuckets bounds the per-MAC PADI rate table.
const maxBuckets = 8192

// pruneBuckets drops buckets that have refilled (idle MACs).
func (e *Engine) pruneBuckets(now time.Time) {
	full := time.Duration(float64(e.cfg.PADIBurst) / e.cfg.PADIRate * float64(time.Second))
	for m, b := range e.buckets {
		if now.Sub(b.last) >= full {
			delete(e.buckets, m)
		}
	}
}

func (e *Engine) cookie(key *[32]byte, port string, mac MAC) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(mac[:])
	m.Write([]byte(port))
	return m.Sum(nil)[:16]
}

// rotate advances the cookie secret. Called with e.mu held.
func (e *Engine) rotate(now time.Time) {
	for now.Sub(e.rotatedAt) >= e.cfg.CookieRotation {
		e.prev = e.secret
		if _, err := rand.Read(e.secret[:]); err != nil {
			// crypto/rand never fails on Linux; keep the old secret if it does.
			e.secret = e.prev
		}
		e.rotatedAt = e.rotatedAt.Add(e.cfg.CookieRotation)
		if now.Sub(e.rotatedAt) >= 2*e.cfg.CookieRotation {
			// Long idle: both old secrets are stale.
			e.prev = e.secret
			e.rotatedAt = now
		}
	}
}

// serviceOK reports whether the requested service is offered.
func (e *Engine) serviceOK(name []byte) bool {
	if len(name) == 0 || len(e.cfg.ServiceNames) == 0 {
		return true
	}
	for _, s := range e.cfg.ServiceNames {
		if s == string(name) {
			return true
		}
	}
	return false
}

type discoveryTags struct {
	service, hostUniq, cookie, relay []byte
	hasService, hasCookie            bool
}

func parseDiscoveryTags(p []byte) (discoveryTags, error) {
	var t discoveryTags
	err := Tags(p).Each(func(typ TagType, v []byte) bool {
		switch typ {
		case TagServiceName:
			if !t.hasService {
				t.service, t.hasService = v, true
			}
		case TagHostUniq:
			t.hostUniq = v
		case TagACCookie:
			t.cookie, t.hasCookie = v, true
		case TagRelaySessionID:
			t.relay = v
		}
		return true
	})
	return t, err
}

func (e *Engine) limitReached(port string, mac MAC) bool {
	if len(e.sessions) >= e.cfg.MaxSessions {
		return true
	}
	if e.cfg.MaxSessionsPerPort > 0 && e.perPort[port] >= e.cfg.MaxSessionsPerPort {
		return true
	}
	if e.cfg.MaxSessionsPerMAC > 0 && e.perMAC[portMAC{port, mac}] >= e.cfg.MaxSessionsPerMAC {
		return true
	}
	return false
}

func (e *Engine) handlePADI(port string, f header.Ethernet, h Header) error {
	e.c.padiRecv.Add(1)
	src := MAC(f.Source())
	local, ok := e.cfg.PortMAC(port)
	if !ok {
		return fmt.Errorf("pppoe: unknown port %q", port)
	}
	if h.SessionID() != 0 {
		e.c.malformed.Add(1)
		return errors.New("pppoe: PADI with non-zero session id")
	}
	t, err := parseDiscoveryTags(h.Payload())
	if err != nil || !t.hasService {
		e.c.malformed.Add(1)
		return fmt.Errorf("pppoe: PADI from %v without valid Service-Name: %v", src, err)
	}
	now := e.clk.Now()
	e.mu.Lock()
	if !e.allowPADI(src, now) {
		e.mu.Unlock()
		e.c.padiRateDropped.Add(1)
		return nil
	}
	limited := e.limitReached(port, src)
	e.rotate(now)
	ck := e.cookie(&e.secret, port, src)
	e.mu.Unlock()
	if limited {
		e.c.limitRejected.Add(1)
		return nil
	}
	if !e.serviceOK(t.service) {
		e.c.serviceRejected.Add(1)
		return nil
	}
	var tagBuf [8]Tag
	tags := append(tagBuf[:0], Tag{TagACName, []byte(e.cfg.ACName)}, Tag{TagServiceName, t.service})
	for _, s := range e.cfg.ServiceNames {
		if s != string(t.service) {
			tags = append(tags, Tag{TagServiceName, []byte(s)})
		}
	}
	tags = append(tags, Tag{TagACCookie, ck})
	if t.hostUniq != nil {
		tags = append(tags, Tag{TagHostUniq, t.hostUniq})
	}
	if t.relay != nil {
		tags = append(tags, Tag{TagRelaySessionID, t.relay})
	}
	if err := e.send(port, src, local, &Discovery{Code: CodePADO, Tags: tags}); err != nil {
		return err
	}
	e.c.padoSent.Add(1)
	return nil
}

func (e *Engine) handlePADR(port string, f header.Ethernet, h Header) error {
	e.c.padrRecv.Add(1)
	src := MAC(f.Source())
	local, ok := e.cfg.PortMAC(port)
	if !ok {
		return fmt.Errorf("pppoe: unknown port %q", port)
	}
	if MAC(f.Destination()) != local || h.SessionID() != 0 {
		e.c.malformed.Add(1)
		return fmt.Errorf("pppoe: PADR from %v not addressed to us", src)
	}
	t, err := parseDiscoveryTags(h.Payload())
	if err != nil || !t.hasService {
		e.c.malformed.Add(1)
		return fmt.Errorf("pppoe: PADR from %v without valid Service-Name: %v", src, err)
	}
	now := e.clk.Now()
	e.mu.Lock()
	e.rotate(now)
	good := t.hasCookie && (hmac.Equal(t.cookie, e.cookie(&e.secret, port, src)) ||
		hmac.Equal(t.cookie, e.cookie(&e.prev, port, src)))
	e.mu.Unlock()
	if !good {
		e.c.badCookie.Add(1)
		return fmt.Errorf("pppoe: PADR from %v with bad AC-Cookie", src)
	}
	reject := func(tag TagType, msg string) error {
		tags := []Tag{{TagServiceName, t.service}, {tag, []byte(msg)}}
		if t.hostUniq != nil {
			tags = append(tags, Tag{TagHostUniq, t.hostUniq})
		}
		if t.relay != nil {
			tags = append(tags, Tag{TagRelaySessionID, t.relay})
		}
		return e.send(port, src, local, &Discovery{Code: CodePADS, Tags: tags})
	}
	if !e.serviceOK(t.service) {
		e.c.serviceRejected.Add(1)
		return reject(TagServiceNameError, "service not offered")
	}

	e.mu.Lock()
	// A retransmitted PADR (our PADS was lost) gets the same session again.
	var s *Session
	for _, old := range e.byPeer[portMAC{port, src}] {
		if bytes.Equal(old.HostUniq, t.hostUniq) && !old.pppSeen.Load() {
			s = old
			break
		}
	}
	fresh := s == nil
	if fresh {
		if e.limitReached(port, src) {
			e.mu.Unlock()
			e.c.limitRejected.Add(1)
			return reject(TagACSystemError, "session limit reached")
		}
		id, ok := e.allocID()
		if !ok {
			e.mu.Unlock()
			e.c.limitRejected.Add(1)
			return reject(TagACSystemError, "no session id available")
		}
		s = &Session{
			Port: port, PeerMAC: src, LocalMAC: local, ID: id,
			ServiceName:    string(t.service),
			HostUniq:       bytes.Clone(t.hostUniq),
			RelaySessionID: bytes.Clone(t.relay),
			Started:        now, e: e,
		}
		e.sessions[id] = s
		e.perPort[port]++
		e.perMAC[portMAC{port, src}]++
		e.byPeer[portMAC{port, src}] = append(e.byPeer[portMAC{port, src}], s)
	}
	e.mu.Unlock()

	tags := []Tag{{TagServiceName, t.service}, {TagACName, []byte(e.cfg.ACName)}}
	if t.hostUniq != nil {
		tags = append(tags, Tag{TagHostUniq, t.hostUniq})
	}
	if t.relay != nil {
		tags = append(tags, Tag{TagRelaySessionID, t.relay})
	}
	if err := e.send(port, src, local, &Discovery{Code: CodePADS, SessionID: s.ID, Tags: tags}); err != nil {
		return err
	}
	e.c.padsSent.Add(1)
	if fresh {
		e.cfg.Handler.SessionStarted(s)
	}
	return nil
}

// allocID finds a free session ID, next-fit. Called with e.mu held.
func (e *Engine) allocID() (uint16, bool) {
	for range 65534 {
		id := e.nextID
		e.nextID++
		if e.nextID == 0 || e.nextID == 0xffff {
			e.nextID = 1
		}
		if _, used := e.sessions[id]; !used {
			return id, true
		}
	}
	return 0, false
}

func (e *Engine) handlePADT(port string, f header.Ethernet, h Header) error {
	e.c.padtRecv.Add(1)
	e.mu.Lock()
	s, ok := e.sessions[h.SessionID()]
	if !ok || s.Port != port || s.PeerMAC != MAC(f.Source()) {
		e.mu.Unlock()
		e.c.unknownSession.Add(1)
		return fmt.Errorf("pppoe: PADT for unknown session %d from %v", h.SessionID(), f.Source())
	}
	e.remove(s)
	e.mu.Unlock()
	e.cfg.Handler.SessionEnded(s, subscriber.CauseUserRequest)
	return nil
}

// remove forgets s. Called with e.mu held.
func (e *Engine) remove(s *Session) {
	s.ended.Store(true)
	delete(e.sessions, s.ID)
	if e.perPort[s.Port]--; e.perPort[s.Port] <= 0 {
		delete(e.perPort, s.Port)
	}
	k := portMAC{s.Port, s.PeerMAC}
	if e.perMAC[k]--; e.perMAC[k] <= 0 {
		delete(e.perMAC, k)
	}
	peers := e.byPeer[k]
	for i, x := range peers {
		if x == s {
			peers = append(peers[:i:i], peers[i+1:]...)
			break
		}
	}
	if len(peers) == 0 {
		delete(e.byPeer, k)
	} else {
		e.byPeer[k] = peers
	}
}

// ErrNoSession is returned for operations on a session that has ended.
var ErrNoSession = errors.New("pppoe: no such session")

// Terminate ends session id from our side: it sends a PADT carrying the
// cause as a Generic-Error text and calls Handler.SessionEnded.
func (e *Engine) Terminate(id uint16, cause subscriber.Cause) error {
	e.mu.Lock()
	s, ok := e.sessions[id]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("terminate session %d: %w", id, ErrNoSession)
	}
	e.remove(s)
	e.mu.Unlock()
	tags := []Tag{{TagGenericError, []byte(cause.String())}}
	if s.HostUniq != nil {
		tags = append(tags, Tag{TagHostUniq, s.HostUniq})
	}
	err := e.send(s.Port, s.PeerMAC, s.LocalMAC, &Discovery{Code: CodePADT, SessionID: s.ID, Tags: tags})
	if err == nil {
		e.c.padtSent.Add(1)
	}
	e.cfg.Handler.SessionEnded(s, cause)
	return err
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 1514); return &b }}

func (e *Engine) send(port string, dst, src MAC, d *Discovery) error {
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	buf := *bp
	if header.EthernetHeaderLen+d.Len() > len(buf) {
		return ErrBufferSize
	}
	(&header.EthernetFields{Destination: dst, Source: src, EtherType: header.EtherTypePPPoEDiscovery}).Marshal(buf)
	n, err := d.Marshal(buf[header.EthernetHeaderLen:])
	if err != nil {
		return err
	}
	if err := e.cfg.Sender.SendFrame(port, buf[:header.EthernetHeaderLen+n]); err != nil {
		e.c.sendErrors.Add(1)
		return fmt.Errorf("pppoe: send %v on %s: %w", d.Code, port, err)
	}
	return nil
}

// MaxPPP is the largest PPP frame (protocol field included) SendPPP takes.
const MaxPPP = 1500 - HeaderLen

// SendPPP sends a PPP frame (protocol field onward) on the session.
func (s *Session) SendPPP(ppp []byte) error {
	if len(ppp) > MaxPPP {
		return fmt.Errorf("pppoe: session %d: %d-byte PPP frame: %w", s.ID, len(ppp), ErrBufferSize)
	}
	if s.ended.Load() {
		return fmt.Errorf("send on session %d: %w", s.ID, ErrNoSession)
	}
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	buf := *bp
	(&header.EthernetFields{Destination: s.PeerMAC, Source: s.LocalMAC, EtherType: header.EtherTypePPPoESession}).Marshal(buf)
	PutHeader(buf[header.EthernetHeaderLen:], CodeSession, s.ID, len(ppp))
	n := header.EthernetHeaderLen + HeaderLen + copy(buf[header.EthernetHeaderLen+HeaderLen:], ppp)
	if err := s.e.cfg.Sender.SendFrame(s.Port, buf[:n]); err != nil {
		s.e.c.sendErrors.Add(1)
		return fmt.Errorf("pppoe: session %d send: %w", s.ID, err)
	}
	return nil
}

// Terminate ends the session from our side (see Engine.Terminate).
func (s *Session) Terminate(cause subscriber.Cause) error { return s.e.Terminate(s.ID, cause) }
