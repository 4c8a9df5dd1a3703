package subscribers

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

var (
	macR0 = [6]byte{0x02, 0xee, 0, 0, 0, 0x10}
	macR1 = [6]byte{0x02, 0xee, 0, 0, 0, 0x11}
	macH0 = [6]byte{0x02, 0xaa, 0, 0, 0, 0x02}
	macH1 = [6]byte{0x02, 0xbb, 0, 0, 0, 0x02}
	macS1 = pppoetest.MAC{0x02, 0x5b, 0, 0, 0, 0x01}
	macS2 = pppoetest.MAC{0x02, 0x5b, 0, 0, 0, 0x02}
)

// memLink makes the host side of a memport pair a pppoetest.Link.
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

// rig is a line card with an access port (ge-0, subscribers on h0) and a
// core port (ge-1, 10.0.2.1/24, a host 10.0.2.2 on h1), the subscriber
// engine, a fake RADIUS server and the subscriber emulator.
type rig struct {
	t      *testing.T
	lc     *linecard.Engine
	e      *Engine
	rad    *radiustest.FakeServer
	emu    *pppoetest.Emulator
	h1     *memport.Port
	pools  *pool.Registry
	events chan Event
	cancel func()
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r0, h0 := memport.Pair("r0", macR0, "h0", macH0)
	r1, h1 := memport.Pair("r1", macR1, "h1", macH1)
	cp := &cpShim{}
	lc, err := linecard.New(linecard.Config{Control: cp}, linecard.PortConfig{Port: r0, Interface: "gigabitEthernet 1/0/0"},
		linecard.PortConfig{Port: r1, Interface: "gigabitEthernet 1/0/1"})
	must(t, err)
	must(t, lc.AddAddress("gigabitEthernet 1/0/1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, lc.AddStaticARP("gigabitEthernet 1/0/1", netip.MustParseAddr("10.0.2.2"), macH1))
	must(t, lc.AddLoopback("loopback 0"))
	must(t, lc.AddAddress("loopback 0", netip.MustParsePrefix("192.0.2.1/32")))
	pools := &pool.Registry{}
	must(t, pools.Server("default").AddRange("subs", netip.MustParseAddr("100.64.0.1"), netip.MustParseAddr("100.64.0.50")))
	e, err := New(Config{DataPlane: lc, Pools: pools, Hostname: "host1", EchoInterval: -1})
	must(t, err)
	cp.set(e)
	must(t, lc.Start())
	rad := radiustest.NewFakeServer(t, "s3cret")
	must(t, e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: rad.Addr, Secret: "s3cret", Timeout: time.Second}}},
		erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: rad.Addr, Secret: "s3cret", Timeout: time.Second}}}))
	e.SetAccounting(true, 0)
	must(t, e.SetPPPoE("gigabitEthernet 1/0/0", &PPPoEConfig{ACName: "host1", Auth: []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}}))
	r := &rig{t: t, lc: lc, e: e, rad: rad, h1: h1, pools: pools, events: make(chan Event, 100)}
	r.cancel = e.Subscribe("test", func(ev Event) { r.events <- ev }, ConsumerOptions{Sync: true})
	r.emu = pppoetest.NewEmulator(&memLink{p: h0, b: port.NewBatch(1, port.DefaultBufSize)})
	t.Cleanup(func() {
		_ = r.emu.Close()
		r.cancel()
		must(t, e.Close())
		lc.Stop()
		r0.Close()
		r1.Close()
		h1.Close()
	})
	return r
}

// cpShim lets the line card exist before the engine.
type cpShim struct {
	mu sync.Mutex
	e  *Engine
}

