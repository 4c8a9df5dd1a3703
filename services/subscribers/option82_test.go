package subscribers_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port/memport"
	"github.com/erxos/erx/services/subscribers"
)

// relay is a DHCP relay agent on the access port's subnet (10.0.1.254):
// it sends its clients' requests with giaddr and an option 82 it
// inserted, unicast to the router, and receives the replies.
type relay struct {
	t       *testing.T
	link    pppoetest.Link
	mac     [6]byte
	router  [6]byte
	replies chan *dhcpv4.DHCPv4
}

var relayAddr = netip.MustParseAddr("10.0.1.254")

func (r *relay) read() {
	buf := make([]byte, 2048)
	for {
		n, err := r.link.ReadFrame(buf)
		if err != nil {
			return
		}
		f := header.Ethernet(buf[:n])
		if f.Validate() != nil || f.EtherType() != header.EtherTypeIPv4 {
			continue
		}
		ip := header.IPv4(f.Payload())
		if ip.Validate() != nil || ip.Protocol() != header.ProtocolUDP {
			continue
		}
		u := header.UDP(ip.Payload())
		if u.Validate() != nil || u.DestinationPort() != 67 {
			continue
		}
		if m, err := dhcpv4.FromBytes(u.Payload()); err == nil && m.OpCode == dhcpv4.OpcodeBootReply {
			r.replies <- m
		}
	}
}

// exchange relays m for its client and waits for a reply of type want;
// nil after wait without one.
func (r *relay) exchange(m *dhcpv4.DHCPv4, want dhcpv4.MessageType, wait time.Duration) *dhcpv4.DHCPv4 {
	r.t.Helper()
	p := m.ToBytes()
	f := header.UDPFrameFields{Destination: r.router, Source: r.mac,
		IPv4: header.IPv4Fields{TTL: 64, Source: relayAddr, Destination: netip.MustParseAddr("10.0.1.1")},
		UDP:  header.UDPFields{SourcePort: 67, DestinationPort: 67}}
	buf := make([]byte, header.UDPFrameHeaderLen+len(p))
	n, err := f.Marshal(buf, p)
	must(r.t, err)
	deadline := time.After(wait)
	for {
		must(r.t, r.link.WriteFrame(buf[:n]))
		select {
		case rep := <-r.replies:
			if rep.TransactionID == m.TransactionID && rep.MessageType() == want {
				return rep
			}
		case <-time.After(time.Second): // the authorization is in flight: send again, as a client does
		case <-deadline:
			return nil
		}
	}
}

// relayed builds a client's message as the relay forwards it.
func relayed(t *testing.T, typ dhcpv4.MessageType, mac net.HardwareAddr, rai *dhcpv4.Option, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithHwAddr(mac), dhcpv4.WithMessageType(typ),
		dhcpv4.WithGatewayIP(relayAddr.AsSlice()), dhcpv4.WithOption(*rai)}, mods...)...)
	must(t, err)
	return m
}

