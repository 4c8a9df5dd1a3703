package ipoe

import (
	"net/netip"
	"testing"
)

func TestUDPRoundTrip(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("255.255.255.255")
	buf := make([]byte, 100)
	n, err := MarshalUDP(buf, src, dst, 67, 68, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	ip, err := ParseIPv4(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseUDP(ip.Payload())
	if err != nil || ip.Source() != src || ip.Destination() != dst || u.SourcePort() != 67 || u.DestinationPort() != 68 || string(u.Payload()) != "hello" {
		t.Fatalf("round trip: %v", err)
	}
	if Checksum(u, pseudoSum(src, dst, ProtoUDP, len(u))) != 0 {
		t.Fatal("udp checksum")
	}
	n, _ = MarshalEcho(buf, ICMPEchoRequest, src, dst, 7, 9, []byte("x"))
	ip, _ = ParseIPv4(buf[:n])
	e, err := ParseEcho(ip.Payload())
	if err != nil || e.Identifier() != 7 || e.Sequence() != 9 || e.Type() != ICMPEchoRequest {
		t.Fatalf("echo %v", err)
	}
}

func FuzzParse(f *testing.F) {
	buf := make([]byte, 64)
	n, _ := MarshalUDP(buf, netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("5.6.7.8"), 1, 2, []byte("abc"))
	f.Add(buf[:n])
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, err := ParseIPv4(b)
		if err != nil {
			return
		}
		_, _, _ = ip.Source(), ip.Destination(), ip.TTL()
		if u, err := ParseUDP(ip.Payload()); err == nil {
			_ = u.Payload()
		}
		if e, err := ParseEcho(ip.Payload()); err == nil {
			_ = e.Data()
		}
	})
}

// TestUDPChecksumKnown checks the checksum against a hand-computed value,
// independent of pseudoSum.
func TestUDPChecksumKnown(t *testing.T) {
	buf := make([]byte, 64)
	n, _ := MarshalUDP(buf, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.255"), 68, 67, []byte{1, 2, 3})
	u := buf[IPv4HeaderLen:n]
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
