package linecard

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

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
	if t := p.sessions.Load(); t != nil && t.get(sessionID) != nil {
		return fmt.Errorf("linecard: pppoe session %d on %q is %q: %w", sessionID, parent, t.get(sessionID).name, ErrInterfaceExists)
	}
	ifc, err := e.newIfaceLocked(name, PPPoESub, p.port, 0)
	if err != nil {
		return err
	}
	// Complete before any worker can reach it (by index, e.g. a stale
	// delivery path or route): published with every field set.
	ifc.parent, ifc.sid, ifc.peer = p, sessionID, peer
	ifc.vr.Store(p.vr.Load())
	ifc.mtu.Store(p.mtu.Load() - pppoeEncapLen)
	e.publishIfaceLocked(ifc)
	p.setSession(sessionID, ifc) // published last: the interface is complete
	return nil
}

// pppoeTable holds the PPPoE subscriber interfaces of one parent by
// session ID in two levels of 256 slots: a login or logout writes one slot
// (it never copies the table, which would cost O(sessions) per login) and
// workers read it without locks.
type pppoeTable struct {
	hi [256]atomic.Pointer[[256]atomic.Pointer[iface]]
	n  int // sessions in the table; guarded by Engine.mu
}

// get returns the interface of session sid, or nil.
func (t *pppoeTable) get(sid uint16) *iface {
	leaf := t.hi[sid>>8].Load()
	if leaf == nil {
		return nil
	}
	return leaf[sid&0xff].Load()
}

// all returns every session's interface; called with Engine.mu held.
func (t *pppoeTable) all() []*iface {
	out := make([]*iface, 0, t.n)
	for i := range t.hi {
		if leaf := t.hi[i].Load(); leaf != nil {
			for j := range leaf {
				if sub := leaf[j].Load(); sub != nil {
					out = append(out, sub)
				}
			}
		}
	}
	return out
}

// setSession replaces (sub != nil) or removes session sid of the parent
// interface; called with Engine.mu held.
func (p *iface) setSession(sid uint16, sub *iface) {
	t := p.sessions.Load()
	if t == nil {
		if sub == nil {
			return
		}
		t = &pppoeTable{}
		p.sessions.Store(t)
	}
	leaf := t.hi[sid>>8].Load()
	if leaf == nil {
		if sub == nil {
			return
		}
		leaf = new([256]atomic.Pointer[iface])
		t.hi[sid>>8].Store(leaf)
	}
	switch old := leaf[sid&0xff].Swap(sub); {
	case old == nil && sub != nil:
		t.n++
	case old != nil && sub == nil:
		t.n--
	}
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
	t := in.sessions.Load()
	if t == nil || n < pppoeEncapLen {
		return false
	}
	s := buf[off : off+n]
	if s[0] != 0x11 || s[1] != 0 || binary.BigEndian.Uint16(s[6:]) != pppIPv4 {
		return false
	}
	sub := t.get(binary.BigEndian.Uint16(s[2:]))
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
