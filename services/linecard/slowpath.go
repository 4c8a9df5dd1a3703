package linecard

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
)

// sendARP sends an ARP packet out of ifc on the ARP lane. It may be
// called with an ARP table's mutex held, and with ctlMu held.
func (e *Engine) sendARP(ifc *iface, op uint16, dst [6]byte, spa netip.Addr, tha [6]byte, tpa netip.Addr) {
	if ifc.port == nil || ifc.analyzer.Load() { // analyzer ports are silent: static ARP only
		return
	}
	e.arpMu.Lock()
	defer e.arpMu.Unlock()
	w := e.arpw
	buf := w.batch.Bufs[0]
	off := port.Headroom + maxL2
	f := header.ARPFields{Operation: op, SenderHardware: ifc.mac, SenderProtocol: spa, TargetHardware: tha, TargetProtocol: tpa}
	f.Marshal(buf[off:])
	w.emitARP(ifc, dst, buf, off)
	w.flush()
}

// arpSender implements arp.Sender for one interface.
type arpSender struct {
	e   *Engine
	ifc *iface
}

// SendRequest implements arp.Sender: it sends from the interface address
// on target's subnet (else the first address).
func (s *arpSender) SendRequest(target netip.Addr, dst [6]byte) {
	var src netip.Addr
	for _, p := range *s.ifc.addrs.Load() {
		if !src.IsValid() || p.Contains(target) {
			src = p.Addr()
		}
	}
	if !src.IsValid() {
		return
	}
	s.e.sendARP(s.ifc, header.ARPRequest, dst, src, [6]byte{}, target)
}

// SendQueued implements arp.Sender on the control lane.
func (s *arpSender) SendQueued(mac [6]byte, pkts [][]byte) {
	e := s.e
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	w := e.ctl
	buf := w.batch.Bufs[0]
	off := port.Headroom + maxL2
	for _, p := range pkts {
		if off+len(p) > len(buf) {
			continue
		}
		copy(buf[off:], p)
		w.emit(s.ifc, mac, buf, off, len(p))
		w.flush()
	}
}

// TransmitFrame sends an Ethernet frame built by the control plane out of
// interface name. The frame carries no VLAN tag; the engine adds the
// subinterface's tag. It is counted as output of the interface.
func (e *Engine) TransmitFrame(name string, frame []byte) error {
	e.mu.Lock()
	ifc, err := e.lookup(name)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if ifc.port == nil {
		return fmt.Errorf("linecard: %q: %w: no port", name, ErrBadArgument)
	}
	if len(frame) < header.EthernetHeaderLen || len(frame)+port.Headroom+header.VLANTagLen > port.DefaultBufSize {
		return fmt.Errorf("linecard: frame of %d bytes: %w", len(frame), ErrBadArgument)
	}
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	w := e.ctl
	buf := w.batch.Bufs[0]
	start := port.Headroom
	copy(buf[start:], frame)
	end := start + len(frame)
	if ifc.kind == VLANSub {
		copy(buf[start-header.VLANTagLen:], buf[start:start+12])
		start -= header.VLANTagLen
		binary.BigEndian.PutUint16(buf[start+12:], header.EtherTypeVLAN)
		binary.BigEndian.PutUint16(buf[start+14:], ifc.vlan)
	}
	c := &ifc.lanes[w.lane]
	c.outPackets.Add(1)
	c.outBytes.Add(uint64(end - start))
	w.tx[ifc.port.idx] = append(w.tx[ifc.port.idx], buf[start:end])
	w.flush()
	return nil
}

// SendIPv4 routes an IPv4 packet originated by the router (a ping, a
// traceroute probe) in virtual router vr and sends it on the control lane.
// The packet must be complete, with a valid header checksum. Packets
// leaving through an analyzer interface (SetAnalyzer) are counted only in
// the secret MirrorSent/MirrorSendErrors counters.
func (e *Engine) SendIPv4(vr string, pkt []byte) error {
	e.mu.Lock()
	v := e.vrs[vr]
	e.mu.Unlock()
	if v == nil {
		return fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	w := e.ctl
	err := w.originate(v, pkt, w.batch.Bufs[0])
	w.flush()
	return err
}

// originate routes the router-originated IPv4 packet pkt in v by its
// destination, using buf (port.DefaultBufSize bytes) for the frame. The
// frame is queued on w; the caller flushes.
func (w *worker) originate(v *vrouter, pkt []byte, buf []byte) error {
	p := header.IPv4(pkt)
	if err := p.Validate(); err != nil {
		return fmt.Errorf("linecard: send: %w", err)
	}
	if len(pkt)+port.Headroom+maxL2 > len(buf) {
		return fmt.Errorf("linecard: packet of %d bytes: %w", len(pkt), ErrBadArgument)
	}
	off := port.Headroom + maxL2
	dst := p.DestinationUint32()
	r := v.fib.Lookup(dst)
	if r == nil {
		return fmt.Errorf("linecard: send to %v: %w", p.Destination(), ErrNoRoute)
	}
	copy(buf[off:], pkt)
	w.send(0, nil, v, r, buf, off, len(pkt), dst, false)
	return nil
}
