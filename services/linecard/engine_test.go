package linecard

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
)

func TestForwardAllocs(t *testing.T) {
	l := newLab(t)
	d := newJMirrorDelivery(t, l.e, "10.0.2.1", "10.0.2.2") // copies to h1, jmirror
	must(t, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d, MirrorID: 1}))
	must(t, l.e.SetTap("ge-1", Egress, &Tap{Delivery: d, MirrorID: 1}))
	fwd := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 100)
	tests := []struct {
		name   string
		frame  []byte
		frames int // frames it becomes, with the mirror copies (ingress on ge-0, egress on ge-1)
		mtu    int
	}{
		{"forward with mirror copies", fwd, 3, 1500},
		{"echo reply", pingFrame(t, "10.0.1.1"), 2, 1500},
		{"ttl exceeded", udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 1, 100), 2, 1500},
		// 2 fragments, each copied (the first one's copy in 2 fragments), and the ingress copy in 2 fragments
		{"fragmented", udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 1200), 7, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(t, l.e.SetMTU("ge-1", tt.mtu))
			allocs := testing.AllocsPerRun(1000, func() {
				l.in(0, tt.frame)
				n0, _ := receiveNow(l.h0, l.rx)
				n1, _ := receiveNow(l.h1, l.rx)
				if n0+n1 != tt.frames {
					t.Fatalf("got %d+%d frames", n0, n1)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per packet", allocs)
			}
		})
	}
}

func TestEngineStartStopNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := newLab(t)
	must(t, l.e.Start())
	if err := l.e.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	l.e.Stop()
	l.e.Stop()
	must(t, l.e.Start())
	l.e.Stop()
}

// TestReconfigureUnderTraffic runs traffic through started workers while
// another goroutine reconfigures everything the workers read. Run with
// -race.
func TestReconfigureUnderTraffic(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := newLab(t)
	e := l.e
	must(t, e.Start())
	frames := [][]byte{
		udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 100),
		udpFrame(t, macR0, "10.0.1.2", "172.16.5.5", 64, 100),
		pingFrame(t, "10.0.1.1"),
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // traffic source
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			l.h0.Transmit(0, frames[i%len(frames):i%len(frames)+1])
		}
	}()
	go func() { // traffic sinks
		defer wg.Done()
		b0, b1 := port.NewBatch(64, port.DefaultBufSize), port.NewBatch(64, port.DefaultBufSize)
		for !stop.Load() {
			l.h1.Receive(0, b1)
			receiveNow(l.h0, b0)
		}
	}()
	d := newJMirrorDelivery(t, e, "10.0.1.1", "10.0.1.2")
	for i := 0; i < 300; i++ {
		r := Route{Prefix: netip.MustParsePrefix("172.16.0.0/12"), NextHop: netip.MustParseAddr("10.0.2.2"), Type: fib.Static}
		must(t, e.AddRoute(DefaultVirtualRouter, r))
		must(t, e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
		_ = d.SetNextHop(netip.MustParseAddr([]string{"10.0.1.2", "10.0.2.2"}[i%2])) // ge-1 may be down: unresolved
		must(t, e.AddVLANInterface("ge-1.7", "ge-1", 7))
		must(t, e.AddAddress("ge-1.7", netip.MustParsePrefix("10.7.0.1/24")))
		must(t, e.SetMTU("ge-1", 1400+i%100))
		must(t, e.SetAdminUp("ge-1", i%3 != 0))
		_, _ = e.Counters("ge-0")
		_, _ = e.ARPEntries(DefaultVirtualRouter)
		must(t, e.DeleteRoute(DefaultVirtualRouter, r))
		must(t, e.SetTap("ge-0", Ingress, nil))
		must(t, e.DeleteInterface("ge-1.7"))
		must(t, e.ClearARP(""))
		must(t, e.AddStaticARP("ge-1", netip.MustParseAddr("10.0.2.2"), macH1))
	}
	must(t, e.SetAdminUp("ge-1", true))
	stop.Store(true)
	wg.Wait()
	e.Stop()
	c, _ := e.Counters("ge-0")
	if c.InPackets == 0 {
		t.Fatal("no traffic went through")
	}
}

func pingFrame(t testing.TB, dst string) []byte {
	b := udpFrame(t, macR0, "10.0.1.2", dst, 64, 20)
	// Turn the UDP datagram into an ICMP echo request of the same size.
	ip := b[14:]
	ip[9] = 1
	ip[10], ip[11] = 0, 0
	sum := ipSum(ip[:20])
	ip[10], ip[11] = byte(sum>>8), byte(sum)
	m := ip[20:]
	m[0], m[1], m[2], m[3] = 8, 0, 0, 0
	s := ipSum(m)
	m[2], m[3] = byte(s>>8), byte(s)
	return b
}