func (c *cpShim) set(e *Engine) { c.mu.Lock(); c.e = e; c.mu.Unlock() }
func (c *cpShim) HandlePunt(p *linecard.Punt) {
	c.mu.Lock()
	e := c.e
	c.mu.Unlock()
	if e != nil {
		e.HandlePunt(p)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func (r *rig) next(want EventType) Event {
	r.t.Helper()
	return nextEvent(r.t, r.events, want)
}

// nextEvent returns the next event on events, failing the test if it is
// not of type want or none comes within 20 seconds (a hang guard only).
func nextEvent(t testing.TB, events <-chan Event, want EventType) Event {
	t.Helper()
	select {
	case ev := <-events:
		if ev.Type != want {
			t.Fatalf("got event %v, want %v", ev.Type, want)
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatalf("no %v event", want)
	}
	return Event{}
}

func framedIP(a string) radius.Attributes {
	return radius.Attributes{{Type: rfc2865.FramedIPAddress_Type, Attribute: radius.Attribute(net.ParseIP(a).To4())}}
}

func TestPPPoELoginForwardLogout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		accept []ppp.AuthProtocol
		attrs  radius.Attributes
		addr   string
	}{
		{"pap, address from pool", []ppp.AuthProtocol{ppp.AuthPAP}, nil, "100.64.0.1"},
		{"chap, address from radius", []ppp.AuthProtocol{ppp.AuthCHAP}, framedIP("100.64.0.40"), "100.64.0.40"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.rad.SetUser("alice@isp", radiustest.User{Password: "secret", Attributes: tc.attrs})
			s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "alice@isp", Password: "secret",
				Accept: tc.accept, RetryInterval: 200 * time.Millisecond})
			must(t, err)
			if got := s.Address().String(); got != tc.addr {
				t.Fatalf("address %s, want %s", got, tc.addr)
			}
			login := r.next(EventLogin)
			assigned := r.next(EventAddressAssigned)
			ses := assigned.Session
			ifname := "gigabitEthernet 1/0/0.0." + itoa(s.SessionID())
			if login.Session.Interface != ifname || ses.Username != "alice@isp" || ses.Address.String() != tc.addr ||
				ses.CallingStationID != "025b.0000.0001" || ses.NASPortID == "" || len(ses.AcctSessionID) != 10 ||
				ses.State != StateActive || ses.Type != TypePPPoE {
				t.Fatalf("session %+v", ses)
			}
			if _, err := r.lc.Interface(ifname); err != nil {
				t.Fatalf("no dynamic interface: %v", err)
			}
			// Through the fast path both ways: the core address answers.
			for i := range 3 {
				must(t, s.Ping(ctx(t), netip.MustParseAddr("10.0.2.1"), uint16(i)))
			}
			must(t, s.SendUDP(netip.MustParseAddrPort("10.0.2.2:9"), make([]byte, 100)))
			waitFrame(t, r.h1)
			c, err := r.lc.Counters(ifname)
			must(t, err)
			if c.InPackets < 4 || c.OutPackets < 3 || c.Punted != 0 {
				t.Fatalf("session counters %+v", c)
			}
			// Interim accounting.
			r.e.SetAccounting(true, time.Minute)
			r.e.Interim(time.Now().Add(2 * time.Minute))
			// Logout by the subscriber.
			must(t, s.Close())
			out := r.next(EventLogout)
			if out.Cause != subscriber.CauseUserRequest || out.Counters.InOctets == 0 || out.Counters.OutOctets == 0 {
				t.Fatalf("logout %+v", out)
			}
			if _, err := r.lc.Interface(ifname); err == nil {
				t.Fatal("dynamic interface left behind")
			}
			if n := r.e.Table().Len(); n != 0 {
				t.Fatalf("%d sessions left", n)
			}
			recs := waitAcct(t, r.rad, 3)
			wantStatus := []rfc2866.AcctStatusType{rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_InterimUpdate, rfc2866.AcctStatusType_Value_Stop}
			for i, p := range recs {
				if rfc2866.AcctStatusType_Get(p) != wantStatus[i] || rfc2866.AcctSessionID_GetString(p) != ses.AcctSessionID {
					t.Fatalf("record %d: %v %q", i, rfc2866.AcctStatusType_Get(p), rfc2866.AcctSessionID_GetString(p))
				}
			}
			stop := recs[2]
			if rfc2866.AcctInputOctets_Get(stop) == 0 || rfc2866.AcctOutputOctets_Get(stop) == 0 ||
				rfc2866.AcctTerminateCause_Get(stop) != rfc2866.AcctTerminateCause_Value_UserRequest {
				t.Fatalf("stop: in %d out %d cause %v", rfc2866.AcctInputOctets_Get(stop), rfc2866.AcctOutputOctets_Get(stop), rfc2866.AcctTerminateCause_Get(stop))
			}
			if rt, _ := r.lc.Routes("default"); hasHost(rt) {
				t.Fatal("host route left behind")
			}
		})
	}
}

