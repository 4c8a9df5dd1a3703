package radius_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	erx "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

const usersFile = `sub1@erx.test  Cleartext-Password := "test"
        Framed-IP-Address = 100.64.0.11,
        ERX-LI-Action = on,
        ERX-Med-Dev-Handle = 0x40000010,
        ERX-Med-Ip-Address = 192.0.2.9,
        ERX-Med-Port-Number = 30030,
        ERX-Virtual-Router-Name = "vr1",
        ERX-Primary-Dns = 198.51.100.53

chapuser  Cleartext-Password := "chapsecret"
        Framed-IP-Address = 100.64.0.12

plain  Cleartext-Password := "pw"
`

func freeRADIUS(t *testing.T) *radiustest.FreeRADIUS {
	t.Helper()
	// Each test gets its own server: simple, and the debug log of a failure
	// shows only that test's traffic.
	return radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Secret: "s3cret", Users: usersFile})
}

func authClient(t *testing.T, servers ...netip.AddrPort) *erx.Client {
	t.Helper()
	cfg := erx.Config{NAS: erx.NASIdentity{IP: netip.MustParseAddr("127.0.0.1"), Identifier: "host1"}}
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, erx.ServerConfig{Addr: s, Secret: "s3cret", Retransmit: 1, DeadTime: time.Minute})
	}
	c, err := erx.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestFreeRADIUS(t *testing.T) {
	fr := freeRADIUS(t)
	ctx := context.Background()
	port := &erx.Port{Type: "GigabitEthernet", Slot: 2, Adapter: 0, Port: 0, Sub: 100, VLAN: 100}
	mac := net.HardwareAddr{0x00, 0x90, 0x1a, 0x42, 0x0b, 0x1c}

	t.Run("PAPAcceptWithMirrorVSAs", func(t *testing.T) {
		c := authClient(t, fr.AuthAddr)
		resp, err := c.Authenticate(ctx, erx.AccessRequest{
			UserName: "sub1@erx.test", Password: "test", Port: port,
			CallingStationID: erx.FormatMAC(mac, erx.MACDotted),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != radius.CodeAccessAccept {
			t.Fatalf("code = %v, want Access-Accept", resp.Code)
		}
		if ip := rfc2865.FramedIPAddress_Get(resp.Packet); !ip.Equal(net.IPv4(100, 64, 0, 11)) {
			t.Errorf("Framed-IP-Address = %v", ip)
		}
		if vr, _ := erx.ERXString(resp.Packet, erx.ERXVirtualRouterName); vr != "vr1" {
			t.Errorf("ERX-Virtual-Router-Name = %q", vr)
		}
		if dns, _, err := erx.ERXAddr(resp.Packet, erx.ERXPrimaryDNS); err != nil || dns != netip.MustParseAddr("198.51.100.53") {
			t.Errorf("ERX-Primary-Dns = %v, %v", dns, err)
		}
		// On the wire each LI VSA is salt + one block.
		for _, typ := range []erx.ERXType{erx.ERXLIAction, erx.ERXMedDevHandle, erx.ERXMedIPAddress, erx.ERXMedPortNumber} {
			v, ok := erx.ERXLookup(resp.Packet, typ)
			if !ok || len(v) != 18 {
				t.Errorf("%v on the wire: %d bytes (present %v), want 18", typ, len(v), ok)
			}
		}
		m, err := resp.Mirror()
		if err != nil {
			t.Fatal(err)
		}
		want := erx.Mirror{
			HasAction: true, Action: erx.LIOn,
			HasDevHandle: true, DevHandle: []byte{0x40, 0, 0, 0x10},
			HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9"),
			HasPort: true, Port: 30030,
		}
		if !mirrorEqual(m, want) {
			t.Errorf("mirror = %+v, want %+v", m, want)
		}
		st := c.Stats()[0]
		if st.Requests != 1 || st.Accepts != 1 || st.BadAuthenticators != 0 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("PAPReject", func(t *testing.T) {
		c := authClient(t, fr.AuthAddr)
		resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "sub1@erx.test", Password: "wrong"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != radius.CodeAccessReject {
			t.Fatalf("code = %v, want Access-Reject", resp.Code)
		}
		if st := c.Stats()[0]; st.Rejects != 1 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("CHAPAccept", func(t *testing.T) {
		c := authClient(t, fr.AuthAddr)
		challenge := []byte("0123456789abcdef")
		resp, err := c.Authenticate(ctx, erx.AccessRequest{
			UserName: "chapuser", CHAPID: 7, CHAPChallenge: challenge,
			CHAPResponse: erx.CHAPResponse(7, "chapsecret", challenge),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != radius.CodeAccessAccept {
			t.Fatalf("code = %v, want Access-Accept", resp.Code)
		}
		if ip := rfc2865.FramedIPAddress_Get(resp.Packet); !ip.Equal(net.IPv4(100, 64, 0, 12)) {
			t.Errorf("Framed-IP-Address = %v", ip)
		}
		bad, err := c.Authenticate(ctx, erx.AccessRequest{
			UserName: "chapuser", CHAPID: 7, CHAPChallenge: challenge,
			CHAPResponse: erx.CHAPResponse(7, "nope", challenge),
		})
		if err != nil {
			t.Fatal(err)
		}
		if bad.Code != radius.CodeAccessReject {
			t.Fatalf("wrong CHAP response: code = %v, want Access-Reject", bad.Code)
		}
	})

	t.Run("FailoverFromDeadServer", func(t *testing.T) {
		dead := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), radiustest.FreeUDPPort(t))
		c := authClient(t, dead, fr.AuthAddr)
		for i := range 2 {
			resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "plain", Password: "pw"})
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if resp.Code != radius.CodeAccessAccept || resp.Server != fr.AuthAddr {
				t.Fatalf("request %d: %v from %v", i, resp.Code, resp.Server)
			}
		}
		st := c.Stats()
		// The dead server was tried once (then skipped for its dead-time).
		if st[0].Requests != 1 || st[0].Timeouts != 1 || st[0].Retransmits != 1 || !st[0].Dead {
			t.Errorf("dead server stats = %+v", st[0])
		}
		if st[1].Requests != 2 || st[1].Accepts != 2 {
			t.Errorf("live server stats = %+v", st[1])
		}
	})

	t.Run("Accounting", func(t *testing.T) {
		c, err := erx.NewClient(erx.Config{
			Servers: []erx.ServerConfig{{Addr: fr.AcctAddr, Secret: "s3cret", Timeout: time.Second}},
			NAS:     erx.NASIdentity{IP: netip.MustParseAddr("127.0.0.1"), Identifier: "host1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		base := erx.AccountingRecord{
			SessionID: "erx-0000000a", UserName: "sub1@erx.test", Port: port,
			CallingStationID: erx.FormatMAC(mac, erx.MACDotted), FramedIP: netip.MustParseAddr("100.64.0.11"),
		}
		start := base
		start.Status = erx.AcctStart
		interim := base
		interim.Status, interim.SessionTime = erx.AcctInterim, 60*time.Second
		interim.InputOctets, interim.OutputOctets, interim.InputPackets, interim.OutputPackets = 1000, 2000, 10, 20
		stop := base
		stop.Status, stop.SessionTime = erx.AcctStop, 120*time.Second
		stop.InputOctets, stop.OutputOctets = 5<<32|7, 3<<32|9
		stop.InputPackets, stop.OutputPackets = 100, 200
		stop.TerminateCause = 1 // User-Request
		for _, r := range []erx.AccountingRecord{start, interim, stop} {
			resp, err := c.Account(ctx, r)
			if err != nil {
				t.Fatalf("%v: %v", r.Status, err)
			}
			if resp.Code != radius.CodeAccountingResponse {
				t.Fatalf("%v: code %v", r.Status, resp.Code)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		want := []struct {
			status string
			attrs  map[string]string
		}{
			{"Start", map[string]string{"NAS-Port-Id": "GigabitEthernet 2/0/0.100:100", "Calling-Station-Id": "0090.1a42.0b1c", "NAS-Identifier": "host1", "Framed-IP-Address": "100.64.0.11"}},
			{"Interim-Update", map[string]string{"Acct-Session-Time": "60", "Acct-Input-Octets": "1000", "Acct-Output-Octets": "2000", "Acct-Input-Packets": "10", "Acct-Output-Packets": "20", "Acct-Input-Gigawords": "0"}},
			{"Stop", map[string]string{"Acct-Session-Time": "120", "Acct-Input-Octets": "7", "Acct-Input-Gigawords": "5", "Acct-Output-Octets": "9", "Acct-Output-Gigawords": "3", "Acct-Terminate-Cause": "User-Request"}},
		}
		for _, w := range want {
			rec, err := fr.WaitAccounting(wctx, func(r radiustest.DetailRecord) bool {
				return r.Get("Acct-Status-Type") == w.status && r.Get("Acct-Session-Id") == "erx-0000000a"
			})
			if err != nil {
				t.Fatalf("%s: %v", w.status, err)
			}
			for k, v := range w.attrs {
				if got := rec.Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", w.status, k, got, v)
				}
			}
			if _, err := strconv.ParseUint(rec.Get("Event-Timestamp"), 10, 64); err != nil && rec.Get("Event-Timestamp") == "" {
				t.Errorf("%s: no Event-Timestamp", w.status)
			}
		}
	})
}

func mirrorEqual(a, b erx.Mirror) bool {
	return a.HasAction == b.HasAction && a.Action == b.Action &&
		a.HasDevHandle == b.HasDevHandle && bytes.Equal(a.DevHandle, b.DevHandle) &&
		a.HasAnalyzer == b.HasAnalyzer && a.Analyzer == b.Analyzer &&
		a.HasPort == b.HasPort && a.Port == b.Port
}
