package linecard

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/services/linecard/arp"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

var (
	macR0 = [6]byte{0x02, 0xee, 0, 0, 0, 0x10}
	macR1 = [6]byte{0x02, 0xee, 0, 0, 0, 0x11}
	macH0 = [6]byte{0x02, 0xaa, 0, 0, 0, 0x02}
	macH1 = [6]byte{0x02, 0xbb, 0, 0, 0, 0x02}
)

type fakeControl struct {
	mu     sync.Mutex
	punted []Punt
}

func (f *fakeControl) HandlePunt(p *Punt) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *p
	c.Frame = append([]byte(nil), p.Frame...)
	f.punted = append(f.punted, c)
}

// lab is an engine with two ports, each connected to a host-side memport.
type lab struct {
	t      testing.TB
	e      *Engine
	h0, h1 *memport.Port
	cp     *fakeControl
	w      *worker // a worker driven synchronously on port 0
	w1     *worker // same on port 1
	rx     *port.Batch
}

func newLab(t testing.TB) *lab {
	t.Helper()
	r0, h0 := memport.Pair("r0", macR0, "h0", macH0)
	r1, h1 := memport.Pair("r1", macR1, "h1", macH1)
	cp := &fakeControl{}
	e, err := New(Config{Control: cp, ICMPRate: 1_000_000, ICMPBurst: 1_000_000},
		PortConfig{Port: r0, Interface: "ge-0"}, PortConfig{Port: r1, Interface: "ge-1"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.AddAddress("ge-0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, e.AddAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, e.AddStaticARP("ge-0", netip.MustParseAddr("10.0.1.2"), macH0))
	must(t, e.AddStaticARP("ge-1", netip.MustParseAddr("10.0.2.2"), macH1))
	l := &lab{t: t, e: e, h0: h0, h1: h1, cp: cp, rx: port.NewBatch(64, port.DefaultBufSize)}
	l.w = newWorker(e, 0, e.ports[0], 0, 8)
	l.w1 = newWorker(e, 1, e.ports[1], 0, 8)
	l.drain(h0)
	l.drain(h1) // gratuitous ARPs
	must(t, e.ClearCounters(""))
	return l
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// in feeds frame to the router as if received on port 0 (or 1).
func (l *lab) in(portIdx int, frame []byte) {
	w := l.w
	if portIdx == 1 {
		w = l.w1
	}
	w.batch.Fill(0, frame)
	w.process(1)
}

// drain returns what the router sent to host port h so far.
func (l *lab) drain(h *memport.Port) [][]byte {
	var out [][]byte
	for {
		if h.Stats().RxPackets+uint64(len(out)) == 0 {
			// nothing pending: avoid waiting for the poll timeout
		}
		n, _ := receiveNow(h, l.rx)
		if n == 0 {
			return out
		}
		for i := 0; i < n; i++ {
			out = append(out, append([]byte(nil), l.rx.Frames[i]...))
		}
	}
}

// receiveNow receives without waiting when nothing is queued.
func receiveNow(h *memport.Port, b *port.Batch) (int, error) {
	if h.Pending() == 0 {
		return 0, nil
	}
	return h.Receive(0, b)
}

type pktOpt func(ip *layers.IPv4, eth *layers.Ethernet)

func udpFrame(t testing.TB, dstMAC [6]byte, src, dst string, ttl uint8, payload int, opts ...func(*layers.IPv4)) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: net.HardwareAddr(dstMAC[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: ttl, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	for _, o := range opts {
		o(ip)
	}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	udp.SetNetworkLayerForChecksum(ip)
	return ser(t, eth, ip, udp, gopacket.Payload(bytes.Repeat([]byte{0xab}, payload)))
}

func ser(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(b []byte) gopacket.Packet {
	return gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
}

func ipOf(t *testing.T, p gopacket.Packet) *layers.IPv4 {
	t.Helper()
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		t.Fatalf("no IPv4 in %v", p)
	}
	return ip
}

func icmpOf(t *testing.T, p gopacket.Packet) *layers.ICMPv4 {
	t.Helper()
	ic, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ic == nil {
		t.Fatalf("no ICMPv4 in %v", p)
	}
	return ic
}

func checkIPChecksum(t *testing.T, frame []byte, l2 int) {
	t.Helper()
	ip := frame[l2:]
	hl := int(ip[0]&0xf) * 4
	var sum uint32
	for i := 0; i < hl; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff {
		t.Fatalf("bad IPv4 checksum in output")
	}
}

func TestGoldenForward(t *testing.T) {
	l := newLab(t)
	in := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 100)
	l.in(0, in)
	out := l.drain(l.h1)
	if len(out) != 1 {
		t.Fatalf("got %d frames on h1, want 1", len(out))
	}
	p := decode(out[0])
	eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if [6]byte(eth.DstMAC) != macH1 || [6]byte(eth.SrcMAC) != macR1 {
		t.Errorf("MACs %v -> %v", eth.SrcMAC, eth.DstMAC)
	}
	ip := ipOf(t, p)
	if ip.TTL != 63 || ip.SrcIP.String() != "10.0.1.2" || ip.DstIP.String() != "10.0.2.2" {
		t.Errorf("ip %v", ip)
	}
	checkIPChecksum(t, out[0], 14)
	if !bytes.Equal(out[0][14+20:], in[14+20:]) {
		t.Errorf("payload changed")
	}
	c0, _ := l.e.Counters("ge-0")
	c1, _ := l.e.Counters("ge-1")
	if c0.InPackets != 1 || c0.InBytes != uint64(len(in)) || c1.OutPackets != 1 || c1.OutBytes != uint64(len(out[0])) {
		t.Errorf("counters in %+v out %+v", c0, c1)
	}
}

func TestGoldenLocalAndErrors(t *testing.T) {
	df := func(ip *layers.IPv4) { ip.Flags = layers.IPv4DontFragment }
	ping := func(dst string, ttl uint8) []byte {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: ttl, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{10, 0, 1, 2}, DstIP: net.ParseIP(dst).To4()}
		ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 77, Seq: 3}
		return ser(t, eth, ip, ic, gopacket.Payload([]byte("erx ping")))
	}
	tests := []struct {
		name     string
		frame    func(t *testing.T) []byte
		mtu1     int
		wantType layers.ICMPv4TypeCode
		wantMTU  uint16
		wantFrom string
		drop     DropReason
	}{
		{"echo to router", func(t *testing.T) []byte { return ping("10.0.1.1", 64) }, 0, layers.CreateICMPv4TypeCode(0, 0), 0, "10.0.1.1", NumDropReasons},
		{"echo to other interface address", func(t *testing.T) []byte { return ping("10.0.2.1", 1) }, 0, layers.CreateICMPv4TypeCode(0, 0), 0, "10.0.2.1", NumDropReasons},
		{"no route", func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "198.51.100.1", 64, 10) }, 0,
			layers.CreateICMPv4TypeCode(3, 0), 0, "10.0.1.1", DropNoRoute},
		{"ttl expired", func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 1, 10) }, 0,
			layers.CreateICMPv4TypeCode(11, 0), 0, "10.0.1.1", DropTTLExpired},
		{"fragmentation needed", func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 1200, df) }, 1000,
			layers.CreateICMPv4TypeCode(3, 4), 1000, "10.0.1.1", DropFragmentationNeeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			if tt.mtu1 != 0 {
				must(t, l.e.SetMTU("ge-1", tt.mtu1))
			}
			l.in(0, tt.frame(t))
			out := l.drain(l.h0)
			if len(out) != 1 {
				t.Fatalf("got %d frames back, want 1", len(out))
			}
			p := decode(out[0])
			ip := ipOf(t, p)
			ic := icmpOf(t, p)
			if ic.TypeCode != tt.wantType || ip.SrcIP.String() != tt.wantFrom || ip.DstIP.String() != "10.0.1.2" {
				t.Fatalf("got %v from %v to %v", ic.TypeCode, ip.SrcIP, ip.DstIP)
			}
			if tt.wantType.Type() == 3 && tt.wantType.Code() == 4 && ic.Seq != tt.wantMTU {
				t.Errorf("next-hop MTU %d, want %d", ic.Seq, tt.wantMTU)
			}
			if tt.wantType.Type() == 0 && (ic.Id != 77 || ic.Seq != 3 || string(ic.Payload) != "erx ping") {
				t.Errorf("echo reply id/seq/payload %d %d %q", ic.Id, ic.Seq, ic.Payload)
			}
			checkIPChecksum(t, out[0], 14)
			if p.ErrorLayer() != nil {
				t.Errorf("decode error %v", p.ErrorLayer().Error())
			}
			c, _ := l.e.Counters("ge-0")
			if tt.drop != NumDropReasons && c.Drops[tt.drop] != 1 {
				t.Errorf("drop %v = %d, want 1 (%+v)", tt.drop, c.Drops[tt.drop], c.Drops)
			}
			if c.ICMPSent != 1 {
				t.Errorf("ICMPSent = %d", c.ICMPSent)
			}
		})
	}
}

