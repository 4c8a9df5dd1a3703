package header

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIPv4AgainstGopacket(t *testing.T) {
	tests := []struct {
		name string
		ip   layers.IPv4
	}{
		{"plain", layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{192, 0, 2, 7}, Id: 0x1234, Flags: layers.IPv4DontFragment}},
		{"options", layers.IPv4{Version: 4, TTL: 1, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{1, 2, 3, 4}, DstIP: net.IP{5, 6, 7, 8}, TOS: 0xb8,
			Options: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			udp := layers.UDP{SrcPort: 1000, DstPort: 2000}
			udp.SetNetworkLayerForChecksum(&tt.ip)
			b := serialize(t, &tt.ip, &udp, gopacket.Payload([]byte("hello")))
			p := IPv4(b)
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if p.Source() != netip.AddrFrom4([4]byte(tt.ip.SrcIP.To4())) || p.TTL() != tt.ip.TTL || p.TOS() != tt.ip.TOS || p.ID() != tt.ip.Id {
				t.Errorf("fields differ: %v %v %v", p.Source(), p.TTL(), p.ID())
			}
			if p.Flags() != uint8(tt.ip.Flags) || int(p.TotalLength()) != len(b) || len(p.Options()) != len(b)-28-5 {
				t.Errorf("flags/len/options differ")
			}
			if p.CalculateChecksum() != p.Checksum() {
				t.Errorf("checksum %#x, want %#x", p.CalculateChecksum(), p.Checksum())
			}
			u := UDP(p.Payload())
			if u.SourcePort() != 1000 || u.DestinationPort() != 2000 || string(u.Payload()) != "hello" {
				t.Errorf("udp fields differ")
			}
			if got := u.CalculateChecksum(p.PseudoHeaderChecksum(len(u))); got != u.Checksum() {
				t.Errorf("udp checksum %#x want %#x", got, u.Checksum())
			}
			if tt.ip.TTL > 1 {
				p.DecrementTTL()
				if p.CalculateChecksum() != p.Checksum() {
					t.Errorf("incremental checksum %#x, full %#x", p.Checksum(), p.CalculateChecksum())
				}
				pkt := gopacket.NewPacket(b, layers.LayerTypeIPv4, gopacket.Default)
				if ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ip == nil || ip.TTL != tt.ip.TTL-1 {
					t.Errorf("gopacket does not see TTL-1")
				}
			}
		})
	}
}

func TestIPv4FieldsMarshal(t *testing.T) {
	buf := make([]byte, 28)
	f := IPv4Fields{TotalLength: 28, ID: 7, Flags: IPv4FlagDF, TTL: 255, Protocol: ProtocolICMP,
		Source: netip.MustParseAddr("10.1.1.1"), Destination: netip.MustParseAddr("10.2.2.2")}
	f.Marshal(buf)
	pkt := gopacket.NewPacket(buf, layers.LayerTypeIPv4, gopacket.Default)
	ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil || ip.TTL != 255 || ip.Flags != layers.IPv4DontFragment || !ip.DstIP.Equal(net.IP{10, 2, 2, 2}) {
		t.Fatalf("gopacket decode: %v", pkt)
	}
	if err := IPv4(buf).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestIPv4Validate(t *testing.T) {
	good := make([]byte, 20)
	(&IPv4Fields{TotalLength: 20, TTL: 9, Source: netip.MustParseAddr("1.1.1.1"), Destination: netip.MustParseAddr("2.2.2.2")}).Marshal(good)
	mod := func(f func(b []byte)) []byte { b := append([]byte(nil), good...); f(b); return b }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"good", good, nil},
		{"runt", good[:19], ErrTruncated},
		{"version", mod(func(b []byte) { b[0] = 0x65 }), ErrIPv4Version},
		{"ihl small", mod(func(b []byte) { b[0] = 0x44 }), ErrIPv4IHL},
		{"ihl big", mod(func(b []byte) { b[0] = 0x46 }), ErrIPv4IHL},
		{"total short", mod(func(b []byte) { b[3] = 19 }), ErrIPv4Length},
		{"total long", mod(func(b []byte) { b[3] = 21 }), ErrIPv4Length},
		{"checksum", mod(func(b []byte) { b[11]++ }), ErrIPv4Checksum},
	}
	for _, tt := range tests {
		if got := IPv4(tt.b).Validate(); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestChecksumUpdate(t *testing.T) {
	// RFC 1624 section 4 example: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000.
	if got := ChecksumUpdate(0xdd2f, 0x5555, 0x3285); got != 0x0000 {
		t.Errorf("got %#04x, want 0x0000", got)
	}
}

func TestARPAgainstGopacket(t *testing.T) {
	a := layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: net.HardwareAddr{2, 0, 0, 0, 0, 1}, SourceProtAddress: net.IP{10, 0, 0, 1},
		DstHwAddress: net.HardwareAddr{0, 0, 0, 0, 0, 0}, DstProtAddress: net.IP{10, 0, 0, 2}}
	b := serialize(t, &a)
	v := ARP(b)
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	if v.Operation() != ARPRequest || v.SenderProtocolAddress() != netip.MustParseAddr("10.0.0.1") ||
		v.TargetProtocolAddress() != netip.MustParseAddr("10.0.0.2") || v.SenderHardwareAddress().String() != "02:00:00:00:00:01" {
		t.Fatalf("fields differ")
	}
	out := make([]byte, ARPEthernetIPv4Len)
	f := ARPFields{Operation: ARPRequest, SenderHardware: [6]byte{2, 0, 0, 0, 0, 1}, SenderProtocol: netip.MustParseAddr("10.0.0.1"),
		TargetProtocol: netip.MustParseAddr("10.0.0.2")}
	f.Marshal(out)
	if string(out) != string(b[:ARPEthernetIPv4Len]) {
		t.Fatalf("marshal differs:\n%x\n%x", out, b)
	}
}

