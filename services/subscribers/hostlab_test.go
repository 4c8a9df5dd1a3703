package subscribers_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/netns"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port/afpacket"
	"github.com/erxos/erx/services/subscribers"
)

// TestHostLab runs subscribers against the real neighbours: namespaces
// sub — rtr — net over veths, the line card over AF_PACKET in rtr with
// the subscriber engine as its control plane, the real FreeRADIUS on
// loopback, the PPPoE emulator (PAP and CHAP, right and wrong passwords,
// addresses from RADIUS and from a pool) and udhcpc in sub, and ping
// through the sessions to a host in net. Accounting is read back from
// FreeRADIUS's detail file; a Disconnect-Request sent with radclient ends
// a session.
func TestHostLab(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root (network namespaces, AF_PACKET)")
	}
	id := fmt.Sprint(os.Getpid() % 100000)
	subNS, rtrNS, netNS := "sbsub"+id, "sbrtr"+id, "sbnet"+id
	for _, ns := range []string{subNS, rtrNS, netNS} {
		netns.Add(t, ns)
	}
	hs, ra, rb, hn := "sbs"+id, "sbra"+id, "sbrb"+id, "sbn"+id
	netns.Veth(t, subNS, hs, rtrNS, ra)
	netns.Veth(t, netNS, hn, rtrNS, rb)
	for _, c := range [][]string{
		{subNS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{netNS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{rtrNS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{rtrNS, "sysctl", "-qw", "net.ipv4.ip_forward=0"},
		{netNS, "ip", "addr", "add", "10.82.2.2/24", "dev", hn},
		{subNS, "ip", "link", "set", hs, "up"},
		{netNS, "ip", "link", "set", hn, "up"},
		{rtrNS, "ip", "link", "set", ra, "up"},
		{rtrNS, "ip", "link", "set", rb, "up"},
		{netNS, "ip", "route", "add", "default", "via", "10.82.2.1"},
	} {
		netns.Exec(t, c[0], c[1], c[2:]...)
	}

	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Users: `
alice Cleartext-Password := "secret"
	Framed-IP-Address = 100.70.1.5

bob Cleartext-Password := "hunter2"
`})

	var p0, p1 *afpacket.Port
	if err := netns.Do(rtrNS, func() (err error) {
		if p0, err = afpacket.Open(ra, afpacket.Config{Queues: 1}); err != nil {
			return err
		}
		p1, err = afpacket.Open(rb, afpacket.Config{Queues: 1})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer p0.Close()
	defer p1.Close()
	const access, core = "gigabitEthernet 0/0/0", "gigabitEthernet 0/0/1"
	shim := &shimCP{}
	lc, err := linecard.New(linecard.Config{Control: shim}, linecard.PortConfig{Port: p0, Interface: access},
		linecard.PortConfig{Port: p1, Interface: core})
	must(t, err)
	must(t, lc.AddAddress(access, netip.MustParsePrefix("10.82.1.1/24")))
	must(t, lc.AddAddress(core, netip.MustParsePrefix("10.82.2.1/24")))
	pools := &pool.Registry{}
	must(t, pools.Server("default").AddRange("ppp", netip.MustParseAddr("100.70.0.10"), netip.MustParseAddr("100.70.0.50")))
	must(t, pools.Server("default").AddRange("ipoe", netip.MustParseAddr("10.82.1.100"), netip.MustParseAddr("10.82.1.150")))
	e, err := subscribers.New(subscribers.Config{DataPlane: lc, Pools: pools, Hostname: "host1"})
	must(t, err)
	shim.e = e
	must(t, lc.Start())
	defer func() {
		must(t, e.Close())
		lc.Stop()
	}()
	srv := func(a netip.AddrPort) erxradius.Config {
		return erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: a, Secret: fr.Secret, Timeout: 2 * time.Second}},
			NAS: erxradius.NASIdentity{Identifier: "host1"}}
	}
	must(t, e.SetRADIUS(srv(fr.AuthAddr), srv(fr.AcctAddr)))
	e.SetAccounting(true, 0)
	dynPort := radiustest.FreeUDPPort(t)
	must(t, e.SetDynamicRequest(subscribers.DynamicSettings{Host: "127.0.0.1", Port: dynPort,
		Clients: []erxradius.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "coasecret"}}}))
	must(t, e.SetPPPoE(access, &subscribers.PPPoEConfig{Auth: []ppp.AuthProtocol{ppp.AuthCHAP, ppp.AuthPAP}}))
	must(t, e.SetIPoE(access, &subscribers.IPoEConfig{Pool: "ipoe"}))

	var link pppoetest.Link
	must(t, netns.Do(subNS, func() (err error) { link, err = pppoetest.OpenPacket(hs); return err }))
	emu := pppoetest.NewEmulator(link)
	defer emu.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	netHost := netip.MustParseAddr("10.82.2.2")
	dial := func(mac byte, user, pw string, accept ppp.AuthProtocol) (*pppoetest.PPPoESession, error) {
		return emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, mac}, User: user, Password: pw,
			Accept: []ppp.AuthProtocol{accept}, Retries: 3, RetryInterval: 500 * time.Millisecond})
	}

	t.Run("wrong passwords", func(t *testing.T) {
		for _, a := range []ppp.AuthProtocol{ppp.AuthPAP, ppp.AuthCHAP} {
			_, err := dial(9, "alice", "wrong", a)
			var le *pppoetest.LoginError
			if !errors.As(err, &le) || le.Stage != pppoetest.StageAuth {
				t.Fatalf("%v: %v", a, err)
			}
		}
	})

	// alice: PAP, address from RADIUS; logs out herself.
	alice, err := dial(1, "alice", "secret", ppp.AuthPAP)
	must(t, err)
	if alice.Address().String() != "100.70.1.5" {
		t.Fatalf("alice got %v", alice.Address())
	}
	// bob: CHAP, address from the pool; disconnected by RADIUS.
	bob, err := dial(2, "bob", "hunter2", ppp.AuthCHAP)
	must(t, err)
	if bob.Address().String() != "100.70.0.10" {
		t.Fatalf("bob got %v", bob.Address())
	}
	for i := range 3 {
		must(t, alice.Ping(ctx, netHost, uint16(i)))
		must(t, bob.Ping(ctx, netHost, uint16(i)))
	}
	aliceSes := waitActive(ctx, e, subscribers.Query{Username: "alice"})
	bobSes := waitActive(ctx, e, subscribers.Query{Username: "bob"})
	if len(aliceSes) != 1 || len(bobSes) != 1 {
		t.Fatalf("table: %+v %+v", aliceSes, bobSes)
	}
	// A CoA-Request with the lawful-intercept VSAs (salt-encrypted by
	// radclient from dictionary.erx) reaches the mirroring hook decrypted.
	var coaMu sync.Mutex
	var coas []subscribers.CoARequest
	e.SetMirrorCoA(func(c subscribers.CoARequest) (bool, erxradius.ErrorCause) {
		coaMu.Lock()
		defer coaMu.Unlock()
		coas = append(coas, c)
		return true, 0
	})
	dynAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dynPort)
	res, err := radiustest.Radclient(ctx, dynAddr, "coa", "coasecret", fmt.Sprintf(`Acct-Session-Id = "%s"`, aliceSes[0].AcctSessionID),
		"ERX-LI-Action = on", "ERX-Med-Dev-Handle = 0x00000007", "ERX-Med-Ip-Address = 10.82.2.2", "ERX-Med-Port-Number = 30030")
	must(t, err)
	coaMu.Lock()
	if res.Code != "CoA-ACK" || len(coas) != 1 || coas[0].AcctSessionID != aliceSes[0].AcctSessionID ||
		coas[0].Mirror.Action != erxradius.LIOn || coas[0].Mirror.Analyzer.String() != "10.82.2.2" || coas[0].Mirror.Port != 30030 {
		t.Fatalf("CoA: %s %+v\n%s", res.Code, coas, res.Output)
	}
	coaMu.Unlock()

	must(t, alice.Close())
	stop, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Stop" && r.Get("User-Name") == "alice"
	})
	must(t, err)
	if stop.Get("Acct-Input-Octets") == "0" || stop.Get("Acct-Output-Octets") == "0" || stop.Get("Acct-Input-Octets") == "" ||
		stop.Get("Acct-Session-Id") != aliceSes[0].AcctSessionID || stop.Get("Acct-Terminate-Cause") != "User-Request" {
		t.Fatalf("alice's Stop: %+v", stop.Attrs)
	}
	if _, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Start" && r.Get("User-Name") == "alice" && r.Get("Framed-IP-Address") == "100.70.1.5"
	}); err != nil {
		t.Fatalf("alice's Start: %v", err)
	}

	res, err = radiustest.Radclient(ctx, dynAddr, "disconnect", "coasecret", `User-Name = "nobody"`)
	must(t, err)
	if res.Code != "Disconnect-NAK" || res.Get("Error-Cause") != "Session-Context-Not-Found" {
		t.Fatalf("unknown user: %s %v\n%s", res.Code, res.Attrs, res.Output)
	}
	res, err = radiustest.Radclient(ctx, dynAddr, "disconnect", "coasecret", fmt.Sprintf(`Acct-Session-Id = "%s"`, bobSes[0].AcctSessionID))
	must(t, err)
	if res.Code != "Disconnect-ACK" {
		t.Fatalf("disconnect: %s\n%s", res.Code, res.Output)
	}
	select {
	case <-bob.Down():
	case <-ctx.Done():
		t.Fatal("bob still up after Disconnect-ACK")
	}
	bobStop, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Stop" && r.Get("User-Name") == "bob"
	})
	must(t, err)
	if bobStop.Get("Acct-Terminate-Cause") != "Admin-Reset" || bobStop.Get("Acct-Output-Octets") == "0" {
		t.Fatalf("bob's Stop: %v", bobStop.Attrs)
	}

	t.Run("udhcpc", func(t *testing.T) {
		dir := t.TempDir()
		script := netns.UdhcpcScript(t, dir)
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", subNS, "udhcpc", "-i", hs, "-n", "-q", "-f",
			"-t", "5", "-T", "2", "-s", script).CombinedOutput()
		if err != nil {
			t.Fatalf("udhcpc: %v\n%s", err, out)
		}
		addrs := netns.Exec(t, subNS, "ip", "-4", "-o", "addr", "show", "dev", hs)
		if !strings.Contains(addrs, "10.82.1.100/24") {
			t.Fatalf("no lease: %s\n%s", addrs, out)
		}
		ss := waitActive(ctx, e, subscribers.Query{Address: netip.MustParseAddr("10.82.1.100")})
		if len(ss) != 1 || ss[0].Type != subscribers.TypeIPoE {
			t.Fatalf("table: %+v", ss)
		}
		if info, err := lc.Interface(ss[0].Interface); err != nil || info.Kind != linecard.IPoESub || info.Parent != access {
			t.Fatalf("IP subscriber interface %q: %+v %v", ss[0].Interface, info, err)
		}
		ipoePings(ctx, t, subNS, netHost, 3)
		if _, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
			return r.Get("Acct-Status-Type") == "Start" && r.Get("Framed-IP-Address") == "10.82.1.100"
		}); err != nil {
			t.Fatalf("IPoE Start: %v", err)
		}
		ipoeStopCounts(ctx, t, e, fr, ss[0], 3)
		netns.Exec(t, subNS, "ip", "addr", "flush", "dev", hs)
	})

	t.Run("dhcpcd", func(t *testing.T) {
		dir := t.TempDir()
		conf := filepath.Join(dir, "dhcpcd.conf")
		must(t, os.WriteFile(conf, []byte("noipv4ll\nnoipv6rs\noption routers\nnohook resolv.conf\n"), 0o644))
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", subNS, "dhcpcd", "-4", "-1", "-B", "-t", "20",
			"-f", conf, hs).CombinedOutput()
		if err != nil {
			t.Fatalf("dhcpcd: %v\n%s", err, out)
		}
		defer exec.Command("ip", "netns", "exec", subNS, "dhcpcd", "-4", "-x", hs).Run()
		addrs := netns.Exec(t, subNS, "ip", "-4", "-o", "addr", "show", "dev", hs)
		if !strings.Contains(addrs, "10.82.1.100/24") {
			t.Fatalf("no lease: %s\n%s", addrs, out)
		}
		ss := waitActive(ctx, e, subscribers.Query{Address: netip.MustParseAddr("10.82.1.100")})
		if len(ss) != 1 {
			t.Fatalf("table: %+v", ss)
		}
		ipoePings(ctx, t, subNS, netHost, 5)
		ipoeStopCounts(ctx, t, e, fr, ss[0], 5)
	})
}

