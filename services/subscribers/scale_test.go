package subscribers_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port/memport"
	"github.com/erxos/erx/services/subscribers"
)

// scaleRig is the subscriber path a real login takes, with no kernel in
// between: the line card on memory ports (an access port with the PPPoE
// emulator on its far end, a core port), the subscriber engine as its
// control plane, and a RADIUS server (fake or FreeRADIUS) on loopback.
type scaleRig struct {
	retry time.Duration // the emulator's retransmission interval
	lc    *linecard.Engine
	e     *subscribers.Engine
	emu   *pppoetest.Emulator
	// baseIfaces is the line card's interface count before any login.
	baseIfaces int
	closeOnce  sync.Once
	closeAll   func()
	ports      func() string // the memory ports' drops
}

type scaleConfig struct {
	radius   erxradius.ServerConfig // auth; accounting goes to AcctAddr
	acctAddr netip.AddrPort
	echo     time.Duration // LCP keepalive
	pool     [2]netip.Addr // subscriber address range
	// bcastRate is the line card's broadcast limit per interface, rate
	// and burst (0: its defaults); PADIs are broadcasts.
	bcastRate int
	retry     time.Duration // the emulator's retransmission interval
	padiRate  float64       // subscribers.Config.PADIRate
	// unnumbered leaves the access interface without an address: the
	// subscribers' gateway is loopback 0's.
	unnumbered bool
	// clock is the engine's (subscribers.Config.Clock; nil: the real one).
	clock func() time.Time
}

const scaleAccess = "gigabitEthernet 1/0/0"

func newScaleRig(t testing.TB, c scaleConfig) *scaleRig {
	t.Helper()
	r0, h0 := memport.Pair("r0", [6]byte{2, 0xee, 0, 0, 0, 0x10}, "h0", [6]byte{2, 0xaa, 0, 0, 0, 2})
	r1, h1 := memport.Pair("r1", [6]byte{2, 0xee, 0, 0, 0, 0x11}, "h1", [6]byte{2, 0xbb, 0, 0, 0, 2})
	shim := &shimCP{}
	lc, err := linecard.New(linecard.Config{Control: shim, BroadcastRate: c.bcastRate, BroadcastBurst: c.bcastRate}, linecard.PortConfig{Port: r0, Interface: scaleAccess},
		linecard.PortConfig{Port: r1, Interface: "gigabitEthernet 1/0/1"})
	must(t, err)
	if c.unnumbered { // the E Series way: the gateway is a loopback's address
		must(t, lc.AddLoopback("loopback 0"))
		must(t, lc.AddAddress("loopback 0", netip.MustParsePrefix("100.127.255.254/32")))
	} else {
		must(t, lc.AddAddress(scaleAccess, netip.MustParsePrefix("100.127.255.254/32")))
	}
	must(t, lc.AddAddress("gigabitEthernet 1/0/1", netip.MustParsePrefix("10.0.2.1/24")))
	pools := &pool.Registry{}
	must(t, pools.Server("default").AddRange("subs", c.pool[0], c.pool[1]))
	e, err := subscribers.New(subscribers.Config{DataPlane: lc, Pools: pools, Hostname: "host1", EchoInterval: c.echo,
		PADIRate: c.padiRate, Clock: c.clock})
	must(t, err)
	shim.e = e
	must(t, lc.Start())
	acct := c.radius
	acct.Addr = c.acctAddr
	must(t, e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{c.radius}},
		erxradius.Config{Servers: []erxradius.ServerConfig{acct}}))
	e.SetAccounting(true, 0)
	must(t, e.SetPPPoE(scaleAccess, &subscribers.PPPoEConfig{Auth: []ppp.AuthProtocol{ppp.AuthPAP, ppp.AuthCHAP}}))
	r := &scaleRig{retry: c.retry, lc: lc, e: e, emu: pppoetest.NewEmulator(pppoetest.MemPortLink(h0)), baseIfaces: len(lc.Interfaces())}
	r.ports = func() string {
		return fmt.Sprintf("dropped toward the router %d, toward the subscribers %d", r0.Stats().RxDropped, h0.Stats().RxDropped)
	}
	r.closeAll = func() {
		_ = r.emu.Close()
		must(t, e.Close())
		lc.Stop()
		for _, p := range []*memport.Port{r0, r1, h1} {
			p.Close()
		}
	}
	t.Cleanup(r.close)
	return r
}