func TestDrops(t *testing.T) {
	good := func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10) }
	tests := []struct {
		name  string
		frame func(t *testing.T) []byte
		want  DropReason
	}{
		{"runt", func(t *testing.T) []byte { return []byte{1, 2, 3} }, DropRunt},
		{"ipv4 runt", func(t *testing.T) []byte { return good(t)[:14+12] }, DropRunt},
		{"bad checksum", func(t *testing.T) []byte { b := good(t); b[14+10] ^= 0xff; return b }, DropBadChecksum},
		{"bad ihl", func(t *testing.T) []byte { b := good(t); b[14] = 0x43; return b }, DropBadIHL},
		{"bad version", func(t *testing.T) []byte { b := good(t); b[14] = 0x65; return b }, DropBadVersion},
		{"bad length", func(t *testing.T) []byte { b := good(t); b[14+2] = 0xff; return b }, DropBadLength},
		{"ipv6", func(t *testing.T) []byte { b := good(t); b[12], b[13] = 0x86, 0xdd; return b }, DropUnknownEtherType},
		{"other mac", func(t *testing.T) []byte { b := good(t); b[5] = 0x77; return b }, DropNotForUs},
		{"multicast", func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "239.1.1.1", 64, 10) }, DropMulticast},
		{"martian", func(t *testing.T) []byte { return udpFrame(t, macR0, "127.0.0.1", "10.0.2.2", 64, 10) }, DropMartian},
		{"unknown vlan", func(t *testing.T) []byte {
			return ser(t, &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypeDot1Q},
				&layers.Dot1Q{VLANIdentifier: 999, Type: layers.EthernetTypeIPv4}, gopacket.Payload(make([]byte, 46)))
		}, DropUnknownVLAN},
		{"malformed arp", func(t *testing.T) []byte { b := good(t); b[12], b[13] = 0x08, 0x06; return b }, DropMalformedARP},
		{"giant", func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 1600) }, DropGiant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			l.in(0, tt.frame(t))
			c, _ := l.e.Counters("ge-0")
			if c.Drops[tt.want] != 1 || c.DropsTotal() != 1 {
				t.Fatalf("drops %v, want one %v", c.Drops, tt.want)
			}
			if out := l.drain(l.h1); len(out) != 0 {
				t.Fatalf("%d frames forwarded", len(out))
			}
		})
	}
}

