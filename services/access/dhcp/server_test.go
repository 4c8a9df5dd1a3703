package dhcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	mp      = netip.MustParseAddr
	srvMAC  = MAC{2, 0, 0, 0, 0, 1}
	cliMAC  = MAC{2, 0, 0, 0, 9, 1}
	relMAC  = MAC{2, 0, 0, 0, 8, 1}
	port    = "gigabitEthernet 2/0/1"
	bcastIP = mp("255.255.255.255")
)

type memStore struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memStore) ReadFile(n string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[n]
	if !ok {
		return nil, errors.New("not found")
	}
	return b, nil
}

func (m *memStore) WriteFile(n string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[n] = append([]byte(nil), b...)
	return nil
}

type frameQueue chan []byte

func (q frameQueue) SendFrame(_ string, f []byte) error {
	q <- append([]byte(nil), f...)
	return nil
}

type macAuth struct {
	seen chan Client
}

func (a macAuth) AuthorizeDHCP(_ context.Context, c Client) (subscriber.Attributes, error) {
	if a.seen != nil {
		a.seen <- c
	}
	if c.MAC == (MAC{2, 0, 0, 0, 6, 6}) {
		return subscriber.Attributes{}, errors.New("barred")
	}
	return subscriber.Attributes{PrimaryDNS: mp("198.51.100.53")}, nil
}

type harness struct {
	t      *testing.T
	srv    *Server
	out    frameQueue
	clk    *clock.Fake
	pool   *pool.Server
	store  *memStore
	events chan Event
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	h := &harness{t: t, out: make(frameQueue, 64), clk: clock.NewFake(time.Unix(1e6, 0)), pool: &pool.Server{}, store: &memStore{}, events: make(chan Event, 64)}
	if err := h.pool.AddRange("ipoe", mp("10.2.0.100"), mp("10.2.0.199")); err != nil {
		t.Fatal(err)
	}
	h.start(mod)
	return h
}

func (h *harness) start(mod func(*Config)) {
	cfg := Config{
		ServerID: mp("10.2.0.1"), DNS: []netip.Addr{mp("192.0.2.53")},
		LeaseTime: time.Hour, Pool: h.pool, Store: h.store, Clock: h.clk,
		PortMAC: func(string) (MAC, bool) { return srvMAC, true },
		Sender:  h.out, OnEvent: func(e Event) { h.events <- e },
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = s
	h.t.Cleanup(s.Close)
}

// send wraps m in Ethernet/IPv4/UDP from the client.
func (h *harness) send(src MAC, m *dhcpv4.DHCPv4, sip, dip netip.Addr, sport uint16) error {
	b, _ := clientFrame(src, sip, dip, sport, m.ToBytes())
	return h.srv.HandleFrame(port, b)
}

// clientFrame wraps p in broadcast Ethernet/IPv4/UDP to the server port.
func clientFrame(src MAC, sip, dip netip.Addr, sport uint16, p []byte) ([]byte, error) {
	f := header.UDPFrameFields{Destination: header.Broadcast, Source: src,
		IPv4: header.IPv4Fields{TTL: 64, Source: sip, Destination: dip},
		UDP:  header.UDPFields{SourcePort: sport, DestinationPort: ServerPort}}
	buf := make([]byte, header.UDPFrameHeaderLen+len(p))
	n, err := f.Marshal(buf, p)
	return buf[:n], err
}

type reply struct {
	dstMAC MAC
	dstIP  netip.Addr
	dport  uint16
	msg    *dhcpv4.DHCPv4
}

func (h *harness) recv() reply {
	h.t.Helper()
	select {
	case b := <-h.out:
		f := header.Ethernet(b)
		ip := header.IPv4(f.Payload())
		if err := ip.Validate(); err != nil {
			h.t.Fatal(err)
		}
		u := header.UDP(ip.Payload())
		if err := u.Validate(); err != nil {
			h.t.Fatal(err)
		}
		m, err := dhcpv4.FromBytes(u.Payload())
		if err != nil {
			h.t.Fatal(err)
		}
		if MAC(f.Source()) != srvMAC || ip.Source() != mp("10.2.0.1") || u.SourcePort() != ServerPort {
			h.t.Fatalf("bad envelope")
		}
		return reply{MAC(f.Destination()), ip.Destination(), u.DestinationPort(), m}
	case <-time.After(10 * time.Second): // hang guard only
		h.t.Fatal("no reply")
	}
	return reply{}
}

func (h *harness) none() {
	h.t.Helper()
	select {
	case <-h.out:
		h.t.Fatal("unexpected reply")
	default:
	}
}

func (h *harness) event(want EventType) Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		if e.Type != want {
			h.t.Fatalf("event %v, want %v", e.Type, want)
		}
		return e
	case <-time.After(10 * time.Second): // hang guard only
		h.t.Fatalf("no %v event", want)
	}
	return Event{}
}

