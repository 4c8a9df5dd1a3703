package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/internal/lab"
)

// The mirror start latency measurement (docs/PERFORMANCE.md, "Mirroring
// cost"; make bench): routerd runs in the lab with traffic flowing
// through the interface or session to be mirrored, one packet about every
// 100 µs (the measured rate is printed: its gap is the resolution); an AF_PACKET socket in the analyzer's namespace stamps every
// copy with its kernel receive time. Each cycle starts mirroring, takes
// the first copy's stamp, stops mirroring and checks that copies stopped.
//
//   - cli: time from the Enter that ends `ip policy secure-input LI-1`
//     (typed into an interactive OpenSSH session in config-if mode) to
//     the first copy.
//   - coa: time from the CoA-Request (radclient, LI-Action on) and from
//     the CoA-ACK, both stamped on the wire in the client's namespace, to
//     the first copy of the PPPoE subscriber's traffic.
//
// It prints p50/p99/max over the cycles; there is no threshold. The
// environment variable ERX_BENCH_MIRROR_LATENCY=1 enables it;
// ERX_BENCH_MIRROR_CYCLES sets the cycles (default 100).

func TestMirrorStartLatency(t *testing.T) {
	if os.Getenv("ERX_BENCH_MIRROR_LATENCY") == "" {
		t.Skip("set ERX_BENCH_MIRROR_LATENCY=1 (make bench) to measure the mirror start latency")
	}
	cycles := 100
	if n, err := strconv.Atoi(os.Getenv("ERX_BENCH_MIRROR_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	t.Run("cli", func(t *testing.T) { measureCLILatency(t, cycles) })
	t.Run("coa", func(t *testing.T) { measureCoALatency(t, cycles) })
}

// stamped is a captured frame with its kernel receive time.
type stamped struct {
	at   time.Time
	data []byte
}

// stampCapture is an AF_PACKET socket in a namespace that keeps the
// frames match accepts, stamped by the kernel (SO_TIMESTAMPNS, the
// realtime clock time.Now also reads).
type stampCapture struct {
	fd       int
	outgoing bool // keep frames the namespace sends, too
	frames   chan stamped
	stop     atomic.Bool
	done     chan struct{}
}

func startStampCapture(t *testing.T, ns, dev string, outgoing bool, match func([]byte) bool) *stampCapture {
	t.Helper()
	c := &stampCapture{outgoing: outgoing, frames: make(chan stamped, 1<<14), done: make(chan struct{})}
	proto := int(uint16(unix.ETH_P_ALL)<<8 | uint16(unix.ETH_P_ALL)>>8) // network byte order
	err := lab.InNetns(ns, func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		c.fd = fd
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifi.Index}); err != nil {
			return fmt.Errorf("bind %s: %w", dev, err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(50 * time.Millisecond))
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		if c.fd > 0 {
			unix.Close(c.fd)
		}
		t.Fatalf("capture in %s on %s: %v", ns, dev, err)
	}
	go c.run(match)
	t.Cleanup(c.close)
	return c
}

func (c *stampCapture) run(match func([]byte) bool) {
	defer close(c.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for !c.stop.Load() {
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, 0)
		if err != nil {
			continue // timeout (checks stop) or interrupted
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING && !c.outgoing {
			continue
		}
		if !match(buf[:n]) {
			continue
		}
		at := time.Now()
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
					ts := *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
					at = time.Unix(ts.Sec, ts.Nsec)
				}
			}
		}
		select {
		case c.frames <- stamped{at: at, data: append([]byte(nil), buf[:n]...)}:
		default: // full: the measurement only needs the first frames after a drain
		}
	}
}

func (c *stampCapture) close() {
	if c.stop.Swap(true) {
		return
	}
	<-c.done
	unix.Close(c.fd)
}

// drain discards what was captured so far and returns how many frames.
func (c *stampCapture) drain() int {
	n := 0
	for {
		select {
		case <-c.frames:
			n++
		default:
			return n
		}
	}
}

// next returns the next captured frame, waiting up to limit.
func (c *stampCapture) next(limit time.Duration) (stamped, error) {
	select {
	case f := <-c.frames:
		return f, nil
	case <-time.After(limit):
		return stamped{}, fmt.Errorf("nothing captured in %v", limit)
	}
}