func TestAdminDown(t *testing.T) {
	l := newLab(t)
	must(t, l.e.SetAdminUp("ge-0", false))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10))
	c, _ := l.e.Counters("ge-0")
	if c.Drops[DropAdminDown] != 1 {
		t.Fatalf("drops %v", c.Drops)
	}
	must(t, l.e.SetAdminUp("ge-0", true))
	must(t, l.e.SetAdminUp("ge-1", false))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10))
	if c, _ = l.e.Counters("ge-0"); c.Drops[DropNoRoute] != 1 {
		t.Fatalf("egress down: drops %v", c.Drops)
	}
}

func TestVLAN(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	must(t, l.e.AddAddress("ge-0.100", netip.MustParsePrefix("10.0.3.1/24")))
	must(t, l.e.AddStaticARP("ge-0.100", netip.MustParseAddr("10.0.3.2"), macH0))
	l.drain(l.h0)
	must(t, l.e.ClearCounters("ge-0.100"))
	// Tagged in, untagged out.
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypeDot1Q}
	q := &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 9, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 3, 2}, DstIP: net.IP{10, 0, 2, 2}}
	udp := &layers.UDP{SrcPort: 1, DstPort: 2}
	udp.SetNetworkLayerForChecksum(ip)
	l.in(0, ser(t, eth, q, ip, udp, gopacket.Payload([]byte("tagged"))))
	out := l.drain(l.h1)
	if len(out) != 1 {
		t.Fatalf("got %d frames", len(out))
	}
	p := decode(out[0])
	if p.Layer(layers.LayerTypeDot1Q) != nil || ipOf(t, p).TTL != 8 {
		t.Fatalf("want untagged TTL 8: %v", p)
	}
	// Untagged in, tagged out.
	l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.3.2"))
	out = l.drain(l.h0)
	if len(out) != 1 {
		t.Fatalf("got %d frames", len(out))
	}
	p = decode(out[0])
	tag, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
	if tag == nil || tag.VLANIdentifier != 100 || ipOf(t, p).DstIP.String() != "10.0.3.2" {
		t.Fatalf("want VLAN 100: %v", p)
	}
	checkIPChecksum(t, out[0], 18)
	c, _ := l.e.Counters("ge-0.100")
	if c.InPackets != 1 || c.OutPackets != 1 {
		t.Fatalf("subinterface counters %+v", c)
	}
	// A shut-down port takes its subinterfaces down with it.
	must(t, l.e.SetAdminUp("ge-0", false))
	l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.3.2"))
	if c, _ := l.e.Counters("ge-1"); c.Drops[DropNoRoute] != 1 {
		t.Fatalf("egress subinterface of a down port: %v", c.Drops)
	}
	must(t, l.e.SetAdminUp("ge-0", true))
	l.drain(l.h0)
	must(t, l.e.ClearCounters(""))
	must(t, l.e.DeleteInterface("ge-0.100"))
	l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.3.2"))
	if c, _ := l.e.Counters("ge-1"); c.Drops[DropNoRoute] != 1 {
		t.Fatalf("after delete: %v", c.Drops)
	}
}