func discover(mac MAC, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	m, _ := dhcpv4.NewDiscovery(net.HardwareAddr(mac[:]), mods...)
	return m
}

// renewal is mac's REQUEST renewing its lease of ciaddr (unicast, no
// server identifier).
func renewal(mac MAC, ciaddr net.IP) *dhcpv4.DHCPv4 {
	m, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithHwAddr(net.HardwareAddr(mac[:])),
		dhcpv4.WithClientIP(ciaddr))
	return m
}

// discoverRequest sends mac's DISCOVER and its REQUEST for the offer it
// gets, and returns both (the REQUEST for retransmissions); it does not
// wait for the answer.
func (h *harness) discoverRequest(mac MAC) (reply, *dhcpv4.DHCPv4) {
	h.t.Helper()
	if err := h.send(mac, discover(mac), mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		h.t.Fatal(err)
	}
	off := h.recv()
	req, _ := dhcpv4.NewRequestFromOffer(off.msg)
	if err := h.send(mac, req, mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		h.t.Fatal(err)
	}
	return off, req
}

// dora runs DISCOVER/OFFER/REQUEST/ACK for mac and returns the ACK.
func (h *harness) dora(mac MAC) *dhcpv4.DHCPv4 {
	h.t.Helper()
	if err := h.send(mac, discover(mac), mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		h.t.Fatal(err)
	}
	off := h.recv()
	// Without the broadcast flag the offer goes unicast to yiaddr/chaddr.
	if off.msg.MessageType() != dhcpv4.MessageTypeOffer || off.dstMAC != mac || off.dstIP != ip4(off.msg.YourIPAddr) || off.dport != ClientPort {
		h.t.Fatalf("offer %v to %v %v", off.msg.MessageType(), off.dstMAC, off.dstIP)
	}
	req, _ := dhcpv4.NewRequestFromOffer(off.msg)
	h.send(mac, req, mp("0.0.0.0"), bcastIP, ClientPort)
	ack := h.recv()
	if ack.msg.MessageType() != dhcpv4.MessageTypeAck || !ack.msg.YourIPAddr.Equal(off.msg.YourIPAddr) {
		h.t.Fatalf("ack %v", ack.msg.Summary())
	}
	return ack.msg
}

func TestDORARenewRelease(t *testing.T) {
	h := newHarness(t, nil)
	ack := h.dora(cliMAC)
	if !ack.YourIPAddr.Equal(net.IPv4(10, 2, 0, 100)) || ack.IPAddressLeaseTime(0) != time.Hour ||
		!ack.Router()[0].Equal(net.IPv4(10, 2, 0, 1)) || !ack.DNS()[0].Equal(net.IPv4(192, 0, 2, 53)) {
		t.Fatalf("ack %s", ack.Summary())
	}
	e := h.event(EventBound)
	if e.Lease.Address != mp("10.2.0.100") || e.Lease.MAC != cliMAC {
		t.Fatalf("bound %+v", e.Lease)
	}
	// Renewal at T1: unicast REQUEST with ciaddr, unicast ACK.
	h.clk.Advance(30 * time.Minute)
	renew := renewal(cliMAC, net.IPv4(10, 2, 0, 100))
	h.send(cliMAC, renew, mp("10.2.0.100"), mp("10.2.0.1"), ClientPort)
	r := h.recv()
	if r.msg.MessageType() != dhcpv4.MessageTypeAck || r.dstIP != mp("10.2.0.100") || r.dstMAC != cliMAC {
		t.Fatalf("renew ack %v to %v", r.msg.MessageType(), r.dstIP)
	}
	h.event(EventBound)
	// The renewal moved expiry: 45 more minutes do not expire it.
	h.clk.Advance(45 * time.Minute)
	if len(h.srv.Leases()) != 1 {
		t.Fatal("lease expired despite renewal")
	}
	rel, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeRelease), dhcpv4.WithHwAddr(net.HardwareAddr(cliMAC[:])),
		dhcpv4.WithClientIP(net.IPv4(10, 2, 0, 100)))
	h.send(cliMAC, rel, mp("10.2.0.100"), mp("10.2.0.1"), ClientPort)
	if e := h.event(EventReleased); e.Cause != subscriber.CauseUserRequest {
		t.Fatal(e.Cause)
	}
	h.none()
	if u := h.pool.Usage("ipoe"); u[0].InUse != 0 {
		t.Fatal("address not returned")
	}
	st := h.srv.Stats()
	if st.Discover != 1 || st.Offer != 1 || st.Request != 2 || st.Ack != 2 || st.Release != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestExpiryAndNak(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	// Wrong address requested: NAK, broadcast.
	req, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithHwAddr(net.HardwareAddr(cliMAC[:])),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 2, 0, 150))))
	h.send(cliMAC, req, mp("0.0.0.0"), bcastIP, ClientPort)
	if r := h.recv(); r.msg.MessageType() != dhcpv4.MessageTypeNak || r.dstMAC != header.Broadcast {
		t.Fatalf("got %v", r.msg.MessageType())
	}
	h.clk.Advance(time.Hour)
	if e := h.event(EventExpired); e.Cause != subscriber.CauseLeaseExpired {
		t.Fatal(e.Cause)
	}
	if len(h.srv.Leases()) != 0 || h.pool.Usage("")[0].InUse != 0 {
		t.Fatal("lease not removed")
	}
	// An unanswered offer is withdrawn after OfferTimeout.
	h.send(cliMAC, discover(cliMAC), mp("0.0.0.0"), bcastIP, ClientPort)
	h.recv()
	h.clk.Advance(time.Minute)
	if len(h.srv.Leases()) != 0 || h.pool.Usage("")[0].InUse != 0 {
		t.Fatal("offer not withdrawn")
	}
}

