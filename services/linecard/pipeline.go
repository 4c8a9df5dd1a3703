package linecard

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/services/linecard/arp"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
)

// taggedLen is the length of an 802.1Q-tagged Ethernet header.
const taggedLen = header.EthernetHeaderLen + header.VLANTagLen

// maxL2 is the largest link header the pipeline writes: Ethernet, an
// 802.1Q tag and, for a PPPoE subscriber interface, the PPPoE header and
// the PPP protocol field.
const maxL2 = taggedLen + pppoeEncapLen

// worker forwards the frames of one receive queue of one port. Every
// worker owns a counter lane and a transmit lane. Two more workers
// without a port serve slow paths: the control lane (under Engine.ctlMu)
// and the ARP lane (under Engine.arpMu). Lock order: ctlMu, then an ARP
// table's mutex, then arpMu.
type worker struct {
	e        *Engine
	lane     int
	ps       *portState
	q        int
	batch    *port.Batch
	scratch  [][]byte      // one output buffer per batch slot for generated packets
	frags    [][]byte      // fragment buffers, reused every batch
	fragUsed int           // fragment buffers used in this batch
	tx       [][][]byte    // pending frames per port index
	copyTx   [][][]byte    // pending mirror copies per port index, sent after tx
	copyBufs [][]byte      // buffers for mirror copies and their fragments, reused every batch
	copyUsed int           // copy buffers used in this batch
	dlane    *deliveryLane // while sending a mirror copy: its delivery's counters
	punted   Punt          // the Punt handed to the control plane
	secret   secretMode    // how output is counted (mirror copies are secret)
}

// secretMode says which frames a worker counts in the secret analyzer
// counters (MirrorSent, MirrorSendErrors) instead of OutPackets/Drops.
type secretMode uint8

const (
	secretNever      secretMode = iota // forwarding workers: everything is ordinary traffic
	secretToAnalyzer                   // control lane: router-originated packets out of an analyzer interface
	secretAlways                       // mirror lanes: every frame is a mirror copy
)

// secretFor reports whether output on ifc is a secret mirror copy.
func (w *worker) secretFor(ifc *iface) bool {
	return w.secret == secretAlways || w.secret == secretToAnalyzer && ifc.analyzer.Load()
}

func newWorker(e *Engine, lane int, ps *portState, q, batchSize int) *worker {
	w := &worker{e: e, lane: lane, ps: ps, q: q, batch: port.NewBatch(batchSize, port.DefaultBufSize)}
	sb := port.NewBatch(batchSize, port.DefaultBufSize)
	w.scratch = sb.Bufs
	w.frags = port.NewBatch(batchSize+8, port.DefaultBufSize).Bufs
	w.copyBufs = port.NewBatch(copyPoolSize(batchSize), port.DefaultBufSize).Bufs
	w.tx = make([][][]byte, len(e.ports))
	w.copyTx = make([][][]byte, len(e.ports))
	for i := range w.tx {
		// every input + fragments, then the copies (which flush appends)
		w.tx[i] = make([][]byte, 0, 2*batchSize+16+len(w.copyBufs)+len(w.frags))
		w.copyTx[i] = make([][]byte, 0, len(w.copyBufs)+len(w.frags))
	}
	return w
}

// Start starts one worker per receive queue of every port and the timer
// goroutine. Configuration may happen before or after Start.
func (e *Engine) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		return ErrRunning
	}
	e.running = true
	e.stop.Store(false)
	e.done = make(chan struct{})
	lane := 0
	for _, ps := range e.ports {
		for q := 0; q < ps.p.Queues(); q++ {
			w := newWorker(e, lane, ps, q, e.cfg.BatchSize)
			lane++
			e.wg.Add(1)
			go w.run()
		}
	}
	e.wg.Add(1)
	go e.runTimers()
	return nil
}

// Stop stops the workers and timers and waits for them to exit. Ports
// stay open.
func (e *Engine) Stop() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return
	}
	e.running = false
	e.stop.Store(true)
	close(e.done)
	e.mu.Unlock()
	e.wg.Wait()
}

func (e *Engine) runTimers() {
	defer e.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-e.done:
			return
		case <-t.C:
			e.tickTimers()
			if tick%linkPollTicks == 0 {
				e.pollLinks()
			}
		}
	}
}

