package lab

// Neighbour helpers: addressing the hosts at the far end of the data
// ports, running tools in their namespaces, an 802.1Q subinterface built in
// userspace (this host kernel has no 8021q module), and reading routerd's
// interface counters.

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/internal/ethtool"
	"github.com/erxos/erx/internal/netns"
	"github.com/erxos/erx/internal/syncbuf"
)

// Neighbour gives neighbour i's eth0 the address cidr and a default route
// via gateway and turns IPv6 off there (no router solicitations or MLD
// talk on the wire). The veth keeps its default offloads: TSO super-frames
// and CHECKSUM_PARTIAL frames are finished by the data plane's port.
func (l *Lab) Neighbour(i int, cidr, gateway string) {
	l.t.Helper()
	ns := l.Neighbours[i]
	netns.Exec(l.t, ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	if cidr != "" {
		Run(l.t, "ip", "-n", ns, "addr", "add", cidr, "dev", "eth0")
	}
	if gateway != "" {
		Run(l.t, "ip", "-n", ns, "route", "add", "default", "via", gateway)
	}
}

// MustIn runs a command in namespace ns and fails the test (with routerd's
// console) when it fails.
func (l *Lab) MustIn(ns string, name string, args ...string) string {
	l.t.Helper()
	out, err := l.In(ns, name, args...)
	if err != nil {
		l.t.Fatalf("%s: %s %s: %v\n%s\nconsole:\n%s", ns, name, strings.Join(args, " "), err, out, l.Console())
	}
	return out
}

// TSO reports whether TCP segmentation offload is on for dev in namespace
// ns: a veth with it hands its peer TCP super-frames larger than the MTU,
// which the data plane's AF_PACKET port cuts into wire-sized segments.
func TSO(ns, dev string) (bool, error) {
	var on bool
	err := InNetns(ns, func() error {
		v, err := ethtool.Value(dev, ethtool.GetTSO, 0)
		if err != nil {
			return fmt.Errorf("%s: ethtool GTSO on %s: %w", ns, dev, err)
		}
		on = v != 0
		return nil
	})
	return on, err
}

// Proc is a command running in the background in a namespace.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	out  syncbuf.Buffer
}

