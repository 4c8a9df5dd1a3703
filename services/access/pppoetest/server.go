package pppoetest

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/erxos/erx/services/access/dhcp"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
)

// ServerConfig configures an AccessServer.
type ServerConfig struct {
	// Port names the emulated router port; MAC is its address.
	Port string
	MAC  MAC
	// PPPoE is the discovery configuration; Sender, Handler and PortMAC
	// are filled in.
	PPPoE pppoe.Config
	// PPP is the template for each subscriber's PPP session; OnEvent is
	// wrapped (see OnPPPEvent).
	PPP ppp.Config
	// OnPPPEvent, if set, sees every PPP session event.
	OnPPPEvent func(sessionID uint16, ev ppp.Event)
	// DHCP, if set, runs a DHCP server on the port; Sender and PortMAC are
	// filled in.
	DHCP *dhcp.Config
}

// AccessServer runs the router-side access engines on a Link: PPPoE
// discovery, one PPP session per PPPoE session, and optionally the DHCP
// server. It also answers ICMP echo requests sent through a PPP session to
// the session's gateway address, standing in for the data plane. It is the
// minimal glue for tests; the router wires the engines to its data plane
// instead.
type AccessServer struct {
	cfg  ServerConfig
	link Link
	pppo *pppoe.Engine
	dhcp *dhcp.Server

	mu       sync.Mutex
	sessions map[uint16]*ppp.Session
	all      []*ppp.Session
	wg       sync.WaitGroup
	wmu      sync.Mutex
	ipv4In   atomic.Uint64
}

// IPv4Received counts IPv4 packets received through PPP sessions (the
// traffic a data plane would forward).
func (s *AccessServer) IPv4Received() uint64 { return s.ipv4In.Load() }

// NewAccessServer builds the engines and starts reading link.
func NewAccessServer(link Link, cfg ServerConfig) (*AccessServer, error) {
	s := &AccessServer{cfg: cfg, link: link, sessions: make(map[uint16]*ppp.Session)}
	portMAC := func(p string) (MAC, bool) { return cfg.MAC, p == cfg.Port }
	pc := cfg.PPPoE
	pc.Sender, pc.Handler, pc.PortMAC = s, s, portMAC
	e, err := pppoe.NewEngine(pc)
	if err != nil {
		return nil, err
	}
	s.pppo = e
	if cfg.DHCP != nil {
		dc := *cfg.DHCP
		dc.Sender, dc.PortMAC = s, portMAC
		d, err := dhcp.NewServer(dc)
		if err != nil {
			return nil, err
		}
		s.dhcp = d
	}
	s.wg.Add(1)
	go s.read()
	return s, nil
}

// PPPoE returns the discovery engine.
func (s *AccessServer) PPPoE() *pppoe.Engine { return s.pppo }

// DHCP returns the DHCP server, if configured.
func (s *AccessServer) DHCP() *dhcp.Server { return s.dhcp }

// Session returns the PPP session of a PPPoE session ID.
func (s *AccessServer) Session(id uint16) (*ppp.Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.sessions[id]
	return p, ok
}

// Close terminates every session (PADT), stops the engines, closes the
// link and waits for all goroutines.
func (s *AccessServer) Close() error {
	for _, ps := range s.pppo.Sessions() {
		_ = s.pppo.Terminate(ps.ID, subscriber.CauseNASRequest)
	}
	err := s.link.Close()
	s.wg.Wait()
	if s.dhcp != nil {
		s.dhcp.Close()
	}
	s.mu.Lock()
	all := s.all
	s.all = nil
	s.mu.Unlock()
	for _, p := range all {
		p.LowerDown(subscriber.CauseNASRequest)
		p.Wait()
	}
	return err
}

