package linecard

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/erxos/erx/services/linecard/fib"
)

var macSub = [6]byte{0x02, 0x5b, 0, 0, 0, 0x07}

// pppoeIPv4 builds a PPPoE session frame from the subscriber carrying an
// IPv4/UDP packet, tagged with vlan when non-zero.
func pppoeIPv4(t testing.TB, src [6]byte, vlan, sid uint16, sip, dip string, payload int) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(sip).To4(), DstIP: net.ParseIP(dip).To4()}
	udp := &layers.UDP{SrcPort: 1000, DstPort: 2000}
	udp.SetNetworkLayerForChecksum(ip)
	inner := ser(t, ip, udp, gopacket.Payload(make([]byte, payload)))
	hdr := make([]byte, 8)
	putPPPoESession(hdr, sid, len(inner))
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(src[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypePPPoESession}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		return ser(t, eth, &layers.Dot1Q{VLANIdentifier: vlan, Type: layers.EthernetTypePPPoESession}, gopacket.Payload(append(hdr, inner...)))
	}
	return ser(t, eth, gopacket.Payload(append(hdr, inner...)))
}

func TestPPPoESubscriberInterface(t *testing.T) {
	for _, tc := range []struct {
		name   string
		parent string
		vlan   uint16
	}{
		{"untagged", "ge-0", 0},
		{"vlan", "ge-0.100", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			if tc.vlan != 0 {
				must(t, l.e.AddVLANInterface(tc.parent, "ge-0", tc.vlan))
				must(t, l.e.AddAddress(tc.parent, netip.MustParsePrefix("10.0.9.1/24")))
				l.drain(l.h0)
			}
			sub := tc.parent + ".7"
			must(t, l.e.AddPPPoEInterface(sub, tc.parent, 7, macSub))
			must(t, l.e.AddRoute("default", Route{Prefix: netip.MustParsePrefix("100.64.0.7/32"), Interface: sub, Type: fib.Host}))

			// Ingress: decapsulated in the fast path, forwarded, not punted.
			l.in(0, pppoeIPv4(t, macSub, tc.vlan, 7, "100.64.0.7", "10.0.2.2", 50))
			out := l.drain(l.h1)
			if len(out) != 1 || len(l.cp.punted) != 0 {
				t.Fatalf("forwarded %d, punted %d", len(out), len(l.cp.punted))
			}
			if ip := ipOf(t, decode(out[0])); ip.SrcIP.String() != "100.64.0.7" || ip.TTL != 63 {
				t.Fatalf("forwarded %v", ip)
			}
			// Egress: encapsulated in the session.
			l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", "100.64.0.7"))
			out = l.drain(l.h0)
			if len(out) != 1 {
				t.Fatalf("got %d frames to the subscriber", len(out))
			}
			p := decode(out[0])
			eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if [6]byte(eth.DstMAC) != macSub || [6]byte(eth.SrcMAC) != macR0 {
				t.Fatalf("ethernet %v", eth)
			}
			pp, _ := p.Layer(layers.LayerTypePPPoE).(*layers.PPPoE)
			if pp == nil || pp.SessionId != 7 || pp.Code != layers.PPPoECodeSession {
				t.Fatalf("no PPPoE session header: %v", p)
			}
			if tag, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); (tag != nil) != (tc.vlan != 0) || tag != nil && tag.VLANIdentifier != tc.vlan {
				t.Fatalf("tag %v", tag)
			}
			if ip := ipOf(t, p); ip.DstIP.String() != "100.64.0.7" {
				t.Fatalf("inner %v", ip)
			}
			if int(pp.Length) != len(pp.Payload) {
				t.Fatalf("PPPoE length %d, payload %d", pp.Length, len(pp.Payload))
			}
			c, err := l.e.Counters(sub)
			must(t, err)
			if c.InPackets != 1 || c.OutPackets != 1 || c.InBytes != 78 || c.OutBytes != 29 {
				t.Fatalf("subscriber counters %+v", c)
			}
			// Ping the gateway from inside the session: answered in the
			// session.
			l.in(0, pppoeEcho(t, tc.vlan, 7, "100.64.0.7", "10.0.1.1"))
			if out := l.drain(l.h0); len(out) != 1 || decode(out[0]).Layer(layers.LayerTypePPPoE) == nil {
				t.Fatalf("echo reply: %d frames", len(out))
			}
			// Control traffic, other sessions, and spoofed MACs are punted.
			lcp := pppoeIPv4(t, macSub, tc.vlan, 7, "100.64.0.7", "10.0.2.2", 10)
			binary.BigEndian.PutUint16(lcp[14+4*boolInt(tc.vlan != 0)+6:], 0xc021) // PPP protocol: LCP
			l.in(0, lcp)
			l.in(0, pppoeIPv4(t, macSub, tc.vlan, 8, "100.64.0.7", "10.0.2.2", 10))
			l.in(0, pppoeIPv4(t, macH0, tc.vlan, 7, "100.64.0.7", "10.0.2.2", 10))
			if len(l.cp.punted) != 3 {
				t.Fatalf("punted %d, want 3", len(l.cp.punted))
			}
			info, err := l.e.Interface(sub)
			must(t, err)
			if info.Kind != PPPoESub || info.Parent != tc.parent || info.SessionID != 7 || info.PeerMAC != macSub || info.MTU != 1492 {
				t.Fatalf("info %+v", info)
			}
			// Logout: gone from the data plane.
			must(t, l.e.DeleteInterface(sub))
			l.in(0, pppoeIPv4(t, macSub, tc.vlan, 7, "100.64.0.7", "10.0.2.2", 10))
			l.in(1, udpFrameFrom(t, macH1, macR1, "10.0.2.2", "100.64.0.7"))
			if n := len(l.drain(l.h0)); n != 0 || len(l.cp.punted) != 4 {
				t.Fatalf("after delete: %d frames to the subscriber, %d punted", n, len(l.cp.punted))
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pppoeEcho(t testing.TB, vlan, sid uint16, sip, dip string) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.ParseIP(sip).To4(), DstIP: net.ParseIP(dip).To4()}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	inner := ser(t, ip, icmp, gopacket.Payload([]byte("ping")))
	hdr := make([]byte, 8)
	putPPPoESession(hdr, sid, len(inner))
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macSub[:]), DstMAC: net.HardwareAddr(macR0[:]), EthernetType: layers.EthernetTypePPPoESession}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		return ser(t, eth, &layers.Dot1Q{VLANIdentifier: vlan, Type: layers.EthernetTypePPPoESession}, gopacket.Payload(append(hdr, inner...)))
	}
	return ser(t, eth, gopacket.Payload(append(hdr, inner...)))
}

