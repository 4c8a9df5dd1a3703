package lab

// Helpers for the packet-mirroring lab tests: interactive (pty) SSH
// sessions, packet captures in a namespace, sockets opened inside a
// namespace, a UDP relay from a namespace to a loopback server, and
// radclient run from the client namespace.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/netns"
	"github.com/erxos/erx/internal/syncbuf"
)

// InNetns runs f on an OS thread switched into network namespace ns;
// sockets f opens stay in ns after it returns (netns.Do).
func InNetns(ns string, f func() error) error { return netns.Do(ns, f) }

// Interactive runs one interactive SSH session (a pty, as a terminal
// user has) as admin with input typed into it: "\r" ends a line, "?"
// asks for help, "\x15" (Ctrl-U) clears the line. The session is ended
// with "exit" after the input. It returns everything the router printed.
func (l *Lab) Interactive(input string) (string, error) {
	args := append([]string{"netns", "exec", l.Client, "ssh"}, sshOpts...)
	args = append(args, "-tt", "-o", "BatchMode=yes", "-i", l.Key, "admin@"+RouterAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdin = strings.NewReader("terminal length 0\r" + input + "\x15exit\r")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MAC returns the MAC address of dev in namespace ns (xx:xx:xx:xx:xx:xx).
func MAC(t testing.TB, ns, dev string) string {
	t.Helper()
	out := Run(t, "ip", "-n", ns, "link", "show", "dev", dev)
	m := regexp.MustCompile(`link/ether ([0-9a-f:]{17})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no MAC address for %s in %s:\n%s", dev, ns, out)
	}
	return m[1]
}

// DottedMAC writes a MAC address the E Series way: xxxx.xxxx.xxxx.
func DottedMAC(mac string) string {
	h := strings.ReplaceAll(mac, ":", "")
	if len(h) != 12 {
		return mac
	}
	return h[0:4] + "." + h[4:8] + "." + h[8:12]
}

// Capture is tcpdump writing one interface's traffic in a namespace to a
// pcap file.
type Capture struct {
	t      testing.TB
	File   string
	cmd    *exec.Cmd
	stderr syncbuf.Buffer
	done   chan struct{}
	once   sync.Once
}

// StartCapture starts tcpdump on dev in namespace ns with a capture
// filter (may be empty) and waits until it listens. It is stopped when
// the test ends at the latest.
func StartCapture(t testing.TB, ns, dev, filter string) *Capture {
	t.Helper()
	c := &Capture{t: t, File: filepath.Join(t.TempDir(), fmt.Sprintf("%s-%s.pcap", ns, dev)), done: make(chan struct{})}
	args := []string{"netns", "exec", ns, "tcpdump", "-i", dev, "-n", "-U", "-s", "0", "-Z", "root", "-w", c.File}
	if filter != "" {
		args = append(args, filter)
	}
	c.cmd = exec.Command("ip", args...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stderr, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("tcpdump in %s: %v", ns, err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	t.Cleanup(c.Stop)
	deadline := time.After(20 * time.Second)
	for !strings.Contains(c.stderr.String(), "listening on") {
		select {
		case <-c.done:
			t.Fatalf("tcpdump in %s exited: %s", ns, c.stderr.String())
		case <-deadline:
			t.Fatalf("tcpdump in %s not listening after 20s: %s", ns, c.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return c
}

// Stop ends tcpdump (the file keeps what it captured).
func (c *Capture) Stop() {
	c.once.Do(func() {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// Frame is one captured frame.
type Frame struct {
	Time time.Time
	Data []byte
}

// Frames reads what was captured so far (tcpdump -U writes each packet
// as it comes; a record still being written is left out).
func (c *Capture) Frames() ([]Frame, error) {
	b, err := os.ReadFile(c.File)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, nil
	}
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var out []Frame
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, Frame{Time: ci.Timestamp, Data: data})
	}
}

// WaitFrames waits until at least n captured frames satisfy match (nil:
// all), for at most limit, and returns the matching frames captured by
// then. The error says how many there were when the wait ended.
func (c *Capture) WaitFrames(n int, limit time.Duration, match func([]byte) bool) ([]Frame, error) {
	deadline := time.Now().Add(limit)
	for {
		fs, err := c.Frames()
		if err != nil {
			return nil, err
		}
		var got []Frame
		for _, f := range fs {
			if match == nil || match(f.Data) {
				got = append(got, f)
			}
		}
		if len(got) >= n {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("%d of %d frames captured in %s (%d in all); tcpdump: %s", len(got), n, c.File, len(fs), c.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// IPv4 returns the IPv4 packet of an Ethernet frame (untagged), or nil.
func IPv4(frame []byte) []byte {
	if len(frame) < 14+20 || frame[12] != 0x08 || frame[13] != 0x00 {
		return nil
	}
	p := frame[14:]
	tot := int(p[2])<<8 | int(p[3])
	if tot < 20 || tot > len(p) {
		return nil
	}
	return p[:tot]
}

// Tshark runs tshark on a capture file with args and returns its
// standard output.
func Tshark(t testing.TB, file string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "tshark", append([]string{"-r", file}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s %s: %v\n%s", file, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// UDPRelay forwards UDP datagrams that reach listen, a socket opened in
// namespace ns, to target (a server on this process's loopback), and the
// answers back to their sender. It serves one client at a time (the
// router), which is what a RADIUS server in another namespace needs. It
// stops when the test ends.
func UDPRelay(t testing.TB, ns string, listen, target netip.AddrPort) {
	t.Helper()
	var in *net.UDPConn
	if err := InNetns(ns, func() (err error) {
		in, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen))
		return err
	}); err != nil {
		t.Fatalf("relay listen %v in %s: %v", listen, ns, err)
	}
	out, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
	if err != nil {
		in.Close()
		t.Fatalf("relay to %v: %v", target, err)
	}
	var (
		mu   sync.Mutex
		peer netip.AddrPort
		wg   sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			mu.Lock()
			peer = from
			mu.Unlock()
			out.Write(buf[:n])
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, err := out.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // ICMP errors while the server starts
			}
			mu.Lock()
			p := peer
			mu.Unlock()
			if p.IsValid() {
				in.WriteToUDPAddrPort(buf[:n], p)
			}
		}
	}()
	t.Cleanup(func() {
		in.Close()
		out.Close()
		wg.Wait()
	})
}

// Radclient sends one RADIUS request with radclient from the client
// namespace to the router's management address (the router is the
// server, e.g. its dynamic-request server) and parses the reply.
func (l *Lab) Radclient(port uint16, command, secret string, attrs ...string) (radiustest.RadclientResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.Client, "radclient", "-x", "-r", "2", "-t", "3",
		fmt.Sprintf("%s:%d", RouterAddr, port), command, secret)
	cmd.Stdin = strings.NewReader(strings.Join(attrs, "\n") + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	res, ok := radiustest.ParseRadclientOutput(out.String())
	if !ok {
		if runErr == nil {
			runErr = errors.New("no reply")
		}
		return res, fmt.Errorf("radclient %s to %s:%d: %w\n%s", command, RouterAddr, port, runErr, out.String())
	}
	return res, nil
}

// Restart stops routerd and starts it again on the same flash (the host
// board's reload).
func (l *Lab) Restart() {
	l.t.Helper()
	l.Stop()
	l.Start()
}

// WaitForwarding waits, bounded, until a ping from namespace ns reaches
// dst through the router: after a (re)start the CLI answers before the
// data ports have come up and the configuration has been replayed.
func (l *Lab) WaitForwarding(ns, dst string) {
	l.t.Helper()
	for range 20 {
		if _, err := l.In(ns, "ping", "-n", "-c", "1", "-W", "1", dst); err == nil {
			return
		}
	}
	l.t.Fatalf("no forwarding from %s to %s within 20 pings; console:\n%s", ns, dst, l.Console())
}

// SSHUser runs command lines on the router as user, logging in with a
// password (for users other than the seeded administrator, e.g. one at a
// lower privilege level, or one that RADIUS authenticates); a wrong
// password fails at the first prompt.
func (l *Lab) SSHUser(user, password, lines string) (string, error) {
	args := []string{"netns", "exec", l.Client, "sshpass", "-p", password, "ssh"}
	args = append(args, sshOpts...)
	args = append(args, "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", user+"@"+RouterAddr, lines)
	return l.ip(args)
}
