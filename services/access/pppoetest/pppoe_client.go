package pppoetest

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/linecard/header"
)

// PPPoEConfig describes one emulated PPPoE subscriber.
type PPPoEConfig struct {
	MAC            MAC
	User, Password string
	// Accept lists the authentication protocols the client agrees to
	// (default CHAP then PAP).
	Accept []ppp.AuthProtocol
	// ServiceName requested in PADI (default "": any).
	ServiceName string
	// Retries and RetryInterval govern PADI/PADR/PAP retransmission and the
	// PPP restart timer (defaults 5 and 1s).
	Retries       int
	RetryInterval time.Duration
}

// Login stages, used in LoginError.
const (
	StageDiscovery = "discovery"
	StageLCP       = "lcp"
	StageAuth      = "auth"
	StageIPCP      = "ipcp"
)

// LoginError says at which stage a login failed and why.
type LoginError struct {
	Stage  string
	Reason string
}

// Error implements error.
func (e *LoginError) Error() string { return "login failed in " + e.Stage + ": " + e.Reason }

// ErrSessionDown is returned for operations on a session that has ended.
var ErrSessionDown = errors.New("pppoetest: session down")

// PPPoESession is an emulated subscriber's PPPoE session.
type PPPoESession struct {
	e   *Emulator
	cfg PPPoEConfig
	clk clock.Clock

	mu        sync.Mutex
	hostUniq  [8]byte
	stage     string
	ac        MAC
	cookie    []byte
	relay     []byte
	id        uint16
	tries     int
	timer     *time.Timer
	lcp       *ppp.LCP
	ipcp      *ppp.IPCP
	lcpFSM    *ppp.FSM
	ipcpFSM   *ppp.FSM
	papID     uint8
	authOK    bool
	result    chan error
	reported  bool
	down      chan struct{}
	isDown    bool
	closing   bool
	pings     map[uint16]chan struct{}
	started   time.Time
	latency   time.Duration
	out       [1600]byte
	lcpClosed chan struct{}
	peerPADT  bool
	sentPADT  bool
}

// DialPPPoE logs one subscriber in: discovery, LCP, authentication, IPCP.
// It returns once IPCP is up or with a *LoginError.
func (e *Emulator) DialPPPoE(ctx context.Context, cfg PPPoEConfig) (*PPPoESession, error) {
	if len(cfg.Accept) == 0 {
		cfg.Accept = []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 5
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	s := &PPPoESession{
		e: e, cfg: cfg, clk: clock.Real{},
		result: make(chan error, 1), down: make(chan struct{}), lcpClosed: make(chan struct{}),
		pings: make(map[uint16]chan struct{}),
	}
	rand.Read(s.hostUniq[:])
	timing := ppp.Timing{Restart: cfg.RetryInterval, MaxConfigure: cfg.Retries * 2}
	s.lcp = ppp.NewLCP(ppp.LCPConfig{Accept: cfg.Accept})
	s.lcp.OnUp = s.lcpUp
	s.lcp.OnDown = func() {
		if !s.closing {
			s.fail(StageLCP, "link terminated by peer")
		}
	}
	s.lcp.OnFinished = s.lcpFinished
	s.ipcp = &ppp.IPCP{Client: true, PrimaryDNS: netip.IPv4Unspecified(), SecondaryDNS: netip.IPv4Unspecified()}
	s.ipcp.OnUp = s.ipcpUp
	s.ipcp.OnFinished = func() { s.fail(StageIPCP, "IPCP did not converge") }
	s.lcpFSM = ppp.NewFSM(ppp.ProtoLCP, s.lcp, timing, s.sendPPP, s.after)
	s.lcpFSM.SetExtra(s.lcpExtra)
	s.ipcpFSM = ppp.NewFSM(ppp.ProtoIPCP, s.ipcp, timing, s.sendPPP, s.after)

	e.register(cfg.MAC, s)
	s.mu.Lock()
	s.started = time.Now()
	s.stage = StageDiscovery
	s.sendPADI()
	s.mu.Unlock()

	select {
	case err := <-s.result:
		if err != nil {
			s.abort()
			return nil, err
		}
		return s, nil
	case <-ctx.Done():
		s.abort()
		return nil, &LoginError{Stage: s.Stage(), Reason: ctx.Err().Error()}
	}
}

// Stage returns the login stage reached ("up" once logged in).
func (s *PPPoESession) Stage() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stage
}