func udpFrameFrom(t testing.TB, src, dst [6]byte, sip, dip string) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(src[:]), DstMAC: net.HardwareAddr(dst[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(sip).To4(), DstIP: net.ParseIP(dip).To4()}
	udp := &layers.UDP{SrcPort: 1, DstPort: 2}
	udp.SetNetworkLayerForChecksum(ip)
	return ser(t, eth, ip, udp, gopacket.Payload([]byte("x")))
}

func arpFrame(t testing.TB, op uint16, sha [6]byte, spa string, tpa string, dst [6]byte) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(sha[:]), DstMAC: net.HardwareAddr(dst[:]), EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: net.HardwareAddr(sha[:]), SourceProtAddress: net.ParseIP(spa).To4(),
		DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: net.ParseIP(tpa).To4()}
	return ser(t, eth, a)
}

func TestARP(t *testing.T) {
	l := newLab(t)
	// Answer a request for our address.
	l.in(0, arpFrame(t, layers.ARPRequest, macH0, "10.0.1.7", "10.0.1.1", [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	out := l.drain(l.h0)
	if len(out) != 1 {
		t.Fatalf("got %d frames", len(out))
	}
	a, _ := decode(out[0]).Layer(layers.LayerTypeARP).(*layers.ARP)
	if a == nil || a.Operation != layers.ARPReply || [6]byte(a.SourceHwAddress) != macR0 || net.IP(a.SourceProtAddress).String() != "10.0.1.1" ||
		net.IP(a.DstProtAddress).String() != "10.0.1.7" {
		t.Fatalf("bad reply %v", a)
	}
	// The requester was learned.
	es, _ := l.e.ARPEntries(DefaultVirtualRouter)
	found := false
	for _, en := range es {
		if en.Addr == netip.MustParseAddr("10.0.1.7") && en.State == arp.Reachable && en.Interface == "ge-0" {
			found = true
		}
	}
	if !found {
		t.Fatalf("requester not learned: %+v", es)
	}
	// Resolve an unknown next hop: packets queue, a request goes out, the reply flushes them.
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.9", 64, 10))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.9", 64, 11))
	out = l.drain(l.h1)
	if len(out) != 1 {
		t.Fatalf("want one ARP request, got %d frames", len(out))
	}
	req, _ := decode(out[0]).Layer(layers.LayerTypeARP).(*layers.ARP)
	if req == nil || req.Operation != layers.ARPRequest || net.IP(req.DstProtAddress).String() != "10.0.2.9" || net.IP(req.SourceProtAddress).String() != "10.0.2.1" {
		t.Fatalf("bad request %v", req)
	}
	mac9 := [6]byte{2, 0xbb, 0, 0, 0, 9}
	l.in(1, arpFrame(t, layers.ARPReply, mac9, "10.0.2.9", "10.0.2.1", macR1))
	out = l.drain(l.h1)
	if len(out) != 2 {
		t.Fatalf("want 2 flushed packets, got %d", len(out))
	}
	for _, f := range out {
		p := decode(f)
		if eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); [6]byte(eth.DstMAC) != mac9 || ipOf(t, p).TTL != 63 {
			t.Fatalf("flushed frame %v", p)
		}
	}
	// Gratuitous ARP on address configuration.
	must(t, l.e.AddAddress("ge-1", netip.MustParsePrefix("10.0.4.1/24")))
	out = l.drain(l.h1)
	if len(out) != 1 {
		t.Fatalf("want gratuitous ARP, got %d", len(out))
	}
	g, _ := decode(out[0]).Layer(layers.LayerTypeARP).(*layers.ARP)
	if g == nil || net.IP(g.SourceProtAddress).String() != "10.0.4.1" || net.IP(g.DstProtAddress).String() != "10.0.4.1" {
		t.Fatalf("bad gratuitous ARP %v", g)
	}
}

