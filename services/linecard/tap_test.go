package linecard

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// plainEncoder delivers the mirrored packet unchanged (plain mirroring).
type plainEncoder struct{}

func (plainEncoder) Encode(buf []byte, _ int, _, _ uint32, pkt []byte) (int, error) {
	if len(buf) < len(pkt) {
		return 0, jmirror.ErrShort
	}
	return copy(buf, pkt), nil
}

// newDelivery returns a delivery in the default VR resolved to next hop nh.
func newDelivery(t testing.TB, e *Engine, enc CopyEncoder, nh string) *Delivery {
	t.Helper()
	d, err := e.NewDelivery(DefaultVirtualRouter, enc)
	must(t, err)
	must(t, d.SetNextHop(netip.MustParseAddr(nh)))
	return d
}

// newJMirrorDelivery returns a jmirror delivery (port 30030) from src to
// the directly connected analyzer ana.
func newJMirrorDelivery(t testing.TB, e *Engine, src, ana string) *Delivery {
	return newDelivery(t, e, jmirror.NewEncoder(netip.MustParseAddr(src), netip.MustParseAddr(ana), 30030), ana)
}

var (
	macR2 = [6]byte{2, 0xee, 0, 0, 0, 0x12}
	macH2 = [6]byte{2, 0xcc, 0, 0, 0, 9}
)

// analyzerLab is newLab plus ge-2, an analyzer port (192.0.2.1/24) with
// the analyzer 192.0.2.9 (static ARP) behind it on host port h2.
type analyzerLab struct {
	*lab
	h2 *memport.Port
}

