package subscribers_test

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port/memport"
	"github.com/erxos/erx/services/subscribers"
)

// cutLink is a Link whose frames to and from one client MAC can be cut,
// as if that subscriber's line went dead while the others stay up.
type cutLink struct {
	pppoetest.Link
	mu  sync.Mutex
	cut map[[6]byte]bool
}

func (c *cutLink) isCut(mac []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(mac) == 6 && c.cut[[6]byte(mac)]
}

func (c *cutLink) setCut(mac [6]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut[mac] = true
}

// ReadFrame drops the frames sent to a cut MAC.
func (c *cutLink) ReadFrame(buf []byte) (int, error) {
	for {
		n, err := c.Link.ReadFrame(buf)
		if err != nil || n < 6 || !c.isCut(buf[:6]) {
			return n, err
		}
	}
}

// WriteFrame drops the frames a cut MAC sends.
func (c *cutLink) WriteFrame(f []byte) error {
	if len(f) >= 12 && c.isCut(f[6:12]) {
		return nil
	}
	return c.Link.WriteFrame(f)
}

// padt builds a bare PADT from the client mac for session sid.
func padt(router, mac [6]byte, sid uint16) []byte {
	d := pppoe.Discovery{Code: pppoe.CodePADT, SessionID: sid}
	f := make([]byte, header.EthernetHeaderLen+d.Len())
	(&header.EthernetFields{Destination: router, Source: mac, EtherType: header.EtherTypePPPoEDiscovery}).Marshal(f)
	if _, err := d.Marshal(f[header.EthernetHeaderLen:]); err != nil {
		panic(err)
	}
	return f
}