// TestIPoEOption82FreeRADIUS: IP subscribers relayed with an option 82
// are authorized by the real FreeRADIUS through what the Access-Request
// carries besides the MAC address User-Name: the users file accepts one
// client by its agent circuit id (ADSL-Agent-Circuit-Id) together with
// ERX-Dhcp-Gi-Address and ERX-Dhcp-Mac-Addr, another by the raw option
// (ERX-Dhcp-Option-82), each with its own Framed-IP-Address, and rejects
// every other circuit: no offer, counted as an ip reject. The DHCP
// options themselves go in ERX-Dhcp-Options.
func TestIPoEOption82FreeRADIUS(t *testing.T) {
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Users: `
DEFAULT ADSL-Agent-Circuit-Id == "ge-3/0/1:100", ERX-Dhcp-Gi-Address == 10.0.1.254, ERX-Dhcp-Mac-Addr == "025b.0000.0a01", Auth-Type := Accept
	Framed-IP-Address = 10.0.1.77

DEFAULT ERX-Dhcp-Option-82 == 0x02056370652d62, Auth-Type := Accept
	Framed-IP-Address = 10.0.1.78

DEFAULT Auth-Type := Reject
`})
	macR0 := [6]byte{0x02, 0xee, 0, 0, 0, 0x10}
	r0, h0 := memport.Pair("r0", macR0, "h0", [6]byte{0x02, 0xaa, 0, 0, 0, 0x02})
	cp := &shimCP{}
	const access = "gigabitEthernet 1/0/0"
	lc, err := linecard.New(linecard.Config{Control: cp}, linecard.PortConfig{Port: r0, Interface: access})
	must(t, err)
	must(t, lc.AddAddress(access, netip.MustParsePrefix("10.0.1.1/24")))
	pools := &pool.Registry{}
	must(t, pools.Server("default").AddRange("ipoe", netip.MustParseAddr("10.0.1.100"), netip.MustParseAddr("10.0.1.120")))
	e, err := subscribers.New(subscribers.Config{DataPlane: lc, Pools: pools, Hostname: "host1", EchoInterval: -1})
	must(t, err)
	cp.e = e
	must(t, lc.Start())
	srv := func(a netip.AddrPort) erxradius.Config {
		return erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: a, Secret: fr.Secret, Timeout: 2 * time.Second}}}
	}
	must(t, e.SetRADIUS(srv(fr.AuthAddr), srv(fr.AcctAddr)))
	e.SetAuthentication(subscribers.TypeIPoE, []subscribers.Method{subscribers.MethodRADIUS})
	must(t, e.SetIPoE(access, &subscribers.IPoEConfig{Pool: "ipoe"}))
	r := &relay{t: t, link: pppoetest.MemPortLink(h0), mac: [6]byte{0x02, 0xaa, 0, 0, 0, 0x02}, router: macR0,
		replies: make(chan *dhcpv4.DHCPv4, 16)}
	go r.read()
	t.Cleanup(func() {
		must(t, e.Close())
		lc.Stop()
		_ = r.link.Close()
		r0.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	opt82 := func(circuit, remote string) *dhcpv4.Option {
		var subs []dhcpv4.Option
		if circuit != "" {
			subs = append(subs, dhcpv4.OptGeneric(dhcpv4.AgentCircuitIDSubOption, []byte(circuit)))
		}
		if remote != "" {
			subs = append(subs, dhcpv4.OptGeneric(dhcpv4.AgentRemoteIDSubOption, []byte(remote)))
		}
		o := dhcpv4.OptRelayAgentInfo(subs...)
		return &o
	}
	for _, tc := range []struct {
		name            string
		mac             net.HardwareAddr
		circuit, remote string
		addr            string // "" = rejected
	}{
		{"by circuit id, giaddr and MAC", net.HardwareAddr{2, 0x5b, 0, 0, 0x0a, 1}, "ge-3/0/1:100", "cpe-a", "10.0.1.77"},
		{"by option 82", net.HardwareAddr{2, 0x5b, 0, 0, 0x0a, 2}, "", "cpe-b", "10.0.1.78"},
		{"unknown circuit", net.HardwareAddr{2, 0x5b, 0, 0, 0x0a, 3}, "ge-3/0/1:999", "cpe-c", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.t = t
			rai := opt82(tc.circuit, tc.remote)
			d := relayed(t, dhcpv4.MessageTypeDiscover, tc.mac, rai)
			wait := 20 * time.Second
			if tc.addr == "" {
				wait = 4 * time.Second // the reject is answered at once; no offer follows
			}
			off := r.exchange(d, dhcpv4.MessageTypeOffer, wait)
			if tc.addr == "" {
				if off != nil {
					t.Fatalf("offer %v to a rejected client", off.YourIPAddr)
				}
				return
			}
			if off == nil || off.YourIPAddr.String() != tc.addr {
				t.Fatalf("offer %v, want %s", off, tc.addr)
			}
			if got := off.RelayAgentInfo(); got == nil || !bytes.Equal(got.ToBytes(), rai.Value.ToBytes()) {
				t.Fatalf("option 82 not echoed: %v", got)
			}
			req := relayed(t, dhcpv4.MessageTypeRequest, tc.mac, rai, dhcpv4.WithTransactionID(d.TransactionID),
				dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(off.YourIPAddr)),
				dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 0, 1, 1))))
			if ack := r.exchange(req, dhcpv4.MessageTypeAck, 20*time.Second); ack == nil {
				t.Fatal("no ACK")
			}
			ss := waitActive(ctx, e, subscribers.Query{Address: netip.MustParseAddr(tc.addr)})
			if len(ss) != 1 || ss[0].State != subscribers.StateActive || string(ss[0].CircuitID) != tc.circuit ||
				string(ss[0].RemoteID) != tc.remote || ss[0].Username != erxradius.FormatMAC(tc.mac, erxradius.MACDotted) {
				t.Fatalf("sessions %+v", ss)
			}
		})
	}
	r.t = t
	for _, st := range e.AAAStats() {
		// The rejected client's retransmissions are authorized again.
		if st.Kind == subscribers.AuthIP && (st.Accepts != 2 || st.Rejects == 0) {
			t.Errorf("ip authentication stats %+v, want 2 accepts and rejects", st)
		}
	}
	if log := fr.Log(); !strings.Contains(log, "ERX-Dhcp-Options = 0x") {
		t.Errorf("no ERX-Dhcp-Options in the Access-Requests:\n%s", log)
	}
}
