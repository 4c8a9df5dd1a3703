package linecard_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/internal/benchlab"
	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port/afpacket"
)

// The host forwarding benchmark: namespaces src — rtr — dst plus rtr — ana
// (the analyzer) over veth pairs. trafgen in src, one process pinned to
// CPU 0, sends UDP to 10.81.9.0/24, routed in rtr toward dst. Every case
// — the kernel forwarding in rtr, erx forwarding in rtr, each with and
// without mirroring — runs once per round, the cases rotating so that
// slow drift of the VM hits them alike; the table gives medians.
//
// Sinks are cheap and alike for every case: the next hop 10.81.2.2 and the
// analyzer 10.81.3.2 have static ARP/neighbour entries with MAC addresses
// nobody owns, so dst and ana drop what they receive as "other host".
// The rate is what dst's veth received in the measuring window.
//
// Environment: ERX_BENCH_FORWARD=1 enables it (make bench-forward);
// ERX_BENCH_SECONDS (measuring window, default 5), ERX_BENCH_ROUNDS
// (default 3), ERX_BENCH_SIZES (default "64,1500"), ERX_BENCH_FLOWS
// (default "1,many"), ERX_BENCH_TX ("ring", "mmsg" or "both": the erx
// transmit path; default ring), ERX_BENCH_CASES (comma-separated case
// names to run, default all).

const (
	benchDstMAC = "02:00:5e:81:02:99" // owned by nobody: dst drops as other host
	benchAnaMAC = "02:00:5e:81:03:99" // same for the analyzer
	benchVLAN5  = 100                 // VLAN of the 5 % of traffic in the "mixed" stream
	benchVLAN0  = 200                 // a VLAN without traffic (mirroring configured, nothing matches)
)

// benchCase is one way of forwarding the offered traffic in rtr.
type benchCase struct {
	name   string
	kernel bool   // Linux forwards; else erx
	mirred bool   // kernel: tc mirred copy of every packet to ana
	tap    string // erx: interface with an ingress tap ("" none)
	mixed  bool   // the stream with 1 frame in 20 tagged with benchVLAN5
	ring   bool   // erx: PACKET_TX_RING (else sendmmsg)
}

func benchCases(tx string) []benchCase {
	ring := tx != "mmsg"
	cs := []benchCase{
		{name: "kernel", kernel: true},
		{name: "kernel+mirred", kernel: true, mirred: true},
		{name: "erx", ring: ring},
		{name: "erx-mirror100", tap: "a", ring: ring},
		{name: "erx-mixed", mixed: true, ring: ring},
		{name: "erx-mirror0", mixed: true, tap: "a.200", ring: ring},
		{name: "erx-mirror5", mixed: true, tap: "a.100", ring: ring},
	}
	if tx == "both" {
		cs = append(cs, benchCase{name: "erx-sendmmsg"})
	}
	return cs
}

type benchLab struct {
	t                      testing.TB
	anaMTU                 int // ERX_BENCH_ANALYZER_MTU, 0 for the default
	src, rtr, dst, ana     string
	sa, ra, rb, db, rc, dc string
	routerMAC, srcMAC      [6]byte
	dstMAC, anaMAC         [6]byte
	window                 time.Duration
}

