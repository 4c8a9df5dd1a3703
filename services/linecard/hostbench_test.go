package linecard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

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

// benchResult is one measured run.
type benchResult struct {
	pps, copiesPS float64
	sysNS, erxNS  float64 // CPU ns per forwarded packet: whole machine (/proc/stat), erx process (getrusage)
	ringDrops     uint64
}

type benchLab struct {
	t                      testing.TB
	src, rtr, dst, ana     string
	sa, ra, rb, db, rc, dc string
	routerMAC, srcMAC      [6]byte
	dstMAC, anaMAC         [6]byte
	window                 time.Duration
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envList(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
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
	window := time.Duration(envInt("ERX_BENCH_SECONDS", 5)) * time.Second
	l.window = window
	rounds := envInt("ERX_BENCH_ROUNDS", 3)
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
	for _, s := range envList("ERX_BENCH_SIZES", "64,1500") {
		size, err := strconv.Atoi(s)
		if err != nil || size < 64 || size > 1514 {
			b.Fatalf("bad size %q", s)
		}
		for _, flows := range envList("ERX_BENCH_FLOWS", "1,many") {
			res := map[string][]benchResult{}
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

// benchCopier drains a copy queue like the mirror engine's analyzer: a
// jmirror encapsulation per copy, sent on a MirrorSender, one flush per
// drained batch.
type benchCopier struct {
	enc *jmirror.Encoder
	s   *linecard.MirrorSender
	buf []byte
}

func (c *benchCopier) HandleCopy(cp *linecard.Copy) {
	n, err := c.enc.Encode(c.buf, cp.MirrorID, cp.SessionID, cp.Packet)
	if err == nil {
		_ = c.s.Send(netip.Addr{}, c.buf[:n])
	}
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
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	stopDrain := func() {}
	if c.tap != "" {
		q := e.NewCopyQueue(256, 2048)
		s, err := e.NewMirrorSender(linecard.DefaultVirtualRouter)
		if err != nil {
			t.Fatal(err)
		}
		cp := &benchCopier{enc: jmirror.NewEncoder(netip.MustParseAddr("10.81.3.1"), netip.MustParseAddr("10.81.3.2"), 30030),
			s: s, buf: make([]byte, 2048+jmirror.PrependLen)}
		if err := e.SetTap(c.tap, linecard.Ingress, &linecard.Tap{Queue: q, MirrorID: 16, SessionID: 1}); err != nil {
			t.Fatal(err)
		}
		done, exited := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(exited)
			// The copies are data-plane work too: on the data-plane core with
			// the workers (the traffic source owns CPU 0, and its softirqs
			// starve any thread there).
			if lcfg.WorkerCPUs != nil && os.Getenv("ERX_BENCH_PINDRAIN") == "1" {
				runtime.LockOSThread() // never unlocked: the tuned thread exits with the goroutine
				var set unix.CPUSet
				set.Set(1)
				_ = unix.SchedSetaffinity(0, &set)
				_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), lcfg.WorkerNice)
			}
			for {
				select {
				case <-done:
					return
				case <-q.Ready():
					// Drain until the queue stays empty for a while before
					// parking again: at full rate a wake-up per few copies
					// costs more than the copies. Sleeping briefly instead of
					// waiting for the worker's wake-up keeps the drain off
					// the busy worker's scheduler queue.
					for idle := 0; idle < 16; {
						if q.Drain(cp, 64) > 0 {
							s.Flush()
							idle = 0
						} else {
							idle++
							time.Sleep(20 * time.Microsecond)
						}
					}
				}
			}
		}()
		stopDrain = func() { close(done); <-exited; s.Close() }
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	return e, pa, func() {
		e.Stop()
		stopDrain()
		pa.Close()
		pb.Close()
		pc.Close()
	}
}

// trafgenConfig writes the trafgen configuration: one frame of size bytes
// (or, mixed, 20 frames of which one carries benchVLAN5), UDP checksum 0;
// with many flows the destination's last byte and the UDP source port are
// random per frame (IP checksum recomputed by trafgen).
func (l *benchLab) trafgenConfig(size int, many, mixed bool) string {
	var sb strings.Builder
	n := 1
	if mixed {
		n = 20
	}
	for i := 0; i < n; i++ {
		tagged := mixed && i == 0
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 81, 1, 2}, DstIP: net.IP{10, 81, 9, 9}}
		udp := &layers.UDP{SrcPort: 1000, DstPort: 9}
		udp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: l.srcMAC[:], DstMAC: l.routerMAC[:], EthernetType: layers.EthernetTypeIPv4}
		ls := []gopacket.SerializableLayer{eth}
		l2 := 14
		payload := size - 42
		if tagged {
			eth.EthernetType = layers.EthernetTypeDot1Q
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: benchVLAN5, Type: layers.EthernetTypeIPv4})
			l2 += 4
			payload -= 4
		}
		ls = append(ls, ip, udp, gopacket.Payload(make([]byte, payload)))
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			l.t.Fatal(err)
		}
		f := buf.Bytes()
		f[l2+20+6], f[l2+20+7] = 0, 0 // UDP checksum off: payload bytes may vary
		sb.WriteString("{ ")
		for j := 0; j < len(f); j++ {
			if j > 0 {
				sb.WriteString(", ")
			}
			switch {
			case many && j == l2+10: // IP header checksum
				fmt.Fprintf(&sb, "csumip(%d, %d)", l2, l2+19)
				j++
			case many && j == l2+19: // last byte of the destination
				sb.WriteString("drnd()")
			case many && j == l2+20: // UDP source port
				sb.WriteString("drnd(2)")
				j++
			default:
				fmt.Fprintf(&sb, "0x%02x", f[j])
			}
		}
		sb.WriteString(" }\n")
	}
	path := fmt.Sprintf("%s/trafgen-%d-%v-%v.cfg", os.TempDir(), size, many, mixed)
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { os.Remove(path) })
	return path
}