func TestRelayOption82AndAuth(t *testing.T) {
	seen := make(chan Client, 4)
	h := newHarness(t, func(c *Config) { c.Authenticator = macAuth{seen: seen} })
	rai := dhcpv4.OptRelayAgentInfo(
		dhcpv4.OptGeneric(dhcpv4.AgentCircuitIDSubOption, []byte("ge-2/0/1:100")),
		dhcpv4.OptGeneric(dhcpv4.AgentRemoteIDSubOption, []byte("cpe-42")))
	d := discover(cliMAC, dhcpv4.WithGatewayIP(net.IPv4(10, 2, 0, 254)), dhcpv4.WithOption(rai))
	h.send(relMAC, d, mp("10.2.0.254"), mp("10.2.0.1"), ServerPort)
	c := <-seen
	if string(c.CircuitID) != "ge-2/0/1:100" || string(c.RemoteID) != "cpe-42" || c.MAC != cliMAC || c.Port != port {
		t.Fatalf("authenticator saw %+v", c)
	}
	if c.GatewayIP != mp("10.2.0.254") || !bytes.Equal(c.Option82, rai.Value.ToBytes()) ||
		!bytes.Contains(c.Options, append([]byte{82, byte(len(c.Option82))}, c.Option82...)) {
		t.Fatalf("authenticator saw giaddr %v, option 82 %x, options %x", c.GatewayIP, c.Option82, c.Options)
	}
	off := h.recv()
	if off.dstIP != mp("10.2.0.254") || off.dport != ServerPort || off.dstMAC != relMAC {
		t.Fatalf("relayed offer sent to %v:%d %v", off.dstIP, off.dport, off.dstMAC)
	}
	if got := off.msg.RelayAgentInfo(); got == nil || string(got.Get(dhcpv4.AgentCircuitIDSubOption)) != "ge-2/0/1:100" {
		t.Fatal("option 82 not echoed")
	}
	if dns := off.msg.DNS(); len(dns) != 1 || !dns[0].Equal(net.IPv4(198, 51, 100, 53)) {
		t.Fatalf("DNS from authenticator not used: %v", dns)
	}
	leases := h.srv.Leases()
	if len(leases) != 1 || string(leases[0].CircuitID) != "ge-2/0/1:100" {
		t.Fatalf("leases %+v", leases)
	}
	// A barred MAC gets nothing.
	barred := MAC{2, 0, 0, 0, 6, 6}
	h.send(barred, discover(barred), mp("0.0.0.0"), bcastIP, ClientPort)
	<-seen
	h.srv.Close()
	h.none()
	if h.srv.Stats().AuthRejected != 1 {
		t.Fatalf("stats %+v", h.srv.Stats())
	}
}

