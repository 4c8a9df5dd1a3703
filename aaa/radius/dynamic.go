package radius

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// DefaultDynamicPort is the JunosE default UDP port of the dynamic-request
// server (not RFC 5176's 3799).
const DefaultDynamicPort = 1700

// Defaults of DynamicConfig.
const (
	DefaultReplayWindow    = 300 * time.Second
	DefaultDuplicateWindow = 30 * time.Second
)

// ErrorCause is an RFC 5176 Error-Cause (101) value.
type ErrorCause uint32

// Error-Cause values (RFC 5176 §3.5).
const (
	CauseResidualContextRemoved     ErrorCause = 201
	CauseInvalidEAPPacket           ErrorCause = 202
	CauseUnsupportedAttribute       ErrorCause = 401
	CauseMissingAttribute           ErrorCause = 402
	CauseNASIdentificationMismatch  ErrorCause = 403
	CauseInvalidRequest             ErrorCause = 404
	CauseUnsupportedService         ErrorCause = 405
	CauseUnsupportedExtension       ErrorCause = 406
	CauseInvalidAttributeValue      ErrorCause = 407
	CauseAdministrativelyProhibited ErrorCause = 501
	CauseRequestNotRoutable         ErrorCause = 502
	CauseSessionContextNotFound     ErrorCause = 503
	CauseSessionContextNotRemovable ErrorCause = 504
	CauseOtherProxyProcessingError  ErrorCause = 505
	CauseResourcesUnavailable       ErrorCause = 506
	CauseRequestInitiated           ErrorCause = 507
	CauseMultipleSessionSelection   ErrorCause = 508
)

// typeErrorCause is RFC 5176 attribute 101.
const typeErrorCause radius.Type = 101

// DynamicClient is one `radius dynamic-request server` client entry: a
// RADIUS server allowed to send CoA and Disconnect requests.
type DynamicClient struct {
	Addr   netip.Addr // source address requests must come from
	Secret string
}

// DynamicConfig configures a DynamicServer.
type DynamicConfig struct {
	Clients []DynamicClient
	// NAS, when set, is compared with NAS-IP-Address and NAS-Identifier
	// in requests; a mismatch is answered with Error-Cause 403.
	NAS NASIdentity
	// ReplayWindow bounds how far Event-Timestamp may be from now;
	// requests outside it are discarded and counted as stale.
	// 0 means DefaultReplayWindow.
	ReplayWindow time.Duration
	// RequireEventTimestamp NAKs requests without Event-Timestamp with
	// Error-Cause 402.
	RequireEventTimestamp bool
	// DuplicateWindow is how long a reply is kept to answer a retransmitted
	// request (same source, identifier and authenticator). 0 means
	// DefaultDuplicateWindow.
	DuplicateWindow time.Duration
	// CoADisabled and DisconnectDisabled NAK the request type with Error-Cause
	// 501 (Administratively Prohibited).
	CoADisabled, DisconnectDisabled bool
}

// DynamicRequest is a verified CoA-Request or Disconnect-Request.
type DynamicRequest struct {
	*radius.Packet // Secret is the client's key
	Source         netip.AddrPort
}

// Mirror decrypts the lawful-intercept VSAs of the request (encrypted with
// a zero authenticator, as for Accounting-Request).
func (r *DynamicRequest) Mirror() (Mirror, error) {
	return DecodeMirror(r.Packet, r.Secret, ZeroAuthenticator)
}

// DynamicHandler acts on dynamic requests; the subscriber and mirroring
// engines implement it. A NAK should carry an Error-Cause; attrs are added
// to the reply.
type DynamicHandler interface {
	HandleCoA(ctx context.Context, req *DynamicRequest) (ack bool, cause ErrorCause, attrs radius.Attributes)
	HandleDisconnect(ctx context.Context, req *DynamicRequest) (ack bool, cause ErrorCause, attrs radius.Attributes)
}

