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
	jm := func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.2.1", "10.0.2.2", 64, 40)[14:] } // to the analyzer
	plain := func(t *testing.T) []byte { return udpFrame(t, macR0, "10.0.1.2", "172.16.5.5", 17, 40)[14:] }
	analyzer := netip.MustParseAddr("10.0.2.2")
	tests := []struct {
		name  string
		pkt   func(t *testing.T) []byte
		send  func(e *Engine, pkt []byte) error
		dstIP string
	}{
		{"SendIPv4 out of analyzer port", jm, func(e *Engine, p []byte) error { return e.SendIPv4(DefaultVirtualRouter, p) }, "10.0.2.2"},
		{"SendIPv4Via", plain, func(e *Engine, p []byte) error { return e.SendIPv4Via(DefaultVirtualRouter, analyzer, p) }, "172.16.5.5"},
		{"MirrorSender", jm, func(e *Engine, p []byte) error { return sendOne(e, netip.Addr{}, p, 0) }, "10.0.2.2"},
		{"MirrorSender via", plain, func(e *Engine, p []byte) error { return sendOne(e, analyzer, p, 0) }, "172.16.5.5"},
		{"MirrorSender sharing the control lane", plain, func(e *Engine, p []byte) error { return sendOne(e, analyzer, p, mirrorLanes) }, "172.16.5.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			must(t, l.e.SetAnalyzer("ge-1", true))
			q := l.e.NewCopyQueue(8, 2048)
			must(t, l.e.SetTap("ge-1", Egress, &Tap{Queue: q}))
			pkt := tt.pkt(t)
			must(t, tt.send(l.e, pkt))
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
			if n := q.Drain(copyFunc(func(*Copy) {}), 0); n != 0 {
				t.Fatalf("copy mirrored again (%d)", n)
			}
		})
	}
}

// sendOne sends pkt with a MirrorSender after taking busy of the
// reserved lanes.
func sendOne(e *Engine, nh netip.Addr, pkt []byte, busy int) error {
	for i := 0; i < busy; i++ {
		s, err := e.NewMirrorSender(DefaultVirtualRouter)
		if err != nil {
			return err
		}
		defer s.Close()
	}
	s, err := e.NewMirrorSender(DefaultVirtualRouter)
	if err != nil {
		return err
	}
	defer s.Close()
	if (s.w == nil) != (busy >= mirrorLanes) {
		return errors.New("wrong lane choice")
	}
	if err := s.Send(nh, pkt); err != nil {
		return err
	}
	s.Flush()
	return nil
}

// TestCopiesNeverWaitForARP sends copies toward an unresolved next hop on
// an ordinary interface: they are dropped as secret send errors instead
// of being queued for ARP (and later counted as ordinary output).
func TestCopiesNeverWaitForARP(t *testing.T) {
	l := newLab(t)
	pkt := udpFrame(t, macR0, "10.0.1.2", "172.16.5.5", 17, 40)[14:]
	nh := netip.MustParseAddr("10.0.2.77")
	must(t, l.e.SendIPv4Via(DefaultVirtualRouter, nh, pkt))
	must(t, sendOne(l.e, nh, pkt, 0))
	if out := l.drain(l.h1); len(out) != 0 {
		t.Fatalf("%d frames sent", len(out))
	}
	c, _ := l.e.Counters("ge-1")
	if c.MirrorSendErrors != 2 || visible(c) != (Counters{}) {
		t.Fatalf("counters %+v", c)
	}
	es, _ := l.e.ARPEntries(DefaultVirtualRouter)
	for _, en := range es {
		if en.Addr == nh {
			t.Fatalf("copy started ARP resolution: %+v", en)
		}
	}
}

