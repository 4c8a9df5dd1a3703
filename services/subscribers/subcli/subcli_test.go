package subcli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
	"github.com/erxos/erx/services/subscribers"
)

var update = flag.Bool("update", false, "print the transcripts instead of comparing them")

type fakeSystem struct{}

func (fakeSystem) Identity() cli.Identity { return cli.Identity{Product: "erx test"} }
func (fakeSystem) Slots() []cli.Slot      { return nil }
func (fakeSystem) BootTime() time.Time    { return time.Time{} }
func (fakeSystem) Reload() error          { return nil }

var testClock = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type cpShim struct {
	mu sync.Mutex
	e  *subscribers.Engine
}

func (c *cpShim) HandlePunt(p *linecard.Punt) {
	c.mu.Lock()
	e := c.e
	c.mu.Unlock()
	if e != nil {
		e.HandlePunt(p)
	}
}

type memLink struct {
	p  *memport.Port
	mu sync.Mutex
	b  *port.Batch
}

func (m *memLink) ReadFrame(buf []byte) (int, error) {
	for {
		n, err := m.p.Receive(0, m.b)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			return copy(buf, m.b.Frames[0]), nil
		}
	}
}

func (m *memLink) WriteFrame(f []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.p.Transmit(0, [][]byte{f})
	return err
}

func (m *memLink) Close() error { return m.p.Close() }

type rig struct {
	in  *cli.Interpreter
	lc  *linecard.Engine
	e   *subscribers.Engine
	emu *pppoetest.Emulator
}

func newRig(t testing.TB) *rig {
	t.Helper()
	return newRigLink(t, nil)
}

// newRigLink is newRig with the emulator's link wrapped by wrap (nil: as
// it is).
func newRigLink(t testing.TB, wrap func(pppoetest.Link) pppoetest.Link) *rig {
	t.Helper()
	r0, h0 := memport.Pair("r0", [6]byte{2, 0, 0, 0, 1, 0}, "h0", [6]byte{2, 0xee, 0, 0, 1, 0})
	cp := &cpShim{}
	lc, err := linecard.New(linecard.Config{Control: cp}, linecard.PortConfig{Port: r0, Interface: "gigabitEthernet 1/0/0"})
	must(t, err)
	must(t, lc.AddVLANInterface("gigabitEthernet 1/0/0.100", "gigabitEthernet 1/0/0", 100))
	must(t, lc.AddLoopback("loopback 0"))
	must(t, lc.AddAddress("loopback 0", netip.MustParsePrefix("192.0.2.1/32")))
	pools := &pool.Registry{}
	e, err := subscribers.New(subscribers.Config{DataPlane: lc, Pools: pools, Hostname: "host1", EchoInterval: -1,
		Clock: func() time.Time { return testClock }})
	must(t, err)
	cp.mu.Lock()
	cp.e = e
	cp.mu.Unlock()
	must(t, lc.Start())
	in, err := cli.New(cli.Options{System: fakeSystem{}, Now: func() time.Time { return testClock }})
	must(t, err)
	// The interface command belongs to lccli; a minimal stand-in enters
	// the interface modes.
	must(t, in.Tree().Register(&command.Command{Syntax: "interface <if:interface>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Run: func(ctx *command.Context, req *command.Request) error {
			n := req.Interface("if")
			m := command.ConfigIf
			if strings.Contains(n.Location, ".") {
				m = command.ConfigSubif
			}
			ctx.EnterMode(m, n)
			return nil
		}}))
	must(t, Register(in.Tree(), Deps{Engine: e, Pools: pools, DynamicHost: "127.0.0.1", Clock: func() time.Time { return testClock },
		MirrorVisible: func(ctx *command.Context) bool { return ctx.Value(testMirrorAccess{}) != nil }}))
	var link pppoetest.Link = &memLink{p: h0, b: port.NewBatch(1, port.DefaultBufSize)}
	if wrap != nil {
		link = wrap(link)
	}
	r := &rig{in: in, lc: lc, e: e, emu: pppoetest.NewEmulator(link)}
	t.Cleanup(func() {
		_ = r.emu.Close()
		must(t, e.Close())
		lc.Stop()
		r0.Close()
	})
	return r
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func transcript(s *cli.Session, lines ...string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(s.Prompt() + l + "\n")
		s.Exec(l, &b)
	}
	b.WriteString(s.Prompt())
	return b.String()
}

func (r *rig) session() *cli.Session {
	return r.in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
}

