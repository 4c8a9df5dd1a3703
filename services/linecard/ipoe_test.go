package linecard

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"go.uber.org/goleak"

	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
)

// vlanFrame tags an untagged frame with vlan (0: unchanged).
func vlanFrame(f []byte, vlan uint16) []byte {
	if vlan == 0 {
		return f
	}
	out := append([]byte(nil), f[:12]...)
	out = append(out, 0x81, 0x00, byte(vlan>>8), byte(vlan))
	return append(out, f[12:]...)
}

func TestIPoESubscriberInterface(t *testing.T) {
	for _, tc := range []struct {
		name, parent, gw, sub string
		vlan                  uint16
	}{
		{"untagged", "ge-0", "10.0.1.1", "10.0.1.50", 0},
		{"vlan", "ge-0.100", "10.0.9.1", "10.0.9.50", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			if tc.vlan != 0 {
				must(t, l.e.AddVLANInterface(tc.parent, "ge-0", tc.vlan))
				must(t, l.e.AddAddress(tc.parent, netip.MustParsePrefix(tc.gw+"/24")))
				l.drain(l.h0)
			}
			addr := netip.MustParseAddr(tc.sub)
			sub := tc.parent + ".1073741825"
			must(t, l.e.AddIPoEInterface(sub, tc.parent, addr, macSub))
			must(t, l.e.AddRoute("default", Route{Prefix: netip.PrefixFrom(addr, 32), Interface: sub, Type: fib.Host}))
			d := ipoeAnalyzer(t, l)
			must(t, l.e.SetTap(sub, Ingress, &Tap{Delivery: d, MirrorID: 5, SessionID: 9}))
			must(t, l.e.SetTap(sub, Egress, &Tap{Delivery: d, MirrorID: 5, SessionID: 9}))
			must(t, l.e.ClearCounters(""))

			// Ingress: from the subscriber's address and MAC, counted on
			// its interface, forwarded.
			up := vlanFrame(udpFrameFrom(t, macSub, macR0, tc.sub, "10.0.2.2"), tc.vlan)
			l.in(0, up)
			var copies [][]byte // what reached the analyzer
			fwd, cp := splitCopies(l.drain(l.h1))
			copies = append(copies, cp...)
			if len(fwd) != 1 || ipOf(t, decode(fwd[0])).SrcIP.String() != tc.sub {
				t.Fatalf("upstream: %d frames", len(fwd))
			}
			// Egress: the host route leaves through the parent to the
			// subscriber's MAC, without ARP.
			l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", tc.sub))
			_, cp = splitCopies(l.drain(l.h1))
			copies = append(copies, cp...)
			out := l.drain(l.h0)
			if len(out) != 1 {
				t.Fatalf("downstream: %d frames", len(out))
			}
			p := decode(out[0])
			eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if [6]byte(eth.DstMAC) != macSub || [6]byte(eth.SrcMAC) != macR0 {
				t.Fatalf("ethernet %v", eth)
			}
			if tag, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); (tag != nil) != (tc.vlan != 0) || tag != nil && tag.VLANIdentifier != tc.vlan {
				t.Fatalf("tag %v", tag)
			}
			if ip := ipOf(t, p); ip.DstIP.String() != tc.sub || ip.TTL != 63 {
				t.Fatalf("downstream %v", ip)
			}
			c, err := l.e.Counters(sub)
			must(t, err)
			if c.InPackets != 1 || c.OutPackets != 1 || c.InBytes != 29 || c.OutBytes != 29 {
				t.Fatalf("subscriber counters %+v", c)
			}
			pc, _ := l.e.Counters(tc.parent)
			if pc.InPackets != 1 || pc.OutPackets != 1 {
				t.Fatalf("parent counts the frames: %+v", pc)
			}
			// Both directions passed the subscriber's taps: the ingress
			// copy before routing (TTL 64), the egress one after (63).
			if len(copies) != 2 || copies[0][14+8] != 64 || copies[1][14+8] != 63 ||
				ipOf(t, decode(copies[0])).SrcIP.String() != tc.sub || ipOf(t, decode(copies[1])).DstIP.String() != tc.sub {
				t.Fatalf("copies %x", copies)
			}
			if c.MirrorCopies != 2 {
				t.Fatalf("mirror copies %+v", c)
			}
			info, err := l.e.Interface(sub)
			must(t, err)
			if info.Kind != IPoESub || info.Kind.String() != "ip" || info.Parent != tc.parent || info.PeerMAC != macSub ||
				info.PeerAddress != addr || info.MTU != 1500 || info.VLAN != tc.vlan {
				t.Fatalf("info %+v", info)
			}

			// Ping the gateway: answered through the subscriber interface.
			echo := vlanFrame(pingFrameFrom(t, macSub, tc.sub, tc.gw), tc.vlan)
			l.in(0, echo)
			if out := l.drain(l.h0); len(out) != 1 || [6]byte(decode(out[0]).LinkLayer().(*layers.Ethernet).DstMAC) != macSub {
				t.Fatalf("echo reply: %d frames", len(out))
			}
			// A unicast DHCP renewal to the router is punted from the
			// access interface (the DHCP server's), not the subscriber's.
			l.in(0, vlanFrame(udpFrameFrom(t, macSub, macR0, tc.sub, tc.gw), tc.vlan))
			if len(l.cp.punted) != 1 || l.cp.punted[0].Interface != tc.parent || l.cp.punted[0].Reason != PuntLocal {
				t.Fatalf("punted %+v", l.cp.punted)
			}
			// Another MAC with the subscriber's address stays on the parent.
			l.in(0, vlanFrame(udpFrameFrom(t, macH0, macR0, tc.sub, "10.0.2.2"), tc.vlan))
			l.drain(l.h1)
			if c2, _ := l.e.Counters(sub); c2.InPackets != 3 {
				t.Fatalf("spoofed frame counted on the subscriber: %+v", c2)
			}
			// Logout: gone, and the parent's classifier with it.
			must(t, l.e.DeleteInterface(sub))
			p0, _ := l.e.lookup(tc.parent)
			if p0.ipoe.Load() != nil {
				t.Fatal("classifier left after the last subscriber")
			}
			if _, err := l.e.Interface(sub); err == nil {
				t.Fatal("interface left")
			}
		})
	}
}

