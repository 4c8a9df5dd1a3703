package linecard

import (
	"fmt"
	"net/netip"
)

// SetAnalyzer puts a port interface (physical, VLAN or PPPoE subscriber)
// into analyzer mode or takes it out (`ip analyzer` on E Series): an
// analyzer interface is send-only. Everything it receives is dropped and
// counted only in the secret AnalyzerDrops counter (not in Drops), it
// never learns or answers ARP and sends no ARP requests or gratuitous
// ARP, so its analyzer next hop needs a static ARP entry (AddStaticARP).
// Turning analyzer mode on clears the interface's dynamic ARP entries.
// Router-originated packets leaving through it (SendIPv4, SendIPv4Via,
// MirrorSender) are counted only in the secret MirrorSent counters.
//
// The mode belongs to the name: for a name that does not exist yet (the
// secure store is restored before a subinterface is configured, or a
// dynamic interface comes later) it is recorded and applied when the
// interface is created, and it survives the interface's deletion. A
// loopback cannot be an analyzer (ErrBadArgument).
func (e *Engine) SetAnalyzer(name string, on bool) error {
	if name == "" {
		return fmt.Errorf("linecard: %w: empty interface name", ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc := e.byName[name]
	if ifc != nil && ifc.port == nil && on {
		return fmt.Errorf("linecard: %q: %w: an analyzer interface needs a port", name, ErrBadArgument)
	}
	if on {
		if e.analyzers == nil {
			e.analyzers = make(map[string]bool)
		}
		e.analyzers[name] = true
	} else {
		delete(e.analyzers, name)
	}
	if ifc != nil {
		e.applyAnalyzerLocked(ifc)
	}
	return nil
}

// applyAnalyzerLocked gives ifc the analyzer mode recorded for its name.
func (e *Engine) applyAnalyzerLocked(ifc *iface) {
	on := e.analyzers[ifc.name] && ifc.port != nil
	if ifc.analyzer.Swap(on) != on && on {
		ifc.arp.Clear() // static entries stay
	}
}

// Analyzer reports whether analyzer mode is set for an interface name
// (existing or not). Like the secret counters, only mirror-enabled
// sessions may be shown the answer.
func (e *Engine) Analyzer(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.analyzers[name]
}

// MirrorSender sends mirror copies to analyzers in one virtual router
// from a transmit lane of its own: no lock per packet, and one transmit
// system call per Flush (or per Config.BatchSize copies) instead of one
// per copy. Every frame it sends, and every copy it fails to send, is
// counted only in the secret MirrorSent/MirrorSentBytes/MirrorSendErrors
// counters of the egress interface, never in OutPackets or Drops; copies
// are never mirrored again by an egress tap.
//
// A MirrorSender is not safe for concurrent use: each analyzer goroutine
// owns one. The engine reserves a few lanes; when they are all taken, a
// sender shares the control lane (under its mutex, flushing every copy).
// Close returns the lane. The sender keeps the virtual router it was made
// for; after that router is deleted it finds no routes.
type MirrorSender struct {
	e       *Engine
	vr      *vrouter
	w       *worker // own lane; nil when sharing the control lane
	pending int     // frames queued on w since the last flush
	closed  bool

	sent, errs uint64
}

// NewMirrorSender returns a sender for virtual router vr.
func (e *Engine) NewMirrorSender(vr string) (*MirrorSender, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.vrs[vr]
	if v == nil {
		return nil, fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	s := &MirrorSender{e: e, vr: v}
	if n := len(e.freeMirr); n > 0 {
		lane := e.freeMirr[n-1]
		e.freeMirr = e.freeMirr[:n-1]
		s.w = newWorker(e, lane, nil, 0, e.cfg.BatchSize)
		s.w.secret = secretAlways
	}
	return s, nil
}

// Send queues one copy: routed on its destination when nextHop is the
// zero Addr (jmirror UDP copies), else sent to the gateway nextHop
// unchanged (plain copies, as SendIPv4Via). pkt is copied; the frame
// leaves at the next Flush, or at once when the lane's batch is full. The
// error reports what Send itself could check (a malformed packet, no
// route to the destination or next hop); losses later on (no ARP entry,
// a full transmit queue) are counted in MirrorSendErrors.
func (s *MirrorSender) Send(nextHop netip.Addr, pkt []byte) error {
	if s.closed {
		return fmt.Errorf("linecard: mirror sender: %w: closed", ErrBadArgument)
	}
	if nextHop.IsValid() && !nextHop.Is4() {
		s.errs++
		return fmt.Errorf("linecard: next hop %v: %w", nextHop, ErrBadAddress)
	}
	if s.w == nil {
		e := s.e
		e.ctlMu.Lock()
		defer e.ctlMu.Unlock()
		w := e.ctl
		w.secret = secretAlways
		defer func() { w.secret = secretToAnalyzer }()
		err := w.originate(s.vr, nextHop, pkt, w.batch.Bufs[0])
		w.flush()
		s.count(err)
		return err
	}
	w := s.w
	// Keep room for a fragmented copy: at most 8 fragments per packet.
	if s.pending == len(w.batch.Bufs) || w.fragUsed+8 > len(w.frags) {
		s.Flush()
	}
	err := w.originate(s.vr, nextHop, pkt, w.batch.Bufs[s.pending])
	if err == nil {
		s.pending++
	}
	s.count(err)
	return err
}

func (s *MirrorSender) count(err error) {
	if err != nil {
		s.errs++
	} else {
		s.sent++
	}
}

// Flush transmits the queued copies.
func (s *MirrorSender) Flush() {
	if s.w == nil || s.pending == 0 && s.w.fragUsed == 0 {
		return
	}
	s.w.flush()
	s.pending = 0
}

// Stats returns how many copies Send accepted and refused.
func (s *MirrorSender) Stats() (accepted, refused uint64) { return s.sent, s.errs }

// Close flushes and releases the sender's lane. The sender must not be
// used afterwards.
func (s *MirrorSender) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.w == nil {
		return
	}
	s.Flush()
	e := s.e
	e.mu.Lock()
	e.freeMirr = append(e.freeMirr, s.w.lane)
	e.mu.Unlock()
	s.w = nil
}