// tickTimers runs the ARP timers of every interface that resolves
// neighbours (Engine.timed): subscriber interfaces, tens of thousands of
// them, are not walked at all.
func (e *Engine) tickTimers() {
	now := e.now()
	p := e.timed.Load()
	if p == nil {
		return
	}
	for _, ifc := range *p {
		if n := ifc.arp.Tick(now); n > 0 {
			ifc.lanes[e.arpw.lane].drops[DropARPTimeout].Add(uint64(n))
		}
	}
}

func (w *worker) run() {
	defer w.e.wg.Done()
	if cpus, nice := w.e.cfg.WorkerCPUs, w.e.cfg.WorkerNice; len(cpus) > 0 || nice != 0 {
		runtime.LockOSThread() // never unlocked: the tuned thread exits with the worker
		if len(cpus) > 0 {
			_ = pinThread(cpus[w.lane%len(cpus)]) // best effort: a missing CPU leaves the thread unpinned
		}
		if nice != 0 {
			_ = niceThread(nice) // best effort, like pinning
		}
	}
	for !w.e.stop.Load() {
		n, err := w.ps.p.Receive(w.q, w.batch)
		if err != nil {
			return
		}
		w.process(n)
	}
}

// process forwards the first n frames of the batch and transmits the result.
func (w *worker) process(n int) {
	for i := 0; i < n; i++ {
		w.frame(i)
	}
	w.flush()
}

// flush transmits the batch's frames, one transmit call per port: the
// forwarded frames first, then the mirror copies, so that a full transmit
// ring refuses copies (counted in the secret MirrorSendErrors) before it
// refuses any original (DropTxError). Ports that carry only copies (a
// dedicated analyzer port) go after every port with originals, whatever
// the port order; a port carrying both sends its copies right after its
// own originals, in the same call.
func (w *worker) flush() {
	w.fragUsed = 0
	w.copyUsed = 0
	for pi, frames := range w.tx {
		if len(frames) > 0 {
			w.transmit(pi)
		}
	}
	for pi, copies := range w.copyTx {
		if len(copies) > 0 {
			w.transmit(pi)
		}
	}
}

// transmit sends port pi's originals and then its copies in one call and
// empties both.
func (w *worker) transmit(pi int) {
	frames, copies := w.tx[pi], w.copyTx[pi]
	frames = append(frames, copies...) // within capacity: no allocation
	ps := w.e.ports[pi]
	sent, err := ps.p.Transmit(w.lane, frames)
	if err != nil || sent < len(frames) {
		c := &ps.phys.lanes[w.lane]
		lost := len(frames) - max(sent, 0)
		lostCopies := min(lost, len(copies))
		c.mirrorSendErrors.Add(uint64(lostCopies))
		if lost > lostCopies {
			c.drops[DropTxError].Add(uint64(lost - lostCopies))
		}
	}
	w.tx[pi] = frames[:0]
	w.copyTx[pi] = copies[:0]
}

// drop counts a drop on ifc (nil for packets the router originated). A
// mirror copy that cannot be sent counts as a secret MirrorSendError.
func (w *worker) drop(ifc *iface, r DropReason) {
	if ifc == nil {
		return
	}
	if w.secret != secretNever && w.secretFor(ifc) {
		ifc.lanes[w.lane].mirrorSendErrors.Add(1)
		if dl := w.dlane; dl != nil {
			dl.inc(&dl.sendErrors, 1)
		}
		return
	}
	ifc.lanes[w.lane].drops[r].Add(1)
}