// ipoePingSize is the IP length of the IPoE tests' echo requests and
// replies (ping -s 100: 100 bytes of data, ICMP and IP headers).
const ipoePingSize = 128

// ipoePings pings host count times from ns, each answered.
func ipoePings(ctx context.Context, t *testing.T, ns string, host netip.Addr, count int) {
	t.Helper()
	if out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "ping", "-c", fmt.Sprint(count), "-s", "100",
		"-i", "0.2", "-W", "3", host.String()).CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("%d received", count)) {
		t.Fatalf("ping through the IPoE subscriber: %v\n%s", err, out)
	}
}

// ipoeStopCounts clears the IP subscriber s from the router and checks
// that its Acct-Stop in FreeRADIUS's detail file counts exactly the count
// echo requests it sent and the count replies it received (the data
// plane's counters of its IP subscriber interface).
func ipoeStopCounts(ctx context.Context, t *testing.T, e *subscribers.Engine, fr *radiustest.FreeRADIUS, s subscribers.Session, count int) {
	t.Helper()
	if n := e.Logout(subscribers.Query{AcctSessionID: s.AcctSessionID}, subscriber.CauseAdminReset); n != 1 {
		t.Fatalf("logout: %d sessions", n)
	}
	stop, err := fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Stop" && r.Get("Acct-Session-Id") == s.AcctSessionID
	})
	if err != nil {
		t.Fatalf("IPoE Stop: %v", err)
	}
	pk, oct := fmt.Sprint(count), fmt.Sprint(count*ipoePingSize)
	if stop.Get("Acct-Input-Packets") != pk || stop.Get("Acct-Output-Packets") != pk ||
		stop.Get("Acct-Input-Octets") != oct || stop.Get("Acct-Output-Octets") != oct ||
		stop.Get("Framed-IP-Address") != s.Address.String() || stop.Get("Acct-Terminate-Cause") != "Admin-Reset" {
		t.Fatalf("IPoE Stop after %d pings of %d bytes: %v", count, ipoePingSize, stop.Attrs)
	}
}

// waitActive waits until the sessions matching q are active (a client
// can be up before the router has installed it) and returns them.
func waitActive(ctx context.Context, e *subscribers.Engine, q subscribers.Query) []subscribers.Session {
	for {
		ss := e.Table().Find(q)
		if len(ss) > 0 && ss[0].State == subscribers.StateActive || ctx.Err() != nil {
			return ss
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type shimCP struct{ e *subscribers.Engine }

func (s *shimCP) HandlePunt(p *linecard.Punt) {
	if s.e != nil {
		s.e.HandlePunt(p)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