// DynamicStats is a snapshot of the counters of
// `show radius dynamic-request statistics`.
type DynamicStats struct {
	CoARequests, CoAACKs, CoANAKs                      uint64
	DisconnectRequests, DisconnectACKs, DisconnectNAKs uint64
	UnknownClients                                     uint64 // dropped: source is no configured client
	BadAuthenticators                                  uint64 // dropped: Request Authenticator or Message-Authenticator wrong
	Malformed                                          uint64 // dropped: does not parse
	UnknownTypes                                       uint64 // dropped: neither CoA nor Disconnect
	Stale                                              uint64 // dropped: Event-Timestamp outside the replay window
	Duplicates                                         uint64 // retransmissions answered from the cache (or dropped while in progress)
	// Mirror counts the authentic CoA-Requests that carry lawful-intercept
	// VSAs (26-58..61). They are secret: the counters above never include
	// them, and only a session with mirror access may see these.
	Mirror MirrorDynamicStats
}

// MirrorDynamicStats counts the mirroring (lawful-intercept) CoA-Requests,
// apart from the ordinary ones.
type MirrorDynamicStats struct {
	CoARequests, CoAACKs, CoANAKs uint64
	Duplicates                    uint64 // retransmissions answered from the cache (or dropped while in progress)
	Stale                         uint64 // dropped: Event-Timestamp outside the replay window
}

type dynamicCounters struct {
	coaRequests, coaACKs, coaNAKs                      atomic.Uint64
	disconnectRequests, disconnectACKs, disconnectNAKs atomic.Uint64
	unknownClients, badAuthenticators, malformed       atomic.Uint64
	unknownTypes, stale, duplicates                    atomic.Uint64
	// Mirroring CoA-Requests, kept apart.
	liRequests, liACKs, liNAKs, liDuplicates, liStale atomic.Uint64
}

// isMirrorCoA reports whether p is a CoA-Request carrying any
// lawful-intercept VSA, usable or not: such a request is counted only in
// the secret mirroring counters.
func isMirrorCoA(p *radius.Packet) bool {
	if p.Code != radius.CodeCoARequest {
		return false
	}
	for _, t := range []ERXType{ERXLIAction, ERXMedDevHandle, ERXMedIPAddress, ERXMedPortNumber} {
		if len(ERXValues(p, t)) > 0 {
			return true
		}
	}
	return false
}

// DynamicServer is the RFC 5176 dynamic-request server.
type DynamicServer struct {
	conn    *net.UDPConn
	handler DynamicHandler
	cfg     atomic.Pointer[DynamicConfig]
	stats   dynamicCounters

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	busy chan struct{} // one token per running handler

	mu    sync.Mutex
	cache map[dupKey]*dupEntry
	now   func() time.Time
}

// maxRunningHandlers bounds the handlers running at once; a request that
// finds them all busy is answered with Error-Cause 506 (Resources
// Unavailable).
const maxRunningHandlers = 64

type dupKey struct {
	src  netip.AddrPort
	id   byte
	auth [16]byte
}

type dupEntry struct {
	reply   []byte // nil while the handler runs
	expires time.Time
}

// maxDuplicateCache bounds the duplicate cache; older entries are dropped
// first when it is full.
const maxDuplicateCache = 4096

// ListenDynamic starts a dynamic-request server on addr (e.g.
// "127.0.0.1:1700") that dispatches to h. Call Close to stop it.
func ListenDynamic(addr string, cfg DynamicConfig, h DynamicHandler) (*DynamicServer, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("radius: dynamic-request server address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("radius: dynamic-request server: %w", err)
	}
	return ServeDynamic(conn, cfg, h), nil
}

// ServeDynamic starts a dynamic-request server on conn, which it owns from
// then on.
func ServeDynamic(conn *net.UDPConn, cfg DynamicConfig, h DynamicHandler) *DynamicServer {
	ctx, cancel := context.WithCancel(context.Background())
	s := &DynamicServer{
		conn:    conn,
		handler: h,
		ctx:     ctx,
		cancel:  cancel,
		cache:   map[dupKey]*dupEntry{},
		now:     time.Now,
		busy:    make(chan struct{}, maxRunningHandlers),
	}
	s.Reconfigure(cfg)
	s.wg.Add(1)
	go s.serve()
	return s
}

