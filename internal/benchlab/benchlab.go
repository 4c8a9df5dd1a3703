// Package benchlab is the harness of the host forwarding benchmarks: a
// trafgen (netsniff-ng) stream described in Go, the generator started in a
// namespace as one process on one CPU, receive counters read from a veth,
// the machine's CPU time, and medians and ratios over rounds printed as a
// table. The line card's engine benchmark (services/linecard) and
// routerd's (cmd/routerd) share it, so both measure the same way.
package benchlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/internal/netns"
)

// EnvInt returns the positive integer in environment variable name, or def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// EnvList returns the comma-separated list in environment variable name,
// or def split the same way.
func EnvList(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
}

// Stream describes what trafgen sends: UDP from Src to Dst in frames of
// Size bytes (without FCS). With ManyFlows the destination's last byte and
// the UDP source port are random per frame. With TagEvery n > 0 the
// stream is n frames of which the first carries 802.1Q tag VLAN.
type Stream struct {
	SrcMAC, DstMAC [6]byte
	Src, Dst       net.IP
	Size           int
	ManyFlows      bool
	TagEvery       int
	VLAN           uint16
}

// Config writes the trafgen configuration for s to a temporary file
// (removed when t ends) and returns its path. UDP checksums are 0; with
// many flows trafgen recomputes the IP header checksum per frame.
func (s Stream) Config(t testing.TB) string {
	t.Helper()
	var sb strings.Builder
	n := max(1, s.TagEvery)
	for i := 0; i < n; i++ {
		tagged := s.TagEvery > 0 && i == 0
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: s.Src.To4(), DstIP: s.Dst.To4()}
		udp := &layers.UDP{SrcPort: 1000, DstPort: 9}
		udp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: s.SrcMAC[:], DstMAC: s.DstMAC[:], EthernetType: layers.EthernetTypeIPv4}
		ls := []gopacket.SerializableLayer{eth}
		l2 := 14
		payload := s.Size - 42
		if tagged {
			eth.EthernetType = layers.EthernetTypeDot1Q
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: s.VLAN, Type: layers.EthernetTypeIPv4})
			l2 += 4
			payload -= 4
		}
		if payload < 0 {
			t.Fatalf("benchlab: frame size %d too small", s.Size)
		}
		ls = append(ls, ip, udp, gopacket.Payload(make([]byte, payload)))
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatalf("benchlab: %v", err)
		}
		f := buf.Bytes()
		f[l2+20+6], f[l2+20+7] = 0, 0 // UDP checksum off: payload bytes may vary
		sb.WriteString("{ ")
		for j := 0; j < len(f); j++ {
			if j > 0 {
				sb.WriteString(", ")
			}
			switch {
			case s.ManyFlows && j == l2+10: // IP header checksum
				fmt.Fprintf(&sb, "csumip(%d, %d)", l2, l2+19)
				j++
			case s.ManyFlows && j == l2+19: // last byte of the destination
				sb.WriteString("drnd()")
			case s.ManyFlows && j == l2+20: // UDP source port
				sb.WriteString("drnd(2)")
				j++
			default:
				fmt.Fprintf(&sb, "0x%02x", f[j])
			}
		}
		sb.WriteString(" }\n")
	}
	fh, err := os.CreateTemp("", "trafgen-*.cfg")
	if err != nil {
		t.Fatalf("benchlab: %v", err)
	}
	t.Cleanup(func() { os.Remove(fh.Name()) })
	if _, err := fh.WriteString(sb.String()); err != nil {
		t.Fatalf("benchlab: %v", err)
	}
	if err := fh.Close(); err != nil {
		t.Fatalf("benchlab: %v", err)
	}
	return fh.Name()
}

