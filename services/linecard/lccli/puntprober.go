package lccli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/header"
)

// ProbeEngine is what PuntProber needs from the data plane;
// *linecard.Engine implements it.
type ProbeEngine interface {
	SendIPv4(vr string, pkt []byte) error
	Routes(vr string) ([]linecard.RouteInfo, error)
	Interface(name string) (linecard.InterfaceInfo, error)
}

// PuntProber implements Prober with what the data plane offers today: it
// sends probes with SendIPv4 from the egress interface's address and
// picks their answers (ICMP echo replies, time exceeded and unreachable
// messages quoting a probe) out of the frames the engine punts to its
// control plane as PuntLocal. Every other punt goes on to the next
// control plane. Install it as linecard.Config.Control, then Attach the
// engine before Start.
type PuntProber struct {
	next  linecard.ControlPlane
	eng   atomic.Pointer[ProbeEngine]
	ident uint16

	mu      sync.Mutex
	counter uint16
	waiting map[probeKey]chan Answer
}

// probeKey identifies a probe in its answer: the ICMP echo identifier and
// sequence number, or the UDP source and destination ports.
type probeKey struct {
	proto uint8
	a, b  uint16
}

// udpSourceBase is the first UDP source port probes use.
const udpSourceBase = 49152

// NewPuntProber returns a prober that passes the punts it does not
// consume to next (nil: they are dropped).
func NewPuntProber(next linecard.ControlPlane) *PuntProber {
	return &PuntProber{next: next, ident: uint16(time.Now().UnixNano()>>10) | 1, waiting: map[probeKey]chan Answer{}}
}

// Attach gives the prober the engine it sends through.
func (p *PuntProber) Attach(e ProbeEngine) { p.eng.Store(&e) }

// HandlePunt implements linecard.ControlPlane. It runs on a forwarding
// worker: it parses in place and never blocks.
func (p *PuntProber) HandlePunt(pu *linecard.Punt) {
	if pu.Reason != linecard.PuntLocal || !p.consume(pu.Frame) {
		if p.next != nil {
			p.next.HandlePunt(pu)
		}
	}
}

// consume delivers frame to the probe it answers and reports whether it
// did.
func (p *PuntProber) consume(frame []byte) bool {
	if len(frame) < header.EthernetHeaderLen || header.Ethernet(frame).EtherType() != header.EtherTypeIPv4 {
		return false
	}
	ip := header.IPv4(frame[header.EthernetHeaderLen:])
	if ip.Validate() != nil || ip.Protocol() != header.ProtocolICMP || ip.FragmentOffset() != 0 {
		return false
	}
	m := header.ICMPv4(ip.Payload())
	if len(m) < header.ICMPv4HeaderLen {
		return false
	}
	var key probeKey
	ans := Answer{From: ip.Source(), Code: m.Code()}
	switch m.Type() {
	case header.ICMPv4EchoReply:
		if m.Ident() != p.ident {
			return false
		}
		key, ans.Kind = probeKey{header.ProtocolICMP, m.Ident(), m.Sequence()}, AnswerEchoReply
	case header.ICMPv4TimeExceeded, header.ICMPv4DestUnreachable:
		ans.Kind = AnswerTimeExceeded
		if m.Type() == header.ICMPv4DestUnreachable {
			ans.Kind = AnswerUnreachable
		}
		k, ok := p.quotedKey(m[header.ICMPv4HeaderLen:])
		if !ok {
			return false
		}
		key = k
	default:
		return false
	}
	p.mu.Lock()
	ch := p.waiting[key]
	p.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case ch <- ans:
	default:
	}
	return true
}

// quotedKey finds the probe an ICMP error quotes (its IP header and
// first 8 bytes).
func (p *PuntProber) quotedKey(q []byte) (probeKey, bool) {
	if len(q) < header.IPv4MinHeaderLen {
		return probeKey{}, false
	}
	inner := header.IPv4(q)
	hl := inner.HeaderLength()
	if hl < header.IPv4MinHeaderLen || len(q) < hl+8 {
		return probeKey{}, false
	}
	l4 := q[hl : hl+8]
	switch inner.Protocol() {
	case header.ProtocolICMP:
		m := header.ICMPv4(l4)
		if m.Type() != header.ICMPv4EchoRequest || m.Ident() != p.ident {
			return probeKey{}, false
		}
		return probeKey{header.ProtocolICMP, m.Ident(), m.Sequence()}, true
	case header.ProtocolUDP:
		u := header.UDP(l4)
		return probeKey{header.ProtocolUDP, u.SourcePort(), u.DestinationPort()}, true
	}
	return probeKey{}, false
}