// Addr returns the local address the server listens on.
func (s *DynamicServer) Addr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Reconfigure replaces clients, keys and windows; it takes effect with the
// next request. Changing the port needs a new server.
func (s *DynamicServer) Reconfigure(cfg DynamicConfig) {
	if cfg.ReplayWindow <= 0 {
		cfg.ReplayWindow = DefaultReplayWindow
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	cfg.Clients = append([]DynamicClient(nil), cfg.Clients...)
	s.cfg.Store(&cfg)
}

// Stats returns the server's counters.
func (s *DynamicServer) Stats() DynamicStats {
	c := &s.stats
	return DynamicStats{
		CoARequests: c.coaRequests.Load(), CoAACKs: c.coaACKs.Load(), CoANAKs: c.coaNAKs.Load(),
		DisconnectRequests: c.disconnectRequests.Load(), DisconnectACKs: c.disconnectACKs.Load(),
		DisconnectNAKs: c.disconnectNAKs.Load(),
		UnknownClients: c.unknownClients.Load(), BadAuthenticators: c.badAuthenticators.Load(),
		Malformed: c.malformed.Load(), UnknownTypes: c.unknownTypes.Load(),
		Stale: c.stale.Load(), Duplicates: c.duplicates.Load(),
		Mirror: MirrorDynamicStats{CoARequests: c.liRequests.Load(), CoAACKs: c.liACKs.Load(),
			CoANAKs: c.liNAKs.Load(), Duplicates: c.liDuplicates.Load(), Stale: c.liStale.Load()},
	}
}

// Close stops the server, cancels running handlers' contexts and waits for
// them to return.
func (s *DynamicServer) Close() error {
	s.cancel()
	err := s.conn.Close()
	s.wg.Wait()
	return err
}

func (s *DynamicServer) serve() {
	defer s.wg.Done()
	buf := make([]byte, radius.MaxPacketLength+1)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		b := append([]byte(nil), buf[:n]...)
		s.receive(b, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// receive validates one datagram and, if it is a new request, dispatches
// it to the handler in its own goroutine.
func (s *DynamicServer) receive(b []byte, src netip.AddrPort) {
	cfg := s.cfg.Load()
	var secret []byte
	for _, c := range cfg.Clients {
		if c.Addr.Unmap() == src.Addr() {
			secret = []byte(c.Secret)
			break
		}
	}
	if secret == nil {
		s.stats.unknownClients.Add(1)
		return
	}
	p, err := parseRequest(b, secret)
	if err != nil {
		s.stats.malformed.Add(1)
		return
	}
	if p.Code != radius.CodeCoARequest && p.Code != radius.CodeDisconnectRequest {
		s.stats.unknownTypes.Add(1)
		return
	}
	if !radius.IsAuthenticRequest(b, secret) {
		s.stats.badAuthenticators.Add(1)
		return
	}
	if _, err := VerifyMessageAuthenticator(b, ZeroAuthenticator[:], secret); err != nil {
		s.stats.badAuthenticators.Add(1)
		return
	}
	// From here on the request is authentic: a mirroring CoA is counted
	// in the secret counters only.
	li := isMirrorCoA(p)
	now := s.now()
	if ts, err := rfc2869.EventTimestamp_Lookup(p); err == nil {
		if d := now.Sub(ts); d > cfg.ReplayWindow || -d > cfg.ReplayWindow {
			s.count(li, &s.stats.liStale, &s.stats.stale)
			return
		}
	}
	key := dupKey{src: src, id: p.Identifier, auth: p.Authenticator}
	if reply, dup := s.checkDuplicate(key, now, cfg.DuplicateWindow); dup {
		s.count(li, &s.stats.liDuplicates, &s.stats.duplicates)
		if reply != nil {
			_, _ = s.conn.WriteToUDPAddrPort(reply, src)
		}
		return
	}
	switch {
	case li:
		s.stats.liRequests.Add(1)
	case p.Code == radius.CodeCoARequest:
		s.stats.coaRequests.Add(1)
	default:
		s.stats.disconnectRequests.Add(1)
	}
	req := &DynamicRequest{Packet: p, Source: src}
	select {
	case s.busy <- struct{}{}:
	default:
		reply := s.encodeAnswer(req, b, false, CauseResourcesUnavailable, nil)
		if reply == nil {
			s.forget(key)
			return
		}
		s.remember(key, reply, now.Add(cfg.DuplicateWindow))
		_, _ = s.conn.WriteToUDPAddrPort(reply, src)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.busy }()
		reply := s.answer(cfg, req, b)
		if reply == nil {
			s.forget(key)
			return
		}
		s.remember(key, reply, s.now().Add(cfg.DuplicateWindow))
		_, _ = s.conn.WriteToUDPAddrPort(reply, src)
	}()
}

// count adds one to secret when the request is a mirroring CoA, else to
// ordinary.
func (s *DynamicServer) count(li bool, secret, ordinary *atomic.Uint64) {
	if li {
		secret.Add(1)
	} else {
		ordinary.Add(1)
	}
}

// parseRequest parses b strictly: the length field must match the datagram.
func parseRequest(b, secret []byte) (*radius.Packet, error) {
	if len(b) < 20 || int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
		return nil, errors.New("radius: bad packet length")
	}
	return radius.Parse(b, secret)
}

// answer runs the handler and encodes its verdict.
func (s *DynamicServer) answer(cfg *DynamicConfig, req *DynamicRequest, raw []byte) []byte {
	coa := req.Code == radius.CodeCoARequest
	ack, cause, attrs := s.precheck(cfg, req)
	if cause == 0 {
		switch {
		case coa && cfg.CoADisabled, !coa && cfg.DisconnectDisabled:
			cause = CauseAdministrativelyProhibited
		case coa:
			ack, cause, attrs = s.handler.HandleCoA(s.ctx, req)
		default:
			ack, cause, attrs = s.handler.HandleDisconnect(s.ctx, req)
		}
	}
	if s.ctx.Err() != nil {
		return nil
	}
	return s.encodeAnswer(req, raw, ack, cause, attrs)
}

// encodeAnswer counts and encodes the ACK or NAK to req.
func (s *DynamicServer) encodeAnswer(req *DynamicRequest, raw []byte, ack bool, cause ErrorCause, attrs radius.Attributes) []byte {
	coa := req.Code == radius.CodeCoARequest
	li := isMirrorCoA(req.Packet)
	code := radius.CodeCoANAK
	switch {
	case coa && ack:
		code = radius.CodeCoAACK
		s.count(li, &s.stats.liACKs, &s.stats.coaACKs)
	case coa:
		s.count(li, &s.stats.liNAKs, &s.stats.coaNAKs)
	case ack:
		code = radius.CodeDisconnectACK
		s.stats.disconnectACKs.Add(1)
	default:
		code = radius.CodeDisconnectNAK
		s.stats.disconnectNAKs.Add(1)
	}
	resp := &radius.Packet{Code: code, Identifier: req.Identifier, Secret: req.Secret, Authenticator: req.Authenticator}
	withMA := false
	if off, _ := findMessageAuthenticator(raw); off >= 0 {
		withMA = true
		resp.Add(typeMessageAuthenticator, make([]byte, 16))
	}
	for _, a := range attrs {
		if a.Type != typeMessageAuthenticator && a.Type != typeErrorCause {
			resp.Attributes = append(resp.Attributes, a)
		}
	}
	if !ack && cause != 0 {
		resp.Add(typeErrorCause, binary.BigEndian.AppendUint32(nil, uint32(cause)))
	}
	b, err := encodeReply(resp, withMA)
	if err != nil {
		// Attributes too long for one packet: answer a bare NAK.
		resp.Attributes = nil
		resp.Code = map[bool]radius.Code{true: radius.CodeCoANAK, false: radius.CodeDisconnectNAK}[coa]
		resp.Add(typeErrorCause, binary.BigEndian.AppendUint32(nil, uint32(CauseResourcesUnavailable)))
		b, err = encodeReply(resp, false)
		if err != nil {
			return nil
		}
	}
	return b
}

// precheck applies the checks the server makes before the handler sees a
// request: the NAS identity it names and the Event-Timestamp requirement.
func (s *DynamicServer) precheck(cfg *DynamicConfig, req *DynamicRequest) (bool, ErrorCause, radius.Attributes) {
	if cfg.RequireEventTimestamp {
		if _, err := rfc2869.EventTimestamp_Lookup(req.Packet); err != nil {
			return false, CauseMissingAttribute, nil
		}
	}
	if ip, err := rfc2865.NASIPAddress_Lookup(req.Packet); err == nil && cfg.NAS.IP.IsValid() {
		if a, ok := netip.AddrFromSlice(ip); !ok || a.Unmap() != cfg.NAS.IP.Unmap() {
			return false, CauseNASIdentificationMismatch, nil
		}
	}
	if id, err := rfc2865.NASIdentifier_LookupString(req.Packet); err == nil && cfg.NAS.Identifier != "" {
		if id != cfg.NAS.Identifier {
			return false, CauseNASIdentificationMismatch, nil
		}
	}
	return false, 0, nil
}

// encodeReply encodes a reply whose Authenticator field holds the request
// authenticator: Message-Authenticator first (when withMA), then the
// Response Authenticator over the result.
func encodeReply(p *radius.Packet, withMA bool) ([]byte, error) {
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if withMA {
		if _, err := signMessageAuthenticator(b, p.Secret); err != nil {
			return nil, err
		}
	}
	h := md5.New()
	h.Write(b[:4])
	h.Write(p.Authenticator[:])
	h.Write(b[20:])
	h.Write(p.Secret)
	h.Sum(b[4:4:20])
	return b, nil
}

// checkDuplicate reports whether key was seen within the window, with the
// cached reply if the first copy has been answered. A new key is recorded
// as in progress.
func (s *DynamicServer) checkDuplicate(key dupKey, now time.Time, window time.Duration) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cache[key]; ok && now.Before(e.expires) {
		return e.reply, true
	}
	if len(s.cache) >= maxDuplicateCache {
		s.purgeLocked(now)
	}
	s.cache[key] = &dupEntry{expires: now.Add(window)}
	return nil, false
}