// quiet waits settle for in-flight copies, discards them and checks that
// no more arrive for another settle: mirroring has stopped.
func (c *stampCapture) quiet(t *testing.T, settle time.Duration) {
	t.Helper()
	time.Sleep(settle)
	c.drain()
	time.Sleep(settle)
	if n := c.drain(); n != 0 {
		t.Fatalf("%d copies arrived after mirroring was stopped", n)
	}
}

// cliSession is an interactive OpenSSH session (a pty) with the router.
type cliSession struct {
	t   *testing.T
	in  io.WriteCloser
	mu  sync.Mutex
	out bytes.Buffer
	cmd *exec.Cmd
}

func startCLISession(t *testing.T, l *lab.Lab) *cliSession {
	t.Helper()
	s := &cliSession{t: t}
	s.cmd = exec.Command("ip", "netns", "exec", l.Client, "ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-tt", "-o", "BatchMode=yes", "-i", l.Key, "admin@"+lab.RouterAddr)
	in, err := s.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.in = in
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("ssh: %v", err)
	}
	t.Cleanup(func() {
		s.in.Close()
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	})
	s.waitPrompts(1, "login")
	return s
}

func (s *cliSession) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *cliSession) prompts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.out.String(), "#")
}

// waitPrompts waits until the router has printed n prompts in all.
func (s *cliSession) waitPrompts(n int, what string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.prompts() < n {
		if time.Now().After(deadline) {
			s.mu.Lock()
			out := s.out.String()
			s.mu.Unlock()
			s.t.Fatalf("no prompt after %s:\n%s", what, out)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// enter types line and Enter and returns when Enter was sent; the
// caller waits for the prompt with waitPrompts(before+1).
func (s *cliSession) enter(line string) time.Time {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // let the line arrive and echo first: only Enter is timed
	at := time.Now()
	if _, err := io.WriteString(s.in, "\r"); err != nil {
		s.t.Fatal(err)
	}
	return at
}

// run types a line and waits for the next prompt.
func (s *cliSession) run(line string) {
	s.t.Helper()
	n := s.prompts()
	s.enter(line)
	s.waitPrompts(n+1, line)
}

// latencies collects durations and prints their percentiles.
type latencies struct {
	name string
	v    []time.Duration
}

func (l *latencies) add(d time.Duration) { l.v = append(l.v, d) }

func (l *latencies) report(t *testing.T) {
	if len(l.v) == 0 {
		return
	}
	v := append([]time.Duration(nil), l.v...)
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	p := func(q float64) time.Duration {
		i := int(q*float64(len(v))+0.999999) - 1
		return v[max(0, min(i, len(v)-1))]
	}
	line := fmt.Sprintf("mirror start latency, %s: n=%d min %v p50 %v p99 %v max %v", l.name, len(v),
		v[0].Round(10*time.Microsecond), p(0.5).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond), v[len(v)-1].Round(10*time.Microsecond))
	fmt.Println(line) // on stdout: go test -v shows it in make bench
}

// sendEvery calls send about every gap until the test ends, from a
// thread of its own with a 1 µs timer slack (Go's timers would space the
// packets a millisecond apart on a loaded box).
func sendEvery(t *testing.T, gap time.Duration, send func() error) {
	stop := make(chan struct{})
	done := make(chan struct{})
	var failed atomic.Value
	var sent atomic.Int64
	start := time.Now()
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the tuned thread exits with the goroutine
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1000, 0, 0, 0)
		ts := unix.NsecToTimespec(gap.Nanoseconds())
		for {
			sent.Add(1)
			select {
			case <-stop:
				return
			default:
			}
			if err := send(); err != nil {
				failed.Store(err)
			}
			_ = unix.Nanosleep(&ts, nil)
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		line := fmt.Sprintf("traffic while measuring: %.0f packets/s (the resolution of a start time)", float64(sent.Load())/time.Since(start).Seconds())
		fmt.Println(line)
		if err, ok := failed.Load().(error); ok {
			t.Logf("traffic: last send error %v", err)
		}
	})
}

