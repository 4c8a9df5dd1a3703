package linecard_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port/afpacket"
)

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

// hostForward measures forwarding between namespaces src — rtr — dst:
// trafgen (pinned to CPU 0) sends one UDP flow of size-byte frames for
// 8 s; the rate is what dst's veth received. mode is "engine", "mirror"
// (engine plus an ingress tap drained by a goroutine) or "kernel"
// (Linux forwarding in rtr, for comparison).
func hostForward(t *testing.B, size int, mode string) {
	if os.Geteuid() != 0 {
		t.Skip("requires root (network namespaces, AF_PACKET, trafgen)")
	}
	if _, err := exec.LookPath("trafgen"); err != nil {
		t.Skip("requires root and trafgen (netsniff-ng)")
	}
	id := fmt.Sprintf("b%d", os.Getpid()%10000)
	src, rtr, dst := "lcsrc"+id, "lcrtr"+id, "lcdst"+id
	for _, ns := range []string{src, rtr, dst} {
		exec.Command("ip", "netns", "del", ns).Run()
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	sa, ra, rb, db := "lcs"+id, "lcra"+id, "lcrb"+id, "lcd"+id
	run(t, "ip", "link", "add", sa, "netns", src, "type", "veth", "peer", "name", ra, "netns", rtr)
	run(t, "ip", "link", "add", db, "netns", dst, "type", "veth", "peer", "name", rb, "netns", rtr)
	for _, c := range [][]string{
		{rtr, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{src, "ip", "link", "set", sa, "up"}, {dst, "ip", "link", "set", db, "up"},
		{rtr, "ip", "link", "set", ra, "up"}, {rtr, "ip", "link", "set", rb, "up"},
		{dst, "ip", "addr", "add", "10.81.2.2/24", "dev", db},
	} {
		run(t, append([]string{"ip", "netns", "exec", c[0]}, c[1:]...)...)
	}
	if mode == "kernel" {
		for _, c := range [][]string{
			{rtr, "ip", "addr", "add", "10.81.1.1/24", "dev", ra}, {rtr, "ip", "addr", "add", "10.81.2.1/24", "dev", rb},
			{rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1"}, {rtr, "ip", "route", "add", "10.81.9.0/24", "via", "10.81.2.2"},
			{src, "ip", "addr", "add", "10.81.1.2/24", "dev", sa},
		} {
			run(t, append([]string{"ip", "netns", "exec", c[0]}, c[1:]...)...)
		}
	}
	var routerMAC [6]byte
	var e *linecard.Engine
	var p0, p1 *afpacket.Port
	if mode == "kernel" {
		rmac := run(t, "ip", "netns", "exec", rtr, "cat", "/sys/class/net/"+ra+"/address")
		rhw, _ := net.ParseMAC(strings.TrimSpace(rmac))
		routerMAC = [6]byte(rhw)
	} else {
		if err := inNetns(rtr, func() (err error) {
			if p0, err = afpacket.Open(ra, afpacket.Config{}); err != nil {
				return err
			}
			p1, err = afpacket.Open(rb, afpacket.Config{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer p0.Close()
		defer p1.Close()
		routerMAC = p0.HardwareAddr()
		var err error
		e, err = linecard.New(linecard.Config{BatchSize: benchBatch}, linecard.PortConfig{Port: p0, Interface: "a"}, linecard.PortConfig{Port: p1, Interface: "b"})
		if err != nil {
			t.Fatal(err)
		}
		dmac := run(t, "ip", "netns", "exec", dst, "cat", "/sys/class/net/"+db+"/address")
		hw, _ := net.ParseMAC(strings.TrimSpace(dmac))
		for _, err := range []error{
			e.AddAddress("a", netip.MustParsePrefix("10.81.1.1/24")),
			e.AddAddress("b", netip.MustParsePrefix("10.81.2.1/24")),
			e.AddRoute("default", linecard.Route{Prefix: netip.MustParsePrefix("10.81.9.0/24"), NextHop: netip.MustParseAddr("10.81.2.2"), Type: fib.Static}),
			e.AddStaticARP("b", netip.MustParseAddr("10.81.2.2"), [6]byte(hw)),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if mode == "mirror" {
			q := e.NewCopyQueue(1024, 2048)
			if err := e.SetTap("a", linecard.Ingress, &linecard.Tap{Queue: q}); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-done:
						return
					case <-q.Ready():
						q.Drain(nopCopy{}, 0)
					}
				}
			}()
		}
		if err := e.Start(); err != nil {
			t.Fatal(err)
		}
		defer e.Stop()
	}
	smac := run(t, "ip", "netns", "exec", src, "cat", "/sys/class/net/"+sa+"/address")
	shw, _ := net.ParseMAC(strings.TrimSpace(smac))
	m := routerMAC
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 81, 1, 2}, DstIP: net.IP{10, 81, 9, 9}}
	udp := &layers.UDP{SrcPort: 1000, DstPort: 9}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: shw, DstMAC: net.HardwareAddr(m[:]), EthernetType: layers.EthernetTypeIPv4}, ip, udp, gopacket.Payload(make([]byte, size-42))); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("{ ")
	for i, b := range buf.Bytes() {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "0x%02x", b)
	}
	sb.WriteString(" }\n")
	cfg := t.TempDir() + "/trafgen.cfg"
	if err := os.WriteFile(cfg, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	before := rxPackets(t, dst, db)
	start := time.Now()
	// trafgen runs until timeout interrupts it; its exit status says nothing useful.
	_ = exec.Command("ip", "netns", "exec", src, "timeout", "-s", "INT", "8", "taskset", "-c", "0", "trafgen", "--dev", sa, "--conf", cfg, "-q").Run()
	el := time.Since(start)
	after := rxPackets(t, dst, db)
	t.ReportMetric(float64(after-before)/el.Seconds(), "pps")
	if e == nil {
		return
	}
	ca, _ := e.Counters("a")
	cb, _ := e.Counters("b")
	t.ReportMetric(float64(p0.Stats().RxDropped), "ring-drops")
	t.Logf("size %d: dst received %d in %v = %.0f pps; engine in %d out %d drops a=%d b=%d; ring drops %d tx errors %d",
		size, after-before, el, float64(after-before)/el.Seconds(), ca.InPackets, cb.OutPackets, ca.DropsTotal(), cb.DropsTotal(), p0.Stats().RxDropped, p1.Stats().TxErrors)
	if mode == "mirror" {
		t.ReportMetric(float64(ca.MirrorCopies)/el.Seconds(), "copies/s")
	}
}

type nopCopy struct{}

func (nopCopy) HandleCopy(*linecard.Copy) {}

// BenchmarkHostForward64 is hostForward with 64-byte frames through the engine.
func BenchmarkHostForward64(b *testing.B) { hostForward(b, 64, "engine") }

// BenchmarkHostForward64Mirrored adds an ingress tap copying every packet.
func BenchmarkHostForward64Mirrored(b *testing.B) { hostForward(b, 64, "mirror") }

// BenchmarkHostForward64Kernel is the Linux kernel forwarding the same traffic.
func BenchmarkHostForward64Kernel(b *testing.B) { hostForward(b, 64, "kernel") }

// BenchmarkHostForward1500 is hostForward with 1500-byte frames.
func BenchmarkHostForward1500(b *testing.B) { hostForward(b, 1500, "engine") }

// BenchmarkHostForward1500Kernel is the kernel with 1500-byte frames.
func BenchmarkHostForward1500Kernel(b *testing.B) { hostForward(b, 1500, "kernel") }

// benchBatch is the engine's receive batch size in hostForward.
var benchBatch = 64
