package linecard

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/services/linecard/fib"
)

var bcastMAC = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// visible is what an ordinary `show interfaces` user sees of counters.
func visible(c Counters) Counters {
	c.MirrorCopies, c.MirrorDrops, c.AnalyzerDrops, c.MirrorSent, c.MirrorSentBytes, c.MirrorSendErrors = 0, 0, 0, 0, 0, 0
	return c
}

func TestAnalyzerDropsEverything(t *testing.T) {
	tests := []struct {
		name  string
		frame func(t *testing.T) []byte
	}{
		{"transit", func(t *testing.T) []byte { return udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.1.2") }},
		{"ping to router", func(t *testing.T) []byte { return pingFrame(t, "10.0.2.1") }},
		{"arp request", func(t *testing.T) []byte {
			return arpFrame(t, layers.ARPRequest, [6]byte{2, 0xbb, 0, 0, 0, 9}, "10.0.2.9", "10.0.2.1", bcastMAC)
		}},
		{"arp reply", func(t *testing.T) []byte {
			return arpFrame(t, layers.ARPReply, [6]byte{2, 0xbb, 0, 0, 0, 9}, "10.0.2.9", "10.0.2.1", macR1)
		}},
		{"broadcast (dhcp)", func(t *testing.T) []byte { return udpFrameFrom(t, macH1, bcastMAC, "0.0.0.0", "255.255.255.255") }},
		{"unknown ethertype", func(t *testing.T) []byte {
			f := udpFrameFrom(t, macH1, macR1, "10.0.2.2", "10.0.1.2")
			f[12], f[13] = 0x86, 0xdd
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			must(t, l.e.SetAnalyzer("ge-1", true))
			if !l.e.Analyzer("ge-1") {
				t.Fatal("Analyzer(ge-1) = false")
			}
			l.in(1, tt.frame(t))
			if out := append(l.drain(l.h0), l.drain(l.h1)...); len(out) != 0 {
				t.Fatalf("analyzer port let %d frames through", len(out))
			}
			if n := len(l.cp.punted); n != 0 {
				t.Fatalf("%d punts from an analyzer port", n)
			}
			c, _ := l.e.Counters("ge-1")
			if c.AnalyzerDrops != 1 || c.DropsTotal() != 0 || c.Punted != 0 {
				t.Fatalf("counters %+v", c)
			}
			es, _ := l.e.ARPEntries(DefaultVirtualRouter)
			for _, en := range es {
				if en.Addr == netip.MustParseAddr("10.0.2.9") {
					t.Fatalf("analyzer port learned ARP: %+v", en)
				}
			}
		})
	}
}

func TestAnalyzerSendsNoARP(t *testing.T) {
	l := newLab(t)
	must(t, l.e.SetAnalyzer("ge-1", true))
	must(t, l.e.AddAddress("ge-1", netip.MustParsePrefix("10.0.7.1/24"))) // no gratuitous ARP
	must(t, l.e.SetAdminUp("ge-1", false))
	must(t, l.e.SetAdminUp("ge-1", true))
	pkt := udpFrame(t, macR0, "10.0.2.1", "10.0.2.77", 64, 8)[14:] // next hop without static ARP
	must(t, l.e.SendIPv4(DefaultVirtualRouter, pkt))
	if out := l.drain(l.h1); len(out) != 0 {
		t.Fatalf("analyzer port sent %d frames (ARP?)", len(out))
	}
	c, _ := l.e.Counters("ge-1")
	if c.MirrorSendErrors != 1 || visible(c) != (Counters{}) {
		t.Fatalf("counters %+v", c)
	}
	must(t, l.e.SetAnalyzer("ge-1", false))
	must(t, l.e.SendIPv4(DefaultVirtualRouter, pkt))
	if out := l.drain(l.h1); len(out) != 1 || decode(out[0]).Layer(layers.LayerTypeARP) == nil {
		t.Fatalf("ordinary port did not ARP: %d frames", len(out))
	}
	must(t, l.e.AddLoopback("lo0"))
	if err := l.e.SetAnalyzer("lo0", true); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("SetAnalyzer(loopback) = %v", err)
	}
}

// TestMirrorCopiesAreSecret sends one copy to the analyzer behind ge-1 by
// every path the mirror engine has and checks that it arrives and shows
// up only in the secret counters, and is never mirrored again.
// TestAnalyzerModeFollowsName sets analyzer mode before the interface
// exists (secure store restored before the configuration creates it) and
// keeps it across deletion.
func TestAnalyzerModeFollowsName(t *testing.T) {
	l := newLab(t)
	e := l.e
	must(t, e.SetAnalyzer("ge-1.7", true))
	if !e.Analyzer("ge-1.7") || e.Analyzer("ge-1") {
		t.Fatal("Analyzer() wrong")
	}
	steps := []struct {
		name string
		do   func() error
		want uint64 // AnalyzerDrops after one tagged frame
	}{
		{"created later", func() error { return e.AddVLANInterface("ge-1.7", "ge-1", 7) }, 1},
		{"recreated", func() error {
			must(t, e.DeleteInterface("ge-1.7"))
			return e.AddVLANInterface("ge-1.7", "ge-1", 7)
		}, 1},
		{"turned off", func() error { return e.SetAnalyzer("ge-1.7", false) }, 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			must(t, s.do())
			must(t, e.ClearCounters(""))
			f := udpFrameFrom(t, macH1, macR1, "10.0.7.2", "10.0.1.2")
			tagged := append(append(append([]byte(nil), f[:12]...), 0x81, 0, 0, 7), f[12:]...)
			l.in(1, tagged)
			l.drain(l.h0)
			c, _ := e.Counters("ge-1.7")
			if c.InPackets != 1 || c.AnalyzerDrops != s.want {
				t.Fatalf("counters %+v", c)
			}
		})
	}
}

