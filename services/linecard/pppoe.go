package linecard

import (
	"encoding/binary"
	"fmt"
	"maps"

	"github.com/erxos/erx/services/linecard/header"
)

// pppoeEncapLen is what a PPPoE subscriber interface adds in front of an
// IPv4 packet: the PPPoE header (RFC 2516) and the PPP protocol field.
const pppoeEncapLen = 8

// PPP protocol number of IPv4 (RFC 1332).
const pppIPv4 = 0x0021

// AddPPPoEInterface creates the dynamic PPPoE subscriber interface name
// for PPPoE session sessionID (1..65534) with the subscriber at peer, over
// access interface parent (a physical interface or VLAN subinterface).
// From then on the workers decapsulate the session's IPv4 frames
// (protocol 0x0021) from that peer themselves and account them to the new
// interface; every other session frame (LCP, IPCP, ...) is still punted.
// Routes whose interface is the new one (a fib.Host route to the
// subscriber's address) are encapsulated in the session's PPPoE header.
// The interface is up, in the parent's virtual router, with an MTU 8 bytes
// below the parent's; it is unnumbered (ICMP errors come from the parent's
// address). Remove it with DeleteInterface.
func (e *Engine) AddPPPoEInterface(name, parent string, sessionID uint16, peer [6]byte) error {
	if sessionID == 0 || sessionID == 0xffff {
		return fmt.Errorf("linecard: pppoe session %d: %w: must be 1..65534", sessionID, ErrBadArgument)
	}
	if peer[0]&1 != 0 || peer == [6]byte{} {
		return fmt.Errorf("linecard: pppoe peer %x: %w: not a unicast MAC address", peer, ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.lookup(parent)
	if err != nil {
		return err
	}
	if p.kind != Physical && p.kind != VLANSub {
		return fmt.Errorf("linecard: %q: %w: PPPoE needs a physical or VLAN interface", parent, ErrBadArgument)
	}
	if m := p.sessions.Load(); m != nil && (*m)[sessionID] != nil {
		return fmt.Errorf("linecard: pppoe session %d on %q is %q: %w", sessionID, parent, (*m)[sessionID].name, ErrInterfaceExists)
	}
	ifc, err := e.addIfaceLocked(name, PPPoESub, p.port, 0)
	if err != nil {
		return err
	}
	ifc.parent, ifc.sid, ifc.peer = p, sessionID, peer
	ifc.vr.Store(p.vr.Load())
	ifc.mtu.Store(p.mtu.Load() - pppoeEncapLen)
	p.setSession(sessionID, ifc) // published last: the interface is complete
	return nil
}

// setSession replaces (sub != nil) or removes session sid of the parent
// interface; called with Engine.mu held.
func (p *iface) setSession(sid uint16, sub *iface) {
	m := map[uint16]*iface{}
	if old := p.sessions.Load(); old != nil {
		m = maps.Clone(*old)
	}
	if sub == nil {
		delete(m, sid)
	} else {
		m[sid] = sub
	}
	p.sessions.Store(&m)
}

// putPPPoESession writes the PPPoE session header and PPP protocol field
// for an IPv4 packet of n bytes into b[:8].
func putPPPoESession(b []byte, sid uint16, n int) {
	b[0], b[1] = 0x11, 0x00 // version 1, type 1, code 0 (session data)
	binary.BigEndian.PutUint16(b[2:], sid)
	binary.BigEndian.PutUint16(b[4:], uint16(n+2))
	binary.BigEndian.PutUint16(b[6:], pppIPv4)
}

// pppoeSession forwards the PPPoE session frame at buf[off:off+n]
// received on in when it carries IPv4 for a session with a subscriber
// interface, and reports whether it did; everything else is punted by the
// caller.
func (w *worker) pppoeSession(i int, in *iface, eth header.Ethernet, buf []byte, off, n int, vlan uint16) bool {
	m := in.sessions.Load()
	if m == nil || n < pppoeEncapLen {
		return false
	}
	s := buf[off : off+n]
	if s[0] != 0x11 || s[1] != 0 || binary.BigEndian.Uint16(s[6:]) != pppIPv4 {
		return false
	}
	sub := (*m)[binary.BigEndian.Uint16(s[2:])]
	if sub == nil || [6]byte(eth.Source()) != sub.peer {
		return false
	}
	plen := int(binary.BigEndian.Uint16(s[4:]))
	if plen < 2 || plen > n-6 {
		w.drop(sub, DropBadLength)
		return true
	}
	c := &sub.lanes[w.lane]
	c.inPackets.Add(1)
	c.inBytes.Add(uint64(plen - 2))
	if !sub.up.Load() {
		w.drop(sub, DropAdminDown)
		return true
	}
	w.ipv4(i, sub, buf, off+pppoeEncapLen, plen-2, false, vlan)
	return true
}