// macAnalyzer is the MAC address of the test analyzer, 10.0.2.9 on ge-1.
var macAnalyzer = [6]byte{0x02, 0xcc, 0, 0, 0, 0x09}

// ipoeCopyEncoder sends mirrored packets unchanged (a plain copy).
type ipoeCopyEncoder struct{}

func (ipoeCopyEncoder) Encode(buf []byte, _ int, _, _ uint32, pkt []byte) (int, error) {
	return copy(buf, pkt), nil
}

// ipoeAnalyzer returns a delivery of plain copies to 10.0.2.9 on ge-1.
func ipoeAnalyzer(t testing.TB, l *lab) *Delivery {
	t.Helper()
	must(t, l.e.AddStaticARP("ge-1", netip.MustParseAddr("10.0.2.9"), macAnalyzer))
	d, err := l.e.NewDelivery(DefaultVirtualRouter, ipoeCopyEncoder{})
	must(t, err)
	must(t, d.SetNextHop(netip.MustParseAddr("10.0.2.9")))
	return d
}

// splitCopies separates forwarded frames from copies to the analyzer.
func splitCopies(frames [][]byte) (fwd, copies [][]byte) {
	for _, f := range frames {
		if [6]byte(f[:6]) == macAnalyzer {
			copies = append(copies, f)
		} else {
			fwd = append(fwd, f)
		}
	}
	return fwd, copies
}

func pingFrameFrom(t testing.TB, src [6]byte, sip, dip string) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(src[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.ParseIP(sip).To4(), DstIP: net.ParseIP(dip).To4()}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	return ser(t, eth, ip, icmp, gopacket.Payload([]byte("ping")))
}