func TestRestoreFromStore(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	h.srv.Close()

	// "Reboot": a fresh pool, same store, 10 minutes later.
	h.pool = &pool.Server{}
	h.pool.AddRange("ipoe", mp("10.2.0.100"), mp("10.2.0.199"))
	h.clk.Advance(10 * time.Minute)
	h.start(nil)
	if l := h.srv.Leases(); len(l) != 1 || l[0].Address != mp("10.2.0.100") || !l[0].Bound {
		t.Fatalf("restored %+v", l)
	}
	if h.pool.Usage("")[0].InUse != 1 {
		t.Fatal("restored address not reserved")
	}
	// A new client does not get the restored address.
	other := MAC{2, 0, 0, 0, 9, 2}
	if a := h.dora(other); !a.YourIPAddr.Equal(net.IPv4(10, 2, 0, 101)) {
		t.Fatalf("new client got %v", a.YourIPAddr)
	}
	h.event(EventBound)
	// The restored lease keeps its original expiry.
	h.clk.Advance(50 * time.Minute)
	if e := h.event(EventExpired); e.Lease.MAC != cliMAC {
		t.Fatal("wrong lease expired")
	}
}

func TestDeclineAndInform(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	dec, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline), dhcpv4.WithHwAddr(net.HardwareAddr(cliMAC[:])),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 2, 0, 100))))
	h.send(cliMAC, dec, mp("0.0.0.0"), bcastIP, ClientPort)
	h.event(EventReleased)
	// The declined address stays out of the pool.
	if a := h.dora(cliMAC); a.YourIPAddr.Equal(net.IPv4(10, 2, 0, 100)) {
		t.Fatal("declined address handed out again")
	}
	h.event(EventBound)
	inf, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeInform), dhcpv4.WithHwAddr(net.HardwareAddr(cliMAC[:])),
		dhcpv4.WithClientIP(net.IPv4(10, 2, 0, 77)))
	h.send(cliMAC, inf, mp("10.2.0.77"), mp("10.2.0.1"), ClientPort)
	r := h.recv()
	if r.msg.MessageType() != dhcpv4.MessageTypeAck || r.dstIP != mp("10.2.0.77") || !r.msg.YourIPAddr.Equal(net.IPv4zero) {
		t.Fatalf("inform reply %v to %v", r.msg.Summary(), r.dstIP)
	}
}

func FuzzHandleFrame(f *testing.F) {
	m := discover(cliMAC)
	p := m.ToBytes()
	buf, _ := clientFrame(cliMAC, mp("0.0.0.0"), bcastIP, ClientPort, p)
	f.Add(buf)
	f.Add(p)
	f.Fuzz(func(t *testing.T, b []byte) {
		ps := &pool.Server{}
		ps.AddRange("a", mp("10.0.0.1"), mp("10.0.0.9"))
		s, err := NewServer(Config{ServerID: mp("10.0.0.254"), Pool: ps, Clock: clock.NewFake(time.Unix(0, 0)),
			PortMAC: func(string) (MAC, bool) { return srvMAC, true }, Sender: frameQueue(make(chan []byte, 8))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.HandleFrame("p", b)
		// Also feed the bytes as a DHCP payload in a valid envelope.
		if fb, err := clientFrame(cliMAC, mp("0.0.0.0"), bcastIP, ClientPort, b); err == nil {
			s.HandleFrame("p", fb)
		}
	})
}

func TestBroadcastFlag(t *testing.T) {
	h := newHarness(t, nil)
	h.send(cliMAC, discover(cliMAC, dhcpv4.WithBroadcast(true)), mp("0.0.0.0"), bcastIP, ClientPort)
	r := h.recv()
	if r.msg.MessageType() != dhcpv4.MessageTypeOffer || r.dstMAC != header.Broadcast || r.dstIP != bcastIP {
		t.Fatalf("offer to %v %v", r.dstMAC, r.dstIP)
	}
	// A retransmitted DISCOVER gets the same address.
	h.send(cliMAC, discover(cliMAC, dhcpv4.WithBroadcast(true)), mp("0.0.0.0"), bcastIP, ClientPort)
	if r2 := h.recv(); !r2.msg.YourIPAddr.Equal(r.msg.YourIPAddr) {
		t.Fatalf("second offer %v, first %v", r2.msg.YourIPAddr, r.msg.YourIPAddr)
	}
	// A REQUEST naming another server withdraws our offer.
	req, _ := dhcpv4.NewRequestFromOffer(r.msg)
	req.UpdateOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 9, 9, 9)))
	h.send(cliMAC, req, mp("0.0.0.0"), bcastIP, ClientPort)
	h.none()
	if len(h.srv.Leases()) != 0 || h.pool.Usage("")[0].InUse != 0 {
		t.Fatal("offer not withdrawn")
	}
}