// SessionID returns the PPPoE session ID.
func (s *PPPoESession) SessionID() uint16 { s.mu.Lock(); defer s.mu.Unlock(); return s.id }

// Address returns the address IPCP assigned.
func (s *PPPoESession) Address() netip.Addr { s.mu.Lock(); defer s.mu.Unlock(); return s.ipcp.Peer }

// Gateway returns the router's IPCP address.
func (s *PPPoESession) Gateway() netip.Addr { s.mu.Lock(); defer s.mu.Unlock(); return s.ipcp.Local }

// DNS returns the DNS servers IPCP handed out (invalid if none).
func (s *PPPoESession) DNS() (primary, secondary netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ipcp.PrimaryDNS, s.ipcp.SecondaryDNS
}

// LoginLatency is the time from PADI to IPCP up.
func (s *PPPoESession) LoginLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// Down is closed when the session ends (either side).
func (s *PPPoESession) Down() <-chan struct{} { return s.down }

func (s *PPPoESession) after(d time.Duration, f func()) clock.Timer {
	return s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.isDown {
			f()
		}
	})
}

// report delivers the login outcome once. Called with s.mu held.
func (s *PPPoESession) report(err error) {
	if s.reported {
		return
	}
	s.reported = true
	s.result <- err
}

// fail reports a login failure (no-op once the login was reported).
func (s *PPPoESession) fail(stage, reason string) {
	s.report(&LoginError{Stage: stage, Reason: reason})
}

// sendPADT ends the PPPoE session from our side once. Called with s.mu held.
func (s *PPPoESession) sendPADT() {
	if s.id == 0 || s.peerPADT || s.sentPADT {
		return
	}
	s.sentPADT = true
	s.sendDiscovery(pppoe.CodePADT, s.id, nil)
}

// markDown ends the session locally. Called with s.mu held.
func (s *PPPoESession) markDown() {
	if s.isDown {
		return
	}
	s.isDown = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.lcpFSM.Kill()
	s.ipcpFSM.Kill()
	close(s.down)
	select {
	case <-s.lcpClosed:
	default:
		close(s.lcpClosed)
	}
}

// abort tears down a failed login: PADT if a session exists, unregister.
func (s *PPPoESession) abort() {
	s.mu.Lock()
	s.sendPADT()
	s.markDown()
	s.mu.Unlock()
	s.e.unregister(s.cfg.MAC, s)
}

// Close logs out: LCP Terminate-Request, then PADT, waiting at most for
// the restart counter to run out.
func (s *PPPoESession) Close() error {
	s.mu.Lock()
	if s.isDown {
		s.mu.Unlock()
		s.e.unregister(s.cfg.MAC, s)
		return nil
	}
	s.closing = true
	s.lcpFSM.Close()
	s.mu.Unlock()
	<-s.lcpClosed
	s.mu.Lock()
	s.sendPADT()
	s.markDown()
	s.mu.Unlock()
	s.e.unregister(s.cfg.MAC, s)
	return nil
}

func (s *PPPoESession) lcpFinished() {
	select {
	case <-s.lcpClosed:
	default:
		close(s.lcpClosed)
	}
	if !s.closing {
		s.fail(StageLCP, "LCP finished")
		s.sendPADT()
		s.markDown()
	}
}

// Discovery.