func TestIPoESubscriberErrors(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddLoopback("lo0"))
	a := netip.MustParseAddr("10.0.1.50")
	must(t, l.e.AddIPoEInterface("ge-0.0.1073741825", "ge-0", a, macSub))
	for _, tc := range []struct {
		name, ifname, parent string
		addr                 netip.Addr
		mac                  [6]byte
	}{
		{"no address", "x", "ge-0", netip.Addr{}, macSub},
		{"ipv6", "x", "ge-0", netip.MustParseAddr("2001:db8::1"), macSub},
		{"zero address", "x", "ge-0", netip.IPv4Unspecified(), macSub},
		{"broadcast", "x", "ge-0", netip.MustParseAddr("255.255.255.255"), macSub},
		{"multicast peer", "x", "ge-0", netip.MustParseAddr("10.0.1.51"), [6]byte{1}},
		{"zero peer", "x", "ge-0", netip.MustParseAddr("10.0.1.51"), [6]byte{}},
		{"no parent", "x", "nope", netip.MustParseAddr("10.0.1.51"), macSub},
		{"loopback parent", "x", "lo0", netip.MustParseAddr("10.0.1.51"), macSub},
		{"subscriber parent", "x", "ge-0.0.1073741825", netip.MustParseAddr("10.0.1.51"), macSub},
		{"duplicate address", "x", "ge-0", a, macH0},
		{"duplicate name", "ge-0.0.1073741825", "ge-0", netip.MustParseAddr("10.0.1.51"), macSub},
	} {
		if err := l.e.AddIPoEInterface(tc.ifname, tc.parent, tc.addr, tc.mac); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// Deleting a VLAN parent removes its IP subscribers.
	must(t, l.e.AddVLANInterface("ge-0.5", "ge-0", 5))
	must(t, l.e.AddIPoEInterface("ge-0.5.1073741825", "ge-0.5", a, macSub))
	must(t, l.e.DeleteInterface("ge-0.5"))
	if _, err := l.e.Interface("ge-0.5.1073741825"); err == nil {
		t.Fatal("subscriber interface survived its parent")
	}
}

// TestIPoEClassifierShards fills many shards, removes the subscribers in
// another order and checks every lookup on the way.
func TestIPoEClassifierShards(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddAddress("ge-0", netip.MustParsePrefix("100.64.0.1/16")))
	const n = 600
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{100, 64, byte((i + 2) >> 8), byte(i + 2)}) }
	name := func(i int) string { return fmt.Sprintf("ge-0.0.%d", 1073741825+i) }
	for i := range n {
		must(t, l.e.AddIPoEInterface(name(i), "ge-0", addr(i), macSub))
	}
	p, _ := l.e.lookup("ge-0")
	check := func(present func(int) bool) {
		t.Helper()
		tb := p.ipoe.Load()
		for i := range n {
			var got *iface
			if tb != nil {
				if m := tb.shards[addrKey(addr(i))%ipoeShards].Load(); m != nil {
					got = (*m)[addrKey(addr(i))]
				}
			}
			if (got != nil) != present(i) || got != nil && got.name != name(i) {
				t.Fatalf("subscriber %d: %v", i, got)
			}
		}
	}
	check(func(int) bool { return true })
	for i := 0; i < n; i += 2 {
		must(t, l.e.DeleteInterface(name(i)))
	}
	check(func(i int) bool { return i%2 == 1 })
	if p.ipoe.Load().n != n/2 {
		t.Fatalf("count %d", p.ipoe.Load().n)
	}
	for i := 1; i < n; i += 2 {
		must(t, l.e.DeleteInterface(name(i)))
	}
	if p.ipoe.Load() != nil {
		t.Fatal("classifier left")
	}
}