func TestARPTimeoutCounted(t *testing.T) {
	l := newLab(t)
	now := l.e.now()
	clock := now
	l.e.cfg.Clock = func() time.Time { return clock }
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.9", 64, 10))
	for i := 0; i < 5; i++ {
		clock = clock.Add(2 * time.Second)
		l.e.tickTimers()
	}
	c, _ := l.e.Counters("ge-1")
	if c.Drops[DropARPTimeout] != 1 {
		t.Fatalf("drops %v", c.Drops)
	}
}

func TestPunt(t *testing.T) {
	l := newLab(t)
	padi := ser(t, &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypePPPoEDiscovery},
		gopacket.Payload(make([]byte, 46)))
	l.in(0, padi)
	dip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4zero.To4(), DstIP: net.IPv4bcast.To4()}
	dudp := &layers.UDP{SrcPort: 68, DstPort: 67}
	dudp.SetNetworkLayerForChecksum(dip)
	dhcp := ser(t, &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeIPv4},
		dip, dudp, gopacket.Payload(make([]byte, 240)))
	l.in(0, dhcp)
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.1.1", 64, 10)) // UDP to the router
	if len(l.cp.punted) != 3 {
		t.Fatalf("punted %d, want 3", len(l.cp.punted))
	}
	want := []PuntReason{PuntPPPoEDiscovery, PuntBroadcast, PuntLocal}
	for i, p := range l.cp.punted {
		if p.Reason != want[i] || p.Interface != "ge-0" {
			t.Errorf("punt %d: %v on %s", i, p.Reason, p.Interface)
		}
	}
	if !bytes.Equal(l.cp.punted[0].Frame, padi) {
		t.Errorf("PADI frame changed")
	}
	// The control plane answers through TransmitFrame.
	must(t, l.e.TransmitFrame("ge-0", padi))
	if out := l.drain(l.h0); len(out) != 1 || !bytes.Equal(out[0], padi) {
		t.Fatalf("TransmitFrame: %d frames", len(out))
	}
	// On a VLAN subinterface the control plane sees the frame untagged,
	// and its answers are tagged.
	must(t, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	tagged := ser(t, &layers.Ethernet{SrcMAC: net.HardwareAddr(macH0[:]), DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypePPPoEDiscovery}, gopacket.Payload(make([]byte, 46)))
	l.in(0, tagged)
	last := l.cp.punted[len(l.cp.punted)-1]
	if last.Interface != "ge-0.100" || last.VLAN != 100 || !bytes.Equal(last.Frame[:12], tagged[:12]) ||
		last.Frame[12] != 0x88 || last.Frame[13] != 0x63 || len(last.Frame) != len(tagged)-4 {
		t.Fatalf("tagged punt %+v", last)
	}
	must(t, l.e.TransmitFrame("ge-0.100", last.Frame))
	out := l.drain(l.h0)
	if len(out) != 1 || !bytes.Equal(out[0], tagged) {
		t.Fatalf("tagged TransmitFrame: % x", out)
	}
}