func (r *scaleRig) close() { r.closeOnce.Do(r.closeAll) }

// login logs n subscribers sub0..sub(n-1) (password "pw", PAP) in with at
// most conc logins in flight.
func (r *scaleRig) login(ctx context.Context, first, n, conc int) *pppoetest.LoadResult {
	return pppoetest.RunLoad(ctx, r.emu, pppoetest.LoadConfig{Sessions: n, Concurrency: conc,
		BaseMAC:     pppoetest.MACAdd(pppoetest.MAC{2, 0x5c, 0, 0, 0, 0}, first),
		Credentials: func(i int) (string, string) { return fmt.Sprintf("sub%d", first+i), "pw" },
		Accept:      []ppp.AuthProtocol{ppp.AuthPAP}, Retries: 5, RetryInterval: r.retry})
}

// waitActive waits until n sessions are active in the table.
func (r *scaleRig) waitActive(ctx context.Context, n int) error {
	for {
		if got := r.activeCount(); got == n {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("%d of %d sessions active: %w", got, n, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *scaleRig) activeCount() int {
	n := 0
	for _, s := range r.e.Table().Find(subscribers.Query{}) {
		if s.State == subscribers.StateActive {
			n++
		}
	}
	return n
}

// echoed waits until every PPP session has sent at least one LCP
// Echo-Request and had it answered, and returns the totals.
func (r *scaleRig) echoed(ctx context.Context, n int) (sent, replies uint64, err error) {
	for {
		sent, replies = 0, 0
		answered := 0
		states := r.e.PPPStates()
		for _, s := range states {
			sent += s.Counters.EchoSent
			replies += s.Counters.EchoReplies
			if s.Counters.EchoReplies > 0 {
				answered++
			}
		}
		if answered == n && len(states) == n {
			return sent, replies, nil
		}
		if ctx.Err() != nil {
			return sent, replies, fmt.Errorf("%d of %d sessions (%d PPP) had an LCP echo answered: %w", answered, n, len(states), ctx.Err())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logoutAll logs the sessions out from the subscriber side (LCP
// Terminate-Request, then PADT), conc at a time.
func logoutAll(sessions []*pppoetest.PPPoESession, conc int) {
	work := make(chan *pppoetest.PPPoESession)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				_ = s.Close()
			}
		}()
	}
	for _, s := range sessions {
		work <- s
	}
	close(work)
	wg.Wait()
}

// TestScaleHold keeps the scale path under test: 2,000 PPPoE subscribers
// log in through the line card, the subscriber engine and RADIUS (the
// fake server), are all active with a data-plane interface each, answer
// the router's LCP echoes, and all log out again, leaving no session,
// interface, address or goroutine behind.
func TestScaleHold(t *testing.T) {
	const n = 2000
	rad := radiustest.NewFakeServer(t, "s3cret")
	for i := range n {
		rad.SetUser(fmt.Sprintf("sub%d", i), radiustest.User{Password: "pw"})
	}
	before := goleak.IgnoreCurrent()
	r := newScaleRig(t, scaleConfig{radius: erxradius.ServerConfig{Addr: rad.Addr, Secret: "s3cret", Timeout: 5 * time.Second},
		acctAddr: rad.Addr, echo: time.Second, retry: time.Second,
		pool: [2]netip.Addr{netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.64.31.255")}})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	start := time.Now()
	res := r.login(ctx, 0, n, 64)
	t.Logf("login of %d: %v (latency p50 %v, p99 %v; memory ports: %s)", n, time.Since(start),
		pct(res.Latencies, 50), pct(res.Latencies, 99), r.ports())
	if len(res.Up) != n {
		t.Fatalf("%d of %d logged in; failures %v", len(res.Up), n, res.Failures)
	}
	must(t, r.waitActive(ctx, n))
	addrs := map[netip.Addr]bool{}
	for _, s := range res.Up {
		addrs[s.Address()] = true
	}
	if len(addrs) != n {
		t.Fatalf("%d distinct addresses for %d sessions", len(addrs), n)
	}
	if got := len(r.lc.Interfaces()) - r.baseIfaces; got != n {
		t.Fatalf("%d subscriber interfaces in the data plane, want %d", got, n)
	}
	sent, replies, err := r.echoed(ctx, n)
	must(t, err)
	t.Logf("%d sessions up; LCP echoes sent %d, answered %d", n, sent, replies)

	start = time.Now()
	logoutAll(res.Up, 64)
	must(t, r.waitActive(ctx, 0))
	t.Logf("logout of %d: %v", n, time.Since(start))
	for r.e.Table().Len() != 0 || len(r.e.PPPoESessions()[scaleAccess]) != 0 || len(r.lc.Interfaces()) != r.baseIfaces {
		if ctx.Err() != nil {
			t.Fatalf("after logout: table %d, pppoe %d, interfaces %d (base %d)", r.e.Table().Len(),
				len(r.e.PPPoESessions()[scaleAccess]), len(r.lc.Interfaces()), r.baseIfaces)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Every address went back to the pool: a second round gets them all.
	res2 := r.login(ctx, 0, n, 64)
	if len(res2.Up) != n {
		t.Fatalf("second round: %d of %d logged in; failures %v", len(res2.Up), n, res2.Failures)
	}
	logoutAll(res2.Up, 64)
	must(t, r.waitActive(ctx, 0))
	r.close()
	goleak.VerifyNone(t, before)
}

// TestPADIRate: Config.PADIRate bounds the PADIs an access interface
// answers per second (all clients together): of 20 clients that each send
// one PADI at once, only about the limit get an offer.
func TestPADIRate(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "s3cret")
	r := newScaleRig(t, scaleConfig{radius: erxradius.ServerConfig{Addr: rad.Addr, Secret: "s3cret"}, acctAddr: rad.Addr,
		echo: -1, padiRate: 5, pool: [2]netip.Addr{netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.64.0.100")}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	res := pppoetest.RunLoad(ctx, r.emu, pppoetest.LoadConfig{Sessions: 20, BaseMAC: pppoetest.MAC{2, 0x5d, 0, 0, 0, 0},
		Credentials: func(int) (string, string) { return "nobody", "pw" }, Retries: 1, RetryInterval: 500 * time.Millisecond})
	offered := 20 - res.Failures["discovery: no PADO"]
	if offered < 5 || offered > 8 {
		t.Fatalf("%d of 20 PADIs answered with PADIRate 5; failures %v", offered, res.Failures)
	}
}

// TestUnnumberedGateway: on an access interface without an address the
// subscribers' gateway is loopback 0's; the scan that finds it is reused
// for a second of the engine's clock, after which an address change
// reaches new logins.
func TestUnnumberedGateway(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "s3cret")
	for i := range 3 {
		rad.SetUser(fmt.Sprintf("sub%d", i), radiustest.User{Password: "pw"})
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newScaleRig(t, scaleConfig{radius: erxradius.ServerConfig{Addr: rad.Addr, Secret: "s3cret"}, acctAddr: rad.Addr,
		echo: -1, retry: time.Second, unnumbered: true, clock: clock,
		pool: [2]netip.Addr{netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.64.0.100")}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	gw := func(i int) netip.Addr {
		res := r.login(ctx, i, 1, 1)
		if len(res.Up) != 1 {
			t.Fatalf("login %d: %v", i, res.Failures)
		}
		return res.Up[0].Gateway()
	}
	if g := gw(0); g != netip.MustParseAddr("100.127.255.254") {
		t.Fatalf("gateway %v, want loopback 0's 100.127.255.254", g)
	}
	must(t, r.lc.DeleteAddress("loopback 0", netip.MustParsePrefix("100.127.255.254/32")))
	must(t, r.lc.AddAddress("loopback 0", netip.MustParsePrefix("100.127.255.253/32")))
	if g := gw(1); g != netip.MustParseAddr("100.127.255.254") {
		t.Fatalf("gateway within a second %v, want the scan's 100.127.255.254", g)
	}
	mu.Lock()
	now = now.Add(2 * time.Second) // past gatewayTTL
	mu.Unlock()
	if g := gw(2); g != netip.MustParseAddr("100.127.255.253") {
		t.Fatalf("gateway after the address change %v, want 100.127.255.253", g)
	}
}