func TestIPoEForwardAllocs(t *testing.T) {
	l := newLab(t)
	a := netip.MustParseAddr("10.0.1.50")
	must(t, l.e.AddIPoEInterface("ge-0.0.1073741825", "ge-0", a, macSub))
	must(t, l.e.AddRoute("default", Route{Prefix: netip.PrefixFrom(a, 32), Interface: "ge-0.0.1073741825", Type: fib.Host}))
	d := ipoeAnalyzer(t, l)
	must(t, l.e.SetTap("ge-0.0.1073741825", Ingress, &Tap{Delivery: d, MirrorID: 1, SessionID: 7}))
	must(t, l.e.SetTap("ge-0.0.1073741825", Egress, &Tap{Delivery: d, MirrorID: 1, SessionID: 7}))
	up := udpFrameFrom(t, macSub, macR0, "10.0.1.50", "10.0.2.2")
	down := udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.1.50")
	allocs := testing.AllocsPerRun(1000, func() {
		l.in(0, up)
		if n, _ := receiveNow(l.h1, l.rx); n != 2 { // original and ingress copy
			t.Fatalf("upstream: %d frames", n)
		}
		l.in(1, down)
		if n, _ := receiveNow(l.h0, l.rx); n != 1 {
			t.Fatalf("downstream: %d frames", n)
		}
		if n, _ := receiveNow(l.h1, l.rx); n != 1 { // egress copy
			t.Fatalf("egress copy: %d frames", n)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per packet", allocs)
	}
	if s := d.Stats(); s.Copied == 0 {
		t.Fatal("subscriber tap copied nothing")
	}
	if c, _ := l.e.Counters("ge-0.0.1073741825"); c.InPackets == 0 || c.OutPackets == 0 {
		t.Fatalf("counters %+v", c)
	}
}

// TestIPoEReconfigureUnderTraffic logs IP subscribers in and out (the
// classifier, host routes, taps) while started workers forward their
// traffic in both directions. Run with -race.
func TestIPoEReconfigureUnderTraffic(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := newLab(t)
	e := l.e
	must(t, e.Start())
	const subs = 4
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 1, byte(50 + i)}) }
	var frames [][]byte
	for i := range subs {
		frames = append(frames, udpFrameFrom(t, macSub, macR0, addr(i).String(), "10.0.2.2"))
	}
	down := make([][]byte, subs)
	for i := range subs {
		down[i] = udpFrameFrom(t, macH1, macR1, "10.0.2.2", addr(i).String())
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			l.h0.Transmit(0, frames[i%subs:i%subs+1])
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			l.h1.Transmit(0, down[i%subs:i%subs+1])
		}
	}()
	go func() {
		defer wg.Done()
		b0, b1 := port.NewBatch(64, port.DefaultBufSize), port.NewBatch(64, port.DefaultBufSize)
		for !stop.Load() {
			receiveNow(l.h1, b1)
			receiveNow(l.h0, b0)
		}
	}()
	d := ipoeAnalyzer(t, l)
	var in uint64
	// At least 200 rounds, and on until the workers classified some
	// traffic (a fast machine can finish 200 rounds before the first
	// batch); bounded so a classifier that never matches still fails.
	for round := 0; round < 200 || (in == 0 && round < 200_000); round++ {
		for i := range subs {
			name := fmt.Sprintf("ge-0.0.%d", 1073741825+i)
			must(t, e.AddIPoEInterface(name, "ge-0", addr(i), macSub))
			must(t, e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.PrefixFrom(addr(i), 32), Interface: name, Type: fib.Host}))
			must(t, e.SetTap(name, Ingress, &Tap{Delivery: d}))
			must(t, e.SetTap(name, Egress, &Tap{Delivery: d}))
		}
		for i := range subs {
			name := fmt.Sprintf("ge-0.0.%d", 1073741825+i)
			c, err := e.Counters(name)
			must(t, err)
			in += c.InPackets
			must(t, e.DeleteInterface(name))
		}
	}
	stop.Store(true)
	wg.Wait()
	e.Stop()
	if in == 0 {
		t.Fatal("no subscriber traffic was classified")
	}
}

