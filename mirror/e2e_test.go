package mirror_test

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"go.uber.org/goleak"

	"github.com/erxos/erx/mirror"
	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

var (
	macR = [3][6]byte{{2, 0xee, 0, 0, 0, 0x10}, {2, 0xee, 0, 0, 0, 0x11}, {2, 0xee, 0, 0, 0, 0x12}}
	macH = [3][6]byte{{2, 0xaa, 0, 0, 0, 2}, {2, 0xbb, 0, 0, 0, 2}, {2, 0xcc, 0, 0, 0, 9}}
	who  = mirror.CLI("admin")
)

// lab is a running data plane with three ports: ge-0 (subscriber side,
// host 10.0.1.2), ge-1 (upstream, host 10.0.2.2) and ge-2 (analyzer
// interface 192.0.2.1, analyzer 192.0.2.9), and a mirror engine on it.
type lab struct {
	t  *testing.T
	lc *linecard.Engine
	h  [3]*memport.Port
	r  [3]*memport.Port
	m  *mirror.Engine
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{t: t}
	var pcs []linecard.PortConfig
	for i := range 3 {
		l.r[i], l.h[i] = memport.Pair("r"+string(rune('0'+i)), macR[i], "h"+string(rune('0'+i)), macH[i])
		pcs = append(pcs, linecard.PortConfig{Port: l.r[i], Interface: "ge-" + string(rune('0'+i))})
	}
	lc, err := linecard.New(linecard.Config{}, pcs...)
	if err != nil {
		t.Fatal(err)
	}
	l.lc = lc
	must(t, lc.AddAddress("ge-0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, lc.AddAddress("ge-1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, lc.AddAddress("ge-2", netip.MustParsePrefix("192.0.2.1/24")))
	must(t, lc.AddStaticARP("ge-0", netip.MustParseAddr("10.0.1.2"), macH[0]))
	must(t, lc.AddStaticARP("ge-1", netip.MustParseAddr("10.0.2.2"), macH[1]))
	must(t, lc.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.9"), macH[2]))
	m, err := mirror.New(mirror.Config{DataPlane: lc, Routes: mirror.FIBRoutes{Source: lc}})
	if err != nil {
		t.Fatal(err)
	}
	l.m = m
	must(t, lc.Start())
	must(t, m.Start())
	for i := range 3 { // gratuitous ARPs
		l.recv(i, 1)
	}
	must(t, lc.ClearCounters(""))
	return l
}

func (l *lab) stop() {
	l.m.Stop()
	l.lc.Stop()
	for i := range 3 {
		l.r[i].Close()
		l.h[i].Close()
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// frame builds an Ethernet/IPv4/UDP frame from host i towards dst.
func frame(t testing.TB, i int, src, dst string, seq int) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macH[i][:]), DstMAC: net.HardwareAddr(macR[i][:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(seq), Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(bytes.Repeat([]byte{byte(seq)}, 20+seq%50)))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recv returns n frames received on host port i (waiting for them; a
// bounded number of empty polls means they never came).
func (l *lab) recv(i, n int) [][]byte {
	l.t.Helper()
	b := port.NewBatch(64, port.DefaultBufSize)
	var out [][]byte
	for empty := 0; len(out) < n; {
		k, err := l.h[i].Receive(0, b)
		if err != nil {
			l.t.Fatal(err)
		}
		if k == 0 {
			if empty++; empty > 200 {
				l.t.Fatalf("host %d: %d of %d frames", i, len(out), n)
			}
			continue
		}
		for j := 0; j < k; j++ {
			out = append(out, append([]byte(nil), b.Frames[j]...))
		}
	}
	return out
}

func (l *lab) send(i int, frames ...[]byte) {
	if _, err := l.h[i].Transmit(0, frames); err != nil {
		l.t.Fatal(err)
	}
}

// checkCopy checks one analyzer frame: Ethernet to the analyzer, the exact
// prepend, and the mirrored packet.
func checkCopy(t *testing.T, f []byte, mid, sid uint32, inner []byte) {
	t.Helper()
	if !bytes.Equal(f[0:6], macH[2][:]) || !bytes.Equal(f[6:12], macR[2][:]) || f[12] != 0x08 || f[13] != 0 {
		t.Fatalf("analyzer frame header % x", f[:14])
	}
	p, err := jmirror.Parse(f[14:])
	if err != nil {
		t.Fatal(err)
	}
	if p.IPv4().Source() != netip.MustParseAddr("192.0.2.1") || p.IPv4().Destination() != netip.MustParseAddr("192.0.2.9") || p.IPv4().TTL() != 255 ||
		p.UDP().SourcePort() != 30030 || p.UDP().DestinationPort() != 30030 || p.UDP().Checksum() != 0 || p.Header().MHV() != 0 ||
		p.Header().MirrorID() != mid || p.Header().SessionID() != sid {
		t.Fatalf("prepend: src %v dst %v ttl %d ports %d/%d mid %#x sid %#x", p.IPv4().Source(), p.IPv4().Destination(), p.IPv4().TTL(),
			p.UDP().SourcePort(), p.UDP().DestinationPort(), p.Header().MirrorID(), p.Header().SessionID())
	}
	if !bytes.Equal(p.Payload(), inner) {
		t.Fatalf("mirrored packet differs:\n% x\nwant\n% x", p.Payload(), inner)
	}
}

// checkForwarded checks that the original arrived unchanged apart from
// the TTL decrement and its checksum.
func checkForwarded(t *testing.T, got, sent []byte) {
	t.Helper()
	g, s := gopacket.NewPacket(got, layers.LayerTypeEthernet, gopacket.Default), gopacket.NewPacket(sent, layers.LayerTypeEthernet, gopacket.Default)
	gi, _ := g.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	si, _ := s.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if gi == nil || si == nil || gi.TTL != si.TTL-1 || gi.Id != si.Id || !gi.SrcIP.Equal(si.SrcIP) || !gi.DstIP.Equal(si.DstIP) ||
		!bytes.Equal(gi.Payload, si.Payload) || gi.Flags != si.Flags || gi.TOS != si.TOS {
		t.Fatalf("forwarded packet changed: %v", g)
	}
}

func TestEndToEnd(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	l := newLab(t)
	defer l.stop()
	must(t, l.m.SetAnalyzerInterface("ge-2", true, who))
	must(t, l.m.CreatePolicy("default", "LI-1", who))
	must(t, l.m.SetRule("LI-1", mirror.Rule{Analyzer: netip.MustParseAddr("192.0.2.9"), Port: 30030, MirrorID: 16, HasMirrorID: true}, who))

	// Interface mirroring: ingress of ge-0; Session-ID is the interface index.
	must(t, l.m.Attach("default", "ge-0", mirror.Input, "LI-1", who))
	info, _ := l.lc.Interface("ge-0")
	const n = 5
	var sent [][]byte
	for i := range n {
		sent = append(sent, frame(t, 0, "10.0.1.2", "10.0.2.2", i))
	}
	l.send(0, sent...)
	fwd := l.recv(1, n)
	copies := l.recv(2, n)
	for i := range n {
		checkForwarded(t, fwd[i], sent[i])
		checkCopy(t, copies[i], 16, info.Index, sent[i][14:])
	}
	c, _ := l.lc.Counters("ge-0")
	if c.MirrorCopies != n || c.MirrorDrops != 0 {
		t.Errorf("ge-0 mirror counters %d/%d", c.MirrorCopies, c.MirrorDrops)
	}
	ps, _ := l.m.Policies("LI-1")
	if s := ps[0].Stats; s.Copied != n || s.Sent != n || s.Dropped != 0 || s.SendErrors != 0 {
		t.Errorf("policy stats %+v", s)
	}
	var show bytes.Buffer
	must(t, l.m.WritePolicies(&show, "LI-1"))
	for _, want := range []string{"Analyzer: reachable via ge-2, source 192.0.2.1, next hop 192.0.2.9", "ge-0 secure-input",
		"Copies to 192.0.2.9:30030 (all lists using it): 5 copied, 5 sent (", "0 dropped (not built), 0 send errors", "Warning: mirrored traffic is 100.0% of the router's traffic"} {
		if !bytes.Contains(show.Bytes(), []byte(want)) {
			t.Errorf("show secure policy-list: missing %q:\n%s", want, show.String())
		}
	}
	must(t, l.m.Detach("ge-0", mirror.Input, who))

	// User mirroring: ge-0 as the subscriber's interface, both directions.
	must(t, l.m.AddTrigger("default", mirror.TriggerUsername, "sub1@erx.test", "LI-1", false, who))
	l.m.HandleSessionEvent(mirror.SessionEvent{Type: mirror.SessionLogin, Session: mirror.Session{Interface: "ge-0",
		Identity: mirror.Identity{Username: "sub1@erx.test", AcctSessionID: "00000001deadbeef", Address: netip.MustParseAddr("10.0.1.2")}}})
	up := frame(t, 0, "10.0.1.2", "10.0.2.2", 7)
	l.send(0, up)
	checkForwarded(t, l.recv(1, 1)[0], up)
	checkCopy(t, l.recv(2, 1)[0], 16, 0xdeadbeef, up[14:])
	down := frame(t, 1, "10.0.2.2", "10.0.1.2", 8)
	l.send(1, down)
	got := l.recv(0, 1)[0]
	checkForwarded(t, got, down)
	checkCopy(t, l.recv(2, 1)[0], 16, 0xdeadbeef, got[14:]) // egress copy: after the TTL decrement
	// Logout: no more copies; originals still flow.
	l.m.HandleSessionEvent(mirror.SessionEvent{Type: mirror.SessionLogout, Session: mirror.Session{Interface: "ge-0",
		Identity: mirror.Identity{AcctSessionID: "00000001deadbeef"}}})
	l.send(0, up)
	l.recv(1, 1)
	if c, _ := l.lc.Counters("ge-0"); c.MirrorCopies != n+2 { // the up and down copies before logout
		t.Errorf("copies after logout: %d", c.MirrorCopies)
	}
	if k := l.h[2].Pending(); k != 0 {
		t.Errorf("%d frames at the analyzer after logout", k)
	}
}

// TestAnalyzerPathChanges: the copies follow the analyzer's ARP entry at
// once (send errors while it is missing, no ARP request on the analyzer
// port), stop when the route to the analyzer goes (mirror action disabled)
// and resume when it returns, and follow a new next hop; the originals are
// forwarded throughout.
func TestAnalyzerPathChanges(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	l := newLab(t)
	defer l.stop()
	must(t, l.m.SetAnalyzerInterface("ge-2", true, who))
	must(t, l.m.Attach("default", "ge-0", mirror.Input, "LI-1", who))
	must(t, l.m.SetRule("LI-1", mirror.Rule{Analyzer: netip.MustParseAddr("192.0.2.9"), Port: 30030, MirrorID: 5, HasMirrorID: true}, who))
	info, _ := l.lc.Interface("ge-0")
	seq := 0
	step := func(name string, wantCopy bool) {
		t.Helper()
		f := frame(t, 0, "10.0.1.2", "10.0.2.2", seq)
		seq++
		l.send(0, f)
		checkForwarded(t, l.recv(1, 1)[0], f)
		if wantCopy {
			checkCopy(t, l.recv(2, 1)[0], 5, info.Index, f[14:])
		} else if k := l.h[2].Pending(); k != 0 {
			t.Fatalf("%s: %d frames at the analyzer", name, k)
		}
	}
	step("mirroring", true)
	must(t, l.lc.DeleteARP("ge-2", netip.MustParseAddr("192.0.2.9")))
	step("no ARP entry", false)
	if c, _ := l.lc.Counters("ge-2"); c.MirrorSendErrors != 1 || c.OutPackets != 0 {
		t.Fatalf("no ARP: counters %+v", c)
	}
	must(t, l.lc.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.9"), macH[2]))
	step("ARP back", true)

	must(t, l.lc.DeleteAddress("ge-2", netip.MustParsePrefix("192.0.2.1/24")))
	l.m.RoutesChanged() // the glue's job in routerd
	step("no route", false)
	ps, _ := l.m.Policies("LI-1")
	if ps[0].Reachable {
		t.Fatal("analyzer without route shown reachable")
	}
	must(t, l.lc.AddAddress("ge-2", netip.MustParsePrefix("192.0.2.1/24")))
	must(t, l.lc.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.9"), macH[2]))
	l.m.RoutesChanged()
	step("route back", true)

	// The analyzer moves behind a gateway on ge-2: copies go to the gateway's MAC.
	must(t, l.m.SetRule("LI-1", mirror.Rule{Analyzer: netip.MustParseAddr("198.51.100.7"), Port: 30030, MirrorID: 5, HasMirrorID: true}, who))
	step("no route to the new analyzer", false)
	gw := [6]byte{2, 0xcc, 0, 0, 0, 0x77}
	must(t, l.lc.AddStaticARP("ge-2", netip.MustParseAddr("192.0.2.77"), gw))
	must(t, l.lc.AddRoute("default", linecard.Route{Prefix: netip.MustParsePrefix("198.51.100.0/24"), NextHop: netip.MustParseAddr("192.0.2.77"), Type: fib.Static}))
	l.m.RoutesChanged()
	f := frame(t, 0, "10.0.1.2", "10.0.2.2", seq)
	l.send(0, f)
	checkForwarded(t, l.recv(1, 1)[0], f)
	c := l.recv(2, 1)[0]
	p, err := jmirror.Parse(c[14:])
	if !bytes.Equal(c[0:6], gw[:]) || err != nil || p.IPv4().Destination() != netip.MustParseAddr("198.51.100.7") || !bytes.Equal(p.Payload(), f[14:]) {
		t.Fatalf("copy via the gateway: % x (%v)", c[:14], err)
	}
}

// TestReconfigureUnderTraffic changes the configuration while traffic
// flows (run with -race): every original must still be forwarded, and
// every copy must be a well-formed analyzer packet.
func TestReconfigureUnderTraffic(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	l := newLab(t)
	defer l.stop()
	must(t, l.m.SetAnalyzerInterface("ge-2", true, who))
	must(t, l.m.CreatePolicy("default", "P", who))
	const total = 600
	var wg sync.WaitGroup
	var copies atomic.Int64
	done := make(chan struct{})
	wg.Add(2)
	tick := make(chan struct{}, total/6)
	go func() { // sender: one burst per configuration step, while the step runs
		defer wg.Done()
		for i := 0; i < total; i += 6 {
			<-tick
			var fs [][]byte
			for j := i; j < i+6; j++ {
				fs = append(fs, frame(t, 0, "10.0.1.2", "10.0.2.2", j))
			}
			l.h[0].Transmit(0, fs)
		}
	}()
	go func() { // analyzer
		defer wg.Done()
		b := port.NewBatch(64, port.DefaultBufSize)
		for {
			select {
			case <-done:
				return
			default:
			}
			k, err := l.h[2].Receive(0, b)
			if err != nil {
				return
			}
			for j := 0; j < k; j++ {
				if _, err := jmirror.Parse(b.Frames[j][14:]); err != nil {
					t.Errorf("bad analyzer packet: %v", err)
				}
				copies.Add(1)
			}
		}
	}()
	for i := 0; i < total/6; i++ {
		tick <- struct{}{}
		port := uint16(30030 + i%2)
		must(t, l.m.SetRule("P", mirror.Rule{Analyzer: netip.MustParseAddr("192.0.2.9"), Port: port, MirrorID: uint32(i), HasMirrorID: true}, who))
		must(t, l.m.Attach("default", "ge-0", mirror.Direction(i%2), "P", who))
		l.m.HandleSessionEvent(mirror.SessionEvent{Type: mirror.SessionLogin, Session: mirror.Session{Interface: "ge-1",
			Identity: mirror.Identity{Username: "u", AcctSessionID: "1"}}})
		if i%3 == 0 {
			must(t, l.m.AddTrigger("default", mirror.TriggerUsername, "u", "P", false, who))
		}
		l.m.RoutesChanged()
		must(t, l.m.Detach("ge-0", mirror.Direction(i%2), who))
		l.m.HandleSessionEvent(mirror.SessionEvent{Type: mirror.SessionLogout, Session: mirror.Session{Interface: "ge-1",
			Identity: mirror.Identity{AcctSessionID: "1"}}})
		if i%5 == 0 {
			must(t, l.m.SetAnalyzerInterface("ge-2", false, who))
			must(t, l.m.SetAnalyzerInterface("ge-2", true, who))
		}
	}
	fwd := l.recv(1, total)
	close(done)
	wg.Wait()
	if len(fwd) != total {
		t.Fatalf("%d of %d originals forwarded", len(fwd), total)
	}
	t.Logf("%d copies reached the analyzer", copies.Load())
}

// TestDefaultAnalyzerFollowsLink: the default analyzer's carrier, polled by
// the line card, reaches the engine by itself (FIBRoutes.WatchRoutes over
// linecard.WatchLinks): the policy turns unreachable when the link drops
// and reachable again when it returns, with no configuration change.
func TestDefaultAnalyzerFollowsLink(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	l := newLab(t)
	defer l.stop()
	must(t, l.m.SetDefaultAnalyzer("ge-2", who))
	must(t, l.m.CreatePolicy("default", "LI-1", who))
	// No route to 203.0.113.9: only the default analyzer reaches it, via
	// its static ARP entry 192.0.2.9.
	must(t, l.m.SetRule("LI-1", mirror.Rule{Analyzer: netip.MustParseAddr("203.0.113.9"), Port: 30030, MirrorID: 16, HasMirrorID: true}, who))
	must(t, l.m.Attach("default", "ge-0", mirror.Input, "LI-1", who))
	wait := func(reachable bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ps, err := l.m.Policies("LI-1")
			must(t, err)
			if ps[0].Reachable == reachable {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("policy still reachable=%v (%q) 20 s after the link change", ps[0].Reachable, ps[0].Unreachable)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(true)
	l.r[2].SetCarrier(false)
	wait(false)
	l.r[2].SetCarrier(true)
	wait(true)
}