// purgeLocked drops expired entries, and the oldest ones if the cache is
// still full.
func (s *DynamicServer) purgeLocked(now time.Time) {
	var oldest dupKey
	var oldestAt time.Time
	for k, e := range s.cache {
		if !now.Before(e.expires) {
			delete(s.cache, k)
			continue
		}
		if oldestAt.IsZero() || e.expires.Before(oldestAt) {
			oldest, oldestAt = k, e.expires
		}
	}
	if len(s.cache) >= maxDuplicateCache {
		delete(s.cache, oldest)
	}
}

func (s *DynamicServer) remember(key dupKey, reply []byte, expires time.Time) {
	s.mu.Lock()
	s.cache[key] = &dupEntry{reply: reply, expires: expires}
	s.mu.Unlock()
}

func (s *DynamicServer) forget(key dupKey) {
	s.mu.Lock()
	delete(s.cache, key)
	s.mu.Unlock()
}

// VerifyDynamicReply checks the Response Authenticator (and
// Message-Authenticator, if present) of a CoA or Disconnect reply against
// the request it answers. Tests and tools use it.
func VerifyDynamicReply(reply, request, secret []byte) error {
	if !radius.IsAuthenticResponse(reply, request, secret) {
		return errors.New("radius: bad Response Authenticator")
	}
	if len(request) < 20 {
		return errors.New("radius: short request")
	}
	if _, err := VerifyMessageAuthenticator(reply, request[4:20], secret); err != nil {
		return err
	}
	return nil
}
