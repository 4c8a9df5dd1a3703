package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
)

// TestLabDataPlane drives the line-card data plane through a host-board
// routerd configured over SSH the E Series way, with real neighbours:
//
//	n0 10.1.0.2 ── 2/0/0 10.1.0.1  ┐
//	n1 10.2.0.2 ── 2/0/1 10.2.0.1  ├ routerd (default VR)
//	n2 10.3.0.2 ── 2/0/2.100 10.3.0.1 (VLAN 100; n2's VLAN device is lab.VLAN)
//	n3 10.4.0.2 ── 2/0/3 10.4.0.1  ┘ in virtual-router vr1
//
// Kernel forwarding is off in the router's namespace: what crosses is
// forwarded by routerd. The neighbours' veths keep their default offloads
// (TSO on): the port cuts TCP super-frames into segments and finishes
// CHECKSUM_PARTIAL checksums.
func TestLabDataPlane(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{
		"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1", "gigabitEthernet 2/0/2", "gigabitEthernet 2/0/3"}})
	src, dst, vlanNS, vrNS := l.Neighbours[0], l.Neighbours[1], l.Neighbours[2], l.Neighbours[3]
	l.Neighbour(0, "10.1.0.2/24", "10.1.0.1")
	l.Neighbour(1, "10.2.0.2/24", "10.2.0.1")
	l.Neighbour(2, "", "")
	l.VLAN(vlanNS, "eth0", "vlan100", 100)
	lab.Run(t, "ip", "-n", vlanNS, "addr", "add", "10.3.0.2/24", "dev", "vlan100")
	lab.Run(t, "ip", "-n", vlanNS, "route", "add", "default", "via", "10.3.0.1")
	l.Neighbour(3, "10.4.0.2/24", "10.4.0.1")
	lab.Run(t, "ip", "netns", "exec", l.Router, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	l.Start()

	out := l.MustSSH("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n" +
		"interface gigabitEthernet 2/0/2\n encapsulation vlan\n" +
		"interface gigabitEthernet 2/0/2.100\n vlan id 100\n ip address 10.3.0.1 255.255.255.0\n" +
		"exit\n" +
		"virtual-router vr1\n" +
		"interface gigabitEthernet 2/0/3\n ip address 10.4.0.1 255.255.255.0\n")
	if strings.Contains(out, "%") {
		t.Fatalf("configuration rejected:\n%s\nconsole:\n%s", out, l.Console())
	}

	ping := func(ns, dst string, args ...string) (string, error) {
		return l.In(ns, "ping", append([]string{"-n", "-W", "2", "-i", "0.2"}, append(args, dst)...)...)
	}
	mustPing := func(ns, dst string, args ...string) string {
		t.Helper()
		out, err := ping(ns, dst, args...)
		if err != nil {
			t.Fatalf("%s: ping %s: %v\n%s\nconsole:\n%s", ns, dst, err, out, l.Console())
		}
		return out
	}

	t.Run("ping", func(t *testing.T) {
		out := mustPing(src, "10.2.0.2", "-c", "3")
		if !strings.Contains(out, "3 received") {
			t.Errorf("ping through the router:\n%s", out)
		}
		// TTL 64 from n1, decremented once by the router.
		if !strings.Contains(out, "ttl=63") {
			t.Errorf("reply TTL not decremented once by the router:\n%s", out)
		}
	})

	t.Run("arp", func(t *testing.T) {
		out := l.MustSSH("show arp")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^10\.1\.0\.2\s+\d+\s+` + macOf(t, src, "eth0") + `\s+GigabitEthernet2/0/0\s*$`),
			regexp.MustCompile(`(?m)^10\.2\.0\.2\s+\d+\s+` + macOf(t, dst, "eth0") + `\s+GigabitEthernet2/0/1\s*$`),
		} {
			if !want.MatchString(out) {
				t.Errorf("show arp lacks %s:\n%s", want, out)
			}
		}
	})

	t.Run("counters", func(t *testing.T) {
		// Nothing else talks on these links: IPv6 is off in the
		// neighbours, and their ARP entries for the router are made
		// permanent; the router's entries are fresh. ARP frames that still
		// cross are counted by tcpdump on the neighbours and accounted.
		for i, ns := range []string{src, dst} {
			gw := []string{"10.1.0.1", "10.2.0.1"}[i]
			mac := routerMAC(t, l, []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1"}[i])
			lab.Run(t, "ip", "-n", ns, "neigh", "replace", gw, "lladdr", mac, "nud", "permanent", "dev", "eth0")
		}
		capSrc, capDst := startARPCapture(t, l, src), startARPCapture(t, l, dst)
		const n = 10
		in0, in1 := l.InterfaceCounters("gigabitEthernet 2/0/0"), l.InterfaceCounters("gigabitEthernet 2/0/1")
		mustPing(src, "10.2.0.2", "-c", fmt.Sprint(n), "-s", "100")
		out0, out1 := l.InterfaceCounters("gigabitEthernet 2/0/0"), l.InterfaceCounters("gigabitEthernet 2/0/1")
		a0, a1 := capSrc.stop(t), capDst.stop(t)
		// An echo of 100 data bytes is a 142-byte Ethernet frame.
		const frame = 14 + 20 + 8 + 100
		for _, c := range []struct {
			name      string
			got, want uint64
		}{
			{"2/0/0 In packets", out0.InPackets - in0.InPackets, n + a0.out},
			{"2/0/0 Out packets", out0.OutPackets - in0.OutPackets, n + a0.in},
			{"2/0/1 In packets", out1.InPackets - in1.InPackets, n + a1.out},
			{"2/0/1 Out packets", out1.OutPackets - in1.OutPackets, n + a1.in},
		} {
			if c.got != c.want {
				t.Errorf("%s: counted %d, sent %d (%d pings; ARP frames n0 in/out %d/%d, n1 in/out %d/%d)",
					c.name, c.got, c.want, n, a0.in, a0.out, a1.in, a1.out)
			}
		}
		if a0 == (arpCount{}) && a1 == (arpCount{}) {
			if got := out0.InBytes - in0.InBytes; got != n*frame {
				t.Errorf("2/0/0 In bytes: counted %d, sent %d", got, n*frame)
			}
			if got := out1.OutBytes - in1.OutBytes; got != n*frame {
				t.Errorf("2/0/1 Out bytes: counted %d, sent %d", got, n*frame)
			}
		}
	})

	t.Run("tcp", func(t *testing.T) {
		// The sender hands its veth peer TSO super-frames; none may be
		// dropped as a giant.
		if on, err := lab.TSO(src, "eth0"); err != nil || !on {
			t.Fatalf("TSO on %s eth0: %v, %v (the test needs the veth default)", src, on, err)
		}
		server := l.Background(dst, "iperf3", "-s", "-1", "-B", "10.2.0.2", "--forceflush")
		if err := server.WaitOutput("Server listening", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		// A short bounded run; the throughput is informational only.
		out, err := l.In(src, "timeout", "30", "iperf3", "-c", "10.2.0.2", "-t", "2", "-J")
		if err != nil {
			t.Fatalf("iperf3 through the router: %v\n%s\nserver:\n%s\nconsole:\n%s", err, out, server.Output(), l.Console())
		}
		var res struct {
			End struct {
				SumReceived struct {
					Bytes         uint64  `json:"bytes"`
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			} `json:"end"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("iperf3 -J output: %v\n%s", err, out)
		}
		if res.Error != "" || res.End.SumReceived.Bytes == 0 || res.End.SumReceived.BitsPerSecond <= 0 {
			t.Fatalf("iperf3 moved nothing (error %q, %d bytes):\n%s\nconsole:\n%s", res.Error, res.End.SumReceived.Bytes, out, l.Console())
		}
		t.Logf("iperf3 TCP through the router: %d bytes, %.0f Mbit/s (informational)", res.End.SumReceived.Bytes, res.End.SumReceived.BitsPerSecond/1e6)
		if show := l.MustSSH("show interfaces gigabitEthernet 2/0/0"); strings.Contains(show, "giant") {
			t.Errorf("TCP super-frames dropped as giants:\n%s", show)
		}
	})

	t.Run("traceroute", func(t *testing.T) {
		for _, mode := range [][]string{{}, {"-I"}} { // UDP probes, then ICMP echo
			args := append([]string{"-n", "-q", "1", "-w", "2", "-m", "5"}, mode...)
			out := l.MustIn(src, "traceroute", append(args, "10.2.0.2")...)
			if !regexp.MustCompile(`(?m)^\s*1\s+10\.1\.0\.1\s`).MatchString(out) ||
				!regexp.MustCompile(`(?m)^\s*2\s+10\.2\.0\.2\s`).MatchString(out) {
				t.Errorf("traceroute %v: want hop 1 the router (10.1.0.1), hop 2 the destination:\n%s\nconsole:\n%s", mode, out, l.Console())
			}
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		out, err := ping(src, "10.99.0.1", "-c", "2")
		if err == nil || !strings.Contains(out, "From 10.1.0.1") || !strings.Contains(out, "Destination Net Unreachable") {
			t.Errorf("ping to a destination without a route: want ICMP net unreachable from 10.1.0.1, got (%v):\n%s", err, out)
		}
	})

	t.Run("vlan", func(t *testing.T) {
		out := mustPing(src, "10.3.0.2", "-c", "3")
		if !strings.Contains(out, "3 received") {
			t.Errorf("ping over VLAN 100:\n%s", out)
		}
		show := l.MustSSH("show interfaces gigabitEthernet 2/0/2.100")
		if !strings.Contains(show, "VLAN ID: 100") || !strings.Contains(show, "is Up") {
			t.Errorf("show interfaces gigabitEthernet 2/0/2.100:\n%s", show)
		}
		if c, err := lab.ParseCounters(show); err != nil || c.InPackets < 3 || c.OutPackets < 3 {
			t.Errorf("subinterface counters after 3 echoes each way: %+v %v\n%s", c, err, show)
		}
		if arp := l.MustSSH("show arp"); !regexp.MustCompile(`(?m)^10\.3\.0\.2\s.*GigabitEthernet2/0/2\.100\s*$`).MatchString(arp) {
			t.Errorf("show arp lacks 10.3.0.2 on the subinterface:\n%s", arp)
		}
	})

	t.Run("router-ping-traceroute", func(t *testing.T) {
		out := l.MustSSH("ping 10.2.0.2 count 3")
		if !strings.Contains(out, "!!!") || !strings.Contains(out, "Success rate = 100% (3/3)") {
			t.Errorf("ping from the router CLI:\n%s\nconsole:\n%s", out, l.Console())
		}
		out = l.MustSSH("ping 10.2.0.99 count 2 timeout 1")
		if !strings.Contains(out, "Success rate = 0% (0/2)") {
			t.Errorf("ping from the router CLI to an absent host:\n%s", out)
		}
		out = l.MustSSH("traceroute 10.3.0.2 max-ttl 3 timeout 2")
		if !regexp.MustCompile(`(?m)^\s*1 10\.3\.0\.2 \d+ ms`).MatchString(out) {
			t.Errorf("traceroute from the router CLI to the VLAN neighbour:\n%s\nconsole:\n%s", out, l.Console())
		}
	})

	t.Run("bad-input", func(t *testing.T) {
		for _, line := range []string{
			"configure terminal\ninterface gigabitEthernet 9/0/0",
			"configure terminal\ninterface gigabitEthernet 2/0/0\n ip address 10.1.0.300 255.255.255.0",
			"ping 10.2.0",
		} {
			out, err := l.SSH(line)
			if err == nil || !strings.Contains(out, "% ") {
				t.Errorf("%q: want an E Series %% error and a failed exit, got (%v):\n%s", line, err, out)
			}
		}
		out, _ := l.SSH("configure terminal\ninterface gigabitEthernet 9/0/0")
		if !strings.HasPrefix(strings.TrimSpace(out), "% Invalid interface") {
			t.Errorf("interface gigabitEthernet 9/0/0: %q", out)
		}
	})

	t.Run("virtual-router", func(t *testing.T) {
		// The vr1 interface is up and answers its neighbour...
		mustPing(vrNS, "10.4.0.1", "-c", "2")
		// ...but vr1's FIB has no route to default's networks, and
		// default's none to vr1's.
		if out, err := ping(vrNS, "10.2.0.2", "-c", "2"); err == nil || strings.Contains(out, " bytes from 10.2.0.2") {
			t.Errorf("vr1 neighbour reached the default VR's neighbour (%v):\n%s", err, out)
		}
		if out, err := ping(src, "10.4.0.2", "-c", "2"); err == nil || strings.Contains(out, " bytes from 10.4.0.2") {
			t.Errorf("default VR neighbour reached vr1's neighbour (%v):\n%s", err, out)
		}
		if out, err := ping(src, "10.4.0.1", "-c", "2"); err == nil || strings.Contains(out, " bytes from 10.4.0.1") {
			t.Errorf("default VR neighbour reached vr1's interface address (%v):\n%s", err, out)
		}
		out := l.MustSSH("virtual-router vr1\nshow ip route")
		if !strings.Contains(out, "10.4.0.0/24") || strings.Contains(out, "10.2.0.0/24") {
			t.Errorf("show ip route in vr1:\n%s", out)
		}
		if out := l.MustSSH("show ip route"); strings.Contains(out, "10.4.0.0/24") {
			t.Errorf("show ip route in default lists vr1's network:\n%s", out)
		}
	})
}