func measureCLILatency(t *testing.T, cycles int) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ping(1, "a0")
	m.ssh("mirror-enable\nconfigure terminal\n" +
		"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
		"secure ip policy-list " + mirPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 16\n exit\n")

	var conn *net.UDPConn
	if err := lab.InNetns(m.src, func() (err error) {
		conn, err = net.ListenUDP("udp4", nil) // unconnected: dst's port unreachables do not fail the sends
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // after the sender stops (cleanups run last first)
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(mirDst), udpSink))
	payload := []byte("latency-probe")
	sendEvery(t, 100*time.Microsecond, func() error { _, err := conn.WriteToUDP(payload, to); return err })
	ana := startStampCapture(t, m.analyzer, "eth0", false, isJmirror)

	s := startCLISession(t, m.Lab)
	for _, line := range []string{"terminal length 0", "mirror-enable", "configure terminal", "interface gigabitEthernet 2/0/0"} {
		s.run(line)
	}
	first, prompt := latencies{name: "CLI Enter → first copy"}, latencies{name: "CLI Enter → prompt back"}
	for i := 0; i < cycles; i++ {
		ana.quiet(t, 30*time.Millisecond)
		n := s.prompts()
		at := s.enter("ip policy secure-input " + mirPolicy)
		f, err := ana.next(10 * time.Second)
		if err != nil {
			m.fatalf("cycle %d: no copy after the attachment: %v", i, err)
		}
		first.add(f.at.Sub(at))
		s.waitPrompts(n+1, "ip policy secure-input")
		prompt.add(time.Since(at)) // upper bound: polled
		s.run("no ip policy secure-input " + mirPolicy)
	}
	first.report(t)
	prompt.report(t)
}

func measureCoALatency(t *testing.T, cycles int) {
	s := newSubLab(t)
	s.Start()
	s.configure()
	sess, acct := s.login(subCLI, "pw1", 7)
	dst := netip.AddrPortFrom(netip.MustParseAddr(mirDst), udpSink)
	payload := []byte("latency-probe")
	sendEvery(t, 100*time.Microsecond, func() error { return sess.SendUDP(dst, payload) })
	ana := startStampCapture(t, s.analyzer, "eth0", false, isJmirror)
	coaPortIs := func(src bool) func([]byte) bool {
		return func(f []byte) bool {
			ip := lab.IPv4(f)
			if ip == nil || ip[9] != 17 || len(ip) < 28 {
				return false
			}
			u := ip[int(ip[0]&0x0f)*4:]
			p := int(u[2])<<8 | int(u[3]) // destination port
			if src {
				p = int(u[0])<<8 | int(u[1])
			}
			return p == coaPort
		}
	}
	reqs := startStampCapture(t, s.Client, "eth0", true, coaPortIs(false))
	acks := startStampCapture(t, s.Client, "eth0", false, coaPortIs(true))
	vsas := func(action string) []string {
		return []string{fmt.Sprintf(`Acct-Session-Id = "%s"`, acct), "ERX-LI-Action = " + action, "ERX-Med-Dev-Handle = 0x40000321",
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}
	}
	coa := func(action string) {
		t.Helper()
		res, err := s.Radclient(coaPort, "coa", coaSecret, vsas(action)...)
		if err != nil || res.Code != "CoA-ACK" {
			s.fatalf("CoA %s: %v %s\n%s", action, err, res.Code, res.Output)
		}
	}
	fromReq, fromACK := latencies{name: "CoA-Request → first copy"}, latencies{name: "CoA-ACK → first copy"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i := 0; i < cycles && ctx.Err() == nil; i++ {
		ana.quiet(t, 30*time.Millisecond)
		reqs.drain()
		acks.drain()
		coa("on")
		f, err := ana.next(10 * time.Second)
		if err != nil {
			s.fatalf("cycle %d: no copy after CoA on: %v", i, err)
		}
		req, err := reqs.next(time.Second)
		if err != nil {
			s.fatalf("cycle %d: CoA-Request not captured: %v", i, err)
		}
		ack, err := acks.next(time.Second)
		if err != nil {
			s.fatalf("cycle %d: CoA-ACK not captured: %v", i, err)
		}
		fromReq.add(f.at.Sub(req.at))
		fromACK.add(f.at.Sub(ack.at))
		coa("off")
	}
	fromReq.report(t)
	fromACK.report(t)
}
