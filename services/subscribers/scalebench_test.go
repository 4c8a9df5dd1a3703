package subscribers_test

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

// BenchmarkSubscribers measures, in one run against one FreeRADIUS
// (threaded, as in production): (a) radclient's Access-Request rate, the
// ceiling; (b) erx's PPPoE login rate (discovery, LCP, PAP, RADIUS
// Access-Request and Accounting-Start, IPCP, data-plane interface and
// host route) with the emulator on the line card's memory port; and (c)
// the ramp to ERX_BENCH_SESSIONS (default 32,000) sessions, held with LCP
// echo keepalives, with the Go heap, the process RSS and the CPU per
// session. It skips unless ERX_BENCH_SUBSCRIBERS=1 (make
// bench-subscribers). Tuning: ERX_BENCH_CONCURRENCY (logins in flight,
// default 256), ERX_BENCH_ECHO (keepalive, default 10s), ERX_BENCH_HOLD
// (default 30s), ERX_BENCH_BCAST (the line card's broadcast limit per
// port, i.e. PADIs/s; default: the line card's), ERX_BENCH_UNNUMBERED=1
// (the access interface has no address, the gateway is a loopback's),
// ERX_BENCH_CPUPROFILE (a
// file: CPU profile of the ramp), ERX_BENCH_HOLDPROFILE (the same of the
// hold), ERX_BENCH_MEMPROFILE (a file: heap profile with the sessions
// held).
func BenchmarkSubscribers(b *testing.B) {
	if os.Getenv("ERX_BENCH_SUBSCRIBERS") != "1" {
		b.Skip("set ERX_BENCH_SUBSCRIBERS=1 (make bench-subscribers)")
	}
	target := envInt("ERX_BENCH_SESSIONS", 32000)
	conc := envInt("ERX_BENCH_CONCURRENCY", 256)
	echo := envDuration("ERX_BENCH_ECHO", 10*time.Second)
	hold := envDuration("ERX_BENCH_HOLD", 30*time.Second)
	runtime.MemProfileRate = memProfileRate

	fr := radiustest.StartFreeRADIUS(b, radiustest.FreeRADIUSConfig{Threaded: true,
		Users: "DEFAULT Cleartext-Password := \"pw\"\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()

	// (a) The ceiling: radclient, as many Access-Requests as logins, with
	// as many outstanding as erx's RADIUS client allows.
	reqs := make([]string, target)
	for i := range reqs {
		reqs[i] = fmt.Sprintf("User-Name = \"rc%d\"\nUser-Password = \"pw\"\nNAS-Identifier = \"host1\"", i)
	}
	// The machine is shared: radclient runs twice before erx's ramp and
	// once after the logout; the best run is the ceiling.
	var rc radiustest.RadclientLoad
	var rcRates []string
	radclient := func() {
		l, err := radiustest.RadclientRate(ctx, b.TempDir(), fr.AuthAddr, "auth", fr.Secret, reqs, erxradius.DefaultMaxOutstanding)
		if err != nil {
			b.Fatal(err)
		}
		rcRates = append(rcRates, fmt.Sprintf("%.0f", l.Rate()))
		if l.Rate() > rc.Rate() {
			rc = l
		}
	}
	radclient()
	radclient()

	r := newScaleRig(b, scaleConfig{radius: erxradius.ServerConfig{Addr: fr.AuthAddr, Secret: fr.Secret, Timeout: 5 * time.Second},
		acctAddr: fr.AcctAddr, echo: echo, retry: 3 * time.Second, bcastRate: envInt("ERX_BENCH_BCAST", 0),
		padiRate: float64(envInt("ERX_BENCH_BCAST", 0)), unnumbered: os.Getenv("ERX_BENCH_UNNUMBERED") == "1",
		pool: [2]netip.Addr{netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.65.255.254")}})
	heap0, rss0 := memNow()
	prof0 := profileSplit()

	// (b)+(c) Log everyone in, closed loop, and time it.
	startCPUProfile(b, "ERX_BENCH_CPUPROFILE")
	start := time.Now()
	ru0 := rusage()
	progress := make(chan struct{})
	go func() { // the ramp's progress, to see where it slows down
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-progress:
				return
			case <-tick.C:
				fmt.Printf("  ramp %5.0fs: %6d sessions in the table, CPU %v\n", time.Since(start).Seconds(), r.e.Table().Len(),
					(rusage() - ru0).Round(time.Second))
			}
		}
	}()
	res := r.login(ctx, 0, target, conc)
	ramp := time.Since(start)
	close(progress)
	pprof.StopCPUProfile()
	rampCPU := rusage() - ru0
	up := len(res.Up)
	if up == 0 {
		b.Fatalf("no session came up: %v", res.Failures)
	}
	if err := r.waitActive(ctx, up); err != nil {
		b.Fatal(err)
	}
	heap1, rss1 := memNow()
	prof1 := profileSplit()
	if f := os.Getenv("ERX_BENCH_MEMPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			_ = pprof.WriteHeapProfile(out)
			out.Close()
		}
	}

	// Hold them: keepalives running, nothing else.
	startCPUProfile(b, "ERX_BENCH_HOLDPROFILE")
	ru1 := rusage()
	time.Sleep(hold)
	holdCPU := rusage() - ru1
	pprof.StopCPUProfile()
	sent, replies, echoErr := r.echoed(ctx, up)
	stillUp := r.activeCount()

	// Everyone logs out (LCP Terminate, PADT, Acct-Stop) from the
	// subscriber side.
	outStart := time.Now()
	logoutAll(res.Up, conc)
	for r.e.Table().Len() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	logout := time.Since(outStart)
	radclient()

	rate := float64(up) / ramp.Seconds()
	heapPer := float64(heap1-heap0) / float64(up)
	// The emulator's client sessions share the heap: the profile splits
	// the growth between its allocations and erx's.
	erxShare := 1.0
	if d := (prof1.total - prof0.total); d > 0 {
		erxShare = (d - (prof1.emulator - prof0.emulator)) / d
	}
	var w strings.Builder
	fmt.Fprintf(&w, "\nsubscribers: %d target, %d logins in flight, LCP echo every %v, held %v\n", target, conc, echo, hold)
	fmt.Fprintf(&w, "  radclient Access-Request ceiling   %8.0f /s  (best of %s; %d accepted in %v)\n", rc.Rate(),
		strings.Join(rcRates, ", "), rc.Accepted, rc.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&w, "  erx PPPoE logins (PAP+acct)        %8.0f /s  (%d up in %v, %.1f ms CPU/login)\n", rate, up, ramp.Round(time.Millisecond),
		rampCPU.Seconds()*1000/float64(up))
	fmt.Fprintf(&w, "  ratio erx / radclient              %8.2f\n", rate/rc.Rate())
	fmt.Fprintf(&w, "  login latency p50 / p99            %v / %v\n", pct(res.Latencies, 50), pct(res.Latencies, 99))
	fmt.Fprintf(&w, "  failures                           %v\n", res.Failures)
	fmt.Fprintf(&w, "  memory ports                       %s\n", r.ports())
	fmt.Fprintf(&w, "  sessions held                      %8d  (active after the hold: %d)\n", up, stillUp)
	fmt.Fprintf(&w, "  Go heap per session                %8.0f B  (erx's share by heap profile %.0f %%: %.0f B; emulator the rest)\n",
		heapPer, erxShare*100, heapPer*erxShare)
	fmt.Fprintf(&w, "  RSS per session                    %8.0f B  (process: %d MiB before, %d MiB held)\n",
		float64(rss1-rss0)/float64(up), rss0>>20, rss1>>20)
	fmt.Fprintf(&w, "  CPU while holding                  %8.1f %% of one core (erx and the emulator's echo replies)\n",
		holdCPU.Seconds()/hold.Seconds()*100)
	fmt.Fprintf(&w, "  LCP echoes sent / answered         %d / %d (%v)\n", sent, replies, echoErr)
	fmt.Fprintf(&w, "  logout of all                      %8.0f /s  (%v)\n", float64(up)/logout.Seconds(), logout.Round(time.Millisecond))
	b.Log(w.String())
	fmt.Print(w.String())
	b.ReportMetric(rate, "logins/s")
	b.ReportMetric(rc.Rate(), "radclient/s")
	b.ReportMetric(float64(up), "sessions")
	b.ReportMetric(heapPer, "heapB/session")
	if echoErr != nil || stillUp != up {
		b.Errorf("sessions did not hold: %d of %d active, echoes: %v", stillUp, up, echoErr)
	}
	r.close()
}

// memProfileRate samples the heap finely enough to split it between erx
// and the emulator.
const memProfileRate = 16 << 10

type heapSplit struct{ total, emulator float64 }

// profileSplit estimates the in-use heap (as of the last GC) and the part
// allocated by the emulator (stacks through package pppoetest), scaling
// samples the way pprof does.
func profileSplit() heapSplit {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		n, ok = runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
	}
	var h heapSplit
	for _, rec := range recs {
		inuse := float64(rec.InUseBytes())
		if inuse <= 0 || rec.AllocObjects == 0 {
			continue
		}
		avg := float64(rec.AllocBytes) / float64(rec.AllocObjects)
		inuse /= 1 - math.Exp(-avg/memProfileRate)
		h.total += inuse
		frames := runtime.CallersFrames(rec.Stack())
		for {
			f, more := frames.Next()
			if strings.Contains(f.Function, "/pppoetest.") && !strings.Contains(f.Function, "AccessServer") {
				h.emulator += inuse
				break
			}
			if !more {
				break
			}
		}
	}
	return h
}

// memNow returns the live Go heap after a collection and the process RSS.
func memNow() (heap, rss uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			rss = pages * uint64(os.Getpagesize())
		}
	}
	return m.HeapAlloc, rss
}

// rusage is the process's user plus system CPU time so far.
func rusage() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)].Round(time.Millisecond)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// startCPUProfile starts a CPU profile into the file that environment
// variable env names, if it is set (pprof.StopCPUProfile ends it); the
// file is closed when the benchmark ends.
func startCPUProfile(b *testing.B, env string) {
	f := os.Getenv(env)
	if f == "" {
		return
	}
	out, err := os.Create(f)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { out.Close() })
	if err := pprof.StartCPUProfile(out); err != nil {
		b.Fatal(err)
	}
}