// macOf is the MAC of dev in ns in the router's notation (xxxx.xxxx.xxxx).
func macOf(t *testing.T, ns, dev string) string {
	t.Helper()
	out := lab.Run(t, "ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/address")
	hex := strings.ReplaceAll(strings.TrimSpace(out), ":", "")
	return hex[0:4] + `\.` + hex[4:8] + `\.` + hex[8:12]
}

// routerMAC is the hardware address `show interfaces IF` prints, in the
// colon form ip(8) takes.
func routerMAC(t *testing.T, l *lab.Lab, ifName string) string {
	t.Helper()
	out := l.MustSSH("show interfaces " + ifName)
	m := regexp.MustCompile(`address is ([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no hardware address in:\n%s", out)
	}
	h := m[1] + m[2] + m[3]
	var parts []string
	for i := 0; i < 12; i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// arpCapture counts the ARP frames a neighbour receives (in) and sends
// (out) on eth0, one tcpdump per direction.
type arpCapture struct{ in, out *lab.Proc }

func startARPCapture(t *testing.T, l *lab.Lab, ns string) arpCapture {
	t.Helper()
	var c arpCapture
	for _, d := range []struct {
		dir string
		p   **lab.Proc
	}{{"in", &c.in}, {"out", &c.out}} {
		*d.p = l.Background(ns, "tcpdump", "-l", "-n", "-Q", d.dir, "-i", "eth0", "arp")
		if err := (*d.p).WaitOutput("listening on", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

type arpCount struct{ in, out uint64 }

func (c arpCapture) stop(t *testing.T) arpCount {
	t.Helper()
	count := func(p *lab.Proc) uint64 {
		if err := p.Interrupt(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		return uint64(strings.Count(p.Output(), " ARP, "))
	}
	return arpCount{in: count(c.in), out: count(c.out)}
}