// frame runs the pipeline for batch slot i.
func (w *worker) frame(i int) {
	ps := w.ps
	buf := w.batch.Bufs[i]
	f := w.batch.Frames[i]
	in := ps.phys
	if len(f) < header.EthernetHeaderLen {
		w.drop(in, DropRunt)
		return
	}
	eth := header.Ethernet(f)
	et := eth.EtherType()
	off := port.Headroom + header.EthernetHeaderLen // L3 offset in buf
	var vlan uint16
	if et == header.EtherTypeVLAN {
		if len(f) < taggedLen {
			w.drop(in, DropRunt)
			return
		}
		tag := header.VLAN(f[header.EthernetHeaderLen:])
		vlan = tag.ID()
		et = tag.EncapsulatedType()
		off += header.VLANTagLen
		if vlan != 0 { // VLAN ID 0: priority-tagged, belongs to the port itself
			in = ps.vlans[vlan].Load()
		}
		if in == nil {
			w.drop(ps.phys, DropUnknownVLAN)
			return
		}
	}
	lanec := &in.lanes[w.lane]
	lanec.inPackets.Add(1)
	lanec.inBytes.Add(uint64(len(f)))
	if in.analyzer.Load() || ps.phys.analyzer.Load() { // send-only: no ARP, no punts, nothing forwarded
		lanec.analyzerDrops.Add(1)
		return
	}
	if !in.up.Load() || !ps.phys.up.Load() {
		w.drop(in, DropAdminDown)
		return
	}
	l3len := port.Headroom + len(f) - off
	if w.batch.Lens[i] > len(f) || l3len > int(in.mtu.Load()) && l3len > header.EthernetMinFrame {
		w.drop(in, DropGiant)
		return
	}
	dst := eth.Destination()
	bcast := dst[0]&1 != 0
	if bcast {
		if [6]byte(dst) == header.Broadcast && !w.allow(&in.bcastTAT, w.e.cfg.BroadcastRate, w.e.cfg.BroadcastBurst) {
			w.drop(in, DropBroadcastStorm)
			return
		}
	} else if [6]byte(dst) != in.mac {
		w.drop(in, DropNotForUs)
		return
	}
	switch et {
	case header.EtherTypeIPv4:
		if t := in.ipoe.Load(); t != nil { // IP subscribers on this interface (ipoe.go)
			w.ipoeInput(i, in, t, eth, buf, off, l3len, bcast, vlan)
		} else {
			w.ipv4(i, in, buf, off, l3len, bcast, vlan)
		}
	case header.EtherTypeARP:
		w.arpInput(i, in, buf, off, l3len)
	case header.EtherTypePPPoEDiscovery:
		w.punt(in, vlan, PuntPPPoEDiscovery, buf, off, off+l3len)
	case header.EtherTypePPPoESession:
		if w.pppoeSession(i, in, eth, buf, off, l3len, vlan) {
			return
		}
		w.punt(in, vlan, PuntPPPoESession, buf, off, off+l3len)
	default:
		w.drop(in, DropUnknownEtherType)
	}
}

// punt hands the frame whose L3 starts at off to the control plane,
// with any VLAN tag removed.
func (w *worker) punt(in *iface, vlan uint16, r PuntReason, buf []byte, off, end int) {
	if in.kind == IPoESub { // DHCP renewals and the like: the access interface's business
		in = in.parent
	}
	cpp := w.e.control.Load()
	if cpp == nil || in.kind == PPPoESub { // nothing is punted from inside a PPPoE session
		w.drop(in, DropUnhandled)
		return
	}
	cp := *cpp
	start := off - header.EthernetHeaderLen
	if start > port.Headroom { // tagged: move the MAC addresses over the tag
		copy(buf[start:start+12], buf[start-header.VLANTagLen:start-header.VLANTagLen+12])
	}
	binary.BigEndian.PutUint16(buf[start+12:], etherTypeOf(r))
	p := &w.punted // reused: handing the control plane a fresh Punt would allocate
	*p = Punt{Interface: in.name, IfIndex: in.index, VLAN: vlan, Reason: r, Frame: buf[start:end]}
	in.lanes[w.lane].punted.Add(1)
	cp.HandlePunt(p)
	p.Frame = nil
}

func etherTypeOf(r PuntReason) uint16 {
	switch r {
	case PuntPPPoEDiscovery:
		return header.EtherTypePPPoEDiscovery
	case PuntPPPoESession:
		return header.EtherTypePPPoESession
	}
	return header.EtherTypeIPv4
}

// allow is a lock-free token bucket (GCRA) allowing rate events per
// second with the given burst.
func (w *worker) allow(tat *atomic.Int64, rate, burst int) bool {
	now := w.e.now().UnixNano()
	interval := int64(time.Second) / int64(rate)
	for {
		old := tat.Load()
		t := old
		if t < now {
			t = now
		}
		if t-now > interval*int64(burst-1) {
			return false
		}
		if tat.CompareAndSwap(old, t+interval) {
			return true
		}
	}
}