func TestRoutesAndVirtualRouters(t *testing.T) {
	l := newLab(t)
	e := l.e
	must(t, e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("0.0.0.0/0"), NextHop: netip.MustParseAddr("10.0.2.2"), Type: fib.Static}))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "203.0.113.5", 64, 10))
	if out := l.drain(l.h1); len(out) != 1 || [6]byte(decode(out[0]).Layer(layers.LayerTypeEthernet).(*layers.Ethernet).DstMAC) != macH1 {
		t.Fatalf("default route via gateway: %d frames", len(out))
	}
	rs, _ := e.Routes(DefaultVirtualRouter)
	if len(rs) != 5 { // default, 2 connected, 2 local
		t.Fatalf("routes %+v", rs)
	}
	// A second virtual router isolates ge-1.
	must(t, e.AddVirtualRouter("isp"))
	must(t, e.SetVirtualRouter("ge-1", "isp"))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10))
	if c, _ := e.Counters("ge-0"); c.Drops[DropNoRoute] != 1 {
		t.Fatalf("cross-VR forwarding not dropped: %v", c.Drops)
	}
	if err := e.DeleteVirtualRouter("isp"); err == nil {
		t.Fatal("deleted a VR with interfaces")
	}
	must(t, e.AddLoopback("lo0"))
	if err := e.AddAddress("lo0", netip.MustParsePrefix("10.0.1.9/32")); err == nil {
		t.Fatal("overlapping address accepted")
	}
	if err := e.DeleteVirtualRouter(DefaultVirtualRouter); err == nil {
		t.Fatal("deleted default")
	}
	info, err := e.Interface("ge-1")
	if err != nil || info.VirtualRouter != "isp" || len(info.Addresses) != 1 {
		t.Fatalf("info %+v %v", info, err)
	}
}

func TestSendIPv4ResolvesNextHop(t *testing.T) {
	l := newLab(t)
	pkt := udpFrame(t, macR0, "10.0.2.1", "10.0.2.77", 255, 8)[14:]
	must(t, l.e.SendIPv4(DefaultVirtualRouter, pkt)) // ARP miss: queued, request sent
	out := l.drain(l.h1)
	if len(out) != 1 || decode(out[0]).Layer(layers.LayerTypeARP) == nil {
		t.Fatalf("want an ARP request, got %d frames", len(out))
	}
	l.in(1, arpFrame(t, layers.ARPReply, [6]byte{2, 0xbb, 0, 0, 0, 77}, "10.0.2.77", "10.0.2.1", macR1))
	out = l.drain(l.h1)
	if len(out) != 1 || ipOf(t, decode(out[0])).TTL != 255 {
		t.Fatalf("queued packet not sent unchanged: %d frames", len(out))
	}
	if err := l.e.SendIPv4(DefaultVirtualRouter, udpFrame(t, macR0, "10.0.2.1", "198.51.100.1", 255, 8)[14:]); err == nil {
		t.Fatal("SendIPv4 without a route succeeded")
	}
	if err := l.e.SendIPv4("nope", pkt); err == nil {
		t.Fatal("SendIPv4 in a missing VR succeeded")
	}
}