func ipSum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func FuzzPipeline(f *testing.F) {
	l := newLab(f)
	must(f, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	must(f, l.e.AddAddress("ge-0.100", netip.MustParsePrefix("10.0.3.1/24")))
	must(f, l.e.SetMTU("ge-1", 576)) // exercise fragmentation
	d := newJMirrorDelivery(f, l.e, "10.0.1.1", "10.0.1.2")
	must(f, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	must(f, l.e.SetTap("ge-1", Egress, &Tap{Delivery: d}))
	tagged := udpFrame(f, macR0, "10.0.3.2", "10.0.2.2", 64, 10)
	tagged = append(tagged[:12:12], append([]byte{0x81, 0x00, 0x00, 100}, tagged[12:]...)...)
	f.Add(tagged)
	f.Add(udpFrame(f, macR0, "10.0.1.2", "10.0.2.2", 64, 1000))
	f.Add(udpFrame(f, macR0, "10.0.1.2", "10.0.2.2", 64, 10))
	f.Add(pingFrame(f, "10.0.1.1"))
	f.Add(arpFrame(f, 1, macH0, "10.0.1.7", "10.0.1.1", [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l.in(0, b)
		l.in(1, b)
		l.drain(l.h0)
		l.drain(l.h1)
		l.cp.punted = l.cp.punted[:0]
	})
}

// BenchmarkPipelineForward measures the pipeline alone: a batch of 64
// 64-byte IPv4/UDP frames forwarded between memports, per packet.
func BenchmarkPipelineForward(b *testing.B) {
	benchPipeline(b, false)
}

// BenchmarkPipelineForwardMirrored is BenchmarkPipelineForward with an
// ingress tap copying every packet.
func BenchmarkPipelineForwardMirrored(b *testing.B) {
	benchPipeline(b, true)
}

func benchPipeline(b *testing.B, mirrored bool) {
	l := newLab(b)
	w := newWorker(l.e, 0, l.e.ports[0], 0, 64)
	frame := udpFrame(b, macR0, "10.0.1.2", "10.0.2.2", 64, 18) // 64-byte frame
	// Mirrored: jmirror copies out of ge-0, drained below like ge-1.
	if mirrored {
		d := newJMirrorDelivery(b, l.e, "10.0.1.1", "10.0.1.2")
		must(b, l.e.SetTap("ge-0", Ingress, &Tap{Delivery: d}))
	}
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
}

type nopControl struct{}

func (nopControl) HandlePunt(*Punt) {}

func TestPuntAllocs(t *testing.T) {
	l := newLab(t)
	l.e.SetControlPlane(nopControl{})
	session := udpFrame(t, macR0, "10.0.1.2", "10.0.2.2", 64, 40)
	session[12], session[13] = 0x88, 0x64 // PPPoE session EtherType
	if allocs := testing.AllocsPerRun(1000, func() { l.in(0, session) }); allocs != 0 {
		t.Fatalf("%v allocations per punted frame", allocs)
	}
	if c, _ := l.e.Counters("ge-0"); c.Punted == 0 {
		t.Fatal("nothing punted")
	}
}

func TestConfigErrors(t *testing.T) {
	l := newLab(t)
	e := l.e
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"vlan 0", e.AddVLANInterface("x", "ge-0", 0), ErrBadArgument},
		{"missing parent", e.AddVLANInterface("x", "nope", 5), ErrNoSuchInterface},
		{"duplicate name", e.AddLoopback("ge-0"), ErrInterfaceExists},
		{"delete physical", e.DeleteInterface("ge-0"), ErrBadArgument},
		{"mtu too big", e.SetMTU("ge-0", 9000), ErrBadArgument},
		{"mtu too small", e.SetMTU("ge-0", 10), ErrBadArgument},
		{"ipv6 address", e.AddAddress("ge-0", netip.MustParsePrefix("2001:db8::1/64")), ErrBadAddress},
		{"missing vr", e.SetVirtualRouter("ge-0", "nope"), ErrNoSuchVirtualRouter},
		{"duplicate vr", e.AddVirtualRouter(DefaultVirtualRouter), ErrVirtualRouterExists},
		{"route without next hop", e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("1.0.0.0/8"), Type: fib.Static}), ErrBadArgument},
		{"connected route by hand", e.AddRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("1.0.0.0/8"), Interface: "ge-0", Type: fib.Connected}), ErrBadArgument},
		{"route in missing vr", e.AddRoute("nope", Route{Prefix: netip.MustParsePrefix("1.0.0.0/8"), Interface: "ge-0", Type: fib.Static}), ErrNoSuchVirtualRouter},
		{"delete missing route", e.DeleteRoute(DefaultVirtualRouter, Route{Prefix: netip.MustParsePrefix("1.0.0.0/8"), Interface: "ge-0", Type: fib.Static}), fib.ErrNoSuchRoute},
		{"arp on missing interface", e.AddStaticARP("nope", netip.MustParseAddr("10.0.1.9"), macH0), ErrNoSuchInterface},
		{"delete missing arp", e.DeleteARP("ge-0", netip.MustParseAddr("10.0.1.99")), ErrNoSuchAddress},
		{"tap without queue", e.SetTap("ge-0", Ingress, &Tap{}), ErrBadArgument},
		{"transmit on loopback", func() error { _ = e.AddLoopback("lo9"); return e.TransmitFrame("lo9", make([]byte, 60)) }(), ErrBadArgument},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// An engine without ports (a board with only a management port) starts,
// runs its timers and stops.
func TestEngineWithoutPorts(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.tickTimers()
	if err := e.AddLoopback("loopback 0"); err != nil {
		t.Fatal(err)
	}
	e.tickTimers()
	e.Stop()
}