// TestFreeRADIUSAttributes runs PPPoE subscribers against the real
// FreeRADIUS (on loopback; the line card on in-memory ports) and checks
// that the attributes of its Access-Accepts take effect, that the
// accounting records it writes to its detail file carry the E Series
// NAS-Port-Id and Calling-Station-Id, the Class it sent and the data
// plane's counters, and that each way a session ends is reported with
// its own Acct-Terminate-Cause:
//
//   - ERX-Address-Pool-Name and Framed-Pool pick the local pool;
//   - ERX-Primary-Dns / ERX-Secondary-Dns reach the client through IPCP;
//   - ERX-Virtual-Router-Name puts the dynamic interface, its host route
//     and its address (from that VR's pool) in that virtual router;
//   - Acct-Interim-Interval from RADIUS drives Interim-Update;
//   - PADT → User-Request, LCP keepalive loss → Lost-Carrier,
//     Session-Timeout → Session-Timeout, clear (logout) → Admin-Reset,
//     LCP Terminate-Request → User-Request.
func TestFreeRADIUSAttributes(t *testing.T) {
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Users: `
gold Cleartext-Password := "pw"
	ERX-Address-Pool-Name = "gold",
	ERX-Primary-Dns = 198.51.100.53,
	ERX-Secondary-Dns = 198.51.100.54,
	Class = 0x676f6c64

silver Cleartext-Password := "pw"
	Framed-Pool = "silver"

vr Cleartext-Password := "pw"
	ERX-Virtual-Router-Name = "isp"

interim Cleartext-Password := "pw"
	Acct-Interim-Interval = 60

padt Cleartext-Password := "pw"

lost Cleartext-Password := "pw"

timeout Cleartext-Password := "pw"
	Session-Timeout = 3

clear Cleartext-Password := "pw"
`})

	macR0 := [6]byte{0x02, 0xee, 0, 0, 0, 0x10}
	r0, h0 := memport.Pair("r0", macR0, "h0", [6]byte{0x02, 0xaa, 0, 0, 0, 0x02})
	r1, h1 := memport.Pair("r1", [6]byte{0x02, 0xee, 0, 0, 0, 0x11}, "h1", [6]byte{0x02, 0xbb, 0, 0, 0, 0x02})
	cp := &shimCP{}
	const access, core = "gigabitEthernet 1/0/0", "gigabitEthernet 1/0/1"
	lc, err := linecard.New(linecard.Config{Control: cp}, linecard.PortConfig{Port: r0, Interface: access},
		linecard.PortConfig{Port: r1, Interface: core})
	must(t, err)
	must(t, lc.AddAddress(core, netip.MustParsePrefix("10.0.2.1/24")))
	must(t, lc.AddLoopback("loopback 0"))
	must(t, lc.AddAddress("loopback 0", netip.MustParsePrefix("192.0.2.1/32")))
	must(t, lc.AddVirtualRouter("isp"))
	pools := &pool.Registry{}
	for _, p := range []struct{ vr, name, from, to string }{
		{"default", "subs", "100.64.0.1", "100.64.0.50"},
		{"default", "gold", "100.65.0.1", "100.65.0.9"},
		{"default", "silver", "100.66.0.1", "100.66.0.9"},
		{"isp", "isp", "100.67.0.1", "100.67.0.9"},
	} {
		must(t, pools.Server(p.vr).AddRange(p.name, netip.MustParseAddr(p.from), netip.MustParseAddr(p.to)))
	}
	// Keepalives every 400 ms: a silent client is down after three
	// unanswered ones.
	e, err := subscribers.New(subscribers.Config{DataPlane: lc, Pools: pools, Hostname: "host1", EchoInterval: 400 * time.Millisecond})
	must(t, err)
	cp.e = e
	must(t, lc.Start())
	srv := func(a netip.AddrPort) erxradius.Config {
		return erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: a, Secret: fr.Secret, Timeout: 2 * time.Second}},
			NAS: erxradius.NASIdentity{Identifier: "host1"}}
	}
	must(t, e.SetRADIUS(srv(fr.AuthAddr), srv(fr.AcctAddr)))
	e.SetAccounting(true, 0)
	must(t, e.SetPPPoE(access, &subscribers.PPPoEConfig{Auth: []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}}))
	link := &cutLink{Link: pppoetest.MemPortLink(h0), cut: map[[6]byte]bool{}}
	emu := pppoetest.NewEmulator(link)
	var logouts sync.Map // username → subscriber.Cause
	var nLogout atomic.Int32
	cancelSub := e.Subscribe("radiusattrs", func(ev subscribers.Event) {
		if ev.Type == subscribers.EventLogout {
			logouts.Store(ev.Session.Username, ev.Cause)
			nLogout.Add(1)
		}
	}, subscribers.ConsumerOptions{Sync: true})
	t.Cleanup(func() {
		_ = emu.Close()
		cancelSub()
		must(t, e.Close())
		lc.Stop()
		r0.Close()
		r1.Close()
		h1.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	sessions := map[string]*pppoetest.PPPoESession{}
	macs := map[string]pppoetest.MAC{}
	dial := func(user string, n byte) *pppoetest.PPPoESession {
		t.Helper()
		mac := pppoetest.MAC{2, 0x5b, 0, 0, 0, n}
		s, err := emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: mac, User: user, Password: "pw",
			Accept: []ppp.AuthProtocol{ppp.AuthCHAP}, Retries: 3, RetryInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		sessions[user], macs[user] = s, mac
		return s
	}
	active := func(user string) subscribers.Session {
		t.Helper()
		ss := waitActive(ctx, e, subscribers.Query{Username: user})
		if len(ss) != 1 || ss[0].State != subscribers.StateActive {
			t.Fatalf("%s: table %+v", user, ss)
		}
		return ss[0]
	}
	record := func(status, user string) radiustest.DetailRecord {
		t.Helper()
		rec, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
			return r.Get("Acct-Status-Type") == status && r.Get("User-Name") == user
		})
		if err != nil {
			t.Fatalf("%s's %s: %v", user, status, err)
		}
		return rec
	}

	t.Run("Address-Pool-Name, DNS and Class", func(t *testing.T) {
		s := dial("gold", 0x31)
		if s.Address().String() != "100.65.0.1" {
			t.Fatalf("address %v, want the first of pool gold", s.Address())
		}
		if p, q := s.DNS(); p.String() != "198.51.100.53" || q.String() != "198.51.100.54" {
			t.Fatalf("IPCP DNS %v %v", p, q)
		}
		ses := active("gold")
		start := record("Start", "gold")
		for name, want := range map[string]string{
			"Acct-Session-Id":    ses.AcctSessionID,
			"NAS-Port-Id":        "GigabitEthernet 1/0/0",
			"NAS-Port-Type":      "Ethernet",
			"Calling-Station-Id": "025b.0000.0031",
			"Framed-IP-Address":  "100.65.0.1",
			"NAS-Identifier":     "host1",
			"Class":              "0x676f6c64",
		} {
			if got := start.Get(name); got != want {
				t.Errorf("Start %s = %q, want %q", name, got, want)
			}
		}
	})

	t.Run("Framed-Pool", func(t *testing.T) {
		if s := dial("silver", 0x32); s.Address().String() != "100.66.0.1" {
			t.Fatalf("address %v, want the first of pool silver", s.Address())
		}
	})

	t.Run("Virtual-Router-Name", func(t *testing.T) {
		s := dial("vr", 0x33)
		if s.Address().String() != "100.67.0.1" {
			t.Fatalf("address %v, want the first of VR isp's pool", s.Address())
		}
		ses := active("vr")
		if ses.VirtualRouter != "isp" {
			t.Fatalf("session in VR %q", ses.VirtualRouter)
		}
		if info, err := lc.Interface(ses.Interface); err != nil || info.VirtualRouter != "isp" {
			t.Fatalf("dynamic interface %q: %+v %v", ses.Interface, info, err)
		}
		host := netip.PrefixFrom(s.Address(), 32)
		hasRoute := func(vr string) bool {
			rs, _ := lc.Routes(vr)
			return slices.ContainsFunc(rs, func(r linecard.RouteInfo) bool { return r.Prefix == host })
		}
		if !hasRoute("isp") || hasRoute("default") {
			t.Fatalf("host route %v: in isp %v, in default %v", host, hasRoute("isp"), hasRoute("default"))
		}
		if got := e.Table().Find(subscribers.Query{VirtualRouter: "isp"}); len(got) != 1 || got[0].Username != "vr" {
			t.Fatalf("show subscribers virtual-router isp: %+v", got)
		}
	})

	t.Run("Acct-Interim-Interval", func(t *testing.T) {
		s := dial("interim", 0x34)
		ses := active("interim")
		replies := 0
		for seq := uint16(0); replies < 3 && seq < 10; seq++ {
			pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
			if err := s.Ping(pctx, netip.MustParseAddr("10.0.2.1"), seq); err == nil {
				replies++
			} else {
				t.Logf("ping %d: %v", seq, err)
			}
			pcancel()
		}
		if replies < 3 {
			t.Fatalf("%d echo replies", replies)
		}
		e.Interim(time.Now().Add(30 * time.Second)) // before the interval: nothing
		e.Interim(time.Now().Add(2 * time.Minute))
		rec := record("Interim-Update", "interim")
		in, _ := strconv.Atoi(rec.Get("Acct-Input-Packets"))
		out, _ := strconv.Atoi(rec.Get("Acct-Output-Packets"))
		if rec.Get("Acct-Session-Id") != ses.AcctSessionID || in < 3 || out < 3 || rec.Get("Acct-Input-Octets") == "0" {
			t.Fatalf("Interim-Update after %d echo replies: %v", replies, rec.Attrs)
		}
		recs, err := fr.AccountingRecords()
		must(t, err)
		n := 0
		for _, r := range recs {
			if r.Get("User-Name") == "interim" && r.Get("Acct-Status-Type") == "Interim-Update" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d Interim-Updates, want 1 (the first Interim call came before the interval)", n)
		}
	})

	// Teardowns. Each Stop carries the cause of its own teardown.
	dial("padt", 0x35)
	dial("lost", 0x36)
	dial("clear", 0x37)
	padtSes, lostSes := active("padt"), active("lost")
	active("clear")
	must(t, link.Link.WriteFrame(padt(macR0, macs["padt"], padtSes.PPPoESessionID)))
	link.setCut(macs["lost"])
	if n := e.Logout(subscribers.Query{Username: "clear"}, subscriber.CauseAdminReset); n != 1 { // what `logout subscribers` does
		t.Fatalf("logout: %d sessions", n)
	}
	must(t, sessions["gold"].Close()) // LCP Terminate-Request, then PADT
	dial("timeout", 0x38)             // Session-Timeout = 3 s
	select {
	case <-sessions["timeout"].Down():
	case <-ctx.Done():
		t.Fatal("Session-Timeout did not end the session")
	}
	for user, want := range map[string]string{
		"padt":    "User-Request",
		"lost":    "Lost-Carrier",
		"clear":   "Admin-Reset",
		"gold":    "User-Request",
		"timeout": "Session-Timeout",
	} {
		stop := record("Stop", user)
		if got := stop.Get("Acct-Terminate-Cause"); got != want {
			t.Errorf("%s: Acct-Terminate-Cause %q, want %q", user, got, want)
		}
		if stop.Get("Acct-Session-Time") == "" || stop.Get("Acct-Session-Id") == "" {
			t.Errorf("%s: Stop %v", user, stop.Attrs)
		}
	}
	if _, ok := logouts.Load(lostSes.Username); !ok {
		t.Fatal("no logout event for the silent subscriber")
	}
	// The sessions that were not torn down are still up.
	for _, user := range []string{"silver", "vr", "interim"} {
		if ss := e.Table().Find(subscribers.Query{Username: user}); len(ss) != 1 || ss[0].State != subscribers.StateActive {
			t.Errorf("%s: %+v", user, ss)
		}
	}
	if n := nLogout.Load(); n != 5 {
		t.Errorf("%d logouts, want 5", n)
	}
	for _, user := range []string{"silver", "vr", "interim", "padt", "clear"} {
		_ = sessions[user].Close()
	}
}