func TestFragmentation(t *testing.T) {
	withOptions := func(ip *layers.IPv4) {
		ip.Options = []layers.IPv4Option{
			{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}},       // router alert: copied
			{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}, // record route: first fragment only
			{OptionType: 0}, {OptionType: 0}, {OptionType: 0}, {OptionType: 0}, {OptionType: 0}, // pad
		}
	}
	tests := []struct {
		name      string
		opts      []func(*layers.IPv4)
		payload   int
		wantFrags int
		firstHL   int
		restHL    int
	}{
		{"plain", nil, 1400, 2, 20, 20},
		{"three fragments", nil, 1400, 3, 20, 20},
		{"options", []func(*layers.IPv4){withOptions}, 1400, 2, 36, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			mtu := 1000
			if tt.wantFrags == 3 {
				mtu = 600
			}
			must(t, l.e.SetMTU("ge-1", mtu))
			in := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, tt.payload, tt.opts...)
			inIP := header.IPv4(in[14:])
			l.in(0, in)
			out := l.drain(l.h1)
			if len(out) != tt.wantFrags {
				t.Fatalf("got %d fragments, want %d", len(out), tt.wantFrags)
			}
			var data []byte
			for i, f := range out {
				checkIPChecksum(t, f, 14)
				ip := ipOf(t, decode(f))
				hl := int(ip.IHL) * 4
				if int(ip.Length) > mtu || ip.TTL != 63 || int(ip.FragOffset)*8 != len(data) || ip.Id != inIP.ID() {
					t.Fatalf("fragment %d: len %d ttl %d offset %d id %d", i, ip.Length, ip.TTL, ip.FragOffset*8, ip.Id)
				}
				if want := i < len(out)-1; (ip.Flags&layers.IPv4MoreFragments != 0) != want {
					t.Fatalf("fragment %d: MF = %v", i, !want)
				}
				if (i == 0 && hl != tt.firstHL) || (i > 0 && hl != tt.restHL) {
					t.Fatalf("fragment %d: header length %d", i, hl)
				}
				data = append(data, f[14+hl:14+int(ip.Length)]...)
			}
			if !bytes.Equal(data, inIP.Payload()) {
				t.Fatal("reassembled payload differs")
			}
			c, _ := l.e.Counters("ge-1")
			if c.OutPackets != uint64(tt.wantFrags) {
				t.Fatalf("out packets %d", c.OutPackets)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	r0, h0 := memport.Pair("r0", macR0, "h0", macH0)
	r1, _ := memport.Pair("r1", macR1, "h1", macH1)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := New(Config{ICMPRate: 10, ICMPBurst: 5, BroadcastRate: 10, BroadcastBurst: 3, Clock: func() time.Time { return clock }},
		PortConfig{Port: r0, Interface: "ge-0"}, PortConfig{Port: r1, Interface: "ge-1"})
	must(t, err)
	must(t, e.AddAddress("ge-0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, e.AddAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, e.AddStaticARP("ge-0", netip.MustParseAddr("10.0.1.2"), macH0))
	must(t, e.ClearCounters(""))
	w := newWorker(e, 0, e.ports[0], 0, 8)
	send := func(f []byte, n int) {
		for i := 0; i < n; i++ {
			w.batch.Fill(0, f)
			w.process(1)
		}
	}
	send(udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 1, 10), 8)
	c, _ := e.Counters("ge-0")
	if c.Drops[DropTTLExpired] != 8 || c.ICMPSent != 5 || c.ICMPRateLimited != 3 {
		t.Fatalf("ICMP: expired %d sent %d limited %d", c.Drops[DropTTLExpired], c.ICMPSent, c.ICMPRateLimited)
	}
	clock = clock.Add(time.Second) // refills 10 tokens, capped at the burst
	send(udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 1, 10), 8)
	if c, _ = e.Counters("ge-0"); c.ICMPSent != 10 || c.ICMPRateLimited != 6 {
		t.Fatalf("ICMP after refill: sent %d limited %d", c.ICMPSent, c.ICMPRateLimited)
	}
	send(arpFrame(t, layers.ARPRequest, macH0, "10.0.1.2", "10.0.1.99", [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), 5)
	if c, _ = e.Counters("ge-0"); c.Drops[DropBroadcastStorm] != 2 {
		t.Fatalf("broadcast storm drops %d, want 2", c.Drops[DropBroadcastStorm])
	}
	var n int
	for h0.Pending() > 0 {
		k, _ := h0.Receive(0, port.NewBatch(64, port.DefaultBufSize))
		n += k
	}
	if n != 1+10 { // the gratuitous ARP for 10.0.1.1, then the ICMP errors
		t.Fatalf("%d frames on the wire, want 11", n)
	}
}

func TestSecondaryAddressSharesSubnet(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddAddress("ge-1", netip.MustParsePrefix("10.0.2.5/24")))
	must(t, l.e.DeleteAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")))
	l.drain(l.h1)
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 10))
	if out := l.drain(l.h1); len(out) != 1 {
		t.Fatalf("subnet route lost with one of two addresses: %d frames", len(out))
	}
	if err := l.e.DeleteAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")); !errors.Is(err, ErrNoSuchAddress) {
		t.Fatalf("deleting a missing address: %v", err)
	}
}