func TestPersistCoalesced(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	h.dora(MAC{2, 0, 0, 0, 9, 2})
	h.event(EventBound)
	if _, err := h.store.ReadFile("dhcp-leases.json"); err == nil {
		t.Fatal("written before PersistDelay")
	}
	h.clk.Advance(time.Second)
	b, err := h.store.ReadFile("dhcp-leases.json")
	if err != nil || !strings.Contains(string(b), "10.2.0.100") || !strings.Contains(string(b), "10.2.0.101") {
		t.Fatalf("store %s %v", b, err)
	}
}

// TestResumeLeases restores leases from the store and resumes them: each
// is authorized again with the identity it was bound with; accepted ones
// are reported Bound (Restored), refused ones dropped and reported
// Released; known ones are skipped; a REQUEST during the authorization
// is ignored.
func TestResumeLeases(t *testing.T) {
	seen := make(chan Client, 8)
	barred := MAC{2, 0, 0, 0, 6, 6}
	h := newHarness(t, nil)
	for _, m := range []MAC{cliMAC, {2, 0, 0, 0, 9, 2}, {2, 0, 0, 0, 9, 3}} {
		h.dora(m)
		h.event(EventBound)
	}
	h.srv.Close()
	// Make the third client the barred one in the saved file.
	var saved []Lease
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := h.store.ReadFile("dhcp-leases.json")
	must(err)
	must(json.Unmarshal(b, &saved))
	for i := range saved {
		if saved[i].MAC == (MAC{2, 0, 0, 0, 9, 3}) {
			saved[i].MAC = barred
			saved[i].CircuitID = []byte("ge-1/0/1:7")
		}
	}
	b, _ = json.Marshal(saved)
	must(h.store.WriteFile("dhcp-leases.json", b))

	h.pool = &pool.Server{}
	must(h.pool.AddRange("ipoe", mp("10.2.0.100"), mp("10.2.0.199")))
	block := make(chan struct{})
	h.start(func(c *Config) {
		c.Authenticator = blockingAuth{macAuth{seen: seen}, block}
	})
	skipped := MAC{2, 0, 0, 0, 9, 2}
	h.srv.ResumeLeases(func(l Lease) bool { return l.MAC == skipped })
	// While cliMAC's authorization is in flight its renewal is ignored.
	renew := renewal(cliMAC, net.IPv4(10, 2, 0, 100))
	got := map[MAC]Client{}
	for range 2 {
		c := <-seen
		got[c.MAC] = c
	}
	must(h.send(cliMAC, renew, mp("10.2.0.100"), mp("10.2.0.1"), ClientPort))
	h.none()
	close(block)
	if _, ok := got[skipped]; ok || got[cliMAC].Port != port || string(got[barred].CircuitID) != "ge-1/0/1:7" {
		t.Fatalf("authorized %+v", got)
	}
	evs := map[EventType]Event{}
	for range 2 {
		select {
		case e := <-h.events:
			evs[e.Type] = e
		case <-time.After(10 * time.Second): // hang guard only
			t.Fatal("no event")
		}
	}
	if e := evs[EventBound]; !e.Restored || e.Lease.MAC != cliMAC || !e.Lease.Attrs.PrimaryDNS.IsValid() {
		t.Fatalf("bound %+v", e)
	}
	if e := evs[EventReleased]; !e.Restored || e.Lease.MAC != barred || e.Cause != subscriber.CauseAuthFailed {
		t.Fatalf("released %+v", e)
	}
	if _, ok := h.srv.Lookup(barred); ok {
		t.Fatal("refused lease kept")
	}
	if l, ok := h.srv.Lookup(skipped); !ok || !l.Bound {
		t.Fatal("skipped lease lost")
	}
	if h.srv.Stats().AuthRejected != 1 {
		t.Fatalf("stats %+v", h.srv.Stats())
	}
}

// blockingAuth holds every authorization until block is closed.
type blockingAuth struct {
	macAuth
	block chan struct{}
}

func (a blockingAuth) AuthorizeDHCP(ctx context.Context, c Client) (subscriber.Attributes, error) {
	if a.seen != nil {
		a.seen <- c
	}
	<-a.block
	return macAuth{}.AuthorizeDHCP(ctx, c)
}

// flakyAuth answers ErrAuthUnavailable the first fails times, then
// accepts.
type flakyAuth struct {
	mu    sync.Mutex
	fails int
	calls chan struct{}
}