// ipv4 handles an IPv4 packet at buf[off:off+n] received on in.
func (w *worker) ipv4(i int, in *iface, buf []byte, off, n int, l2bcast bool, vlan uint16) {
	p := header.IPv4(buf[off : off+n])
	if err := p.Validate(); err != nil {
		switch err {
		case header.ErrTruncated:
			w.drop(in, DropRunt)
		case header.ErrIPv4Version:
			w.drop(in, DropBadVersion)
		case header.ErrIPv4IHL:
			w.drop(in, DropBadIHL)
		case header.ErrIPv4Length:
			w.drop(in, DropBadLength)
		default:
			w.drop(in, DropBadChecksum)
		}
		return
	}
	n = int(p.TotalLength()) // strip Ethernet padding
	p = p[:n]
	if t := in.tap[Ingress].Load(); t != nil {
		w.mirror(in, t, p)
	}
	dst := p.DestinationUint32()
	src := binary.BigEndian.Uint32(p[12:16])
	if dst == 0xffffffff || l2bcast && dst>>28 != 0xe {
		w.punt(in, vlan, PuntBroadcast, buf, off, off+n)
		return
	}
	if dst>>28 == 0xe {
		w.drop(in, DropMulticast)
		return
	}
	if src>>24 == 127 || src>>24 == 0 || src>>28 >= 0xe || dst>>24 == 127 || dst>>24 == 0 {
		w.drop(in, DropMartian)
		return
	}
	vr := in.vr.Load()
	r := vr.fib.Lookup(dst)
	if r == nil {
		w.icmpError(i, in, p, header.ICMPv4DestUnreachable, header.ICMPv4NetUnreachable, 0)
		w.drop(in, DropNoRoute)
		return
	}
	if r.Type == fib.Local {
		w.local(i, in, buf, off, p, vlan)
		return
	}
	if p.TTL() <= 1 {
		w.icmpError(i, in, p, header.ICMPv4TimeExceeded, header.ICMPv4TTLExceeded, 0)
		w.drop(in, DropTTLExpired)
		return
	}
	w.send(i, in, vr, r, buf, off, n, dst, true)
}

// local delivers a packet addressed to the router: ICMP echo is answered
// here, everything else goes to the control plane.
func (w *worker) local(i int, in *iface, buf []byte, off int, p header.IPv4, vlan uint16) {
	if p.Protocol() == header.ProtocolICMP && p.FragmentOffset() == 0 && p.Flags()&header.IPv4FlagMF == 0 {
		m := header.ICMPv4(p.Payload())
		if len(m) >= header.ICMPv4HeaderLen && m.Type() == header.ICMPv4EchoRequest && m.Valid() {
			w.echoReply(i, in, buf, off, p, m)
			return
		}
	}
	w.punt(in, vlan, PuntLocal, buf, off, off+len(p))
}

// echoReply turns the echo request p in place into its reply and routes it.
func (w *worker) echoReply(i int, in *iface, buf []byte, off int, p header.IPv4, m header.ICMPv4) {
	var s, d [4]byte
	copy(s[:], p[12:16])
	copy(d[:], p[16:20])
	copy(p[12:16], d[:])
	copy(p[16:20], s[:])
	p[8] = 64
	p.SetChecksum(0)
	p.SetChecksum(p.CalculateChecksum())
	m.SetType(header.ICMPv4EchoReply)
	m.SetChecksum(header.ChecksumUpdate(m.Checksum(), header.ICMPv4EchoRequest<<8, header.ICMPv4EchoReply<<8))
	in.lanes[w.lane].icmpSent.Add(1)
	vr := in.vr.Load()
	dst := binary.BigEndian.Uint32(s[:])
	r := vr.fib.Lookup(dst)
	if r == nil {
		w.drop(in, DropNoRoute)
		return
	}
	w.send(i, in, vr, r, buf, off, len(p), dst, false)
}

// send transmits the IPv4 packet buf[off:off+n] for destination dst along
// route r. forwarded packets get the MTU/DF treatment with ICMP errors
// and their TTL decremented; generated packets do not.
func (w *worker) send(i int, in *iface, vr *vrouter, r *fib.Route, buf []byte, off, n int, dst uint32, forwarded bool) {
	nh := dst
	outIdx := r.IfIndex
	if r.Gateway.IsValid() {
		g := r.Gateway.As4()
		nh = binary.BigEndian.Uint32(g[:])
		if outIdx == 0 {
			r2 := vr.fib.Lookup(nh)
			if r2 == nil || r2.IfIndex == 0 || r2.Type == fib.Local {
				w.unreachable(i, in, buf, off, n, forwarded)
				return
			}
			outIdx = r2.IfIndex
		}
	}
	out := w.e.ifaceByIndex(outIdx)
	if out == nil || !out.canSend() {
		w.unreachable(i, in, buf, off, n, forwarded)
		return
	}
	p := header.IPv4(buf[off : off+n])
	if mtu := int(out.mtu.Load()); n > mtu {
		if forwarded && p.Flags()&header.IPv4FlagDF != 0 {
			w.icmpError(i, in, p, header.ICMPv4DestUnreachable, header.ICMPv4FragmentationNeeded, uint16(mtu))
			w.drop(in, DropFragmentationNeeded)
			return
		}
		if forwarded {
			p.DecrementTTL()
		}
		w.fragment(out, nh, p, mtu)
		return
	}
	if forwarded {
		p.DecrementTTL()
	}
	w.resolveAndEmit(out, nh, buf, off, n)
}