// SendFrame implements pppoe.FrameSender and dhcp.FrameSender.
func (s *AccessServer) SendFrame(port string, frame []byte) error {
	if port != s.cfg.Port {
		return errors.New("pppoetest: unknown port " + port)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.link.WriteFrame(frame)
}

func (s *AccessServer) read() {
	defer s.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, err := s.link.ReadFrame(buf)
		if err != nil {
			return
		}
		f := header.Ethernet(buf[:n])
		if f.Validate() != nil {
			continue
		}
		if d := MAC(f.Destination()); d != s.cfg.MAC && d != header.Broadcast {
			continue
		}
		switch f.EtherType() {
		case header.EtherTypePPPoEDiscovery, header.EtherTypePPPoESession:
			_ = s.pppo.HandleFrame(s.cfg.Port, buf[:n])
		case header.EtherTypeIPv4:
			if s.dhcp != nil {
				_ = s.dhcp.HandleFrame(s.cfg.Port, buf[:n])
			}
		}
	}
}

// SessionStarted implements pppoe.Handler.
func (s *AccessServer) SessionStarted(ps *pppoe.Session) {
	cfg := s.cfg.PPP
	id := ps.ID
	user := cfg.OnEvent
	cfg.OnEvent = func(ev ppp.Event) {
		if user != nil {
			user(ev)
		}
		if s.cfg.OnPPPEvent != nil {
			s.cfg.OnPPPEvent(id, ev)
		}
		if ev.Type == ppp.EventDown {
			// Ends the PPPoE session too (PADT) unless it is already gone.
			_ = s.pppo.Terminate(id, ev.Cause)
		}
	}
	p := ppp.NewSession(cfg, ps)
	s.mu.Lock()
	s.sessions[id] = p
	s.all = append(s.all, p)
	s.mu.Unlock()
	p.Start()
}

// SessionPPP implements pppoe.Handler.
func (s *AccessServer) SessionPPP(ps *pppoe.Session, b []byte) {
	s.mu.Lock()
	p, ok := s.sessions[ps.ID]
	s.mu.Unlock()
	if !ok {
		return
	}
	if f, err := ppp.ParseFrame(b); err == nil && f.Protocol() == ppp.ProtoIPv4 {
		s.ipv4In.Add(1)
		s.echo(ps, p, f.Information())
		return
	}
	p.Input(b)
}

// echo answers ICMP echo requests addressed to the gateway.
func (s *AccessServer) echo(ps *pppoe.Session, p *ppp.Session, b []byte) {
	ip := header.IPv4(b)
	if ip.Validate() != nil || ip.Protocol() != header.ProtocolICMP || ip.Source() != p.Address() {
		return
	}
	gw := s.cfg.PPP.LocalAddress
	if ip.Destination() != gw {
		return
	}
	e := header.ICMPv4(ip.Payload())
	if !e.Valid() || e.Type() != header.ICMPv4EchoRequest {
		return
	}
	var buf [1500]byte
	buf[0], buf[1] = 0x00, 0x21
	if n, ok := marshalEcho(buf[2:], header.ICMPv4EchoReply, gw, ip.Source(), e.Ident(), e.Sequence(), e.Payload()); ok {
		_ = ps.SendPPP(buf[:2+n])
	}
}

// SessionEnded implements pppoe.Handler.
func (s *AccessServer) SessionEnded(ps *pppoe.Session, cause subscriber.Cause) {
	s.mu.Lock()
	p, ok := s.sessions[ps.ID]
	delete(s.sessions, ps.ID)
	s.mu.Unlock()
	if ok {
		p.LowerDown(cause)
	}
}

// marshalEcho writes an IPv4 ICMP echo request or reply (TTL 64, the
// sequence number as IPv4 identification) into buf and returns its length,
// or false when buf is too small.
func marshalEcho(buf []byte, typ uint8, src, dst netip.Addr, id, seq uint16, data []byte) (int, bool) {
	n := header.IPv4MinHeaderLen + header.ICMPv4HeaderLen + len(data)
	if len(buf) < n {
		return 0, false
	}
	ip := header.IPv4Fields{TotalLength: uint16(n), ID: seq, TTL: 64, Protocol: header.ProtocolICMP, Source: src, Destination: dst}
	ip.Marshal(buf)
	icmp := header.ICMPv4Fields{Type: typ, RestOfHeader: [2]uint16{id, seq}}
	icmp.Marshal(buf[header.IPv4MinHeaderLen:], data)
	return n, true
}