func TestMirrorCopiesAreSecret(t *testing.T) {
	tests := []struct {
		name  string
		send  func(t *testing.T, l *lab) []byte // returns the packet expected at the analyzer
		dstIP string
	}{
		{"SendIPv4 out of analyzer port", func(t *testing.T, l *lab) []byte {
			pkt := udpFrame(t, macR0, "10.0.2.1", "10.0.2.2", 64, 40)[14:]
			must(t, l.e.SendIPv4(DefaultVirtualRouter, pkt))
			return pkt
		}, "10.0.2.2"},
		{"plain copy of a tap", func(t *testing.T, l *lab) []byte {
			d := newDelivery(t, l.e, plainEncoder{}, "10.0.2.2")
			must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
			f := udpFrame(t, macR0, "10.0.1.2", "10.0.1.9", 17, 40) // to a host on ge-0 without ARP: no output there
			l.in(0, f)
			must(t, l.e.SetTap("ge-0", Ingress, nil))
			return f[14:]
		}, "10.0.1.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			must(t, l.e.SetAnalyzer("ge-1", true))
			again := newDelivery(t, l.e, plainEncoder{}, "10.0.1.2")
			must(t, l.e.SetTap("ge-1", Egress, &Tap{Delivery: again}))
			pkt := tt.send(t, l)
			out := l.drain(l.h1)
			if len(out) != 1 {
				t.Fatalf("analyzer got %d frames", len(out))
			}
			p := decode(out[0])
			eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			ip := ipOf(t, p)
			if [6]byte(eth.DstMAC) != macH1 || [6]byte(eth.SrcMAC) != macR1 || ip.DstIP.String() != tt.dstIP || ip.TTL != pkt[8] {
				t.Fatalf("copy %v", p)
			}
			c, _ := l.e.Counters("ge-1")
			if c.MirrorSent != 1 || c.MirrorSentBytes != uint64(len(out[0])) || c.MirrorCopies != 0 {
				t.Fatalf("secret counters %+v", c)
			}
			if v := visible(c); v != (Counters{}) {
				t.Fatalf("copy visible to ordinary users: %+v", v)
			}
			if s := again.Stats(); s != (DeliveryStats{}) {
				t.Fatalf("copy mirrored again: %+v", s)
			}
		})
	}
}