// Trafgen runs trafgen in namespace ns on dev with configuration cfg as
// one generator process (-P 1) pinned to cpu at nice -19. trafgen forks
// its generator and pins it itself, so without -P 1 it would run one on
// every CPU. The returned stop interrupts the whole process group and
// waits for it.
func Trafgen(t testing.TB, ns, dev, cfg string, cpu int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nice", "-n", "-19", "taskset", "-c", strconv.Itoa(cpu),
		"trafgen", "-P", "1", "-C", "--dev", dev, "--conf", cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("benchlab: trafgen: %v", err)
	}
	return func() {
		cancel()
		_ = cmd.Wait()                                      // interrupted: its exit status says nothing
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // and nothing of it may outlive the run
	}
}

// RxPackets returns the received-packet counter of dev in namespace ns.
func RxPackets(t testing.TB, ns, dev string) uint64 {
	t.Helper()
	out := netns.Run(t, "ip", "netns", "exec", ns, "ip", "-s", "-j", "link", "show", dev)
	var v []struct {
		Stats64 struct {
			Rx struct{ Packets uint64 } `json:"rx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 1 {
		t.Fatalf("benchlab: ip -j link show %s: %v", dev, err)
	}
	return v[0].Stats64.Rx.Packets
}

// CPUBusy returns the machine's non-idle CPU time from /proc/stat.
func CPUBusy(t testing.TB) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatalf("benchlab: %v", err)
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

// ProcessCPU returns the user+system CPU time of process pid (all its
// threads) from /proc/PID/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("benchlab: %w", err)
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the command may contain spaces
	if i < 0 {
		return 0, fmt.Errorf("benchlab: /proc/%d/stat: no command", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("benchlab: /proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	return time.Duration(ut+st) * time.Second / 100, nil
}

// LoadAvg returns /proc/loadavg's first three fields, for the record.
func LoadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Result is one measured run of one case.
type Result struct {
	PPS, CopiesPS float64
	SysNS         float64 // CPU ns per forwarded packet, whole machine (/proc/stat)
	ErxNS         float64 // CPU ns per forwarded packet of the erx process; 0 for the kernel
	RingDrops     uint64
}

// Median is the median of f over rs.
func Median(rs []Result, f func(Result) float64) float64 {
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

// Ratio is the median over rounds of a[i].PPS/b[i].PPS (the runs of one
// round were made one right after the other).
func Ratio(a, b []Result) float64 {
	var v []float64
	for i := range a {
		if i < len(b) && b[i].PPS > 0 {
			v = append(v, a[i].PPS/b[i].PPS)
		}
	}
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// Table prints the medians of every case in names (in that order) for one
// frame size and flow mix.
func Table(size int, flows string, names []string, res map[string][]Result) {
	fmt.Printf("\n%d-byte frames, %s flow(s)\n", size, flows)
	fmt.Printf("  %-15s %10s %8s %10s %10s %10s %10s\n", "case", "pps", "Gbit/s", "sys ns/p", "erx ns/p", "copies/s", "ring drop")
	for _, name := range names {
		rs := res[name]
		if len(rs) == 0 {
			continue
		}
		pps := Median(rs, func(r Result) float64 { return r.PPS })
		fmt.Printf("  %-15s %10.0f %8.2f %10.0f %10.0f %10.0f %10.0f\n", name, pps, pps*float64(size)*8/1e9,
			Median(rs, func(r Result) float64 { return r.SysNS }), Median(rs, func(r Result) float64 { return r.ErxNS }),
			Median(rs, func(r Result) float64 { return r.CopiesPS }), Median(rs, func(r Result) float64 { return float64(r.RingDrops) }))
	}
}

// ShowRatio prints label and the ratio of cases a and b when both ran, and
// reports it as a benchmark metric.
func ShowRatio(b *testing.B, size int, flows, label, a, bb string, res map[string][]Result) {
	if len(res[a]) > 0 && len(res[bb]) > 0 {
		x := Ratio(res[a], res[bb])
		fmt.Printf("  %-32s %.2f×\n", label, x)
		b.ReportMetric(x, fmt.Sprintf("%s/%s-%dB-%s", a, bb, size, flows))
	}
}