func hasHost(rs []linecard.RouteInfo) bool {
	for _, r := range rs {
		if r.Type == fib.Host {
			return true
		}
	}
	return false
}

func itoa(n uint16) string { return netip.AddrFrom4([4]byte{}).String()[:0] + uitoa(int(n)) }

func uitoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return uitoa(n/10) + string(rune('0'+n%10))
}

// waitFrame waits for a UDP packet on p.
func waitFrame(t *testing.T, p *memport.Port) {
	t.Helper()
	b := port.NewBatch(8, port.DefaultBufSize)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, _ := p.Receive(0, b)
		for _, f := range b.Frames[:n] {
			if len(f) > 34 && f[12] == 8 && f[13] == 0 && f[23] == 17 {
				return
			}
		}
	}
	t.Fatal("nothing forwarded to the core")
}

func waitAcct(t *testing.T, f *radiustest.FakeServer, n int) []*radius.Packet {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := f.Accounting()
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("%d accounting records, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPPPoEReject(t *testing.T) {
	r := newRig(t)
	r.rad.SetUser("alice", radiustest.User{Password: "secret"})
	for _, accept := range [][]ppp.AuthProtocol{{ppp.AuthPAP}, {ppp.AuthCHAP}} {
		_, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "alice", Password: "wrong",
			Accept: accept, Retries: 2, RetryInterval: 200 * time.Millisecond})
		var le *pppoetest.LoginError
		if !errors.As(err, &le) || le.Stage != pppoetest.StageAuth {
			t.Fatalf("%v: %v", accept, err)
		}
	}
	r.e.Sync()
	select {
	case ev := <-r.events:
		t.Fatalf("event for a rejected login: %+v", ev)
	default:
	}
	if len(r.rad.Accounting()) != 0 {
		t.Fatal("accounting for a rejected login")
	}
}

func TestMethodFallback(t *testing.T) {
	r := newRig(t)
	r.rad.DropAll(true)
	r.e.SetAuthentication(TypePPPoE, []Method{MethodRADIUS, MethodNone})
	must(t, r.e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: r.rad.Addr, Secret: "s3cret", Timeout: 100 * time.Millisecond, Retransmit: -1}}}, erxradius.Config{}))
	s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "bob", Password: "x", Accept: []ppp.AuthProtocol{ppp.AuthPAP}, RetryInterval: 300 * time.Millisecond})
	must(t, err)
	if !s.Address().IsValid() {
		t.Fatal("no address")
	}
}