// resolveAndEmit finds the MAC address of next hop nh on out and emits
// the packet at buf[off:off+n], or queues it while ARP resolves.
func (w *worker) resolveAndEmit(out *iface, nh uint32, buf []byte, off, n int) {
	if out.kind == PPPoESub || out.kind == IPoESub { // the subscriber's MAC is known
		w.emit(out, out.peer, buf, off, n)
		return
	}
	mac, ok := out.arp.Lookup(nh)
	if !ok && (out.analyzer.Load() || w.secret == secretAlways) {
		// Analyzer ports use static ARP only: never ask. Mirror copies never
		// wait for ARP either: queued, they would leave later on the control
		// lane and be counted as ordinary output.
		w.drop(out, DropARPTimeout)
		return
	}
	if !ok {
		var res arp.Result
		mac, res = out.arp.Resolve(nh, buf[off:off+n], w.e.now())
		switch res {
		case arp.Queued:
			return
		case arp.Dropped:
			w.drop(out, DropARPQueueFull)
			return
		}
	}
	w.emit(out, mac, buf, off, n)
}

func (w *worker) unreachable(i int, in *iface, buf []byte, off, n int, forwarded bool) {
	if forwarded {
		w.icmpError(i, in, header.IPv4(buf[off:off+n]), header.ICMPv4DestUnreachable, header.ICMPv4HostUnreachable, 0)
	}
	w.drop(in, DropNoRoute)
}

// emit writes the link header for out in front of buf[off:off+n] (which
// must have maxL2 bytes of room before off), mirrors, counts and queues
// the frame for transmission.
func (w *worker) emit(out *iface, mac [6]byte, buf []byte, off, n int) {
	secret := w.secret != secretNever && w.secretFor(out)
	if t := out.tap[Egress].Load(); t != nil && !secret { // never mirror a mirror copy
		w.mirror(out, t, buf[off:off+n])
	}
	l2, et, l3 := out, uint16(header.EtherTypeIPv4), off
	if out.kind == PPPoESub {
		l3 = off - pppoeEncapLen
		putPPPoESession(buf[l3:off], out.sid, n)
		l2, et = out.parent, header.EtherTypePPPoESession
		c := &out.lanes[w.lane] // the session counts IP bytes, its parent frames
		if secret {
			c.mirrorSent.Add(1)
			c.mirrorSentB.Add(uint64(n))
		} else {
			c.outPackets.Add(1)
			c.outBytes.Add(uint64(n))
		}
	} else if out.kind == IPoESub {
		l2 = out.parent
		w.ipoeOutput(out, n, secret)
	}
	start := l3 - header.EthernetHeaderLen
	if l2.kind == VLANSub {
		start -= header.VLANTagLen
		binary.BigEndian.PutUint16(buf[start+12:], header.EtherTypeVLAN)
		binary.BigEndian.PutUint16(buf[start+14:], l2.vlan)
	}
	copy(buf[start:start+6], mac[:])
	copy(buf[start+6:start+12], l2.mac[:])
	binary.BigEndian.PutUint16(buf[l3-2:], et)
	end := off + n
	if end-start < header.EthernetMinFrame && start+header.EthernetMinFrame <= len(buf) {
		clear(buf[end : start+header.EthernetMinFrame])
		end = start + header.EthernetMinFrame
	}
	c := &l2.lanes[w.lane]
	pi := out.port.idx
	if secret {
		c.mirrorSent.Add(1)
		c.mirrorSentB.Add(uint64(end - start))
		if dl := w.dlane; dl != nil {
			dl.inc(&dl.sent, 1)
			dl.inc(&dl.sentBytes, uint64(end-start))
		}
		w.copyTx[pi] = append(w.copyTx[pi], buf[start:end])
		return
	}
	c.outPackets.Add(1)
	c.outBytes.Add(uint64(end - start))
	w.tx[pi] = append(w.tx[pi], buf[start:end])
}