func (a *flakyAuth) AuthorizeDHCP(_ context.Context, c Client) (subscriber.Attributes, error) {
	defer func() { a.calls <- struct{}{} }()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fails > 0 {
		a.fails--
		return subscriber.Attributes{}, fmt.Errorf("%w: no server answered", ErrAuthUnavailable)
	}
	return subscriber.Attributes{}, nil
}

// TestResumeLeasesRetry: a restored lease whose authorization gets no
// answer is kept and tried again after resumeRetry, then resumed; one
// whose expiry comes first is dropped and its client can start over.
func TestResumeLeasesRetry(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	a := &flakyAuth{fails: 2, calls: make(chan struct{}, 8)}
	h.restart(func(c *Config) { c.Authenticator = a })
	h.srv.ResumeLeases(nil)
	for i := range 2 {
		select {
		case <-a.calls:
		case <-time.After(10 * time.Second): // hang guard only
			t.Fatalf("authorization %d not tried", i+1)
		}
		if _, ok := h.srv.Lookup(cliMAC); !ok {
			t.Fatal("lease dropped on an unanswered authorization")
		}
		h.clk.Advance(resumeRetry)
	}
	if e := h.event(EventBound); !e.Restored || e.Lease.MAC != cliMAC {
		t.Fatalf("resumed %+v", e)
	}

	// Unanswered until the lease expires: dropped, the client starts over.
	a = &flakyAuth{fails: 1 << 30, calls: make(chan struct{}, 1<<10)}
	h.restart(func(c *Config) { c.Authenticator = a })
	h.srv.ResumeLeases(nil)
	<-a.calls
	h.clk.Advance(2 * time.Hour)
	h.event(EventExpired)
	a.mu.Lock()
	a.fails = 0
	a.mu.Unlock()
	if err := h.send(cliMAC, discover(cliMAC), mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		t.Fatal(err)
	}
	if off := h.recv(); off.msg.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("after expiry: %v", off.msg.MessageType())
	}
}

// TestAckAfterBind: with AckAfterBind the DHCPACK of a new binding waits
// for the consumer's Ack: a REQUEST retransmitted meanwhile is ignored
// (not ACKed as a renewal before the subscriber is installed) and the
// binding is not persisted; a renewal is ACKed at once.
func TestAckAfterBind(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AckAfterBind = true })
	off, req := h.discoverRequest(cliMAC)
	e := h.event(EventBound)
	h.none() // not before the subscriber is installed
	if e.Ack == nil || e.Refuse == nil {
		t.Fatal("no Ack or Refuse in the event of a new binding")
	}
	// The client retransmits before the consumer installed it: nothing.
	if err := h.send(cliMAC, req, mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		t.Fatal(err)
	}
	h.none()
	h.noEvent()
	h.clk.Advance(time.Second) // PersistDelay
	if b, err := h.store.ReadFile("dhcp-leases.json"); err == nil && strings.Contains(string(b), "10.2.0.100") {
		t.Fatalf("binding persisted before its ACK: %s", b)
	}
	if err := e.Ack(); err != nil {
		t.Fatal(err)
	}
	if ack := h.recv(); ack.msg.MessageType() != dhcpv4.MessageTypeAck || !ack.msg.YourIPAddr.Equal(off.msg.YourIPAddr) {
		t.Fatalf("ack %v", ack.msg.Summary())
	}
	if err := e.Ack(); !errors.Is(err, ErrLeaseGone) {
		t.Fatalf("second Ack: %v", err)
	}
	h.clk.Advance(time.Second)
	if b, err := h.store.ReadFile("dhcp-leases.json"); err != nil || !strings.Contains(string(b), "10.2.0.100") {
		t.Fatalf("binding not persisted after its ACK: %s %v", b, err)
	}
	renew := renewal(cliMAC, off.msg.YourIPAddr)
	if err := h.send(cliMAC, renew, ip4(off.msg.YourIPAddr), mp("10.2.0.1"), ClientPort); err != nil {
		t.Fatal(err)
	}
	if ack := h.recv(); ack.msg.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("renewal: %v", ack.msg.MessageType())
	}
	if e := h.event(EventBound); e.Ack != nil {
		t.Fatal("renewal left its ACK to the consumer")
	}
}