func TestDisconnectAndCoA(t *testing.T) {
	r := newRig(t)
	r.rad.SetUser("carol", radiustest.User{Password: "pw"})
	var coa []CoARequest
	r.e.SetMirrorCoA(func(c CoARequest) (bool, erxradius.ErrorCause) { coa = append(coa, c); return true, 0 })
	s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS2, User: "carol", Password: "pw", RetryInterval: 200 * time.Millisecond})
	must(t, err)
	ses := r.next(EventLogin).Session
	r.next(EventAddressAssigned)
	req := func(code radius.Code, set func(p *radius.Packet)) *erxradius.DynamicRequest {
		p := radius.New(code, []byte("k"))
		if set != nil {
			set(p)
		}
		return &erxradius.DynamicRequest{Packet: p, Source: netip.MustParseAddrPort("127.0.0.1:5000")}
	}
	ack, cause, _ := r.e.HandleDisconnect(ctx(t), req(radius.CodeDisconnectRequest, nil))
	if ack || cause != erxradius.CauseMissingAttribute {
		t.Fatalf("no attributes: %v %v", ack, cause)
	}
	ack, cause, _ = r.e.HandleDisconnect(ctx(t), req(radius.CodeDisconnectRequest, func(p *radius.Packet) { rfc2865.UserName_SetString(p, "nobody") }))
	if ack || cause != erxradius.CauseSessionContextNotFound {
		t.Fatalf("unknown user: %v %v", ack, cause)
	}
	m := erxradius.Mirror{HasAction: true, Action: erxradius.LIOn, HasAnalyzer: true, Analyzer: netip.MustParseAddr("10.0.2.2"), HasPort: true, Port: 30030, HasDevHandle: true, DevHandle: []byte{0, 0, 0, 7}}
	ack, _, _ = r.e.HandleCoA(ctx(t), req(radius.CodeCoARequest, func(p *radius.Packet) {
		rfc2866.AcctSessionID_SetString(p, ses.AcctSessionID)
		must(t, m.AddTo(p, []byte("k"), erxradius.ZeroAuthenticator))
	}))
	if !ack || len(coa) != 1 || coa[0].AcctSessionID != ses.AcctSessionID || !coa[0].Mirror.HasAnalyzer {
		t.Fatalf("mirror CoA: ack %v, hook saw %+v", ack, coa)
	}
	ack, cause, _ = r.e.HandleCoA(ctx(t), req(radius.CodeCoARequest, func(p *radius.Packet) { rfc2865.UserName_SetString(p, "carol") }))
	if ack || cause != erxradius.CauseUnsupportedService {
		t.Fatalf("plain CoA: %v %v", ack, cause)
	}
	ack, _, _ = r.e.HandleDisconnect(ctx(t), req(radius.CodeDisconnectRequest, func(p *radius.Packet) {
		rfc2866.AcctSessionID_SetString(p, ses.AcctSessionID)
	}))
	if !ack {
		t.Fatal("disconnect NAKed")
	}
	select {
	case <-s.Down():
	case <-time.After(20 * time.Second):
		t.Fatal("subscriber still up")
	}
	if ev := r.next(EventLogout); ev.Cause != subscriber.CauseAdminReset {
		t.Fatalf("cause %v", ev.Cause)
	}
	stop := waitAcct(t, r.rad, 2)[1]
	if rfc2866.AcctTerminateCause_Get(stop) != rfc2866.AcctTerminateCause_Value_AdminReset {
		t.Fatalf("terminate cause %v", rfc2866.AcctTerminateCause_Get(stop))
	}
}

func TestIPoE(t *testing.T) {
	r := newRig(t)
	must(t, r.lc.AddAddress("gigabitEthernet 1/0/0", netip.MustParsePrefix("10.0.1.1/24")))
	must(t, r.pools.Server("default").AddRange("ipoe", netip.MustParseAddr("10.0.1.100"), netip.MustParseAddr("10.0.1.120")))
	must(t, r.e.SetIPoE("gigabitEthernet 1/0/0", &IPoEConfig{Pool: "ipoe"}))
	l, err := r.emu.DHCP(ctx(t), pppoetest.DHCPConfig{MAC: macS1, RetryInterval: 300 * time.Millisecond})
	must(t, err)
	if l.Address.String() != "10.0.1.100" || l.Router.String() != "10.0.1.1" {
		t.Fatalf("lease %+v", l)
	}
	ses := r.next(EventLogin).Session
	r.next(EventAddressAssigned)
	if ses.Type != TypeIPoE || ses.Interface != IPoEInterfaceName("gigabitEthernet 1/0/0", 0, ses.ID) || ses.Username != "025b.0000.0001" || ses.Address != l.Address {
		t.Fatalf("session %+v", ses)
	}
	info, err := r.lc.Interface(ses.Interface)
	if rt, _ := r.lc.Routes("default"); err != nil || info.Kind != linecard.IPoESub || info.PeerAddress != l.Address ||
		info.PeerMAC != [6]byte(macS1) || info.Parent != "gigabitEthernet 1/0/0" || !hasHost(rt) {
		t.Fatalf("not installed: %+v %v", info, err)
	}
	must(t, l.Release())
	if ev := r.next(EventLogout); ev.Cause != subscriber.CauseUserRequest {
		t.Fatalf("cause %v", ev.Cause)
	}
	if rt, _ := r.lc.Routes("default"); hasHost(rt) {
		t.Fatal("host route left")
	}
	if _, err := r.lc.Interface(ses.Interface); err == nil {
		t.Fatal("subscriber interface left")
	}
	waitAcct(t, r.rad, 2)
}