// Background starts a command in namespace ns; it is killed (and waited
// for) when the test ends at the latest.
func (l *Lab) Background(ns string, name string, args ...string) *Proc {
	l.t.Helper()
	p := &Proc{cmd: exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	l.t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// Output is what the command printed so far (stdout and stderr).
func (p *Proc) Output() string { return p.out.String() }

// WaitOutput waits until the output contains s, the command exits, or
// timeout passes.
func (p *Proc) WaitOutput(s string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for !strings.Contains(p.Output(), s) {
		select {
		case <-p.done:
			if strings.Contains(p.Output(), s) {
				return nil
			}
			return fmt.Errorf("%s exited without printing %q:\n%s", p.cmd.Args[4], s, p.Output())
		case <-deadline:
			return fmt.Errorf("%s did not print %q within %s:\n%s", p.cmd.Args[4], s, timeout, p.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Interrupt sends SIGINT and waits (bounded) for the command to exit.
func (p *Proc) Interrupt(timeout time.Duration) error {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit on SIGINT within %s:\n%s", p.cmd.Args[4], timeout, p.Output())
	}
}

// Counters are an interface's data-plane counters as `show interfaces`
// prints them.
type Counters struct {
	InPackets, InBytes, OutPackets, OutBytes uint64
}

var countersRE = regexp.MustCompile(`(?m)^\s*In:\s+Packets (\d+), Bytes (\d+)\s*\n\s*Out:\s+Packets (\d+), Bytes (\d+)`)

// ParseCounters reads the In/Out packet and byte counters of the first
// interface in the output of `show interfaces IF`.
func ParseCounters(show string) (Counters, error) {
	m := countersRE.FindStringSubmatch(show)
	if m == nil {
		return Counters{}, fmt.Errorf("no In/Out counters in:\n%s", show)
	}
	var n [4]uint64
	for i := range n {
		n[i], _ = strconv.ParseUint(m[i+1], 10, 64)
	}
	return Counters{n[0], n[1], n[2], n[3]}, nil
}

// InterfaceCounters runs `show interfaces IF` on the router and parses it.
func (l *Lab) InterfaceCounters(ifName string) Counters {
	l.t.Helper()
	out := l.MustSSH("show interfaces " + ifName)
	c, err := ParseCounters(out)
	if err != nil {
		l.t.Fatalf("%v\nconsole:\n%s", err, l.Console())
	}
	return c
}

// VLAN gives namespace ns an 802.1Q subinterface of parent without the
// kernel's 8021q module (this host kernel lacks it): a TAP device called
// name, and a bridge in the test process that tags every frame the TAP
// sends with VLAN id and sends it out of parent, and hands every frame
// parent receives on VLAN id (the kernel strips the tag into the packet
// metadata) to the TAP untagged. The TAP is up and has no address. It all
// ends with the test.
func (l *Lab) VLAN(ns, parent, name string, id uint16) {
	l.t.Helper()
	var tap *os.File
	var raw int
	err := InNetns(ns, func() error {
		var err error
		if tap, err = openTAP(name); err != nil {
			return err
		}
		ifi, err := netIfIndex(parent)
		if err != nil {
			return err
		}
		raw, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		if err := unix.SetsockoptInt(raw, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return fmt.Errorf("PACKET_AUXDATA: %w", err)
		}
		return unix.Bind(raw, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi})
	})
	if err != nil {
		l.t.Fatalf("vlan %s on %s in %s: %v", name, parent, ns, err)
	}
	pkt := os.NewFile(uintptr(raw), "packet:"+parent)
	Run(l.t, "ip", "-n", ns, "link", "set", name, "up")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	// TAP → parent, tagged.
	go func() {
		defer wg.Done()
		buf := make([]byte, 65536)
		out := make([]byte, 65536+4)
		for ctx.Err() == nil {
			n, err := tap.Read(buf)
			if err != nil {
				return
			}
			if n < 14 {
				continue
			}
			copy(out, buf[:12])
			binary.BigEndian.PutUint16(out[12:], 0x8100)
			binary.BigEndian.PutUint16(out[14:], id&0x0fff)
			copy(out[16:], buf[12:n])
			pkt.Write(out[:n+4])
		}
	}()
	// parent → TAP, tag removed.
	go func() {
		defer wg.Done()
		rc, err := pkt.SyscallConn()
		if err != nil {
			return
		}
		buf := make([]byte, 65536)
		oob := make([]byte, 256)
		for ctx.Err() == nil {
			var n, oobn int
			var from unix.Sockaddr
			var rerr error
			err := rc.Read(func(fd uintptr) bool {
				n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
				return rerr != unix.EAGAIN
			})
			if err != nil {
				return
			}
			if rerr != nil {
				continue
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			frame, ok := untag(buf[:n], oob[:oobn], id)
			if ok {
				tap.Write(frame)
			}
		}
	}()
	l.t.Cleanup(func() {
		cancel()
		tap.Close()
		pkt.Close()
		wg.Wait()
	})
}

// untag returns frame without its VLAN id tag, taking the tag from the
// packet metadata (PACKET_AUXDATA) or, failing that, from the frame.
func untag(frame, oob []byte, id uint16) ([]byte, bool) {
	cmsgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range cmsgs {
		if m.Header.Level != unix.SOL_PACKET || m.Header.Type != unix.PACKET_AUXDATA || len(m.Data) < int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
			continue
		}
		aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
		if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
			return frame, aux.Vlan_tci&0x0fff == id
		}
	}
	if len(frame) >= 18 && binary.BigEndian.Uint16(frame[12:]) == 0x8100 && binary.BigEndian.Uint16(frame[14:])&0x0fff == id {
		out := make([]byte, 0, len(frame)-4)
		out = append(out, frame[:12]...)
		return append(out, frame[16:]...), true
	}
	return nil, false
}

// openTAP creates (in the calling thread's namespace) and opens TAP name.
func openTAP(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "tap:"+name), nil
}

func netIfIndex(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("ifindex of %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