func (s *PPPoESession) sendDiscovery(code pppoe.Code, sid uint16, extra []pppoe.Tag) {
	tags := []pppoe.Tag{{Type: pppoe.TagHostUniq, Value: s.hostUniq[:]}}
	if code != pppoe.CodePADT {
		tags = append(tags, pppoe.Tag{Type: pppoe.TagServiceName, Value: []byte(s.cfg.ServiceName)})
	}
	tags = append(tags, extra...)
	d := pppoe.Discovery{Code: code, SessionID: sid, Tags: tags}
	dst := s.ac
	if code == pppoe.CodePADI {
		dst = header.Broadcast
	}
	(&header.EthernetFields{Destination: dst, Source: s.cfg.MAC, EtherType: header.EtherTypePPPoEDiscovery}).Marshal(s.out[:])
	n, err := d.Marshal(s.out[header.EthernetHeaderLen:])
	if err != nil {
		return
	}
	_ = s.e.send(s.out[:header.EthernetHeaderLen+n])
}

func (s *PPPoESession) retry(fn func()) {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(s.cfg.RetryInterval, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.isDown || s.reported {
			return
		}
		fn()
	})
}

func (s *PPPoESession) sendPADI() {
	if s.tries >= s.cfg.Retries {
		s.fail(StageDiscovery, "no PADO")
		return
	}
	s.tries++
	s.sendDiscovery(pppoe.CodePADI, 0, nil)
	s.retry(func() {
		if s.stage == StageDiscovery && s.ac == (MAC{}) {
			s.sendPADI()
		}
	})
}

func (s *PPPoESession) sendPADR() {
	if s.tries >= s.cfg.Retries {
		s.fail(StageDiscovery, "no PADS")
		return
	}
	s.tries++
	extra := []pppoe.Tag{{Type: pppoe.TagACCookie, Value: s.cookie}}
	if s.relay != nil {
		extra = append(extra, pppoe.Tag{Type: pppoe.TagRelaySessionID, Value: s.relay})
	}
	s.sendDiscovery(pppoe.CodePADR, 0, extra)
	s.retry(func() {
		if s.id == 0 {
			s.sendPADR()
		}
	})
}

func (s *PPPoESession) handleFrame(f header.Ethernet) {
	h, err := pppoe.Parse(f.Payload())
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isDown {
		return
	}
	switch f.EtherType() {
	case header.EtherTypePPPoEDiscovery:
		s.discovery(f, h)
	case header.EtherTypePPPoESession:
		if h.Code() == pppoe.CodeSession && s.id != 0 && h.SessionID() == s.id && MAC(f.Source()) == s.ac {
			s.pppInput(h.Payload())
		}
	}
}

func (s *PPPoESession) discovery(f header.Ethernet, h pppoe.Header) {
	tags := pppoe.Tags(h.Payload())
	if h.Code() != pppoe.CodePADT {
		if uniq, ok := tags.Find(pppoe.TagHostUniq); !ok || string(uniq) != string(s.hostUniq[:]) {
			return
		}
	}
	switch h.Code() {
	case pppoe.CodePADO:
		if s.ac != (MAC{}) {
			return // first PADO wins
		}
		ck, _ := tags.Find(pppoe.TagACCookie)
		s.ac = MAC(f.Source())
		s.cookie = append([]byte(nil), ck...)
		if r, ok := tags.Find(pppoe.TagRelaySessionID); ok {
			s.relay = append([]byte(nil), r...)
		}
		s.tries = 0
		s.sendPADR()
	case pppoe.CodePADS:
		if s.id != 0 || MAC(f.Source()) != s.ac {
			return
		}
		if h.SessionID() == 0 {
			reason := "PADS without session"
			for _, t := range []pppoe.TagType{pppoe.TagServiceNameError, pppoe.TagACSystemError, pppoe.TagGenericError} {
				if v, ok := tags.Find(t); ok {
					reason = string(v)
				}
			}
			s.fail(StageDiscovery, reason)
			return
		}
		s.id = h.SessionID()
		if s.timer != nil {
			s.timer.Stop()
		}
		s.stage = StageLCP
		s.lcpFSM.Open()
		s.lcpFSM.Up()
	case pppoe.CodePADT:
		if s.id != 0 && h.SessionID() == s.id && MAC(f.Source()) == s.ac {
			s.peerPADT = true
			s.fail(s.stage, "PADT from access concentrator")
			s.markDown()
		}
	}
}

