package sshd

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// promptSession is an interactive session read synchronously up to the
// next prompt.
type promptSession struct {
	in  io.Writer
	out io.Reader
	buf []byte
}

func newPromptSession(b *testing.B, addr string) (*promptSession, func()) {
	c, err := dial(b, addr, "admin", gossh.Password("secret"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.RequestPty("vt100", 24, 200, nil); err != nil {
		b.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		b.Fatal(err)
	}
	p := &promptSession{in: in, out: out, buf: make([]byte, 64<<10)}
	p.run(b, "")
	p.run(b, "terminal length 0")
	return p, func() { c.Close() }
}

// run sends line and reads until the prompt that follows its output.
func (p *promptSession) run(b *testing.B, line string) int {
	if line != "" {
		if _, err := io.WriteString(p.in, line+"\r"); err != nil {
			b.Fatal(err)
		}
	}
	var tail []byte
	n := 0
	for {
		k, err := p.out.Read(p.buf)
		n += k
		tail = append(tail, p.buf[:k]...)
		if len(tail) > 64 {
			tail = tail[len(tail)-64:]
		}
		if bytes.HasSuffix(tail, []byte("\nhost1#")) || (line == "" && bytes.HasSuffix(tail, []byte("host1#"))) {
			return n
		}
		if err != nil {
			b.Fatalf("read: %v", err)
		}
	}
}

// latency runs cmd b.N times in one interactive SSH session and reports
// the p50 and p99 round trip (command sent to prompt back) in µs.
func latency(b *testing.B, addr, cmd string) {
	p, closeFn := newPromptSession(b, addr)
	defer closeFn()
	var d []time.Duration
	bytesOut := 0
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		bytesOut = p.run(b, cmd)
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(f float64) float64 { return float64(d[min(len(d)-1, int(f*float64(len(d))))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(bytesOut), "bytes/op")
}

// BenchmarkSSHShowVersion: command latency over SSH for show version
// (Go SSH client in the same process, loopback).
func BenchmarkSSHShowVersion(b *testing.B) {
	h := startWith(b, nil, nil)
	latency(b, h.addr, "show version")
}

// BenchmarkSSHShowConfiguration10k: latency of a 10,000-line show
// configuration (10 access lists of 1,000 entries).
func BenchmarkSSHShowConfiguration10k(b *testing.B) {
	h := startWith(b, nil, nil)
	var cfg strings.Builder
	for l := range 10 {
		for e := range 1000 {
			fmt.Fprintf(&cfg, "access-list list%d permit host 10.%d.%d.%d\n", l, l, e/250, e%250+1)
		}
	}
	if err := h.srv.opts.Interp.Replay(strings.NewReader(cfg.String()), func(n int, l string, err error) { b.Fatalf("%d %q %v", n, l, err) }); err != nil {
		b.Fatal(err)
	}
	latency(b, h.addr, "show configuration")
}

// BenchmarkSSHSessionMemory: server heap and goroutine stacks per
// interactive SSH session,
// measured with 30 OpenSSH clients (other processes, so only the
// server's memory is counted) holding a prompt.
func BenchmarkSSHSessionMemory(b *testing.B) {
	h := startWith(b, nil, nil)
	bin, host, common, key := openssh(b, h.addr)
	args := append(append([]string{}, common...), "-tt", "-i", key, "-o", "BatchMode=yes", "admin@"+host)
	const n = 30
	var perSession, stack, goroutines float64
	for b.Loop() {
		heap := func() (uint64, uint64, int) {
			runtime.GC()
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return m.HeapAlloc, m.StackInuse, runtime.NumGoroutine()
		}
		h0, s0, g0 := heap()
		var cs []*sshClient
		for range n {
			cs = append(cs, startOpenSSH(b, bin, args))
		}
		for _, c := range cs {
			waitFor(b, func() bool { return strings.Contains(c.out.String(), "host1#") })
		}
		h1, s1, g1 := heap()
		perSession = (float64(h1) - float64(h0)) / n
		stack = (float64(s1) - float64(s0)) / n
		goroutines = float64(g1-g0) / n
		for _, c := range cs {
			io.WriteString(c.in, "exit\r")
			<-c.done
			c.done <- nil
		}
		waitFor(b, func() bool { return len(h.srv.Users()) == 0 })
	}
	b.ReportMetric(perSession, "heap-B/session")
	b.ReportMetric(stack, "stack-B/session")
	b.ReportMetric(goroutines, "goroutines/session")
}
