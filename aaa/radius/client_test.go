package radius_test

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
	"layeh.com/radius/rfc2869"

	erx "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var nas = erx.NASIdentity{IP: netip.MustParseAddr("127.0.0.1"), Identifier: "host1"}

func newClient(t *testing.T, cfg erx.Config) *erx.Client {
	t.Helper()
	if !cfg.NAS.IP.IsValid() {
		cfg.NAS = nas
	}
	c, err := erx.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// live is a server entry for a fake that answers: default timeout.
func live(f *radiustest.FakeServer) erx.ServerConfig {
	return erx.ServerConfig{Addr: f.Addr, Secret: f.Secret, DeadTime: time.Hour}
}

// silent is a server entry for a fake that drops: short timeout, one
// retransmission.
func silent(f *radiustest.FakeServer) erx.ServerConfig {
	return erx.ServerConfig{Addr: f.Addr, Secret: f.Secret, Timeout: 20 * time.Millisecond, Retransmit: 1, DeadTime: time.Hour}
}

func TestClientAcceptReject(t *testing.T) {
	f := radiustest.NewFakeServer(t, "k")
	f.SetUser("alice", radiustest.User{
		Password:   "pw",
		Attributes: radius.Attributes{{Type: rfc2865.FramedIPAddress_Type, Attribute: radius.Attribute{100, 64, 0, 1}}},
		Mirror:     &erx.Mirror{HasAction: true, Action: erx.LIOn, HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9")},
	})
	f.SetUser("bob", radiustest.User{Reject: true})
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{live(f)}})
	ctx := context.Background()

	resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != radius.CodeAccessAccept {
		t.Fatalf("alice: %v", resp.Code)
	}
	if ip := rfc2865.FramedIPAddress_Get(resp.Packet); !ip.Equal(net.IPv4(100, 64, 0, 1)) {
		t.Errorf("Framed-IP-Address = %v", ip)
	}
	m, err := resp.Mirror()
	if err != nil || !m.HasAction || m.Action != erx.LIOn || m.Analyzer != netip.MustParseAddr("192.0.2.9") || m.HasPort {
		t.Errorf("mirror = %+v, %v", m, err)
	}
	req := f.Requests()[0]
	if got := rfc2865.NASIdentifier_GetString(req); got != "host1" {
		t.Errorf("NAS-Identifier = %q", got)
	}
	if len(rfc2869.MessageAuthenticator_Get(req)) != 16 {
		t.Error("Access-Request without Message-Authenticator")
	}

	for _, a := range []erx.AccessRequest{{UserName: "alice", Password: "no"}, {UserName: "bob", Password: "pw"}, {UserName: "carol"}} {
		resp, err := c.Authenticate(ctx, a)
		if err != nil || resp.Code != radius.CodeAccessReject {
			t.Errorf("%s: %v, %v; want Access-Reject", a.UserName, resp, err)
		}
	}
	st := c.Stats()[0]
	if st.Requests != 4 || st.Accepts != 1 || st.Rejects != 3 || st.Timeouts != 0 || st.BadAuthenticators != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestClientFailoverDeadTimeAndRefill(t *testing.T) {
	down := radiustest.NewFakeServer(t, "k")
	down.DropAll(true)
	up := radiustest.NewFakeServer(t, "k")
	up.SetUser("u", radiustest.User{Password: "p"})
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{silent(down), live(up)}})
	ctx := context.Background()
	for i := range 3 {
		resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
		if err != nil || resp.Server != up.Addr {
			t.Fatalf("request %d: %v from %v", i, err, resp)
		}
	}
	st := c.Stats()
	if st[0].Requests != 1 || st[0].Retransmits != 1 || st[0].Timeouts != 1 || !st[0].Dead {
		t.Errorf("down: %+v", st[0])
	}
	if len(down.Requests()) != 2 {
		t.Errorf("down server saw %d transmissions, want 2", len(down.Requests()))
	}
	if st[1].Requests != 3 || st[1].Accepts != 3 || st[1].Dead {
		t.Errorf("up: %+v", st[1])
	}

	// Both dead: the request fails, and the next one refills the list.
	up.DropAll(true)
	if err := c.Reconfigure(erx.Config{NAS: nas, Servers: []erx.ServerConfig{silent(down), silent(up)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"}); !errors.Is(err, erx.ErrNoServer) {
		t.Fatalf("all down: err = %v, want ErrNoServer", err)
	}
	up.DropAll(false)
	if err := c.Reconfigure(erx.Config{NAS: nas, Servers: []erx.ServerConfig{silent(down), live(up)}}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
	if err != nil || resp.Server != up.Addr {
		t.Fatalf("after refill: %v, %v", resp, err)
	}
	st = c.Stats()
	if st[0].Requests != 2 || st[1].Requests != 5 {
		t.Errorf("after refill: down %d requests (want 2), up %d (want 5)", st[0].Requests, st[1].Requests)
	}
}

func TestClientRoundRobin(t *testing.T) {
	a := radiustest.NewFakeServer(t, "k")
	b := radiustest.NewFakeServer(t, "k")
	for _, f := range []*radiustest.FakeServer{a, b} {
		f.SetUser("u", radiustest.User{Password: "p"})
	}
	c := newClient(t, erx.Config{Algorithm: erx.RoundRobin, Source: netip.MustParseAddr("127.0.0.1"), Servers: []erx.ServerConfig{live(a), live(b)}})
	for range 4 {
		if _, err := c.Authenticate(context.Background(), erx.AccessRequest{UserName: "u", Password: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	if na, nb := len(a.Requests()), len(b.Requests()); na != 2 || nb != 2 {
		t.Errorf("requests per server: %d, %d; want 2, 2", na, nb)
	}
}

// badResponder answers every request with a reply whose authenticator is
// wrong, then a reply that does not parse.
func badResponder(t *testing.T) netip.AddrPort {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, src, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n < 20 {
				continue
			}
			reply := make([]byte, 20)
			reply[0], reply[1], reply[3] = byte(radius.CodeAccessAccept), buf[1], 20
			conn.WriteToUDPAddrPort(reply, src)
			conn.WriteToUDPAddrPort([]byte{2, buf[1], 0, 99, 1}, src)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestClientBadAuthenticatorAndCancel(t *testing.T) {
	addr := badResponder(t)
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{{Addr: addr, Secret: "k", Timeout: time.Hour}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
		done <- err
	}()
	for st := c.Stats()[0]; st.BadAuthenticators == 0 || st.Malformed == 0; st = c.Stats()[0] {
		select {
		case err := <-done:
			t.Fatalf("request ended early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	st := c.Stats()[0]
	if st.Rejects != 0 || st.Accepts != 0 || st.Pending != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestClientBoundedOutstanding(t *testing.T) {
	f := radiustest.NewFakeServer(t, "k")
	f.DropAll(true)
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{{Addr: f.Addr, Secret: "k", Timeout: time.Hour, MaxOutstanding: 2}}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
		}()
	}
	for len(f.Requests()) < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	if st := c.Stats()[0]; st.Pending != 2 || st.Requests != 2 {
		t.Errorf("with max-sessions 2: %+v", st)
	}
	cancel()
	wg.Wait()
	ids := map[byte]bool{}
	for _, p := range f.Requests() {
		ids[p.Identifier] = true
	}
	if len(ids) != len(f.Requests()) {
		t.Errorf("identifiers reused among outstanding requests: %d ids for %d requests", len(ids), len(f.Requests()))
	}
}

func TestClientAccounting(t *testing.T) {
	f := radiustest.NewFakeServer(t, "k")
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{live(f)}})
	rec := erx.AccountingRecord{
		Status: erx.AcctStop, SessionID: "s1", UserName: "u",
		SessionTime: 90 * time.Second, InputOctets: 1<<32 + 5, OutputOctets: 6,
		InputPackets: 2<<32 + 7, OutputPackets: 8, TerminateCause: rfc2866.AcctTerminateCause_Value_LostCarrier,
		EventTime: time.Unix(1_700_000_000, 0), Class: [][]byte{[]byte("cls")}, DelayTime: 30 * time.Second,
	}
	resp, err := c.Account(context.Background(), rec)
	if err != nil || resp.Code != radius.CodeAccountingResponse {
		t.Fatalf("%v, %v", resp, err)
	}
	p := f.Accounting()[0]
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("Acct-Status-Type", rfc2866.AcctStatusType_Get(p), rfc2866.AcctStatusType_Value_Stop)
	check("Acct-Session-Id", rfc2866.AcctSessionID_GetString(p), "s1")
	check("Acct-Session-Time", rfc2866.AcctSessionTime_Get(p), rfc2866.AcctSessionTime(90))
	check("Acct-Input-Octets", rfc2866.AcctInputOctets_Get(p), rfc2866.AcctInputOctets(5))
	check("Acct-Input-Gigawords", rfc2869.AcctInputGigawords_Get(p), rfc2869.AcctInputGigawords(1))
	check("Acct-Output-Octets", rfc2866.AcctOutputOctets_Get(p), rfc2866.AcctOutputOctets(6))
	check("Acct-Input-Packets", rfc2866.AcctInputPackets_Get(p), rfc2866.AcctInputPackets(7))
	check("Acct-Terminate-Cause", rfc2866.AcctTerminateCause_Get(p), rfc2866.AcctTerminateCause_Value_LostCarrier)
	check("Event-Timestamp", rfc2869.EventTimestamp_Get(p).Unix(), int64(1_700_000_000))
	check("Class", string(rfc2865.Class_Get(p)), "cls")
	if d, err := rfc2866.AcctDelayTime_Lookup(p); err != nil || d < 30 {
		t.Errorf("Acct-Delay-Time = %v, %v", d, err)
	}
	gp, ok, err := erx.ERXInteger(p, erx.ERXInputGigapkts)
	check("ERX-Input-Gigapkts", gp, uint32(2))
	if !ok || err != nil {
		t.Errorf("ERX-Input-Gigapkts: %v %v", ok, err)
	}
}

// TestClientReconfigureWhileRunning changes the server list while requests
// run; run it with -race.
func TestClientReconfigureWhileRunning(t *testing.T) {
	a := radiustest.NewFakeServer(t, "k")
	b := radiustest.NewFakeServer(t, "k")
	for _, f := range []*radiustest.FakeServer{a, b} {
		f.SetUser("u", radiustest.User{Password: "p"})
	}
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{live(a)}})
	configs := []erx.Config{
		{NAS: nas, Servers: []erx.ServerConfig{live(a), live(b)}},
		{NAS: nas, Servers: []erx.ServerConfig{live(b)}, Algorithm: erx.RoundRobin},
		{NAS: nas, Servers: []erx.ServerConfig{live(b), live(a)}},
		{NAS: nas, Servers: []erx.ServerConfig{live(a)}},
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
				if err != nil {
					t.Errorf("Authenticate: %v", err)
					return
				}
				if resp.Code != radius.CodeAccessAccept {
					t.Errorf("code %v", resp.Code)
					return
				}
				_ = c.Stats()
			}
		}()
	}
	for i := range 50 {
		if err := c.Reconfigure(configs[i%len(configs)]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
}

func TestClientConfigErrors(t *testing.T) {
	addr := netip.MustParseAddrPort("127.0.0.1:1812")
	tests := []erx.Config{
		{Servers: []erx.ServerConfig{{Addr: addr}}},
		{Servers: []erx.ServerConfig{{Secret: "k"}}},
		{Servers: []erx.ServerConfig{{Addr: addr, Secret: "k"}, {Addr: addr, Secret: "k"}}},
	}
	for i, cfg := range tests {
		if c, err := erx.NewClient(cfg); err == nil {
			c.Close()
			t.Errorf("config %d accepted", i)
		}
	}
	c, err := erx.NewClient(erx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authenticate(context.Background(), erx.AccessRequest{UserName: "u"}); !errors.Is(err, erx.ErrNoServer) {
		t.Errorf("no servers: %v", err)
	}
	c.Close()
	if _, err := c.Authenticate(context.Background(), erx.AccessRequest{UserName: "u"}); !errors.Is(err, erx.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

func TestClientDuplicateReplyCounted(t *testing.T) {
	f := radiustest.NewFakeServer(t, "k")
	f.SetUser("u", radiustest.User{Password: "p", Twice: true})
	c := newClient(t, erx.Config{Servers: []erx.ServerConfig{live(f)}})
	resp, err := c.Authenticate(context.Background(), erx.AccessRequest{UserName: "u", Password: "p"})
	if err != nil || resp.Code != radius.CodeAccessAccept {
		t.Fatalf("%v, %v", resp, err)
	}
	for c.Stats()[0].UnknownResponses == 0 {
		time.Sleep(time.Millisecond)
	}
	if st := c.Stats()[0]; st.Accepts != 1 || st.UnknownResponses != 1 {
		t.Errorf("stats = %+v", st)
	}
}