func TestSendIPv4Via(t *testing.T) {
	l := newLab(t)
	pkt := udpFrame(t, macR0, "10.0.1.2", "172.16.5.5", 17, 40)[14:]
	must(t, l.e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("192.0.2.0/24"), NextHop: netip.MustParseAddr("10.0.2.2"), Type: fib.Static}))
	tests := []struct {
		name    string
		vr      string
		nh      string
		wantErr error
		wantMAC [6]byte
	}{
		{"connected next hop", DefaultVirtualRouter, "10.0.1.2", nil, macH0},
		{"next hop behind a gateway", DefaultVirtualRouter, "192.0.2.9", nil, macH1},
		{"no route to next hop", DefaultVirtualRouter, "198.51.100.1", ErrNoRoute, [6]byte{}},
		{"next hop is the router", DefaultVirtualRouter, "10.0.1.1", ErrNoRoute, [6]byte{}},
		{"no such vr", "nope", "10.0.1.2", ErrNoSuchVirtualRouter, [6]byte{}},
		{"bad next hop", DefaultVirtualRouter, "::1", ErrBadAddress, [6]byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.e.SendIPv4Via(tt.vr, netip.MustParseAddr(tt.nh), pkt)
			out := append(l.drain(l.h0), l.drain(l.h1)...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || len(out) != 0 {
					t.Fatalf("err %v, %d frames", err, len(out))
				}
				return
			}
			if err != nil || len(out) != 1 {
				t.Fatalf("err %v, %d frames", err, len(out))
			}
			eth := decode(out[0]).Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if [6]byte(eth.DstMAC) != tt.wantMAC || string(out[0][14:14+len(pkt)]) != string(pkt) {
				t.Fatalf("frame %x", out[0])
			}
		})
	}
	if err := l.e.SendIPv4Via(DefaultVirtualRouter, netip.MustParseAddr("10.0.1.2"), pkt[:10]); err == nil {
		t.Fatal("truncated packet accepted")
	}
}

func TestMirrorSenderBatches(t *testing.T) {
	l := newLab(t)
	must(t, l.e.SetAnalyzer("ge-1", true))
	s, err := l.e.NewMirrorSender(DefaultVirtualRouter)
	must(t, err)
	defer s.Close()
	pkt := udpFrame(t, macR0, "10.0.2.1", "10.0.2.2", 64, 40)[14:]
	n := l.e.cfg.BatchSize + 3
	for i := 0; i < n; i++ {
		must(t, s.Send(netip.Addr{}, pkt))
	}
	if got := len(l.drain(l.h1)); got != l.e.cfg.BatchSize { // a full batch leaves at once
		t.Fatalf("before Flush: %d frames", got)
	}
	s.Flush()
	if got := len(l.drain(l.h1)); got != 3 {
		t.Fatalf("after Flush: %d frames", got)
	}
	// A copy larger than the analyzer port's MTU is fragmented, still secretly.
	must(t, l.e.SetMTU("ge-1", 576))
	big := udpFrame(t, macR0, "10.0.2.1", "10.0.2.2", 64, 1200)[14:]
	must(t, s.Send(netip.Addr{}, big))
	s.Flush()
	if got := len(l.drain(l.h1)); got != 3 {
		t.Fatalf("fragments: %d frames", got)
	}
	c, _ := l.e.Counters("ge-1")
	if c.MirrorSent != uint64(n+3) || visible(c) != (Counters{}) {
		t.Fatalf("counters %+v", c)
	}
	if acc, ref := s.Stats(); acc != uint64(n+1) || ref != 0 {
		t.Fatalf("stats %d %d", acc, ref)
	}
	if err := s.Send(netip.Addr{}, udpFrame(t, macR0, "10.0.2.1", "198.51.100.1", 64, 1)[14:]); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("no route: %v", err)
	}
	s.Close()
	if err := s.Send(netip.Addr{}, pkt); err == nil {
		t.Fatal("Send after Close succeeded")
	}
	if _, err := l.e.NewMirrorSender("nope"); !errors.Is(err, ErrNoSuchVirtualRouter) {
		t.Fatalf("NewMirrorSender(nope) = %v", err)
	}
}