func TestReconfigureWhileRunning(t *testing.T) {
	r := newRig(t)
	r.rad.SetUser("u", radiustest.User{Password: "p"})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r.e.SetAccounting(i%2 == 0, time.Duration(i%3)*time.Second)
			r.e.SetAuthentication(TypePPPoE, []Method{MethodRADIUS})
			// ppp authentication applies at once; AC-Name and the session
			// limit rebuild the discovery engine, which would invalidate
			// cookies in flight, so they stay put here.
			auth := []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}
			if i%2 == 0 {
				auth = []ppp.AuthProtocol{ppp.AuthPAP, ppp.AuthCHAP}
			}
			_ = r.e.SetPPPoE("gigabitEthernet 1/0/0", &PPPoEConfig{ACName: "host1", Auth: auth})
			_ = r.e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: r.rad.Addr, Secret: "s3cret"}}},
				erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: r.rad.Addr, Secret: "s3cret"}}})
			r.e.Interim(time.Now())
			_ = r.e.PPPStates()
			_ = r.e.PPPoESessions()
			time.Sleep(time.Millisecond)
		}
	}()
	for i := range 3 {
		s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: pppoetest.MACAdd(macS1, i), User: "u", Password: "p",
			RetryInterval: 200 * time.Millisecond})
		must(t, err)
		must(t, s.Close())
	}
	close(stop)
	wg.Wait()
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestPPPoEReconfigureWaitsForSessions(t *testing.T) {
	r := newRig(t)
	r.rad.SetUser("u", radiustest.User{Password: "p"})
	s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "u", Password: "p", RetryInterval: 200 * time.Millisecond})
	must(t, err)
	r.next(EventLogin)
	r.next(EventAddressAssigned)
	must(t, r.e.SetPPPoE("gigabitEthernet 1/0/0", &PPPoEConfig{ACName: "other", MaxSessions: 5}))
	cfg, pending := r.e.PPPoE("gigabitEthernet 1/0/0")
	if cfg.ACName != "host1" || pending == nil || pending.ACName != "other" {
		t.Fatalf("while up: %+v pending %+v", cfg, pending)
	}
	must(t, s.Close())
	r.next(EventLogout)
	r.e.Sync()
	cfg, pending = r.e.PPPoE("gigabitEthernet 1/0/0")
	if cfg.ACName != "other" || cfg.MaxSessions != 5 || pending != nil {
		t.Fatalf("after logout: %+v pending %+v", cfg, pending)
	}
	// The new discovery engine serves the next login.
	_, err = r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS2, User: "u", Password: "p", RetryInterval: 200 * time.Millisecond})
	must(t, err)
	// Turning PPPoE off logs the subscriber out.
	r.next(EventLogin)
	r.next(EventAddressAssigned)
	must(t, r.e.SetPPPoE("gigabitEthernet 1/0/0", nil))
	if ev := r.next(EventLogout); ev.Cause != subscriber.CauseAdminReset {
		t.Fatalf("cause %v", ev.Cause)
	}
}