// TestRestoredHeldUntilResume: a restored lease has no session until
// ResumeLeases, so its client's REQUESTs are not answered before.
func TestRestoredHeldUntilResume(t *testing.T) {
	h := newHarness(t, nil)
	ack := h.dora(cliMAC)
	h.event(EventBound)
	h.restart(nil)
	renew := renewal(cliMAC, ack.YourIPAddr)
	if err := h.send(cliMAC, renew, ip4(ack.YourIPAddr), mp("10.2.0.1"), ClientPort); err != nil {
		t.Fatal(err)
	}
	h.none()
	h.srv.ResumeLeases(nil)
	if e := h.event(EventBound); !e.Restored {
		t.Fatalf("resume %+v", e)
	}
	if err := h.send(cliMAC, renew, ip4(ack.YourIPAddr), mp("10.2.0.1"), ClientPort); err != nil {
		t.Fatal(err)
	}
	if r := h.recv(); r.msg.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("after resume: %v", r.msg.MessageType())
	}
}

// noEvent fails if an event was reported (events are reported before
// HandleFrame, Clear and Advance return).
func (h *harness) noEvent() {
	h.t.Helper()
	select {
	case e := <-h.events:
		h.t.Fatalf("unexpected event %v %+v", e.Type, e.Lease)
	default:
	}
}

// restart closes the server and starts another on the same store with a
// fresh pool (a reboot); mod adjusts its configuration.
func (h *harness) restart(mod func(*Config)) {
	h.t.Helper()
	h.srv.Close()
	h.pool = &pool.Server{}
	if err := h.pool.AddRange("ipoe", mp("10.2.0.100"), mp("10.2.0.199")); err != nil {
		h.t.Fatal(err)
	}
	h.start(mod)
}

// TestRefuseBound: a binding whose subscriber cannot be installed is
// refused: the client is NAKed, its address goes back to the pool, and
// its retransmitted REQUEST is NAKed too; Ack then reports ErrLeaseGone.
func TestRefuseBound(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AckAfterBind = true })
	_, req := h.discoverRequest(cliMAC)
	e := h.event(EventBound)
	if err := e.Refuse(); err != nil {
		t.Fatal(err)
	}
	if r := h.recv(); r.msg.MessageType() != dhcpv4.MessageTypeNak {
		t.Fatalf("refused binding: %v", r.msg.MessageType())
	}
	h.noEvent() // the consumer knows
	if _, ok := h.srv.Lookup(cliMAC); ok {
		t.Fatal("refused binding kept")
	}
	if u := h.pool.Usage("ipoe"); u[0].InUse != 0 {
		t.Fatalf("address of the refused binding not returned: %+v", u)
	}
	if err := e.Ack(); !errors.Is(err, ErrLeaseGone) {
		t.Fatalf("Ack after Refuse: %v", err)
	}
	h.none()
	if err := h.send(cliMAC, req, mp("0.0.0.0"), bcastIP, ClientPort); err != nil {
		t.Fatal(err)
	}
	if r := h.recv(); r.msg.MessageType() != dhcpv4.MessageTypeNak {
		t.Fatalf("retransmission after the refusal: %v", r.msg.MessageType())
	}
	// After Close no frame is handled (no event can follow Close).
	h.srv.Close()
	if err := h.send(cliMAC, req, mp("0.0.0.0"), bcastIP, ClientPort); !errors.Is(err, ErrClosed) {
		t.Fatalf("frame after Close: %v", err)
	}
}

// latePool is a virtual router's pool registry as routerd replays the
// configuration: until the pool is configured no address is in a pool
// (Reserve owns nothing), then it is srv.
type latePool struct {
	mu  sync.Mutex
	srv *pool.Server
}

func (p *latePool) get() *pool.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srv
}

func (p *latePool) Allocate(name string) (netip.Addr, error) {
	if s := p.get(); s != nil {
		return s.Allocate(name)
	}
	return netip.Addr{}, pool.ErrNoPool
}

func (p *latePool) Reserve(a netip.Addr) (bool, error) {
	if s := p.get(); s != nil {
		return s.Reserve(a)
	}
	return false, nil
}

func (p *latePool) Release(a netip.Addr) error {
	if s := p.get(); s != nil {
		return s.Release(a)
	}
	return nil
}