func TestTranscripts(t *testing.T) {
	for _, tc := range transcriptCases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			got := transcript(r.session(), tc.lines...)
			if *update {
				fmt.Printf("@@@@ %s\n%s\n@@@@\n", tc.name, got)
				return
			}
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestRunningConfigReplays checks that the running configuration,
// replayed into a fresh router, gives the same running configuration.
func TestRunningConfigReplays(t *testing.T) {
	r := newRig(t)
	transcript(r.session(), configLines...)
	cfg, err := r.in.RunningConfig()
	must(t, err)
	transcript(r.session(), "configure terminal", "no radius dynamic-request server 127.0.0.1") // frees its port for r2
	r2 := newRig(t)
	must(t, r2.in.Replay(bytes.NewReader(cfg), func(n int, line string, err error) { t.Errorf("line %d %q: %v", n, line, err) }))
	cfg2, err := r2.in.RunningConfig()
	must(t, err)
	if string(cfg) != string(cfg2) {
		t.Fatalf("replayed:\n%s\noriginal:\n%s", cfg2, cfg)
	}
}

var configLines = []string{
	"configure terminal",
	"radius authentication server 127.0.0.1",
	"key s3cret",
	"udp-port 11812",
	"timeout 5",
	"retransmit 2",
	"deadtime 1",
	"exit",
	"radius accounting server 127.0.0.1",
	"key s3cret",
	"udp-port 11813",
	"radius dynamic-request server 127.0.0.1",
	"key coa",
	"udp-port 31700",
	"exit",
	"radius algorithm round-robin",
	"aaa authentication ppp default radius local none",
	"aaa authentication ip default none",
	"aaa accounting ppp default radius",
	"aaa accounting interval 15",
	"aaa dns primary 192.0.2.53",
	"aaa dns secondary 192.0.2.54",
	"ip local pool subs 100.64.0.1 100.64.0.99",
	"ip local pool subs 100.64.1.1",
	"interface gigabitEthernet 1/0/0.100",
	"encapsulation pppoe",
	"pppoe auto-configure",
	"pppoe ac-name \"my ac\"",
	"pppoe sessions 100",
	"pppoe duplicate-protection",
	"ppp authentication pap chap",
	"end",
}

func TestLoginShowLogout(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "k") // closed after the rig: the Stop is answered
	r := newRig(t)
	rad.SetUser("alice@isp", radiustest.User{Password: "pw"})
	s := r.session()
	out := transcript(s, "configure terminal",
		"radius authentication server 127.0.0.1", "key k", "udp-port "+fmt.Sprint(rad.Addr.Port()), "exit",
		"radius accounting server 127.0.0.1", "key k", "udp-port "+fmt.Sprint(rad.Addr.Port()), "exit",
		"aaa accounting ppp default radius",
		"ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0.100", "encapsulation pppoe", "ppp authentication chap", "end")
	if strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The emulator speaks untagged; VLAN 100 is tagged on the wire, so
	// this login goes through the untagged port instead.
	transcript(s, "configure terminal", "interface gigabitEthernet 1/0/0", "encapsulation pppoe", "end")
	up := make(chan struct{}, 1)
	cancelSub := r.e.Subscribe("test", func(ev subscribers.Event) {
		if ev.Type == subscribers.EventAddressAssigned {
			up <- struct{}{}
		}
	}, subscribers.ConsumerOptions{Sync: true})
	defer cancelSub()
	ses, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, 1}, User: "alice@isp", Password: "pw",
		RetryInterval: 200 * time.Millisecond})
	must(t, err)
	select {
	case <-up: // the client can be up before the router has installed it
	case <-ctx.Done():
		t.Fatal("no AddressAssigned event")
	}
	out = transcript(s, "show subscribers", "show subscribers summary", "show ppp interface", "show pppoe sessions",
		"show ip local pool", "show radius statistics", "show subscribers username nobody")
	for _, want := range []string{
		"alice@isp PPP  100.64.0.1 GigabitEthernet1/0/0.0.1 default Fri Nov 27 12:00:00 2026",
		"PPP             1",
		"GigabitEthernet1/0/0.0.1 alice@isp Opened Opened",
		"GigabitEthernet1/0/0 1       025b.0000.0001",
		"subs 100.64.0.1 100.64.0.9 9    1      11%",
		"127.0.0.1:" + fmt.Sprint(rad.Addr.Port()) + " authentication up    1        0           0        1       0",
		"Accounting records: start",
		"No subscribers found",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	out = transcript(s, "logout subscribers username alice@isp")
	if !strings.Contains(out, "1 subscriber(s) logged out") {
		t.Fatalf("logout:\n%s", out)
	}
	select {
	case <-ses.Down():
	case <-ctx.Done():
		t.Fatal("session still up")
	}
	r.e.Sync()
	if out := transcript(s, "show subscribers"); !strings.Contains(out, "No subscribers found") {
		t.Fatalf("after logout:\n%s", out)
	}
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
