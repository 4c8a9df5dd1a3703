package linecard

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
)

// Direction says which way a mirrored packet was travelling.
type Direction uint8

// Mirror directions.
const (
	Ingress Direction = iota // received on the interface
	Egress                   // sent out of the interface
)

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Tap is what the mirror engine attaches to an interface direction (an
// interface, or a subscriber session's dynamic interface) with
// Engine.SetTap. While it is attached, the worker that sees an IPv4
// packet pass that point builds the copy with the Delivery's encoder and
// transmits it toward the analyzer in the same transmit call as the
// forwarded frames. The original packet never waits and is never changed.
type Tap struct {
	Delivery  *Delivery
	MirrorID  uint32 // handed to the encoder with every copy
	SessionID uint32 // handed to the encoder with every copy
}

// CopyEncoder builds the packet that carries one mirrored IPv4 packet to
// an analyzer (jmirror: the 36-byte IPv4/UDP/mirror-header prepend; plain:
// the packet unchanged; ERSPAN or ETSI TS 102 232 could be others). The
// result is an IPv4 packet, sent unchanged to the Delivery's next hop.
//
// Encode runs on the data-plane workers, several at once: it must be safe
// for concurrent use, must not block and must not allocate (errors
// included: return preallocated ones). lane is the calling lane (a
// worker, or the control or ARP lane), 0 ≤ lane < the engine's lane
// count: calls with the same lane never overlap, so an encoder may keep
// per-lane state (an IPv4 ID counter) without atomics or shared cache
// lines. It writes into buf and returns the length; an error drops the
// copy (counted in MirrorDrops).
type CopyEncoder interface {
	Encode(buf []byte, lane int, mirrorID, sessionID uint32, pkt []byte) (int, error)
}

// Delivery is one analyzer as the data plane sees it: the encoder that
// builds the copies and the resolved path they take (virtual router,
// egress interface, next hop). Taps of any number of interfaces share it.
// The path is resolved when SetNextHop is called (the mirror engine calls
// it whenever routes, addresses or interfaces change); the next hop's ARP
// entry is looked up per copy, so ARP changes apply at once. An analyzer
// interface never sends ARP requests: its next hop needs a static entry,
// otherwise copies are counted as MirrorSendErrors.
type Delivery struct {
	e     *Engine
	vr    string
	enc   CopyEncoder
	path  atomic.Pointer[deliveryPath] // nil: unresolved, copies dropped
	lanes []deliveryLane
}

// deliveryPath is a resolved next hop.
type deliveryPath struct {
	vr  *vrouter
	via fib.Route // IfIndex: egress; Gateway: the next hop
}

// deliveryLane is one lane's share of a Delivery's counters. Each lane has
// one writer (a worker, or the control lane under its mutex), so the
// counters are written without read-modify-write atomics.
type deliveryLane struct {
	copied, dropped, sent, sentBytes, sendErrors atomic.Uint64
	_                                            [24]byte // a cache line per lane
}

func (l *deliveryLane) inc(c *atomic.Uint64, n uint64) { c.Store(c.Load() + n) }

// DeliveryStats are a Delivery's counters (secret, like MirrorCopies).
type DeliveryStats struct {
	// Copied counts copies built and handed to the transmit path; Dropped
	// copies that could not be built (no resolved next hop, the worker's
	// copy buffers for this batch used up, the encoder refused).
	Copied, Dropped uint64
	// Sent and SentBytes count frames queued for transmission toward the
	// analyzer (a fragmented copy is several frames); SendErrors copies
	// lost on the way (no ARP entry for the next hop, egress down, could
	// not fragment). Frames a full transmit ring refuses are counted in
	// the egress interface's MirrorSendErrors only.
	Sent, SentBytes, SendErrors uint64
}

// NewDelivery returns an unresolved delivery in virtual router vr whose
// copies enc builds. Call SetNextHop before attaching taps.
func (e *Engine) NewDelivery(vr string, enc CopyEncoder) (*Delivery, error) {
	if enc == nil {
		return nil, fmt.Errorf("linecard: %w: delivery without encoder", ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.vrs[vr] == nil {
		return nil, fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	return &Delivery{e: e, vr: vr, enc: enc, lanes: make([]deliveryLane, e.lanes)}, nil
}

// SetNextHop resolves the path of the copies: to the gateway nextHop (the
// analyzer itself when directly connected), out of the interface the FIB
// gives for it — through the next hop's own route's gateway when it is not
// directly connected. An invalid nextHop unresolves the delivery. On error
// (ErrNoRoute, ErrBadAddress, ErrNoSuchVirtualRouter) the delivery is
// unresolved too and its copies are dropped until the next successful call.
func (d *Delivery) SetNextHop(nextHop netip.Addr) error {
	if !nextHop.IsValid() {
		d.path.Store(nil)
		return nil
	}
	d.e.mu.Lock()
	v := d.e.vrs[d.vr]
	d.e.mu.Unlock()
	var err error
	var via fib.Route
	switch {
	case v == nil:
		err = fmt.Errorf("linecard: virtual router %q: %w", d.vr, ErrNoSuchVirtualRouter)
	case !nextHop.Is4():
		err = fmt.Errorf("linecard: next hop %v: %w", nextHop, ErrBadAddress)
	default:
		via, err = resolveVia(v, nextHop)
	}
	if err != nil {
		d.path.Store(nil)
		return err
	}
	d.path.Store(&deliveryPath{vr: v, via: via})
	return nil
}

// resolveVia returns the route that reaches gateway nextHop in v.
func resolveVia(v *vrouter, nextHop netip.Addr) (fib.Route, error) {
	nh4 := nextHop.As4()
	r := v.fib.Lookup(binary.BigEndian.Uint32(nh4[:]))
	if r == nil || r.Type == fib.Local {
		return fib.Route{}, fmt.Errorf("linecard: next hop %v: %w", nextHop, ErrNoRoute)
	}
	via := fib.Route{IfIndex: r.IfIndex, Gateway: nextHop}
	if r.Gateway.IsValid() { // not directly connected: through the next hop's own gateway
		via.Gateway = r.Gateway
		if via.IfIndex == 0 {
			g := r.Gateway.As4()
			r2 := v.fib.Lookup(binary.BigEndian.Uint32(g[:]))
			if r2 == nil || r2.Type == fib.Local || r2.IfIndex == 0 {
				return fib.Route{}, fmt.Errorf("linecard: next hop %v: %w", nextHop, ErrNoRoute)
			}
			via.IfIndex = r2.IfIndex
		}
	}
	if via.IfIndex == 0 {
		return fib.Route{}, fmt.Errorf("linecard: next hop %v: %w", nextHop, ErrNoRoute)
	}
	return via, nil
}

// Stats returns the delivery's counters, summed over lanes.
func (d *Delivery) Stats() DeliveryStats {
	var s DeliveryStats
	for i := range d.lanes {
		l := &d.lanes[i]
		s.Copied += l.copied.Load()
		s.Dropped += l.dropped.Load()
		s.Sent += l.sent.Load()
		s.SentBytes += l.sentBytes.Load()
		s.SendErrors += l.sendErrors.Load()
	}
	return s
}

// copyPoolSize is the number of buffers a worker has for the mirror
// copies of one batch (encoded copies and their fragments: a 1500-byte
// jmirror copy takes three); they are reused after every flush.
func copyPoolSize(batch int) int { return max(4*batch, 16) }

// mirror builds the copy of pkt (seen on ifc, in the direction t is
// attached to) for tap t and queues it for transmission toward the
// analyzer. It never touches pkt and never waits: when the copy cannot be
// made it is dropped and counted in ifc's MirrorDrops.
func (w *worker) mirror(ifc *iface, t *Tap, pkt []byte) {
	c := &ifc.lanes[w.lane]
	d := t.Delivery
	dl := &d.lanes[w.lane]
	path := d.path.Load()
	if path == nil || w.copyUsed >= len(w.copyBufs) {
		c.mirrorDrops.Add(1)
		dl.inc(&dl.dropped, 1)
		return
	}
	buf := w.copyBufs[w.copyUsed]
	off := port.Headroom + maxL2
	n, err := d.enc.Encode(buf[off:], w.lane, t.MirrorID, t.SessionID, pkt)
	if err != nil || n < 20 {
		c.mirrorDrops.Add(1)
		dl.inc(&dl.dropped, 1)
		return
	}
	w.copyUsed++
	c.mirrorCopies.Add(1)
	dl.inc(&dl.copied, 1)
	// Send as a mirror copy: secret counters, never mirrored again, never
	// waiting for ARP; fragments come from the copy buffers, never from
	// the forwarded packets' fragment buffers.
	secret, frags, fragUsed := w.secret, w.frags, w.fragUsed
	w.secret, w.frags, w.fragUsed, w.dlane = secretAlways, w.copyBufs, w.copyUsed, dl
	out := w.e.ifaceByIndex(path.via.IfIndex)
	if out == nil || !out.canSend() {
		dl.inc(&dl.sendErrors, 1)
	} else {
		w.send(0, nil, path.vr, &path.via, buf, off, n, 0, false)
	}
	w.copyUsed = w.fragUsed
	w.secret, w.frags, w.fragUsed, w.dlane = secret, frags, fragUsed, nil
}

// canSend reports whether frames can leave through ifc: it has a port and
// it, its port and its parent are up.
func (ifc *iface) canSend() bool {
	return ifc.port != nil && ifc.up.Load() && ifc.port.phys.up.Load() && (ifc.parent == nil || ifc.parent.up.Load())
}