// BenchmarkHostForward prints pps, Gbit/s, CPU per packet and the ratios
// erx/kernel and mirrored/unmirrored for every size and flow mix.
func BenchmarkHostForward(b *testing.B) {
	if os.Getenv("ERX_BENCH_FORWARD") == "" {
		b.Skip("set ERX_BENCH_FORWARD=1 (make bench-forward) to run the namespace forwarding benchmark")
	}
	if os.Geteuid() != 0 {
		b.Skip("requires root (network namespaces, AF_PACKET, trafgen)")
	}
	if _, err := exec.LookPath("trafgen"); err != nil {
		b.Skip("requires trafgen (netsniff-ng)")
	}
	l := newBenchLab(b)
	window := time.Duration(benchlab.EnvInt("ERX_BENCH_SECONDS", 5)) * time.Second
	l.window = window
	rounds := benchlab.EnvInt("ERX_BENCH_ROUNDS", 3)
	cases := benchCases(os.Getenv("ERX_BENCH_TX"))
	if only := os.Getenv("ERX_BENCH_CASES"); only != "" {
		var keep []benchCase
		for _, c := range cases {
			if strings.Contains(","+only+",", ","+c.name+",") {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	fmt.Printf("\nhost forwarding: src — rtr — dst (+ ana), trafgen -P 1 on CPU 0 at nice -19, erx workers pinned to CPU 1 at nice -19, %v window, %d rounds, median\n", window, rounds)
	for _, s := range benchlab.EnvList("ERX_BENCH_SIZES", "64,1500") {
		size, err := strconv.Atoi(s)
		if err != nil || size < 64 || size > 1514 {
			b.Fatalf("bad size %q", s)
		}
		for _, flows := range benchlab.EnvList("ERX_BENCH_FLOWS", "1,many") {
			res := map[string][]benchlab.Result{}
			for r := 0; r < rounds; r++ {
				for i := range cases {
					c := cases[(i+r)%len(cases)] // rotate the order every round
					res[c.name] = append(res[c.name], l.run(c, size, flows == "many"))
				}
			}
			printBench(b, size, flows, cases, res)
		}
	}
}

func newBenchLab(b *testing.B) *benchLab {
	id := fmt.Sprintf("%d", os.Getpid()%10000)
	l := &benchLab{t: b, src: "lbsrc" + id, rtr: "lbrtr" + id, dst: "lbdst" + id, ana: "lbana" + id,
		sa: "lbs" + id, ra: "lbra" + id, rb: "lbrb" + id, db: "lbd" + id, rc: "lbrc" + id, dc: "lba" + id}
	for _, ns := range []string{l.src, l.rtr, l.dst, l.ana} {
		exec.Command("ip", "netns", "del", ns).Run()
		run(b, "ip", "netns", "add", ns)
		b.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	run(b, "ip", "link", "add", l.sa, "netns", l.src, "type", "veth", "peer", "name", l.ra, "netns", l.rtr)
	run(b, "ip", "link", "add", l.db, "netns", l.dst, "type", "veth", "peer", "name", l.rb, "netns", l.rtr)
	run(b, "ip", "link", "add", l.dc, "netns", l.ana, "type", "veth", "peer", "name", l.rc, "netns", l.rtr)
	for _, c := range [][]string{
		{l.src, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}, {l.rtr, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{l.dst, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}, {l.ana, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{l.src, "ip", "link", "set", l.sa, "up"}, {l.dst, "ip", "link", "set", l.db, "up"}, {l.ana, "ip", "link", "set", l.dc, "up"},
		{l.rtr, "ip", "link", "set", l.ra, "up"}, {l.rtr, "ip", "link", "set", l.rb, "up"}, {l.rtr, "ip", "link", "set", l.rc, "up"},
	} {
		run(b, append([]string{"ip", "netns", "exec", c[0]}, c[1:]...)...)
	}
	// ERX_BENCH_ANALYZER_MTU raises the analyzer link's MTU (both ends), so
	// that a jmirror copy of a 1500-byte packet (1522 bytes of IP) leaves
	// whole instead of as two fragments, as on an analyzer link sized for it.
	if mtu := benchlab.EnvInt("ERX_BENCH_ANALYZER_MTU", 0); mtu > 0 {
		m := fmt.Sprint(mtu)
		run(b, "ip", "-n", l.rtr, "link", "set", l.rc, "mtu", m)
		run(b, "ip", "-n", l.ana, "link", "set", l.dc, "mtu", m)
		l.anaMTU = mtu
	}
	// trafgen aborts with EAGAIN when the socket send buffer fills.
	exec.Command("ip", "netns", "exec", l.src, "sysctl", "-qw", "net.core.wmem_default=4194304").Run()
	l.routerMAC = l.mac(l.rtr, l.ra)
	l.srcMAC = l.mac(l.src, l.sa)
	hw, _ := net.ParseMAC(benchDstMAC)
	l.dstMAC = [6]byte(hw)
	hw, _ = net.ParseMAC(benchAnaMAC)
	l.anaMAC = [6]byte(hw)
	return l
}

func (l *benchLab) mac(ns, dev string) [6]byte {
	out := run(l.t, "ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/address")
	hw, err := net.ParseMAC(strings.TrimSpace(out))
	if err != nil {
		l.t.Fatal(err)
	}
	return [6]byte(hw)
}

func (l *benchLab) nsRun(ns string, args ...string) {
	run(l.t, append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// kernelUp configures Linux forwarding in rtr; it returns the teardown.
func (l *benchLab) kernelUp(mirred bool) func() {
	for _, c := range [][]string{
		{"ip", "addr", "add", "10.81.1.1/24", "dev", l.ra}, {"ip", "addr", "add", "10.81.2.1/24", "dev", l.rb},
		{"ip", "neigh", "replace", "10.81.2.2", "lladdr", benchDstMAC, "dev", l.rb, "nud", "permanent"},
		{"ip", "route", "add", "10.81.9.0/24", "via", "10.81.2.2"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
	} {
		l.nsRun(l.rtr, c...)
	}
	if mirred {
		l.nsRun(l.rtr, "tc", "qdisc", "add", "dev", l.ra, "clsact")
		l.nsRun(l.rtr, "tc", "filter", "add", "dev", l.ra, "ingress", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", l.rc)
	}
	return func() {
		exec.Command("ip", "netns", "exec", l.rtr, "tc", "qdisc", "del", "dev", l.ra, "clsact").Run()
		l.nsRun(l.rtr, "sysctl", "-qw", "net.ipv4.ip_forward=0")
		l.nsRun(l.rtr, "ip", "addr", "flush", "dev", l.ra)
		l.nsRun(l.rtr, "ip", "addr", "flush", "dev", l.rb)
		l.nsRun(l.rtr, "ip", "neigh", "flush", "dev", l.rb)
	}
}

// setAnalyzerMTU gives the analyzer interface the link's raised MTU, if any.
func (l *benchLab) setAnalyzerMTU(e *linecard.Engine) error {
	if l.anaMTU == 0 {
		return nil
	}
	return e.SetMTU("c", l.anaMTU)
}

// erxUp starts erx in rtr for case c; it returns the engine, the ingress
// port and the teardown.
func (l *benchLab) erxUp(c benchCase) (*linecard.Engine, *afpacket.Port, func()) {
	t := l.t
	cfg := afpacket.Config{Queues: 1, TxRing: c.ring, ShadowMAC: os.Getenv("ERX_BENCH_SHADOW") != "0"}
	var pa, pb, pc *afpacket.Port
	if err := inNetns(l.rtr, func() (err error) {
		if pa, err = afpacket.Open(l.ra, cfg); err != nil {
			return err
		}
		if pb, err = afpacket.Open(l.rb, cfg); err != nil {
			return err
		}
		pc, err = afpacket.Open(l.rc, cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	lcfg := linecard.Config{WorkerCPUs: []int{1}, WorkerNice: -19}
	if os.Getenv("ERX_BENCH_PIN") == "0" {
		lcfg.WorkerCPUs, lcfg.WorkerNice = nil, 0
	}
	e, err := linecard.New(lcfg,
		linecard.PortConfig{Port: pa, Interface: "a"}, linecard.PortConfig{Port: pb, Interface: "b"}, linecard.PortConfig{Port: pc, Interface: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		e.AddAddress("a", netip.MustParsePrefix("10.81.1.1/24")),
		e.AddAddress("b", netip.MustParsePrefix("10.81.2.1/24")),
		e.AddAddress("c", netip.MustParsePrefix("10.81.3.1/24")),
		e.AddVLANInterface("a.100", "a", benchVLAN5),
		e.AddAddress("a.100", netip.MustParsePrefix("10.81.4.1/24")),
		e.AddVLANInterface("a.200", "a", benchVLAN0),
		e.AddAddress("a.200", netip.MustParsePrefix("10.81.5.1/24")),
		e.AddRoute(linecard.DefaultVirtualRouter, linecard.Route{Prefix: netip.MustParsePrefix("10.81.9.0/24"), NextHop: netip.MustParseAddr("10.81.2.2"), Type: fib.Static}),
		e.AddStaticARP("b", netip.MustParseAddr("10.81.2.2"), l.dstMAC),
		e.AddStaticARP("c", netip.MustParseAddr("10.81.3.2"), l.anaMAC),
		e.SetAnalyzer("c", true),
		l.setAnalyzerMTU(e),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c.tap != "" {
		// The worker builds each jmirror copy itself and sends it out of the
		// analyzer port in the same transmit call as the forwarded frames.
		d, err := e.NewDelivery(linecard.DefaultVirtualRouter,
			jmirror.NewEncoder(netip.MustParseAddr("10.81.3.1"), netip.MustParseAddr("10.81.3.2"), 30030))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SetNextHop(netip.MustParseAddr("10.81.3.2")); err != nil {
			t.Fatal(err)
		}
		if err := e.SetTap(c.tap, linecard.Ingress, &linecard.Tap{Delivery: d, MirrorID: 16, SessionID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	return e, pa, func() {
		e.Stop()
		pa.Close()
		pb.Close()
		pc.Close()
	}
}

// stream is the offered traffic: size-byte frames to 10.81.9.9 (or, many,
// 10.81.9.0/24 and random UDP source ports); mixed, 20 frames of which one
// carries benchVLAN5.
func (l *benchLab) stream(size int, many, mixed bool) benchlab.Stream {
	s := benchlab.Stream{SrcMAC: l.srcMAC, DstMAC: l.routerMAC, Src: net.IP{10, 81, 1, 2}, Dst: net.IP{10, 81, 9, 9},
		Size: size, ManyFlows: many}
	if mixed {
		s.TagEvery, s.VLAN = 20, benchVLAN5
	}
	return s
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run measures case c once.
func (l *benchLab) run(c benchCase, size int, many bool) benchlab.Result {
	t := l.t
	var e *linecard.Engine
	var pa *afpacket.Port
	var down func()
	if c.kernel {
		down = l.kernelUp(c.mirred)
	} else {
		e, pa, down = l.erxUp(c)
	}
	defer down()
	stop := benchlab.Trafgen(t, l.src, l.sa, l.stream(size, many, c.mixed).Config(t), 0)
	defer stop()
	time.Sleep(1500 * time.Millisecond) // warm-up
	rx0, ana0, busy0, self0 := benchlab.RxPackets(t, l.dst, l.db), benchlab.RxPackets(t, l.ana, l.dc), benchlab.CPUBusy(t), selfCPU()
	var drops0 uint64
	if pa != nil {
		drops0 = pa.Stats().RxDropped
	}
	start := time.Now()
	time.Sleep(l.window)
	rx1, ana1, busy1, self1 := benchlab.RxPackets(t, l.dst, l.db), benchlab.RxPackets(t, l.ana, l.dc), benchlab.CPUBusy(t), selfCPU()
	el := time.Since(start)
	var r benchlab.Result
	if pa != nil {
		r.RingDrops = pa.Stats().RxDropped - drops0
	}
	stop()
	if e != nil && os.Getenv("ERX_BENCH_DEBUG") != "" {
		ca, _ := e.Counters("a")
		cb, _ := e.Counters("b")
		t.Logf("%s: a in %d drops %v; b out %d drops %v; port b %+v", c.name, ca.InPackets, ca.Drops, cb.OutPackets, cb.Drops, portStats(e, "b"))
	}
	if e != nil && c.tap != "" { // every copy accounted for: made, dropped (no buffer), lost (transmit)
		ct, _ := e.Counters(c.tap)
		cb, _ := e.Counters("b")
		cc, _ := e.Counters("c")
		fmt.Printf("  %s %dB: forwarded %d, copies %d, copy drops %d, copies sent %d, copy send errors %d\n",
			c.name, size, cb.OutPackets, ct.MirrorCopies, ct.MirrorDrops, cc.MirrorSent, cc.MirrorSendErrors)
	}
	pk := float64(rx1 - rx0)
	r.PPS = pk / el.Seconds()
	r.CopiesPS = float64(ana1-ana0) / el.Seconds()
	if pk > 0 {
		r.SysNS = float64(busy1-busy0) / pk
		if e != nil {
			r.ErxNS = float64(self1-self0) / pk
		}
	}
	return r
}

func printBench(b *testing.B, size int, flows string, cases []benchCase, res map[string][]benchlab.Result) {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.name
	}
	benchlab.Table(size, flows, names, res)
	show := func(label, a, bb string) { benchlab.ShowRatio(b, size, flows, label, a, bb, res) }
	show("erx / kernel", "erx", "kernel")
	show("erx sendmmsg / kernel", "erx-sendmmsg", "kernel")
	show("erx ring / erx sendmmsg", "erx", "erx-sendmmsg")
	show("kernel+mirred / kernel", "kernel+mirred", "kernel")
	show("erx 100 % mirrored / erx", "erx-mirror100", "erx")
	show("erx 100 % mirrored / kernel+mirred", "erx-mirror100", "kernel+mirred")
	show("erx 0 % mirrored / erx (mixed)", "erx-mirror0", "erx-mixed")
	show("erx 5 % mirrored / erx (mixed)", "erx-mirror5", "erx-mixed")
}

func portStats(e *linecard.Engine, name string) string {
	st, err := e.PortStats(name)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%+v", st)
}