// TestResumeAddressGivenAway: a lease restored before its pool existed
// does not own its address; when the pool has given that address to
// another client before ResumeLeases, the restored lease is dropped
// without releasing the other client's address.
func TestResumeAddressGivenAway(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	late := &latePool{}
	h.restart(func(c *Config) { c.Pool = late })
	late.mu.Lock()
	late.srv = h.pool // the pool is configured after the interface
	late.mu.Unlock()
	other := MAC{2, 0, 0, 0, 9, 2}
	if a := h.dora(other); !a.YourIPAddr.Equal(net.IPv4(10, 2, 0, 100)) {
		t.Fatalf("other client got %v, want the unreserved 10.2.0.100", a.YourIPAddr)
	}
	h.event(EventBound)
	h.srv.ResumeLeases(nil)
	if e := h.event(EventReleased); !e.Restored || e.Lease.MAC != cliMAC {
		t.Fatalf("resume %+v", e)
	}
	if u := h.pool.Usage("ipoe"); u[0].InUse != 1 {
		t.Fatalf("the other client's address was released with the dropped lease: %+v", u)
	}
	if a, err := h.pool.Allocate("ipoe"); err != nil || a == mp("10.2.0.100") {
		t.Fatalf("allocated %v %v: 10.2.0.100 is in use", a, err)
	}
}

// gateAuth holds every authorization until its context ends, counting
// the calls and the most in flight at once.
type gateAuth struct {
	mu              sync.Mutex
	calls, in, peak int
}

func (a *gateAuth) AuthorizeDHCP(ctx context.Context, _ Client) (subscriber.Attributes, error) {
	a.mu.Lock()
	a.calls++
	a.in++
	a.peak = max(a.peak, a.in)
	a.mu.Unlock()
	<-ctx.Done()
	a.mu.Lock()
	a.in--
	a.mu.Unlock()
	return subscriber.Attributes{}, fmt.Errorf("%w: %w", ErrAuthUnavailable, ctx.Err())
}

func (a *gateAuth) counts() (calls, peak int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls, a.peak
}

// TestResumeWorkersBounded: many restored leases are authorized at most
// resumeWorkers at a time, not one goroutine each; Close stops the rest
// and leaves no goroutine behind.
func TestResumeWorkersBounded(t *testing.T) {
	h := newHarness(t, nil)
	const n = 5 * resumeWorkers
	saved := make([]Lease, n)
	for i := range saved {
		saved[i] = Lease{MAC: MAC{2, 0, 0, 1, 0, byte(i)}, Address: netip.AddrFrom4([4]byte{10, 2, 0, byte(100 + i)}),
			Port: port, Expires: h.clk.Now().Add(time.Hour), Bound: true}
	}
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.WriteFile("dhcp-leases.json", b); err != nil {
		t.Fatal(err)
	}
	a := &gateAuth{}
	h.restart(func(c *Config) { c.Authenticator = a })
	if len(h.srv.Leases()) != n {
		t.Fatalf("%d leases restored", len(h.srv.Leases()))
	}
	h.srv.ResumeLeases(nil)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) { // hang guard only
		if c, _ := a.counts(); c >= resumeWorkers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("restored leases not authorized")
		}
	}
	h.srv.Close()
	if c, p := a.counts(); c != resumeWorkers || p > resumeWorkers {
		t.Fatalf("%d authorizations, %d at once, of %d restored leases; want %d", c, p, n, resumeWorkers)
	}
	goleak.VerifyNone(t)
}

// TestResumeRetryStaleTimer: the retry of a restored lease whose
// authorization got no answer ends with the lease: once it is cleared and
// its client bound again, the old retry neither authorizes nor reports
// the new binding as restored.
func TestResumeRetryStaleTimer(t *testing.T) {
	h := newHarness(t, nil)
	h.dora(cliMAC)
	h.event(EventBound)
	a := &flakyAuth{fails: 1, calls: make(chan struct{}, 8)}
	h.restart(func(c *Config) { c.Authenticator = a })
	h.srv.ResumeLeases(nil)
	<-a.calls
	// Wait for the retry timer next to the expiry timer.
	for deadline := time.Now().Add(10 * time.Second); h.clk.Pending() != 2; time.Sleep(time.Millisecond) { // hang guard only
		if time.Now().After(deadline) {
			t.Fatalf("%d timers, want expiry and retry", h.clk.Pending())
		}
	}
	if !h.srv.Clear(cliMAC, subscriber.CauseAdminReset) {
		t.Fatal("lease not cleared")
	}
	h.event(EventReleased)
	h.dora(cliMAC) // bound again, same address
	h.event(EventBound)
	<-a.calls // the DISCOVER's
	h.clk.Advance(resumeRetry)
	h.srv.Close() // waits for any authorization the old retry started
	h.noEvent()
	if n := len(a.calls); n != 0 {
		t.Fatalf("%d authorizations by the cleared lease's retry", n)
	}
	if l, ok := h.srv.Lookup(cliMAC); !ok || !l.Bound {
		t.Fatalf("new binding %+v %v", l, ok)
	}
}