// Probe implements Prober.
func (p *PuntProber) Probe(ctx context.Context, pr Probe) (Answer, error) {
	ep := p.eng.Load()
	if ep == nil {
		return Answer{}, errors.New("prober is not attached to the data plane")
	}
	e := *ep
	if !pr.Dst.Is4() {
		return Answer{}, fmt.Errorf("destination %v: %w", pr.Dst, linecard.ErrBadAddress)
	}
	src, local, err := sourceFor(e, pr.VR, pr.Dst)
	if err != nil {
		return Answer{}, err
	}
	if local {
		// The router's own address answers at once.
		if pr.Kind == ProbeUDP {
			return Answer{Kind: AnswerUnreachable, Code: codePortUnreachable, From: pr.Dst}, nil
		}
		return Answer{Kind: AnswerEchoReply, From: pr.Dst}, nil
	}
	if pr.Src.IsValid() {
		src = pr.Src
	}
	ttl := pr.TTL
	if ttl == 0 {
		ttl = 64
	}
	p.mu.Lock()
	p.counter++
	n := p.counter
	var key probeKey
	if pr.Kind == ProbeUDP {
		key = probeKey{header.ProtocolUDP, udpSourceBase + n%16384, pr.Port}
	} else {
		key = probeKey{header.ProtocolICMP, p.ident, n}
	}
	ch := make(chan Answer, 1)
	p.waiting[key] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, key)
		p.mu.Unlock()
	}()
	pkt := buildProbe(pr, key, src, ttl, n)
	start := time.Now()
	if err := e.SendIPv4(pr.VR, pkt); err != nil {
		return Answer{}, err
	}
	select {
	case a := <-ch:
		a.RTT = time.Since(start)
		return a, nil
	case <-ctx.Done():
		return Answer{}, fmt.Errorf("%w: %v", ErrNoAnswer, ctx.Err())
	}
}

// buildProbe makes the IPv4 packet of a probe.
func buildProbe(pr Probe, key probeKey, src netip.Addr, ttl uint8, id uint16) []byte {
	size := max(pr.Size, header.IPv4MinHeaderLen+8)
	pkt := make([]byte, size)
	ipf := header.IPv4Fields{TotalLength: uint16(size), ID: id, TTL: ttl, Source: src, Destination: pr.Dst}
	payload := make([]byte, size-header.IPv4MinHeaderLen-8)
	for i := range payload {
		payload[i] = byte(i)
	}
	if pr.Kind == ProbeUDP {
		ipf.Protocol = header.ProtocolUDP
		ipf.Marshal(pkt)
		uf := header.UDPFields{SourcePort: key.a, DestinationPort: key.b}
		uf.Marshal(pkt[header.IPv4MinHeaderLen:], payload, header.IPv4(pkt).PseudoHeaderChecksum(size-header.IPv4MinHeaderLen))
		return pkt
	}
	ipf.Protocol = header.ProtocolICMP
	ipf.Marshal(pkt)
	mf := header.ICMPv4Fields{Type: header.ICMPv4EchoRequest, RestOfHeader: [2]uint16{key.a, key.b}}
	mf.Marshal(pkt[header.IPv4MinHeaderLen:], payload)
	return pkt
}

// sourceFor picks the source address of a probe to dst in vr: the
// address of the egress interface on the next hop's subnet (else its
// first). local reports that dst is an address of the router itself.
func sourceFor(e ProbeEngine, vr string, dst netip.Addr) (src netip.Addr, local bool, err error) {
	rs, err := e.Routes(vr)
	if err != nil {
		return src, false, err
	}
	best := func(a netip.Addr, withIf bool) *linecard.RouteInfo {
		var b *linecard.RouteInfo
		for i := range rs {
			r := &rs[i]
			if !r.Best || !r.Prefix.Contains(a) || (withIf && (r.Interface == "" || r.Type == fib.Local)) {
				continue
			}
			if b == nil || r.Prefix.Bits() > b.Prefix.Bits() {
				b = r
			}
		}
		return b
	}
	r := best(dst, false)
	if r == nil {
		return src, false, fmt.Errorf("send to %v: %w", dst, linecard.ErrNoRoute)
	}
	if r.Type == fib.Local {
		return dst, true, nil
	}
	nh, ifname := dst, r.Interface
	if r.NextHop.IsValid() {
		nh = r.NextHop
	}
	if ifname == "" {
		r2 := best(nh, true)
		if r2 == nil {
			return src, false, fmt.Errorf("send to %v: next hop %v: %w", dst, nh, linecard.ErrNoRoute)
		}
		ifname = r2.Interface
	}
	info, err := e.Interface(ifname)
	if err != nil {
		return src, false, err
	}
	for _, a := range info.Addresses {
		if a.Contains(nh) {
			return a.Addr(), false, nil
		}
	}
	if len(info.Addresses) == 0 {
		return src, false, fmt.Errorf("interface %s has no address to send from: %w", ifname, linecard.ErrNoRoute)
	}
	return info.Addresses[0].Addr(), false, nil
}