func TestMirrorSenderAllocs(t *testing.T) {
	l := newLab(t)
	must(t, l.e.SetAnalyzer("ge-1", true))
	s, err := l.e.NewMirrorSender(DefaultVirtualRouter)
	must(t, err)
	defer s.Close()
	jm := udpFrame(t, macR0, "10.0.2.1", "10.0.2.2", 64, 40)[14:]
	plain := udpFrame(t, macR0, "10.0.1.2", "172.16.5.5", 17, 40)[14:]
	nh := netip.MustParseAddr("10.0.2.2")
	allocs := testing.AllocsPerRun(1000, func() {
		_ = s.Send(netip.Addr{}, jm)
		_ = s.Send(nh, plain)
		s.Flush()
		if n, _ := receiveNow(l.h1, l.rx); n != 2 {
			t.Fatalf("got %d frames", n)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per copy pair", allocs)
	}
}

func TestLookup(t *testing.T) {
	l := newLab(t)
	e := l.e
	must(t, e.AddAddress("ge-1", netip.MustParsePrefix("10.0.3.1/24"))) // secondary subnet
	must(t, e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("192.0.2.0/24"), NextHop: netip.MustParseAddr("10.0.3.9"), Type: fib.Static}))
	must(t, e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Interface: "ge-0", Type: fib.Static}))
	must(t, e.AddVirtualRouter("blue"))
	tests := []struct {
		vr, dst string
		wantErr error
		prefix  string
		typ     fib.Type
		ifname  string
		nextHop string
		src     string
	}{
		{DefaultVirtualRouter, "10.0.2.2", nil, "10.0.2.0/24", fib.Connected, "ge-1", "", "10.0.2.1"},
		{DefaultVirtualRouter, "10.0.3.7", nil, "10.0.3.0/24", fib.Connected, "ge-1", "", "10.0.3.1"},
		{DefaultVirtualRouter, "192.0.2.5", nil, "192.0.2.0/24", fib.Static, "ge-1", "10.0.3.9", "10.0.3.1"},
		{DefaultVirtualRouter, "198.51.100.7", nil, "198.51.100.0/24", fib.Static, "ge-0", "", "10.0.1.1"},
		{DefaultVirtualRouter, "10.0.1.1", nil, "10.0.1.1/32", fib.Local, "ge-0", "", "10.0.1.1"},
		{DefaultVirtualRouter, "203.0.113.1", ErrNoRoute, "", 0, "", "", ""},
		{"blue", "10.0.2.2", ErrNoRoute, "", 0, "", "", ""},
		{"nope", "10.0.2.2", ErrNoSuchVirtualRouter, "", 0, "", "", ""},
		{DefaultVirtualRouter, "::1", ErrBadAddress, "", 0, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.vr+"/"+tt.dst, func(t *testing.T) {
			ri, src, err := e.Lookup(tt.vr, netip.MustParseAddr(tt.dst))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var nh netip.Addr
			if tt.nextHop != "" {
				nh = netip.MustParseAddr(tt.nextHop)
			}
			if ri.Prefix != netip.MustParsePrefix(tt.prefix) || ri.Type != tt.typ || ri.Interface != tt.ifname || ri.NextHop != nh ||
				!ri.Best || src != netip.MustParseAddr(tt.src) {
				t.Fatalf("got %+v src %v", ri, src)
			}
		})
	}
}

func TestLinkUp(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddLoopback("lo0"))
	must(t, l.e.AddVLANInterface("ge-1.5", "ge-1", 5))
	r1 := l.e.ports[1].p.(interface{ SetCarrier(bool) })
	link := func() map[string]bool {
		m := map[string]bool{}
		for _, in := range l.e.Interfaces() {
			m[in.Name] = in.LinkUp
		}
		return m
	}
	tests := []struct {
		name    string
		carrier bool
		want    map[string]bool
	}{
		{"up", true, map[string]bool{"ge-0": true, "ge-1": true, "ge-1.5": true, "lo0": true}},
		{"carrier lost", false, map[string]bool{"ge-0": true, "ge-1": false, "ge-1.5": false, "lo0": true}},
		{"carrier back", true, map[string]bool{"ge-0": true, "ge-1": true, "ge-1.5": true, "lo0": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r1.SetCarrier(tt.carrier)
			l.e.pollLinks() // what the timer goroutine does every second
			got := link()
			for name, want := range tt.want {
				if got[name] != want {
					t.Fatalf("%s: LinkUp %v, want %v (%v)", name, got[name], want, got)
				}
			}
		})
	}
}