// FuzzIPoEInput feeds arbitrary IPv4 payloads from an IP subscriber's MAC
// through the classifier, untagged and tagged.
func FuzzIPoEInput(f *testing.F) {
	l := newLab(f)
	must(f, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	must(f, l.e.AddAddress("ge-0.100", netip.MustParsePrefix("10.0.9.1/24")))
	a, b := netip.MustParseAddr("10.0.1.50"), netip.MustParseAddr("10.0.9.50")
	must(f, l.e.AddIPoEInterface("ge-0.0.1073741825", "ge-0", a, macSub))
	must(f, l.e.AddIPoEInterface("ge-0.100.1073741825", "ge-0.100", b, macSub))
	must(f, l.e.AddRoute("default", Route{Prefix: netip.PrefixFrom(a, 32), Interface: "ge-0.0.1073741825", Type: fib.Host}))
	must(f, l.e.SetMTU("ge-1", 576))
	f.Add(udpFrameFrom(f, macSub, macR0, "10.0.1.50", "10.0.2.2")[14:], false)
	f.Add(udpFrameFrom(f, macSub, macR0, "10.0.9.50", "10.0.1.50")[14:], true)
	f.Add(pingFrameFrom(f, macSub, "10.0.1.50", "10.0.1.1")[14:], false)
	f.Add([]byte{0x45, 0, 0xff, 0xff, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 1, 50}, false)
	f.Fuzz(func(t *testing.T, payload []byte, tagged bool) {
		hdr := append(append(append([]byte{}, macR0[:]...), macSub[:]...), 0x08, 0x00)
		if tagged {
			hdr = append(append(append([]byte{}, macR0[:]...), macSub[:]...), 0x81, 0x00, 0x00, 100, 0x08, 0x00)
		}
		l.in(0, append(hdr, payload...))
		l.drain(l.h0)
		l.drain(l.h1)
		l.cp.punted = l.cp.punted[:0]
	})
}

// BenchmarkPipelineForwardIPoE is BenchmarkPipelineForward (64-byte
// frames from ge-0 to ge-1, per packet) with IP subscribers on the
// ingress port: none (the classifier's nil test only), 1000 subscribers
// and traffic from a host that is not one (classified, not found), and
// traffic from one of them (counted on its interface).
func BenchmarkPipelineForwardIPoE(b *testing.B) {
	for _, bc := range []struct {
		name string
		subs int
		src  string
	}{
		{"no-subscribers", 0, "10.0.1.2"},
		{"1000-subscribers/other-host", 1000, "10.0.1.2"},
		{"1000-subscribers/subscriber", 1000, "100.64.0.10"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newLab(b)
			if bc.subs > 0 {
				must(b, l.e.AddAddress("ge-0", netip.MustParsePrefix("100.64.0.1/16")))
			}
			for i := range bc.subs {
				a := netip.AddrFrom4([4]byte{100, 64, byte((i + 2) >> 8), byte(i + 2)})
				must(b, l.e.AddIPoEInterface(fmt.Sprintf("ge-0.0.%d", 1073741825+i), "ge-0", a, macH0))
			}
			w := newWorker(l.e, 0, l.e.ports[0], 0, 64)
			frame := udpFrame(b, macR0, bc.src, "10.0.2.2", 64, 18) // 64-byte frame from macH0
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			for i := 0; i < b.N; i += 64 {
				for j := 0; j < 64; j++ {
					w.batch.Fill(j, frame)
				}
				w.process(64)
				b.StopTimer()
				for {
					n1, _ := receiveNow(l.h1, l.rx)
					n0, _ := receiveNow(l.h0, l.rx)
					if n0+n1 == 0 {
						break
					}
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkAddIPoEInterface is an IP subscriber's login and logout in the
// data plane with 30,000 IP subscribers already on the parent (one
// classifier shard copied each way).
func BenchmarkAddIPoEInterface(b *testing.B) {
	l := newLab(b)
	must(b, l.e.AddAddress("ge-0", netip.MustParsePrefix("100.64.0.1/16")))
	for i := range 30000 {
		a := netip.AddrFrom4([4]byte{100, 64, byte((i + 2) >> 8), byte(i + 2)})
		must(b, l.e.AddIPoEInterface(fmt.Sprintf("ge-0.0.%d", 1073741825+i), "ge-0", a, macSub))
	}
	extra := netip.MustParseAddr("100.64.200.1")
	b.ResetTimer()
	for range b.N {
		must(b, l.e.AddIPoEInterface("ge-0.0.2000000000", "ge-0", extra, macSub))
		must(b, l.e.DeleteInterface("ge-0.0.2000000000"))
	}
}
