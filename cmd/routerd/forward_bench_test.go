package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/benchlab"
	"github.com/erxos/erx/internal/lab"
)

// BenchmarkRouterdForward measures the routerd binary itself against the
// kernel: a host-board lab (internal/lab) with src on 2/0/0 and dst on
// 2/0/1, trafgen in src (one process on CPU 0 at nice -19) sending UDP to
// 10.81.9.0/24. Every round runs each case once, rotating the order:
//
//   - kernel: routerd stopped, Linux forwards in the router namespace;
//   - routerd: routerd as shipped (dataPlaneTuning), configured over SSH
//     with interfaces, addresses, a static route and a static ARP entry;
//   - routerd-<cpus>: the same with ERX_DATAPLANE_CPUS=<cpus> (the
//     ERX_BENCH_ROUTERD_VARIANTS list, e.g. "none,1"), to compare worker
//     placements (CPU lists written with "+", e.g. "0+1").
//
// The next hop's ARP entry names a MAC nobody owns, so dst drops what it
// receives as "other host"; the rate is what dst's veth received (the
// "ring drop" column stays 0: routerd does not show its ports' ring
// drops, and the harness does not reach into the process). Enabled
// by ERX_BENCH_FORWARD=1 (make bench-forward); ERX_BENCH_SECONDS,
// ERX_BENCH_ROUNDS, ERX_BENCH_SIZES, ERX_BENCH_FLOWS as for
// BenchmarkHostForward (services/linecard), and ERX_BENCH_CASES
// (comma-separated routerd case names to run next to the kernel).
func BenchmarkRouterdForward(b *testing.B) {
	if os.Getenv("ERX_BENCH_FORWARD") == "" {
		b.Skip("set ERX_BENCH_FORWARD=1 (make bench-forward) to run routerd's forwarding benchmark")
	}
	if os.Geteuid() != 0 {
		b.Skip("requires root (network namespaces, AF_PACKET, trafgen)")
	}
	if _, err := exec.LookPath("trafgen"); err != nil {
		b.Fatalf("trafgen (netsniff-ng) not installed: %v", err)
	}
	r := newRouterdBench(b)
	window := time.Duration(benchlab.EnvInt("ERX_BENCH_SECONDS", 5)) * time.Second
	rounds := benchlab.EnvInt("ERX_BENCH_ROUNDS", 3)
	cases := []string{"kernel", "routerd"} // kernel first: the reference
	for _, v := range benchlab.EnvList("ERX_BENCH_ROUTERD_VARIANTS", "") {
		if v != "" {
			cases = append(cases, "routerd-"+v)
		}
	}
	if only := os.Getenv("ERX_BENCH_CASES"); only != "" {
		keep := []string{"kernel"} // the reference of every ratio
		for _, c := range cases[1:] {
			if strings.Contains(","+only+",", ","+c+",") {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	fmt.Printf("\nrouterd forwarding: src — routerd (host board) — dst, trafgen -P 1 on CPU 0 at nice -19, %v window, %d rounds, median; load %s\n",
		window, rounds, benchlab.LoadAvg())
	for _, s := range benchlab.EnvList("ERX_BENCH_SIZES", "64,1500") {
		size, err := strconv.Atoi(s)
		if err != nil || size < 64 || size > 1514 {
			b.Fatalf("bad size %q", s)
		}
		for _, flows := range benchlab.EnvList("ERX_BENCH_FLOWS", "1,many") {
			res := map[string][]benchlab.Result{}
			for round := 0; round < rounds; round++ {
				for i := range cases {
					c := cases[(i+round)%len(cases)]
					res[c] = append(res[c], r.run(c, size, flows == "many", window))
				}
			}
			benchlab.Table(size, flows, cases, res)
			for _, c := range cases[1:] {
				benchlab.ShowRatio(b, size, flows, c+" / kernel", c, "kernel", res)
			}
		}
	}
	fmt.Printf("load after: %s\n", benchlab.LoadAvg())
}

// Fixed MAC addresses of the router's ports: routerd's ports give the
// kernel a shadow MAC and routerd is killed without restoring it, so
// every case starts by setting these again.
const (
	benchPort0MAC = "02:00:5e:82:00:01"
	benchPort1MAC = "02:00:5e:82:00:02"
	benchSinkMAC  = "02:00:5e:82:02:99" // the next hop's: owned by nobody
)

type routerdBench struct {
	b        *testing.B
	l        *lab.Lab
	src, dst string
	srcMAC   [6]byte
}

func newRouterdBench(b *testing.B) *routerdBench {
	l := lab.New(b, lab.Config{Ports: []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1"}})
	r := &routerdBench{b: b, l: l, src: l.Neighbours[0], dst: l.Neighbours[1]}
	l.Neighbour(0, "", "")
	l.Neighbour(1, "", "")
	lab.Run(b, "ip", "netns", "exec", l.Router, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	// trafgen aborts with EAGAIN when the socket send buffer fills.
	lab.Run(b, "ip", "netns", "exec", r.src, "sysctl", "-qw", "net.core.wmem_default=4194304")
	out := lab.Run(b, "ip", "netns", "exec", r.src, "cat", "/sys/class/net/eth0/address")
	hw, err := net.ParseMAC(strings.TrimSpace(out))
	if err != nil {
		b.Fatal(err)
	}
	r.srcMAC = [6]byte(hw)
	return r
}

func (r *routerdBench) resetMACs() {
	for nic, mac := range map[string]string{"ge0": benchPort0MAC, "ge1": benchPort1MAC} {
		lab.Run(r.b, "ip", "-n", r.l.Router, "link", "set", "dev", nic, "address", mac)
	}
}

func (r *routerdBench) kernelUp() func() {
	rt := r.l.Router
	for _, c := range [][]string{
		{"ip", "-n", rt, "link", "set", "ge0", "up"}, {"ip", "-n", rt, "link", "set", "ge1", "up"},
		{"ip", "-n", rt, "addr", "add", "10.81.1.1/24", "dev", "ge0"},
		{"ip", "-n", rt, "addr", "add", "10.81.2.1/24", "dev", "ge1"},
		{"ip", "-n", rt, "neigh", "replace", "10.81.2.2", "lladdr", benchSinkMAC, "dev", "ge1", "nud", "permanent"},
		{"ip", "-n", rt, "route", "add", "10.81.9.0/24", "via", "10.81.2.2"},
		{"ip", "netns", "exec", rt, "sysctl", "-qw", "net.ipv4.ip_forward=1"},
	} {
		lab.Run(r.b, c[0], c[1:]...)
	}
	return func() {
		lab.Run(r.b, "ip", "netns", "exec", rt, "sysctl", "-qw", "net.ipv4.ip_forward=0")
		lab.Run(r.b, "ip", "-n", rt, "addr", "flush", "dev", "ge0")
		lab.Run(r.b, "ip", "-n", rt, "addr", "flush", "dev", "ge1")
		lab.Run(r.b, "ip", "-n", rt, "neigh", "flush", "dev", "ge1")
	}
}

// routerdUp starts routerd (with ERX_DATAPLANE_CPUS=cpus unless empty)
// and configures it over SSH the E Series way.
func (r *routerdBench) routerdUp(cpus string) func() {
	if cpus != "" {
		os.Setenv("ERX_DATAPLANE_CPUS", cpus)
		defer os.Unsetenv("ERX_DATAPLANE_CPUS")
	}
	r.l.Start()
	out := r.l.MustSSH("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.81.1.1 255.255.255.0\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.81.2.1 255.255.255.0\n" +
		"exit\n" +
		"ip route 10.81.9.0 255.255.255.0 10.81.2.2\n" +
		"arp 10.81.2.2 " + ciscoMAC(benchSinkMAC) + "\n")
	if strings.Contains(out, "%") {
		r.b.Fatalf("configuration rejected:\n%s\nconsole:\n%s", out, r.l.Console())
	}
	return r.l.Stop
}

// ciscoMAC writes 02:00:5e:82:02:99 as 0200.5e82.0299.
func ciscoMAC(s string) string {
	h := strings.ReplaceAll(s, ":", "")
	return h[0:4] + "." + h[4:8] + "." + h[8:12]
}

// run measures case c once.
func (r *routerdBench) run(c string, size int, many bool, window time.Duration) benchlab.Result {
	b := r.b
	r.resetMACs()
	var down func()
	switch {
	case c == "kernel":
		down = r.kernelUp()
	case c == "routerd":
		down = r.routerdUp("")
	default:
		down = r.routerdUp(strings.ReplaceAll(strings.TrimPrefix(c, "routerd-"), "+", ","))
	}
	defer down()
	mac, err := net.ParseMAC(benchPort0MAC)
	if err != nil {
		b.Fatal(err)
	}
	st := benchlab.Stream{SrcMAC: r.srcMAC, DstMAC: [6]byte(mac), Src: net.IP{10, 81, 1, 2}, Dst: net.IP{10, 81, 9, 9},
		Size: size, ManyFlows: many}
	stop := benchlab.Trafgen(b, r.src, "eth0", st.Config(b), 0)
	defer stop()
	time.Sleep(1500 * time.Millisecond) // warm-up
	pid := r.l.RouterdPID()
	procCPU := func() time.Duration {
		if pid == 0 {
			return 0
		}
		d, err := benchlab.ProcessCPU(pid)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	rx0, busy0, self0 := benchlab.RxPackets(b, r.dst, "eth0"), benchlab.CPUBusy(b), procCPU()
	start := time.Now()
	time.Sleep(window)
	rx1, busy1, self1 := benchlab.RxPackets(b, r.dst, "eth0"), benchlab.CPUBusy(b), procCPU()
	el := time.Since(start)
	stop()
	if os.Getenv("ERX_BENCH_DEBUG") != "" && pid != 0 {
		fmt.Printf("%s:\n%s\n", c, r.l.MustSSH("show interfaces gigabitEthernet 2/0/0\nshow interfaces gigabitEthernet 2/0/1\nshow arp"))
	}
	var res benchlab.Result
	pk := float64(rx1 - rx0)
	res.PPS = pk / el.Seconds()
	if pk > 0 {
		res.SysNS = float64(busy1-busy0) / pk
		res.ErxNS = float64(self1-self0) / pk
	}
	return res
}