// icmpError sends an ICMP error about packet p (received on in) from in's
// first address, if RFC 1812 allows one and the rate limit has room. It
// builds the error in the worker's scratch buffer for slot i.
func (w *worker) icmpError(i int, in *iface, p header.IPv4, typ, code uint8, mtu uint16) {
	addrs := *in.addrs.Load()
	if len(addrs) == 0 && in.parent != nil { // unnumbered subscriber interface
		addrs = *in.parent.addrs.Load()
	}
	if len(addrs) == 0 || p.FragmentOffset() != 0 {
		return
	}
	src := binary.BigEndian.Uint32(p[12:16])
	if src == 0 || src>>28 >= 0xe || src>>24 == 127 {
		return
	}
	hl := p.HeaderLength()
	if p.Protocol() == header.ProtocolICMP && len(p) > hl {
		switch p[hl] { // never answer an ICMP error with an error
		case header.ICMPv4DestUnreachable, header.ICMPv4TimeExceeded, 5, 4, 12:
			return
		}
	}
	if !w.allow(&in.icmpTAT, w.e.cfg.ICMPRate, w.e.cfg.ICMPBurst) {
		in.lanes[w.lane].icmpLimited.Add(1)
		return
	}
	quote := hl + 8
	if quote > len(p) {
		quote = len(p)
	}
	buf := w.scratch[i]
	off := port.Headroom + maxL2
	total := header.IPv4MinHeaderLen + header.ICMPv4HeaderLen + quote
	ipf := header.IPv4Fields{TotalLength: uint16(total), TTL: 64, Protocol: header.ProtocolICMP,
		Source: addrs[0].Addr(), Destination: p.Source()}
	ipf.Marshal(buf[off:])
	m := header.ICMPv4(buf[off+header.IPv4MinHeaderLen : off+total])
	m.SetType(typ)
	m.SetCode(code)
	m.SetRestOfHeader(0, mtu)
	copy(m[header.ICMPv4HeaderLen:], p[:quote])
	m.SetChecksum(0)
	m.SetChecksum(m.CalculateChecksum())
	in.lanes[w.lane].icmpSent.Add(1)
	vr := in.vr.Load()
	r := vr.fib.Lookup(src)
	if r == nil || r.Type == fib.Local {
		return
	}
	w.send(i, in, vr, r, buf, off, total, src, false)
}

// arpInput handles an ARP packet at buf[off:off+n] received on in.
func (w *worker) arpInput(i int, in *iface, buf []byte, off, n int) {
	a := header.ARP(buf[off : off+n])
	if a.Validate() != nil {
		w.drop(in, DropMalformedARP)
		return
	}
	spa, tpa := a.SenderProtocolAddress(), a.TargetProtocolAddress()
	sha := [6]byte(a.SenderHardwareAddress())
	if !spa.IsValid() || spa.IsUnspecified() || sha[0]&1 != 0 {
		in.arp.Input(spa, sha, false, w.e.now()) // harmless for probes; keeps RFC 5227 probes out
		return
	}
	ours := false
	for _, pfx := range *in.addrs.Load() {
		if pfx.Addr() == tpa {
			ours = true
			break
		}
	}
	if spa == tpa || !ours {
		in.arp.Input(spa, sha, false, w.e.now()) // gratuitous or for someone else: refresh only
		return
	}
	in.arp.Input(spa, sha, true, w.e.now())
	if a.Operation() != header.ARPRequest {
		return
	}
	rep := header.ARPFields{Operation: header.ARPReply, SenderHardware: in.mac, SenderProtocol: tpa,
		TargetHardware: sha, TargetProtocol: spa}
	rep.Marshal(buf[off:])
	w.emitARP(in, sha, buf, off)
}

// emitARP frames the ARP packet at buf[off:off+28] for in and queues it.
func (w *worker) emitARP(out *iface, dst [6]byte, buf []byte, off int) {
	start := off - header.EthernetHeaderLen
	if out.kind == VLANSub {
		start -= header.VLANTagLen
		binary.BigEndian.PutUint16(buf[start+12:], header.EtherTypeVLAN)
		binary.BigEndian.PutUint16(buf[start+14:], out.vlan)
	}
	copy(buf[start:start+6], dst[:])
	copy(buf[start+6:start+12], out.mac[:])
	binary.BigEndian.PutUint16(buf[off-2:], header.EtherTypeARP)
	end := off + header.ARPEthernetIPv4Len
	if end-start < header.EthernetMinFrame {
		clear(buf[end : start+header.EthernetMinFrame])
		end = start + header.EthernetMinFrame
	}
	c := &out.lanes[w.lane]
	c.outPackets.Add(1)
	c.outBytes.Add(uint64(end - start))
	w.tx[out.port.idx] = append(w.tx[out.port.idx], buf[start:end])
}
