package linecard

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"sync/atomic"

	"github.com/erxos/erx/services/linecard/header"
)

// ipoeShards is the number of copy-on-write shards of an IPoE classifier:
// a login or logout copies one shard (about 1/256 of the sessions of the
// access interface), never the whole table.
const ipoeShards = 256

// ipoeTable is the IPoE classifier of one access interface: its IP
// subscriber interfaces by subscriber address. Workers read it without
// locks (atomic loads of immutable maps); writers hold Engine.mu and
// replace one shard.
type ipoeTable struct {
	shards [ipoeShards]atomic.Pointer[map[uint32]*iface]
	n      int // subscriber interfaces in the table; guarded by Engine.mu
}

func addrKey(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// AddIPoEInterface creates the dynamic IP subscriber interface name for
// the IPoE (DHCP) subscriber at addr with MAC address peer, over access
// interface parent (a physical interface or VLAN subinterface). From then
// on the workers account the subscriber's IPv4 frames (source addr from
// peer, received on parent) to the new interface (its counters, its
// ingress tap) and route them in its virtual router; packets routed to it
// (a fib.Host route to addr whose Interface is the new one) leave through
// parent to peer without ARP, counted on it and passing its egress tap.
// The interface is up, in the parent's virtual router, with the parent's
// MTU; it is unnumbered (ICMP errors come from the parent's address).
// Frames from addr with another source MAC stay on the parent. Remove it
// with DeleteInterface.
func (e *Engine) AddIPoEInterface(name, parent string, addr netip.Addr, peer [6]byte) error {
	if !addr.Is4() || addr.IsUnspecified() || addr.IsMulticast() || addr.IsLoopback() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return fmt.Errorf("linecard: ipoe subscriber %v: %w", addr, ErrBadAddress)
	}
	if peer[0]&1 != 0 || peer == [6]byte{} {
		return fmt.Errorf("linecard: ipoe peer %x: %w: not a unicast MAC address", peer, ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.lookup(parent)
	if err != nil {
		return err
	}
	if p.kind != Physical && p.kind != VLANSub {
		return fmt.Errorf("linecard: %q: %w: IP subscribers need a physical or VLAN interface", parent, ErrBadArgument)
	}
	key := addrKey(addr)
	t := p.ipoe.Load()
	if t != nil {
		if m := t.shards[key%ipoeShards].Load(); m != nil && (*m)[key] != nil {
			return fmt.Errorf("linecard: ip subscriber %v on %q is %q: %w", addr, parent, (*m)[key].name, ErrInterfaceExists)
		}
	}
	ifc, err := e.newIfaceLocked(name, IPoESub, p.port, 0)
	if err != nil {
		return err
	}
	// Complete before any worker can reach it (by index, e.g. a stale
	// delivery path or route): published with every field set.
	ifc.parent, ifc.peer, ifc.peerAddr = p, peer, addr
	ifc.vr.Store(p.vr.Load())
	ifc.mtu.Store(p.mtu.Load())
	e.publishIfaceLocked(ifc)
	if t == nil {
		t = &ipoeTable{}
	}
	t.set(key, ifc)
	p.ipoe.Store(t) // published last: the interface is complete
	return nil
}

// set replaces (sub != nil) or removes the subscriber at key; called with
// Engine.mu held.
func (t *ipoeTable) set(key uint32, sub *iface) {
	s := &t.shards[key%ipoeShards]
	m := map[uint32]*iface{}
	if old := s.Load(); old != nil {
		m = maps.Clone(*old)
	}
	before := len(m)
	if sub == nil {
		delete(m, key)
	} else {
		m[key] = sub
	}
	t.n += len(m) - before
	if len(m) == 0 {
		s.Store(nil)
		return
	}
	s.Store(&m)
}

// unlinkIPoELocked removes an IP subscriber interface from its parent's
// classifier (the parent's classifier goes away with its last subscriber,
// so the workers are back to one nil test), or, for an access interface,
// deletes its IP subscriber interfaces. Called with Engine.mu held.
func (e *Engine) unlinkIPoELocked(ifc *iface) {
	if ifc.kind == IPoESub {
		p := ifc.parent
		t := p.ipoe.Load()
		if t == nil {
			return
		}
		t.set(addrKey(ifc.peerAddr), nil)
		if t.n == 0 {
			p.ipoe.Store(nil)
		}
		return
	}
	t := ifc.ipoe.Load()
	if t == nil {
		return
	}
	var subs []*iface
	for i := range t.shards {
		if m := t.shards[i].Load(); m != nil {
			for _, sub := range *m {
				subs = append(subs, sub)
			}
		}
	}
	for _, sub := range subs {
		e.deleteLocked(sub)
	}
}

// ipoeInput classifies the IPv4 packet at buf[off:off+n], received on
// access interface in whose IPoE classifier is t: a packet from one of
// its IP subscribers (source address and MAC) is counted on and routed
// from the subscriber interface, anything else from in.
func (w *worker) ipoeInput(i int, in *iface, t *ipoeTable, eth header.Ethernet, buf []byte, off, n int, bcast bool, vlan uint16) {
	if n >= header.IPv4MinHeaderLen {
		p := buf[off : off+n]
		key := binary.BigEndian.Uint32(p[12:16])
		if m := t.shards[key%ipoeShards].Load(); m != nil {
			if sub := (*m)[key]; sub != nil && [6]byte(eth.Source()) == sub.peer {
				ipLen := int(binary.BigEndian.Uint16(p[2:4]))
				if ipLen > n || ipLen < header.IPv4MinHeaderLen {
					ipLen = n
				}
				c := &sub.lanes[w.lane]
				c.inPackets.Add(1)
				c.inBytes.Add(uint64(ipLen))
				if !sub.up.Load() {
					w.drop(sub, DropAdminDown)
					return
				}
				in = sub
			}
		}
	}
	w.ipv4(i, in, buf, off, n, bcast, vlan)
}

// ipoeOutput counts a packet of n IP bytes sent out of IP subscriber
// interface out (its parent counts the frame).
func (w *worker) ipoeOutput(out *iface, n int, secret bool) {
	c := &out.lanes[w.lane]
	if secret {
		c.mirrorSent.Add(1)
		c.mirrorSentB.Add(uint64(n))
		return
	}
	c.outPackets.Add(1)
	c.outBytes.Add(uint64(n))
}