func newAnalyzerLab(t testing.TB, wrap func(port.Port) port.Port) *analyzerLab {
	t.Helper()
	r0, h0 := memport.Pair("r0", macR0, "h0", macH0)
	r1, h1 := memport.Pair("r1", macR1, "h1", macH1)
	r2, h2 := memport.Pair("r2", macR2, "h2", macH2)
	var p1 port.Port = r1
	if wrap != nil {
		p1 = wrap(r1)
	}
	cp := &fakeControl{}
	e, err := New(Config{Control: cp},
		PortConfig{Port: r0, Interface: "ge-0"}, PortConfig{Port: p1, Interface: "ge-1"}, PortConfig{Port: r2, Interface: "ge-2"})
	must(t, err)
	must(t, e.AddAddress("ge-0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, e.AddAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, e.SetAnalyzer("ge-2", true))
	must(t, e.AddAddress("ge-2", netip.MustParsePrefix("192.0.2.1/24")))
	must(t, e.AddStaticARP("ge-0", netip.MustParseAddr("10.0.1.2"), macH0))
	must(t, e.AddStaticARP("ge-1", netip.MustParseAddr("10.0.2.2"), macH1))
	must(t, e.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.9"), macH2))
	l := &lab{t: t, e: e, h0: h0, h1: h1, cp: cp, rx: port.NewBatch(64, port.DefaultBufSize)}
	l.w = newWorker(e, 0, e.ports[0], 0, 8)
	l.w1 = newWorker(e, 1, e.ports[1], 0, 8)
	l.drain(h0)
	l.drain(h1)
	must(t, e.ClearCounters(""))
	return &analyzerLab{lab: l, h2: h2}
}

// inBatch feeds frames to the router as one receive batch on port 0.
func (l *analyzerLab) inBatch(frames ...[]byte) {
	for i, f := range frames {
		l.w.batch.Fill(i, f)
	}
	l.w.process(len(frames))
}

// wantJMirror builds, with gopacket, the analyzer frame the router must
// send for inner (an IPv4 packet): Ethernet to the analyzer, IPv4 from
// the analyzer interface (TTL 255, no DF, ID id), UDP 30030→30030 with
// checksum 0, mirror header (MHV 0, Mirror-ID, Session-ID), inner.
func wantJMirror(t *testing.T, id uint16, mirrorID, sessionID uint32, inner []byte) []byte {
	t.Helper()
	hdr := []byte{byte(mirrorID >> 24), byte(mirrorID >> 16), byte(mirrorID >> 8), byte(mirrorID),
		byte(sessionID >> 24), byte(sessionID >> 16), byte(sessionID >> 8), byte(sessionID)}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macR2[:]), DstMAC: net.HardwareAddr(macH2[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 255, Id: id, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 9}}
	udp := &layers.UDP{SrcPort: 30030, DstPort: 30030}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	must(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(append(hdr, inner...))))
	f := buf.Bytes()
	f[14+20+6], f[14+20+7] = 0, 0 // jmirror sends no UDP checksum
	return f
}

// TestTapJMirrorGolden mirrors both directions of forwarded traffic with
// the jmirror encoder: the originals leave unchanged, and every copy is
// byte for byte the frame gopacket builds for it, sent out of the
// analyzer port in the same batch.
func TestTapJMirrorGolden(t *testing.T) {
	l := newAnalyzerLab(t, nil)
	enc := jmirror.NewEncoder(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9"), 30030)
	d := newDelivery(t, l.e, enc, "192.0.2.9")
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d, MirrorID: 16, SessionID: 1}))
	must(t, l.e.SetTap("ge-1", Egress, &Tap{Delivery: d, MirrorID: 16 | 3<<30, SessionID: 0xdeadbeef})) // MHV bits cleared
	var sent [][]byte
	for i := 0; i < 3; i++ {
		sent = append(sent, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10+i))
	}
	l.inBatch(sent...)
	fwd := l.drain(l.h1)
	copies := l.drain(l.h2)
	if len(fwd) != 3 || len(copies) != 6 {
		t.Fatalf("%d forwarded, %d copies", len(fwd), len(copies))
	}
	id := uint16(0)
	for i, s := range sent {
		ipLen := int(s[16])<<8 | int(s[17])
		want := append([]byte(nil), s[14:14+ipLen]...) // without Ethernet padding
		got := fwd[i][14 : 14+ipLen]
		want[8]-- // TTL
		if !bytes.Equal(got[:8], want[:8]) || got[8] != want[8] || !bytes.Equal(got[12:], want[12:]) {
			t.Fatalf("original %d changed: %x", i, fwd[i])
		}
		// Copies in arrival order: ingress copy, then egress copy, per packet.
		id++
		if w := wantJMirror(t, id, 16, 1, s[14:14+ipLen]); !bytes.Equal(copies[2*i], w) {
			t.Fatalf("ingress copy %d:\n got %x\nwant %x", i, copies[2*i], w)
		}
		id++
		if w := wantJMirror(t, id, 16, 0xdeadbeef, got); !bytes.Equal(copies[2*i+1], w) {
			t.Fatalf("egress copy %d:\n got %x\nwant %x", i, copies[2*i+1], w)
		}
		if p, err := jmirror.Parse(copies[2*i][14:]); err != nil || p.Header().MirrorID() != 16 || !bytes.Equal(p.Payload(), s[14:14+ipLen]) {
			t.Fatalf("jmirror.Parse: %v", err)
		}
	}
	c0, _ := l.e.Counters("ge-0")
	c1, _ := l.e.Counters("ge-1")
	c2, _ := l.e.Counters("ge-2")
	if c0.MirrorCopies != 3 || c1.MirrorCopies != 3 || c0.MirrorDrops+c1.MirrorDrops != 0 {
		t.Fatalf("tap counters %+v %+v", c0, c1)
	}
	if c2.MirrorSent != 6 || visible(c2) != (Counters{}) || c1.OutPackets != 3 {
		t.Fatalf("analyzer port counters %+v", c2)
	}
	if s := d.Stats(); s.Copied != 6 || s.Sent != 6 || s.Dropped+s.SendErrors != 0 || s.SentBytes != c2.MirrorSentBytes {
		t.Fatalf("delivery stats %+v", s)
	}
}