func TestEthernetVLANAgainstGopacket(t *testing.T) {
	eth := layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeDot1Q}
	q := layers.Dot1Q{Priority: 5, VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}
	b := serialize(t, &eth, &q, gopacket.Payload(make([]byte, 46)))
	e := Ethernet(b)
	if e.EtherType() != EtherTypeVLAN || e.Source().String() != "02:00:00:00:00:01" {
		t.Fatal("ethernet fields")
	}
	v := VLAN(e.Payload())
	if v.ID() != 100 || v.Priority() != 5 || v.EncapsulatedType() != EtherTypeIPv4 {
		t.Fatalf("vlan %d %d %#x", v.ID(), v.Priority(), v.EncapsulatedType())
	}
	out := make([]byte, 14)
	(&EthernetFields{Destination: [6]byte(eth.DstMAC), Source: [6]byte(eth.SrcMAC), EtherType: EtherTypeVLAN}).Marshal(out)
	if string(out) != string(b[:14]) {
		t.Fatal("marshal differs")
	}
}

func TestICMPv4AgainstGopacket(t *testing.T) {
	ic := layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4), Seq: 1400}
	b := serialize(t, &ic, gopacket.Payload([]byte{1, 2, 3}))
	m := ICMPv4(b)
	if !m.Valid() || m.Type() != ICMPv4DestUnreachable || m.Code() != ICMPv4FragmentationNeeded || m.MTU() != 1400 {
		t.Fatalf("icmp fields: %v %d %d %d", m.Valid(), m.Type(), m.Code(), m.MTU())
	}
	if m.CalculateChecksum() != m.Checksum() {
		t.Fatal("checksum")
	}
}

func FuzzIPv4(f *testing.F) {
	good := make([]byte, 28)
	(&IPv4Fields{TotalLength: 28, TTL: 9, Protocol: ProtocolUDP, Source: netip.MustParseAddr("1.1.1.1"), Destination: netip.MustParseAddr("2.2.2.2")}).Marshal(good)
	f.Add(good)
	f.Add([]byte{0x4f, 0, 0, 60})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := IPv4(b)
		if p.Validate() != nil {
			return
		}
		_ = p.Options()
		_ = p.Source()
		_ = p.Destination()
		pl := p.Payload()
		if p.Protocol() == ProtocolUDP && len(pl) >= UDPHeaderLen {
			_ = UDP(pl).Payload()
		}
		if p.Protocol() == ProtocolICMP && len(pl) >= ICMPv4HeaderLen {
			_ = ICMPv4(pl).Valid()
		}
		if p.TTL() > 1 {
			p.DecrementTTL()
			if p.Validate() != nil {
				t.Fatal("decrement broke checksum")
			}
		}
	})
}

func FuzzARP(f *testing.F) {
	out := make([]byte, ARPEthernetIPv4Len)
	(&ARPFields{Operation: ARPReply, SenderProtocol: netip.MustParseAddr("1.1.1.1"), TargetProtocol: netip.MustParseAddr("1.1.1.2")}).Marshal(out)
	f.Add(out)
	f.Fuzz(func(t *testing.T, b []byte) {
		a := ARP(b)
		if a.Validate() != nil {
			return
		}
		_, _ = a.SenderProtocolAddress(), a.TargetProtocolAddress()
		_, _ = a.SenderHardwareAddress(), a.TargetHardwareAddress()
	})
}

func TestMarshalICMPAndUDPAgainstGopacket(t *testing.T) {
	buf := make([]byte, 64)
	ipf := IPv4Fields{TotalLength: 20 + 8 + 4, TTL: 64, Protocol: ProtocolUDP,
		Source: netip.MustParseAddr("192.0.2.1"), Destination: netip.MustParseAddr("192.0.2.9")}
	ipf.Marshal(buf)
	p := IPv4(buf[:32])
	(&UDPFields{SourcePort: 30030, DestinationPort: 30030}).Marshal(buf[20:], []byte("jmir"), p.PseudoHeaderChecksum(12))
	pkt := gopacket.NewPacket(buf[:32], layers.LayerTypeIPv4, gopacket.Default)
	udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if udp == nil || udp.DstPort != 30030 || udp.Length != 12 || string(udp.Payload) != "jmir" {
		t.Fatalf("udp %v", pkt)
	}
	// Check the checksum by recomputing it with gopacket.
	ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp2 := &layers.UDP{SrcPort: 30030, DstPort: 30030}
	udp2.SetNetworkLayerForChecksum(ip)
	want := serialize(t, udp2, gopacket.Payload([]byte("jmir")))
	if string(want[6:8]) != string(buf[26:28]) {
		t.Fatalf("udp checksum %x, gopacket %x", buf[26:28], want[6:8])
	}
	n := (&ICMPv4Fields{Type: ICMPv4DestUnreachable, Code: ICMPv4FragmentationNeeded, RestOfHeader: [2]uint16{0, 1400}}).Marshal(buf, []byte{1, 2, 3, 4})
	ic, _ := gopacket.NewPacket(buf[:n], layers.LayerTypeICMPv4, gopacket.Default).Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ic == nil || ic.TypeCode != layers.CreateICMPv4TypeCode(3, 4) || ic.Seq != 1400 || !ICMPv4(buf[:n]).Valid() {
		t.Fatalf("icmp %v", ic)
	}
}
