package subscribers

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/dhcp"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// ipoeRig is a line card with an access port (gigabitEthernet 1/0/0,
// 10.0.1.1/24, subscribers on h0) and a core port (10.0.2.1/24, a host
// 10.0.2.2 on h1), a fake RADIUS server, a lease store that outlives the
// subscriber engines, and one engine at a time (restart builds the next).
type ipoeRig struct {
	t      *testing.T
	lc     *linecard.Engine
	cp     *cpShim
	rad    *radiustest.FakeServer
	store  *memStore
	link   *memLink
	emu    *pppoetest.Emulator
	h1     *memport.Port
	rx     *port.Batch
	e      *Engine
	pools  *pool.Registry
	events chan Event
	cancel func()
	// mod adjusts the configuration of the next engine; beforeResume
	// runs in start(true) just before ResumeLeases.
	mod          func(*Config)
	beforeResume func()
}

const ipoeAccess = "gigabitEthernet 1/0/0"

func newIPoERig(t *testing.T) *ipoeRig {
	t.Helper()
	r0, h0 := memport.Pair("r0", macR0, "h0", macH0)
	r1, h1 := memport.Pair("r1", macR1, "h1", macH1)
	cp := &cpShim{}
	lc, err := linecard.New(linecard.Config{Control: cp}, linecard.PortConfig{Port: r0, Interface: ipoeAccess},
		linecard.PortConfig{Port: r1, Interface: "gigabitEthernet 1/0/1"})
	must(t, err)
	must(t, lc.AddAddress(ipoeAccess, netip.MustParsePrefix("10.0.1.1/24")))
	must(t, lc.AddAddress("gigabitEthernet 1/0/1", netip.MustParsePrefix("10.0.2.1/24")))
	must(t, lc.AddStaticARP("gigabitEthernet 1/0/1", netip.MustParseAddr("10.0.2.2"), macH1))
	must(t, lc.Start())
	r := &ipoeRig{t: t, lc: lc, cp: cp, rad: radiustest.NewFakeServer(t, "s3cret"), store: &memStore{},
		link: &memLink{p: h0, b: port.NewBatch(1, port.DefaultBufSize)}, h1: h1, rx: port.NewBatch(64, port.DefaultBufSize)}
	r.emu = pppoetest.NewEmulator(r.link)
	r.start(false)
	t.Cleanup(func() {
		_ = r.emu.Close()
		r.stop()
		lc.Stop()
		r0.Close()
		r1.Close()
		h1.Close()
	})
	return r
}

// start builds a subscriber engine on the rig's line card with the saved
// leases, RADIUS for IP subscribers and accounting on. asRouterd does it
// as routerd does at boot: the leases are held while the configuration is
// replayed in its order (the interface, then its pool, then the RADIUS
// servers) and resumed after.
func (r *ipoeRig) start(asRouterd bool) {
	t := r.t
	pools := &pool.Registry{}
	addPool := func() {
		must(t, pools.Server("default").AddRange("ipoe", netip.MustParseAddr("10.0.1.100"), netip.MustParseAddr("10.0.1.120")))
	}
	cfg := Config{DataPlane: r.lc, Pools: pools, Hostname: "host1", EchoInterval: -1, LeaseStore: r.store,
		HoldLeases: asRouterd}
	if r.mod != nil {
		r.mod(&cfg)
	}
	e, err := New(cfg)
	must(t, err)
	r.e, r.events, r.pools = e, make(chan Event, 100), pools
	r.cancel = e.Subscribe("test", func(ev Event) { r.events <- ev }, ConsumerOptions{Sync: true})
	r.cp.set(e)
	e.SetAuthentication(TypeIPoE, []Method{MethodRADIUS})
	e.SetAccounting(true, 0)
	if !asRouterd {
		addPool()
	}
	must(t, e.SetIPoE(ipoeAccess, &IPoEConfig{Pool: "ipoe"}))
	if asRouterd {
		addPool()
	}
	srv := erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: r.rad.Addr, Secret: "s3cret", Timeout: time.Second}}}
	must(t, e.SetRADIUS(srv, srv))
	if asRouterd {
		if r.beforeResume != nil {
			r.beforeResume()
		}
		e.ResumeLeases()
	}
}