// TestTapFollowsRoutesAndARP: an unresolved delivery drops copies (the
// mirror engine unresolves it when the analyzer has no route), a missing
// ARP entry on the analyzer port makes send errors without ARP requests,
// and the entry's arrival takes effect without re-resolving.
func TestTapFollowsRoutesAndARP(t *testing.T) {
	l := newAnalyzerLab(t, nil)
	d, err := l.e.NewDelivery(DefaultVirtualRouter, plainEncoder{})
	must(t, err)
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	f := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10)
	step := func(name string, wantCopies int) {
		t.Helper()
		l.inBatch(f)
		if n := len(l.drain(l.h1)); n != 1 {
			t.Fatalf("%s: %d originals", name, n)
		}
		if n := len(l.drain(l.h2)); n != wantCopies {
			t.Fatalf("%s: %d copies at the analyzer, want %d", name, n, wantCopies)
		}
	}
	step("unresolved", 0)
	if s := d.Stats(); s.Dropped != 1 {
		t.Fatalf("unresolved: %+v", s)
	}
	must(t, d.SetNextHop(netip.MustParseAddr("192.0.2.9")))
	step("resolved", 1)
	must(t, l.e.DeleteARP("ge-2", netip.MustParseAddr("192.0.2.9")))
	step("no ARP entry", 0)
	if c, _ := l.e.Counters("ge-2"); c.MirrorSendErrors != 1 || c.OutPackets != 0 {
		t.Fatalf("no ARP: %+v", c)
	}
	must(t, l.e.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.9"), macH2))
	step("ARP back", 1)
	must(t, d.SetNextHop(netip.Addr{}))
	step("unresolved again", 0)
	if s := d.Stats(); s.Copied != 3 || s.Dropped != 2 || s.Sent != 2 || s.SendErrors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// limitPort accepts at most limit frames per transmit call, like a full
// transmit ring.
type limitPort struct {
	*memport.Port
	limit int
}

func (p *limitPort) Transmit(lane int, frames [][]byte) (int, error) {
	return p.Port.Transmit(lane, frames[:min(len(frames), p.limit)])
}

// TestTapFullRingDropsCopiesFirst: the analyzer is a subinterface of the
// port the originals leave by, and the port takes fewer frames than the
// batch makes: every original is sent, the copies that do not fit are
// dropped and counted only as secret send errors.
func TestTapFullRingDropsCopiesFirst(t *testing.T) {
	lp := &limitPort{limit: 5}
	l := newAnalyzerLab(t, func(p port.Port) port.Port { lp.Port = p.(*memport.Port); return lp })
	must(t, l.e.AddVLANInterface("ge-1.9", "ge-1", 9))
	must(t, l.e.SetAnalyzer("ge-1.9", true))
	must(t, l.e.AddAddress("ge-1.9", netip.MustParsePrefix("198.51.100.1/24")))
	must(t, l.e.AddStaticARP("ge-1.9", netip.MustParseAddr("198.51.100.9"), macH1))
	d := newDelivery(t, l.e, plainEncoder{}, "198.51.100.9")
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	var batch [][]byte
	for i := 0; i < 4; i++ {
		batch = append(batch, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10+i))
	}
	l.inBatch(batch...)
	out := l.drain(l.h1)
	if len(out) != 5 {
		t.Fatalf("%d frames left the port", len(out))
	}
	for i := 0; i < 4; i++ {
		if out[i][12] == 0x81 { // a tagged copy ahead of an original
			t.Fatalf("frame %d is a copy", i)
		}
	}
	if out[4][12] != 0x81 {
		t.Fatal("last frame is not the copy")
	}
	c1, _ := l.e.Counters("ge-1")
	if c1.MirrorSendErrors != 3 || c1.DropsTotal() != 0 || c1.OutPackets != 4 {
		t.Fatalf("counters %+v", c1)
	}
}

// TestTapCopyBuffersExhausted: a batch whose copies need more buffers
// than the worker has (1400-byte packets copied both ways with jmirror
// over a 1000-byte analyzer MTU: three buffers a copy) forwards every
// original and drops and counts the copies that do not fit.
func TestTapCopyBuffersExhausted(t *testing.T) {
	l := newAnalyzerLab(t, nil)
	must(t, l.e.SetMTU("ge-2", 1000))
	enc := jmirror.NewEncoder(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9"), 30030)
	d := newDelivery(t, l.e, enc, "192.0.2.9")
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	must(t, l.e.SetTap("ge-1", Egress, &Tap{Delivery: d}))
	var batch [][]byte
	for i := 0; i < 8; i++ {
		batch = append(batch, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 1400))
	}
	l.inBatch(batch...)
	if n := len(l.drain(l.h1)); n != 8 {
		t.Fatalf("%d of 8 originals", n)
	}
	s := d.Stats()
	if s.Copied+s.Dropped != 16 || s.Dropped == 0 || s.Sent < uint64(2*(copyPoolSize(8)/3-1)) {
		t.Fatalf("stats %+v", s)
	}
	if n := len(l.drain(l.h2)); uint64(n) != s.Sent {
		t.Fatalf("%d fragments at the analyzer, %d sent", n, s.Sent)
	}
	c0, _ := l.e.Counters("ge-0")
	c1, _ := l.e.Counters("ge-1")
	if c0.MirrorCopies+c1.MirrorCopies != s.Copied || c0.MirrorDrops+c1.MirrorDrops != s.Dropped {
		t.Fatalf("counters %+v %+v", c0, c1)
	}
	// The next batch has its buffers again.
	l.inBatch(batch[0])
	l.drain(l.h1)
	if n := len(l.drain(l.h2)); n != 4 {
		t.Fatalf("next batch: %d fragments", n)
	}
}