func TestPPPoESubscriberErrors(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddLoopback("lo0"))
	must(t, l.e.AddPPPoEInterface("ge-0.0.1", "ge-0", 1, macSub))
	for _, tc := range []struct {
		name, ifname, parent string
		sid                  uint16
		mac                  [6]byte
	}{
		{"session 0", "x", "ge-0", 0, macSub},
		{"session ffff", "x", "ge-0", 0xffff, macSub},
		{"multicast peer", "x", "ge-0", 2, [6]byte{1}},
		{"zero peer", "x", "ge-0", 2, [6]byte{}},
		{"no parent", "x", "nope", 2, macSub},
		{"loopback parent", "x", "lo0", 2, macSub},
		{"duplicate session", "x", "ge-0", 1, macSub},
		{"duplicate name", "ge-0.0.1", "ge-0", 2, macSub},
	} {
		if err := l.e.AddPPPoEInterface(tc.ifname, tc.parent, tc.sid, tc.mac); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// Deleting a VLAN parent removes its sessions.
	must(t, l.e.AddVLANInterface("ge-0.5", "ge-0", 5))
	must(t, l.e.AddPPPoEInterface("ge-0.5.1", "ge-0.5", 1, macSub))
	must(t, l.e.DeleteInterface("ge-0.5"))
	if _, err := l.e.Interface("ge-0.5.1"); err == nil {
		t.Fatal("session interface survived its parent")
	}
}

func TestPPPoEForwardAllocs(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddPPPoEInterface("ge-0.0.7", "ge-0", 7, macSub))
	must(t, l.e.AddRoute("default", Route{Prefix: netip.MustParsePrefix("100.64.0.7/32"), Interface: "ge-0.0.7", Type: fib.Host}))
	d := newJMirrorDelivery(t, l.e, "10.0.2.1", "10.0.2.2") // copies to h1
	must(t, l.e.SetTap("ge-0.0.7", Ingress, &Tap{Delivery: d, MirrorID: 1, SessionID: 7}))
	must(t, l.e.SetTap("ge-0.0.7", Egress, &Tap{Delivery: d, MirrorID: 1, SessionID: 7}))
	up := pppoeIPv4(t, macSub, 0, 7, "100.64.0.7", "10.0.2.2", 100)
	down := udpFrameFrom(t, macH1, macR1, "10.0.2.2", "100.64.0.7")
	allocs := testing.AllocsPerRun(1000, func() {
		l.in(0, up)
		if n, _ := receiveNow(l.h1, l.rx); n != 2 { // forwarded + ingress copy
			t.Fatalf("upstream: %d frames", n)
		}
		l.in(1, down)
		if n, _ := receiveNow(l.h0, l.rx); n != 1 {
			t.Fatalf("downstream: %d frames", n)
		}
		if n, _ := receiveNow(l.h1, l.rx); n != 1 { // egress copy
			t.Fatalf("downstream copy: %d frames", n)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per packet", allocs)
	}
	if d.Stats().Copied == 0 {
		t.Fatal("session tap copied nothing")
	}
}

// FuzzPPPoESession feeds arbitrary PPPoE session payloads from the
// subscriber's MAC (the fast path's decapsulation) through a session
// interface, untagged and tagged.
func FuzzPPPoESession(f *testing.F) {
	l := newLab(f)
	must(f, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	must(f, l.e.AddPPPoEInterface("ge-0.0.7", "ge-0", 7, macSub))
	must(f, l.e.AddPPPoEInterface("ge-0.100.7", "ge-0.100", 7, macSub))
	must(f, l.e.AddRoute("default", Route{Prefix: netip.MustParsePrefix("100.64.0.7/32"), Interface: "ge-0.0.7", Type: fib.Host}))
	must(f, l.e.SetMTU("ge-1", 576))
	f.Add(pppoeIPv4(f, macSub, 0, 7, "100.64.0.7", "10.0.2.2", 10)[14:], false)
	f.Add(pppoeIPv4(f, macSub, 0, 7, "100.64.0.7", "10.0.2.2", 1000)[14:], true)
	f.Add(pppoeEcho(f, 0, 7, "100.64.0.7", "10.0.1.1")[14:], false)
	f.Add([]byte{0x11, 0, 0, 7, 0xff, 0xff, 0, 0x21}, false)
	f.Fuzz(func(t *testing.T, payload []byte, tagged bool) {
		hdr := append(append(append([]byte{}, macR0[:]...), macSub[:]...), 0x88, 0x64)
		if tagged {
			hdr = append(append(append([]byte{}, macR0[:]...), macSub[:]...), 0x81, 0x00, 0x00, 100, 0x88, 0x64)
		}
		l.in(0, append(hdr, payload...))
		l.drain(l.h0)
		l.drain(l.h1)
		l.cp.punted = l.cp.punted[:0]
	})
}