// PPP.

func (s *PPPoESession) sendPPP(frame []byte) {
	if s.id == 0 || s.isDown {
		return
	}
	var buf [1600]byte
	(&header.EthernetFields{Destination: s.ac, Source: s.cfg.MAC, EtherType: header.EtherTypePPPoESession}).Marshal(buf[:])
	pppoe.PutHeader(buf[header.EthernetHeaderLen:], pppoe.CodeSession, s.id, len(frame))
	n := copy(buf[header.EthernetHeaderLen+pppoe.HeaderLen:], frame)
	_ = s.e.send(buf[:header.EthernetHeaderLen+pppoe.HeaderLen+n])
}

func (s *PPPoESession) sendPacket(proto uint16, code, id uint8, data []byte) {
	var buf [600]byte
	n, err := ppp.MarshalPacket(buf[:], proto, code, id, data)
	if err == nil {
		s.sendPPP(buf[:n])
	}
}

func (s *PPPoESession) pppInput(b []byte) {
	f, err := ppp.ParseFrame(b)
	if err != nil {
		return
	}
	switch f.Protocol() {
	case ppp.ProtoLCP:
		s.lcpFSM.Input(f.Information())
	case ppp.ProtoPAP:
		s.papInput(f.Information())
	case ppp.ProtoCHAP:
		s.chapInput(f.Information())
	case ppp.ProtoIPCP:
		if s.authOK || s.lcp.PeerAuth == ppp.AuthNone {
			s.ipcpFSM.Input(f.Information())
		}
	case ppp.ProtoIPv4:
		s.ipInput(f.Information())
	default:
		if s.lcpFSM.State() == ppp.Opened {
			s.sendPacket(ppp.ProtoLCP, ppp.CodeProtocolReject, s.lcpFSM.NextID(), b)
		}
	}
}

func (s *PPPoESession) lcpExtra(p ppp.Packet) bool {
	switch p.Code() {
	case ppp.CodeEchoRequest:
		if s.lcpFSM.State() == ppp.Opened {
			m := s.lcp.Magic
			data := []byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
			if len(p.Data()) > 4 {
				data = append(data, p.Data()[4:]...)
			}
			s.sendPacket(ppp.ProtoLCP, ppp.CodeEchoReply, p.Identifier(), data)
		}
		return true
	case ppp.CodeEchoReply, ppp.CodeDiscardRequest, ppp.CodeProtocolReject:
		return true
	}
	return false
}

func (s *PPPoESession) lcpUp() {
	switch s.lcp.PeerAuth {
	case ppp.AuthPAP:
		s.stage = StageAuth
		s.tries = 0
		s.sendPAP()
	case ppp.AuthCHAP:
		s.stage = StageAuth // wait for the challenge
	default:
		s.startIPCP()
	}
}

func (s *PPPoESession) sendPAP() {
	if s.tries >= s.cfg.Retries {
		s.fail(StageAuth, "no PAP answer")
		return
	}
	s.tries++
	s.papID = s.lcpFSM.NextID()
	s.sendPacket(ppp.ProtoPAP, ppp.PAPAuthenticateRequest, s.papID,
		ppp.AppendPAPRequest(nil, []byte(s.cfg.User), []byte(s.cfg.Password)))
	s.retry(func() {
		if s.stage == StageAuth && !s.authOK {
			s.sendPAP()
		}
	})
}

func (s *PPPoESession) papInput(b []byte) {
	p, err := ppp.ParsePacket(b)
	if err != nil || s.stage != StageAuth || p.Identifier() != s.papID {
		return
	}
	switch p.Code() {
	case ppp.PAPAuthenticateAck:
		s.authOK = true
		if s.timer != nil {
			s.timer.Stop()
		}
		s.startIPCP()
	case ppp.PAPAuthenticateNak:
		msg, _ := ppp.ParsePAPMessage(p.Data())
		s.fail(StageAuth, "rejected: "+string(msg))
	}
}