// cpuBusy returns the machine's non-idle CPU time from /proc/stat.
func cpuBusy(t testing.TB) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 && i < 8 { // all but idle, iowait, guest
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run measures case c once.
func (l *benchLab) run(c benchCase, size int, many bool) benchResult {
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
	cfg := l.trafgenConfig(size, many, c.mixed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.src, "nice", "-n", "-19", "taskset", "-c", "0", "trafgen", "-P", "1", "-C", "--dev", l.sa, "--conf", cfg)
	// trafgen forks its generator: signal the whole process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // warm-up
	rx0, ana0, busy0, self0 := rxPackets(t, l.dst, l.db), rxPackets(t, l.ana, l.dc), cpuBusy(t), selfCPU()
	var drops0 uint64
	if pa != nil {
		drops0 = pa.Stats().RxDropped
	}
	start := time.Now()
	time.Sleep(l.window)
	rx1, ana1, busy1, self1 := rxPackets(t, l.dst, l.db), rxPackets(t, l.ana, l.dc), cpuBusy(t), selfCPU()
	el := time.Since(start)
	var r benchResult
	if pa != nil {
		r.ringDrops = pa.Stats().RxDropped - drops0
	}
	cancel()
	_ = cmd.Wait()                                      // interrupted: its exit status says nothing
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // and nothing of it may outlive the run
	if e != nil && os.Getenv("ERX_BENCH_DEBUG") != "" {
		ca, _ := e.Counters("a")
		cb, _ := e.Counters("b")
		t.Logf("%s: a in %d drops %v; b out %d drops %v; port b %+v", c.name, ca.InPackets, ca.Drops, cb.OutPackets, cb.Drops, portStats(e, "b"))
	}
	pk := float64(rx1 - rx0)
	r.pps = pk / el.Seconds()
	r.copiesPS = float64(ana1-ana0) / el.Seconds()
	if pk > 0 {
		r.sysNS = float64(busy1-busy0) / pk
		if e != nil {
			r.erxNS = float64(self1-self0) / pk
		}
	}
	return r
}

func median(rs []benchResult, f func(benchResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// ratio is the median over rounds of a[i]/b[i] (runs of one round were
// made one right after the other).
func ratio(a, b []benchResult) float64 {
	var v []float64
	for i := range a {
		if i < len(b) && b[i].pps > 0 {
			v = append(v, a[i].pps/b[i].pps)
		}
	}
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func printBench(b *testing.B, size int, flows string, cases []benchCase, res map[string][]benchResult) {
	fmt.Printf("\n%d-byte frames, %s flow(s)\n", size, flows)
	fmt.Printf("  %-15s %10s %8s %10s %10s %10s %10s\n", "case", "pps", "Gbit/s", "sys ns/p", "erx ns/p", "copies/s", "ring drop")
	for _, c := range cases {
		rs := res[c.name]
		if len(rs) == 0 {
			continue
		}
		pps := median(rs, func(r benchResult) float64 { return r.pps })
		fmt.Printf("  %-15s %10.0f %8.2f %10.0f %10.0f %10.0f %10.0f\n", c.name, pps, pps*float64(size)*8/1e9,
			median(rs, func(r benchResult) float64 { return r.sysNS }), median(rs, func(r benchResult) float64 { return r.erxNS }),
			median(rs, func(r benchResult) float64 { return r.copiesPS }), median(rs, func(r benchResult) float64 { return float64(r.ringDrops) }))
	}
	show := func(label, a, bb string) {
		if len(res[a]) > 0 && len(res[bb]) > 0 {
			x := ratio(res[a], res[bb])
			fmt.Printf("  %-32s %.2f×\n", label, x)
			b.ReportMetric(x, fmt.Sprintf("%s/%s-%dB-%s", a, bb, size, flows))
		}
	}
	show("erx / kernel", "erx", "kernel")
	show("erx sendmmsg / kernel", "erx-sendmmsg", "kernel")
	show("erx ring / erx sendmmsg", "erx", "erx-sendmmsg")
	show("kernel+mirred / kernel", "kernel+mirred", "kernel")
	show("erx 100 % mirrored / erx", "erx-mirror100", "erx")
	show("erx 100 % mirrored / kernel+mirred", "erx-mirror100", "kernel+mirred")
	show("erx 0 % mirrored / erx (mixed)", "erx-mirror0", "erx-mixed")
	show("erx 5 % mirrored / erx (mixed)", "erx-mirror5", "erx-mixed")
}

func rxPackets(t testing.TB, ns, dev string) uint64 {
	out := run(t, "ip", "netns", "exec", ns, "ip", "-s", "-j", "link", "show", dev)
	var v []struct {
		Stats64 struct {
			Rx struct{ Packets uint64 } `json:"rx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 1 {
		t.Fatalf("ip -j link show %s: %v", dev, err)
	}
	return v[0].Stats64.Rx.Packets
}

func portStats(e *linecard.Engine, name string) string {
	st, err := e.PortStats(name)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%+v", st)
}
