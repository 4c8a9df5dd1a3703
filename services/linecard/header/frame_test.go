package header

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func TestMACString(t *testing.T) {
	if got := (MAC{0x02, 0x5b, 0, 0xab, 0xcd, 0xef}).String(); got != "02:5b:00:ab:cd:ef" {
		t.Fatalf("got %q", got)
	}
	if MAC(Broadcast) != (MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatal("broadcast")
	}
}

func TestUDPFrameAgainstGopacket(t *testing.T) {
	f := UDPFrameFields{Destination: Broadcast, Source: [6]byte{2, 0, 0, 0, 0, 1},
		IPv4: IPv4Fields{TTL: 64, Source: netip.MustParseAddr("0.0.0.0"), Destination: netip.MustParseAddr("255.255.255.255")},
		UDP:  UDPFields{SourcePort: 40000, DestinationPort: 40001}}
	buf := make([]byte, 100)
	n, err := f.Marshal(buf, []byte("hello"))
	if err != nil || n != UDPFrameHeaderLen+5 {
		t.Fatalf("marshal: %d %v", n, err)
	}
	pkt := gopacket.NewPacket(buf[:n], layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if eth == nil || ip == nil || udp == nil || pkt.ErrorLayer() != nil {
		t.Fatalf("gopacket: %v", pkt)
	}
	if eth.DstMAC.String() != "ff:ff:ff:ff:ff:ff" || eth.SrcMAC.String() != "02:00:00:00:00:01" || eth.EthernetType != layers.EthernetTypeIPv4 {
		t.Errorf("ethernet %+v", eth)
	}
	if ip.TTL != 64 || ip.Protocol != layers.IPProtocolUDP || int(ip.Length) != n-EthernetHeaderLen || !ip.DstIP.Equal(net.IPv4bcast) {
		t.Errorf("ipv4 %+v", ip)
	}
	if udp.SrcPort != 40000 || udp.DstPort != 40001 || int(udp.Length) != UDPHeaderLen+5 || string(udp.Payload) != "hello" {
		t.Errorf("udp %+v", udp)
	}
	// The UDP checksum as gopacket computes it.
	udp2 := &layers.UDP{SrcPort: 40000, DstPort: 40001}
	udp2.SetNetworkLayerForChecksum(ip)
	want := serialize(t, udp2, gopacket.Payload([]byte("hello")))
	if string(want[6:8]) != string(buf[n-5-2:n-5]) {
		t.Fatalf("udp checksum %x, gopacket %x", buf[n-5-2:n-5], want[6:8])
	}
}

func TestIPv4UDPRoundTrip(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("255.255.255.255")
	buf := make([]byte, 100)
	n, err := (&IPv4UDPFields{IPv4: IPv4Fields{TTL: 64, Source: src, Destination: dst},
		UDP: UDPFields{SourcePort: 67, DestinationPort: 68}}).Marshal(buf, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	ip := IPv4(buf[:n])
	if err := ip.Validate(); err != nil {
		t.Fatal(err)
	}
	u := UDP(ip.Payload())
	if err := u.Validate(); err != nil || ip.Source() != src || ip.Destination() != dst || u.SourcePort() != 67 || u.DestinationPort() != 68 || string(u.Payload()) != "hello" {
		t.Fatalf("round trip: %v", err)
	}
	if Checksum(u, ip.PseudoHeaderChecksum(len(u))) != 0xffff {
		t.Fatal("udp checksum")
	}
}

// TestUDPChecksumKnown checks the checksum against a hand-computed value,
// independent of PseudoHeaderChecksum.
func TestUDPChecksumKnown(t *testing.T) {
	buf := make([]byte, 64)
	n, _ := (&IPv4UDPFields{IPv4: IPv4Fields{TTL: 64, Source: netip.MustParseAddr("192.0.2.1"), Destination: netip.MustParseAddr("192.0.2.255")},
		UDP: UDPFields{SourcePort: 68, DestinationPort: 67}}).Marshal(buf, []byte{1, 2, 3})
	u := buf[IPv4MinHeaderLen:n]
	// Pseudo header: c000+0201+c000+02ff+0011+000b, then the datagram.
	var sum uint32 = 0xc000 + 0x0201 + 0xc000 + 0x02ff + 0x0011 + 0x000b
	for i := 0; i+1 < len(u); i += 2 {
		sum += uint32(u[i])<<8 | uint32(u[i+1])
	}
	if len(u)%2 == 1 {
		sum += uint32(u[len(u)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	if uint16(sum) != 0xffff {
		t.Fatalf("checksum does not verify: %#x", sum)
	}
}

func TestBuilderErrors(t *testing.T) {
	f := UDPFrameFields{IPv4: IPv4Fields{Source: netip.MustParseAddr("1.1.1.1"), Destination: netip.MustParseAddr("2.2.2.2")}}
	for _, tc := range []struct {
		name    string
		buf     int
		payload int
		want    error
	}{
		{"fits", UDPFrameHeaderLen + 3, 3, nil},
		{"no ethernet", EthernetHeaderLen - 1, 0, ErrBufferTooSmall},
		{"short", UDPFrameHeaderLen + 2, 3, ErrBufferTooSmall},
		{"too long", 70000, 0xffff - IPv4UDPHeaderLen + 1, ErrTooLong},
		{"longest", 70000, 0xffff - IPv4UDPHeaderLen, nil},
	} {
		if _, err := f.Marshal(make([]byte, tc.buf), make([]byte, tc.payload)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestValidateEthernetUDP(t *testing.T) {
	if Ethernet(make([]byte, 13)).Validate() != ErrTruncated || Ethernet(make([]byte, 14)).Validate() != nil {
		t.Error("ethernet")
	}
	u := make([]byte, 12)
	UDP(u).SetLength(12)
	for _, tc := range []struct {
		name string
		b    []byte
		l    uint16
		want error
	}{
		{"good", u, 12, nil},
		{"shorter than buffer", u, 10, nil},
		{"runt", u[:7], 8, ErrTruncated},
		{"below header", u, 7, ErrUDPLength},
		{"past buffer", u, 13, ErrUDPLength},
	} {
		if len(tc.b) >= UDPHeaderLen {
			UDP(tc.b).SetLength(tc.l)
		}
		if got := UDP(tc.b).Validate(); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestICMPv4EchoPayload(t *testing.T) {
	buf := make([]byte, 32)
	n := (&ICMPv4Fields{Type: ICMPv4EchoRequest, RestOfHeader: [2]uint16{7, 9}}).Marshal(buf, []byte("x"))
	m := ICMPv4(buf[:n])
	if !m.Valid() || m.Ident() != 7 || m.Sequence() != 9 || m.Type() != ICMPv4EchoRequest || string(m.Payload()) != "x" {
		t.Fatal("echo")
	}
}

func TestBuilderAllocs(t *testing.T) {
	f := UDPFrameFields{IPv4: IPv4Fields{TTL: 64, Source: netip.MustParseAddr("1.1.1.1"), Destination: netip.MustParseAddr("2.2.2.2")},
		UDP: UDPFields{SourcePort: 1, DestinationPort: 2}}
	buf := make([]byte, 256)
	payload := make([]byte, 100)
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := f.Marshal(buf, payload); err != nil {
			t.Fatal(err)
		}
		if UDP(IPv4(buf[EthernetHeaderLen:]).Payload()).Validate() != nil {
			t.Fatal("validate")
		}
	}); n != 0 {
		t.Errorf("%v allocations per marshal", n)
	}
}

// FuzzIPv4UDPICMP decodes b as the access engines do: IPv4, then a UDP
// datagram or an ICMP message in it.
func FuzzIPv4UDPICMP(f *testing.F) {
	buf := make([]byte, 64)
	n, _ := (&IPv4UDPFields{IPv4: IPv4Fields{TTL: 64, Source: netip.MustParseAddr("1.2.3.4"), Destination: netip.MustParseAddr("5.6.7.8")},
		UDP: UDPFields{SourcePort: 1, DestinationPort: 2}}).Marshal(buf, []byte("abc"))
	f.Add(buf[:n])
	f.Fuzz(func(t *testing.T, b []byte) {
		ip := IPv4(b)
		if ip.Validate() != nil {
			return
		}
		_, _, _ = ip.Source(), ip.Destination(), ip.TTL()
		if u := UDP(ip.Payload()); u.Validate() == nil {
			if p := u.Payload(); len(p) != int(u.Length())-UDPHeaderLen {
				t.Fatalf("payload %d bytes, length field %d", len(p), u.Length())
			}
		}
		if m := ICMPv4(ip.Payload()); m.Valid() {
			_ = m.Payload()
		}
	})
}