// TestTapAllocs: building and sending copies allocates nothing, for
// jmirror and plain copies, fragmented or not.
func TestTapAllocs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enc     CopyEncoder
		payload int
		frames  int // at the analyzer per packet
	}{
		{"jmirror", jmirror.NewEncoder(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9"), 30030), 100, 2},
		{"jmirror fragmented", jmirror.NewEncoder(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9"), 30030), 1450, 4},
		{"plain", plainEncoder{}, 100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newAnalyzerLab(t, nil)
			d := newDelivery(t, l.e, tc.enc, "192.0.2.9")
			must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d, MirrorID: 7}))
			must(t, l.e.SetTap("ge-1", Egress, &Tap{Delivery: d, MirrorID: 7}))
			f := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, tc.payload)
			allocs := testing.AllocsPerRun(1000, func() {
				l.inBatch(f)
				if n, _ := receiveNow(l.h1, l.rx); n != 1 {
					t.Fatalf("%d originals", n)
				}
				if n, _ := receiveNow(l.h2, l.rx); n != tc.frames {
					t.Fatalf("%d frames at the analyzer", n)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per mirrored packet", allocs)
			}
		})
	}
}

// orderPort records, in the shared log, the port of every transmit call.
type orderPort struct {
	*memport.Port
	log *[]string
}

func (p *orderPort) Transmit(lane int, frames [][]byte) (int, error) {
	*p.log = append(*p.log, p.Name())
	return p.Port.Transmit(lane, frames)
}

// TestTapOriginalsLeaveFirst: the analyzer's port comes before the
// originals' egress port in port order, yet the batch's originals are
// handed to their port before any copy is handed to the analyzer's.
func TestTapOriginalsLeaveFirst(t *testing.T) {
	var calls []string
	wrap := func(p *memport.Port) port.Port { return &orderPort{Port: p, log: &calls} }
	r0, _ := memport.Pair("r0", macR0, "h0", macH0)
	r1, h1 := memport.Pair("r1", macR1, "h1", macH1) // analyzer
	r2, h2 := memport.Pair("r2", macR2, "h2", macH2) // egress
	e, err := New(Config{Control: &fakeControl{}}, PortConfig{Port: wrap(r0), Interface: "ge-0"},
		PortConfig{Port: wrap(r1), Interface: "ge-1"}, PortConfig{Port: wrap(r2), Interface: "ge-2"})
	must(t, err)
	must(t, e.AddAddress("ge-0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, e.SetAnalyzer("ge-1", true))
	must(t, e.AddAddress("ge-1", netip.MustParsePrefix("192.0.2.1/24")))
	must(t, e.AddStaticARP("ge-1", netip.MustParseAddr("192.0.2.9"), macH1))
	must(t, e.AddAddress("ge-2", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, e.AddStaticARP("ge-2", netip.MustParseAddr("10.0.2.2"), macH2))
	must(t, e.SetTap("ge-0", Ingress, &Tap{Delivery: newDelivery(t, e, plainEncoder{}, "192.0.2.9")}))
	w := newWorker(e, 0, e.ports[0], 0, 8)
	rx := port.NewBatch(8, port.DefaultBufSize)
	for _, h := range []*memport.Port{h1, h2} { // gratuitous ARPs
		for n, _ := receiveNow(h, rx); n > 0; n, _ = receiveNow(h, rx) {
		}
	}
	calls = nil
	for i := 0; i < 3; i++ {
		w.batch.Fill(i, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10+i))
	}
	w.process(3)
	if len(calls) != 2 || calls[0] != "r2" || calls[1] != "r1" {
		t.Fatalf("transmit calls by port %v, want [r2 r1]: originals first", calls)
	}
	if n, _ := receiveNow(h2, rx); n != 3 {
		t.Fatalf("%d originals at the egress", n)
	}
	if n, _ := receiveNow(h1, rx); n != 3 {
		t.Fatalf("%d copies at the analyzer", n)
	}
}