// stop closes the engine as routerd does at shutdown.
func (r *ipoeRig) stop() {
	if r.e == nil {
		return
	}
	r.cp.set(nil)
	must(r.t, r.e.Close())
	r.cancel()
	r.e = nil
}

func (r *ipoeRig) next(want EventType) Event {
	r.t.Helper()
	return nextEvent(r.t, r.events, want)
}

// udp builds an Ethernet/IPv4/UDP frame with payload bytes of data; its
// IP packet is 28+payload bytes.
func udp(t testing.TB, src, dst [6]byte, sip, dip string, payload int) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(src[:]), DstMAC: net.HardwareAddr(dst[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(sip).To4(), DstIP: net.ParseIP(dip).To4()}
	u := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	u.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	must(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, u, gopacket.Payload(make([]byte, payload))))
	return buf.Bytes()
}

// TestIPoESessionCounters: an IP subscriber's traffic is counted on its
// own interface and its accounting carries exactly what it sent and
// received.
func TestIPoESessionCounters(t *testing.T) {
	r := newIPoERig(t)
	r.rad.SetUser("025b.0000.0001", radiustest.User{Password: "025b.0000.0001"})
	l, err := r.emu.DHCP(ctx(t), pppoetest.DHCPConfig{MAC: macS1, RetryInterval: 300 * time.Millisecond})
	must(t, err)
	ses := r.next(EventLogin).Session
	r.next(EventAddressAssigned)
	if ses.Interface != ipoeAccess+".0."+strconv.FormatUint(ipoeIndexBase+ses.ID, 10) {
		t.Fatalf("interface %q", ses.Interface)
	}
	const up, down, payload = 5, 3, 100 // IP packets of 128 bytes
	for range up {
		must(t, r.link.WriteFrame(udp(t, [6]byte(macS1), macR0, l.Address.String(), "10.0.2.2", payload)))
	}
	got := 0
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	src := l.Address.As4()
	for got < up && time.Now().Before(deadline) {
		n, _ := r.h1.Receive(0, r.rx)
		for _, f := range r.rx.Frames[:n] {
			if len(f) >= 34 && f[12] == 8 && f[13] == 0 && [4]byte(f[26:30]) == src { // not the gratuitous ARPs
				got++
			}
		}
	}
	if got != up {
		t.Fatalf("forwarded %d of %d", got, up)
	}
	for range down {
		_, err := r.h1.Transmit(0, [][]byte{udp(t, macH1, macR1, "10.0.2.2", l.Address.String(), payload)})
		must(t, err)
	}
	want := Counters{InPackets: up, InOctets: up * 128, OutPackets: down, OutOctets: down * 128}
	for time.Now().Before(deadline) {
		if c, _ := r.lc.Counters(ses.Interface); c.OutPackets == down {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Cleared by the operator: a RELEASE would be one more packet in.
	if n := r.e.Logout(Query{Address: l.Address}, subscriber.CauseAdminReset); n != 1 {
		t.Fatalf("logged out %d", n)
	}
	ev := r.next(EventLogout)
	if ev.Counters != want || ev.Cause != subscriber.CauseAdminReset {
		t.Fatalf("logout %+v %v, want %+v", ev.Counters, ev.Cause, want)
	}
	recs := waitAcct(t, r.rad, 2)
	stop := recs[1]
	if rfc2866.AcctStatusType_Get(stop) != rfc2866.AcctStatusType_Value_Stop ||
		rfc2866.AcctInputPackets_Get(stop) != up || rfc2866.AcctInputOctets_Get(stop) != up*128 ||
		rfc2866.AcctOutputPackets_Get(stop) != down || rfc2866.AcctOutputOctets_Get(stop) != down*128 {
		t.Fatalf("Stop: %+v", stop.Attributes)
	}
}

// TestIPoELeasesResumeAfterRestart: shutdown ends the IP subscribers'
// sessions (Stop) but keeps their leases; the next engine restores them
// from flash, authorizes each again through RADIUS and recreates its
// session (dynamic interface, host route, Start, Login event) before any
// renewal; a subscriber RADIUS now refuses loses its lease.
func TestIPoELeasesResumeAfterRestart(t *testing.T) {
	r := newIPoERig(t)
	for _, m := range []pppoetest.MAC{macS1, macS2} {
		u := callingStationID([6]byte(m))
		r.rad.SetUser(u, radiustest.User{Password: u})
	}
	var leases []*pppoetest.DHCPLease
	for _, m := range []pppoetest.MAC{macS1, macS2} {
		l, err := r.emu.DHCP(ctx(t), pppoetest.DHCPConfig{MAC: m, RetryInterval: 300 * time.Millisecond})
		must(t, err)
		leases = append(leases, l)
		r.next(EventLogin)
		r.next(EventAddressAssigned)
	}
	r.stop()
	r.next(EventLogout)
	r.next(EventLogout)
	stops := 0
	for _, p := range waitAcct(t, r.rad, 4) {
		if rfc2866.AcctStatusType_Get(p) == rfc2866.AcctStatusType_Value_Stop {
			stops++
		}
	}
	if stops != 2 {
		t.Fatalf("%d Stops at shutdown", stops)
	}
	if rt, _ := r.lc.Routes("default"); hasHost(rt) {
		t.Fatal("host routes left after shutdown")
	}
	authBefore := len(r.rad.Requests())

	// While routerd was down RADIUS barred the second subscriber.
	bad := callingStationID([6]byte(macS2))
	r.rad.SetUser(bad, radiustest.User{Reject: true})
	r.start(true)
	ev := r.next(EventLogin)
	r.next(EventAddressAssigned)
	s := ev.Session
	if s.Address != leases[0].Address || s.MAC != [6]byte(macS1) || s.Type != TypeIPoE || s.State != StateActive ||
		s.Interface != IPoEInterfaceName(ipoeAccess, 0, s.ID) {
		t.Fatalf("resumed %+v", s)
	}
	info, err := r.lc.Interface(s.Interface)
	if err != nil || info.Kind != linecard.IPoESub || info.PeerAddress != leases[0].Address {
		t.Fatalf("interface %+v %v", info, err)
	}
	if rt, _ := r.lc.Routes("default"); !hasHost(rt) {
		t.Fatal("no host route")
	}
	// Both were authorized again; only the accepted one has a session.
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	var users []string
	for time.Now().Before(deadline) {
		users = users[:0]
		for _, p := range r.rad.Requests()[authBefore:] {
			if p.Code == radius.CodeAccessRequest {
				users = append(users, rfc2865.UserName_GetString(p))
			}
		}
		if len(users) == 2 && len(r.e.Table().Find(Query{})) == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(users) != 2 || r.e.Table().Len() != 1 {
		t.Fatalf("Access-Requests for %v, %d sessions", users, r.e.Table().Len())
	}
	recs := waitAcct(t, r.rad, 5)
	if st := recs[4]; rfc2866.AcctStatusType_Get(st) != rfc2866.AcctStatusType_Value_Start ||
		rfc2866.AcctSessionID_GetString(st) != s.AcctSessionID {
		t.Fatalf("Start %+v", st.Attributes)
	}
	// The refused client's lease is gone (it is NAKed when it renews);
	// its Access-Reject may still be on its way to the server's resume.
	ds := r.dhcpServer()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // hang guard only
		if _, ok := ds.Lookup(macS2); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("refused lease kept")
		}
	}
	// The resumed address was reserved in the pool created after the
	// interface; the refused one went back.
	srvPool, _ := r.pools.Lookup("default")
	if u := srvPool.Usage("ipoe"); len(u) != 1 || u[0].InUse != 1 {
		t.Fatalf("pool %+v", u)
	}
	if a, err := srvPool.Allocate("ipoe"); err != nil || a == leases[0].Address {
		t.Fatalf("allocated %v %v", a, err)
	}
	must(t, leases[0].Release())
	if ev := r.next(EventLogout); ev.Session.ID != s.ID {
		t.Fatalf("logout %+v", ev.Session)
	}
}

// dhcpServer returns the DHCP server of the access interface.
func (r *ipoeRig) dhcpServer() *dhcp.Server {
	a := r.e.access[ipoeAccess]
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dhcp
}

// queued returns how many functions wait for the engine's control
// goroutine.
func (r *ipoeRig) queued() int {
	r.e.qmu.Lock()
	defer r.e.qmu.Unlock()
	return len(r.e.queue)
}

// TestIPoEInstallFailureNaks: a binding whose IP subscriber interface
// cannot be created gets no session and is refused: the client is NAKed
// (not ACKed as a renewal when it retransmits) and its address goes back
// to the pool.
func TestIPoEInstallFailureNaks(t *testing.T) {
	r := newIPoERig(t)
	u := callingStationID([6]byte(macS1))
	r.rad.SetUser(u, radiustest.User{Password: u})
	// Another IP subscriber holds the pool's first address on the port.
	first := netip.MustParseAddr("10.0.1.100")
	must(t, r.lc.AddIPoEInterface(ipoeAccess+".0.blocker", ipoeAccess, first, [6]byte{2, 0x77, 0, 0, 0, 1}))
	_, err := r.emu.DHCP(ctx(t), pppoetest.DHCPConfig{MAC: macS1, Retries: 3, RetryInterval: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), pppoetest.ErrDHCPNak.Error()) {
		t.Fatalf("lease despite the failed install: %v", err)
	}
	r.e.Sync()
	if n := r.e.Table().Len(); n != 0 {
		t.Fatalf("%d sessions", n)
	}
	if _, ok := r.dhcpServer().Lookup(macS1); ok {
		t.Fatal("refused binding kept")
	}
	srv, _ := r.pools.Lookup("default")
	if u := srv.Usage("ipoe"); u[0].InUse != 0 {
		t.Fatalf("address not returned: %+v", u)
	}
	select {
	case ev := <-r.events:
		t.Fatalf("event %v", ev.Type)
	default:
	}
}

// TestIPoEShutdownEndsQueuedResume: a restored lease whose binding is
// still queued for the control goroutine when the engine shuts down gets
// its session and then loses it like the others (Stop, interface and
// route removed), none left behind.
func TestIPoEShutdownEndsQueuedResume(t *testing.T) {
	r := newIPoERig(t)
	u := callingStationID([6]byte(macS1))
	r.rad.SetUser(u, radiustest.User{Password: u})
	_, err := r.emu.DHCP(ctx(t), pppoetest.DHCPConfig{MAC: macS1, RetryInterval: 300 * time.Millisecond})
	must(t, err)
	r.next(EventLogin)
	r.next(EventAddressAssigned)
	r.stop()
	r.next(EventLogout)
	waitAcct(t, r.rad, 2)

	// Restart with the control goroutine held (and no interim tick
	// queueing work) until the engine shuts down.
	gate, held := make(chan struct{}), make(chan struct{})
	r.mod = func(c *Config) { c.InterimTick = time.Hour }
	r.beforeResume = func() { r.e.post(func() { close(held); <-gate }) }
	r.start(true)
	<-held
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	for r.queued() < 1 {                         // the restored binding
		if time.Now().After(deadline) {
			t.Fatal("restored lease not bound")
		}
		time.Sleep(time.Millisecond)
	}
	e := r.e
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	for r.queued() < 2 { // Close is past its access interfaces
		if time.Now().After(deadline) {
			t.Fatal("Close does not get to the control goroutine")
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	must(t, <-closed)
	r.cancel()
	r.e = nil
	ses := r.next(EventLogin).Session
	r.next(EventAddressAssigned)
	if ev := r.next(EventLogout); ev.Session.ID != ses.ID || ev.Cause != subscriber.CauseNASRequest {
		t.Fatalf("logout %+v %v", ev.Session, ev.Cause)
	}
	if _, err := r.lc.Interface(ses.Interface); err == nil {
		t.Fatalf("%s left behind", ses.Interface)
	}
	if rt, _ := r.lc.Routes("default"); hasHost(rt) {
		t.Fatal("host route left behind")
	}
	recs := waitAcct(t, r.rad, 4)
	if st := recs[3]; rfc2866.AcctStatusType_Get(st) != rfc2866.AcctStatusType_Value_Stop ||
		rfc2866.AcctSessionID_GetString(st) != ses.AcctSessionID {
		t.Fatalf("last record %+v, want the Stop of %s", st.Attributes, ses.AcctSessionID)
	}
}