func (s *PPPoESession) chapInput(b []byte) {
	p, err := ppp.ParsePacket(b)
	if err != nil || s.stage != StageAuth {
		return
	}
	switch p.Code() {
	case ppp.CHAPChallenge:
		ch, _, err := ppp.ParseCHAPValue(p.Data())
		if err != nil {
			return
		}
		m := md5.New()
		m.Write([]byte{p.Identifier()})
		m.Write([]byte(s.cfg.Password))
		m.Write(ch)
		s.sendPacket(ppp.ProtoCHAP, ppp.CHAPResponse, p.Identifier(),
			ppp.AppendCHAPValue(nil, m.Sum(nil), []byte(s.cfg.User)))
	case ppp.CHAPSuccess:
		s.authOK = true
		s.startIPCP()
	case ppp.CHAPFailure:
		s.fail(StageAuth, "rejected: "+string(p.Data()))
	}
}

func (s *PPPoESession) startIPCP() {
	if s.stage == StageIPCP {
		return
	}
	s.stage = StageIPCP
	s.ipcpFSM.Open()
	s.ipcpFSM.Up()
}

func (s *PPPoESession) ipcpUp() {
	s.stage = "up"
	s.latency = time.Since(s.started)
	s.report(nil)
}

// Ping sends one ICMP echo request through the session to dst and waits for
// the reply.
func (s *PPPoESession) Ping(ctx context.Context, dst netip.Addr, seq uint16) error {
	s.mu.Lock()
	if s.isDown || s.stage != "up" {
		s.mu.Unlock()
		return ErrSessionDown
	}
	ch := make(chan struct{})
	s.pings[seq] = ch
	var buf [128]byte
	binPPP := buf[:2]
	binPPP[0], binPPP[1] = 0x00, 0x21
	if n, ok := marshalEcho(buf[2:], header.ICMPv4EchoRequest, s.ipcp.Peer, dst, s.id, seq, []byte("erx-emulator")); ok {
		s.sendPPP(buf[:2+n])
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pings, seq)
		s.mu.Unlock()
	}()
	select {
	case <-ch:
		return nil
	case <-s.down:
		return ErrSessionDown
	case <-ctx.Done():
		return fmt.Errorf("ping %v seq %d: %w", dst, seq, ctx.Err())
	}
}

func (s *PPPoESession) ipInput(b []byte) {
	ip := header.IPv4(b)
	if ip.Validate() != nil || ip.Protocol() != header.ProtocolICMP || ip.Destination() != s.ipcp.Peer {
		return
	}
	e := header.ICMPv4(ip.Payload())
	if !e.Valid() || e.Type() != header.ICMPv4EchoReply || e.Ident() != s.id {
		return
	}
	if ch, ok := s.pings[e.Sequence()]; ok {
		delete(s.pings, e.Sequence())
		close(ch)
	}
}

// SendUDP sends one UDP datagram from the session's address through the
// session (source port 40000 + session ID). Nothing is awaited.
func (s *PPPoESession) SendUDP(dst netip.AddrPort, payload []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isDown || s.stage != "up" {
		return ErrSessionDown
	}
	buf := make([]byte, 2+header.IPv4UDPHeaderLen+len(payload))
	buf[0], buf[1] = 0x00, 0x21
	f := header.IPv4UDPFields{IPv4: header.IPv4Fields{TTL: 64, Source: s.ipcp.Peer, Destination: dst.Addr()},
		UDP: header.UDPFields{SourcePort: 40000 + s.id%20000, DestinationPort: dst.Port()}}
	n, err := f.Marshal(buf[2:], payload)
	if err != nil {
		return err
	}
	s.sendPPP(buf[:2+n])
	return nil
}