// TestCopiesNeverWaitForARP sends copies toward an unresolved next hop on
// an ordinary interface: they are dropped as secret send errors instead
// of being queued for ARP (and later counted as ordinary output).
func TestCopiesNeverWaitForARP(t *testing.T) {
	l := newLab(t)
	nh := netip.MustParseAddr("10.0.2.77")
	d := newDelivery(t, l.e, plainEncoder{}, nh.String())
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 17, 40))
	l.in(0, udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 17, 40))
	if out := l.drain(l.h1); len(out) != 2 { // the originals only
		t.Fatalf("%d frames sent", len(out))
	}
	c, _ := l.e.Counters("ge-1")
	if c.MirrorSendErrors != 2 || c.OutPackets != 2 || c.DropsTotal() != 0 {
		t.Fatalf("counters %+v", c)
	}
	if s := d.Stats(); s.Copied != 2 || s.SendErrors != 2 || s.Sent != 0 {
		t.Fatalf("delivery stats %+v", s)
	}
	es, _ := l.e.ARPEntries(DefaultVirtualRouter)
	for _, en := range es {
		if en.Addr == nh {
			t.Fatalf("copy started ARP resolution: %+v", en)
		}
	}
}

func TestDeliveryNextHop(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("192.0.2.0/24"), NextHop: netip.MustParseAddr("10.0.2.2"), Type: fib.Static}))
	f := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 17, 40) // forwarded to h1 with TTL 16; copies keep 17
	tests := []struct {
		name    string
		vr      string
		nh      string
		wantErr error
		wantMAC [6]byte
	}{
		{"connected next hop", DefaultVirtualRouter, "10.0.2.2", nil, macH1},
		{"next hop behind a gateway", DefaultVirtualRouter, "192.0.2.9", nil, macH1},
		{"no route to next hop", DefaultVirtualRouter, "198.51.100.1", ErrNoRoute, [6]byte{}},
		{"next hop is the router", DefaultVirtualRouter, "10.0.2.1", ErrNoRoute, [6]byte{}},
		{"bad next hop", DefaultVirtualRouter, "::1", ErrBadAddress, [6]byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := l.e.NewDelivery(tt.vr, plainEncoder{})
			must(t, err)
			err = d.SetNextHop(netip.MustParseAddr(tt.nh))
			must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
			defer l.e.SetTap("ge-0", Ingress, nil)
			l.in(0, f)
			var out [][]byte
			for _, fr := range append(l.drain(l.h0), l.drain(l.h1)...) {
				if len(fr) > 22 && fr[22] == 17 {
					out = append(out, fr)
				}
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || len(out) != 0 || d.Stats().Dropped != 1 {
					t.Fatalf("err %v, %d frames, stats %+v", err, len(out), d.Stats())
				}
				return
			}
			if err != nil || len(out) != 1 {
				t.Fatalf("err %v, %d frames", err, len(out))
			}
			eth := decode(out[0]).Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if [6]byte(eth.DstMAC) != tt.wantMAC || string(out[0][14:len(f)]) != string(f[14:]) {
				t.Fatalf("frame %x", out[0])
			}
		})
	}
	if _, err := l.e.NewDelivery("nope", plainEncoder{}); !errors.Is(err, ErrNoSuchVirtualRouter) {
		t.Fatalf("NewDelivery(nope) = %v", err)
	}
	if _, err := l.e.NewDelivery(DefaultVirtualRouter, nil); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("NewDelivery(nil encoder) = %v", err)
	}
	other := newLab(t)
	d := newDelivery(t, other.e, plainEncoder{}, "10.0.2.2")
	if err := l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("SetTap(other engine's delivery) = %v", err)
	}
}
