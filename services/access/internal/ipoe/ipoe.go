package ipoe

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Header lengths and protocol numbers.
const (
	IPv4HeaderLen = 20
	UDPHeaderLen  = 8
	ProtoICMP     = 1
	ProtoUDP      = 17
)

// Decoder errors.
var (
	ErrShort    = errors.New("ipoe: packet too short")
	ErrVersion  = errors.New("ipoe: not IPv4")
	ErrLength   = errors.New("ipoe: bad length")
	ErrChecksum = errors.New("ipoe: bad header checksum")
	ErrBuffer   = errors.New("ipoe: buffer too small")
)

// IPv4 is a view of an IPv4 packet.
type IPv4 []byte

// ParseIPv4 validates version, IHL, total length and header checksum and
// returns a view trimmed to the total length.
func ParseIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4HeaderLen {
		return nil, ErrShort
	}
	if b[0]>>4 != 4 {
		return nil, ErrVersion
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < IPv4HeaderLen || total < ihl || total > len(b) {
		return nil, ErrLength
	}
	if Checksum(b[:ihl], 0) != 0 {
		return nil, ErrChecksum
	}
	return IPv4(b[:total]), nil
}

// IHL returns the header length in bytes.
func (p IPv4) IHL() int { return int(p[0]&0x0f) * 4 }

// Protocol returns the Protocol field.
func (p IPv4) Protocol() uint8 { return p[9] }

// TTL returns the Time to Live.
func (p IPv4) TTL() uint8 { return p[8] }

// Source returns the source address.
func (p IPv4) Source() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }

// Destination returns the destination address.
func (p IPv4) Destination() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// Payload returns the bytes after the header.
func (p IPv4) Payload() []byte { return p[p.IHL():] }

// PutIPv4 writes a 20-byte header for a payload of n bytes into buf.
func PutIPv4(buf []byte, proto uint8, src, dst netip.Addr, id uint16, n int) {
	buf[0] = 0x45
	buf[1] = 0
	binary.BigEndian.PutUint16(buf[2:4], uint16(IPv4HeaderLen+n))
	binary.BigEndian.PutUint16(buf[4:6], id)
	binary.BigEndian.PutUint16(buf[6:8], 0)
	buf[8] = 64
	buf[9] = proto
	buf[10], buf[11] = 0, 0
	s, d := src.As4(), dst.As4()
	copy(buf[12:16], s[:])
	copy(buf[16:20], d[:])
	binary.BigEndian.PutUint16(buf[10:12], Checksum(buf[:IPv4HeaderLen], 0))
}

// Checksum returns the Internet checksum of b folded with an initial sum.
func Checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func pseudoSum(src, dst netip.Addr, proto uint8, n int) uint32 {
	s, d := src.As4(), dst.As4()
	return (uint32(s[0])<<8 | uint32(s[1])) + (uint32(s[2])<<8 | uint32(s[3])) +
		(uint32(d[0])<<8 | uint32(d[1])) + (uint32(d[2])<<8 | uint32(d[3])) +
		uint32(proto) + uint32(n)
}

// UDP is a view of a UDP datagram.
type UDP []byte

// ParseUDP validates the length field against b.
func ParseUDP(b []byte) (UDP, error) {
	if len(b) < UDPHeaderLen {
		return nil, ErrShort
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n < UDPHeaderLen || n > len(b) {
		return nil, ErrLength
	}
	return UDP(b[:n]), nil
}

// SourcePort returns the source port.
func (u UDP) SourcePort() uint16 { return binary.BigEndian.Uint16(u[0:2]) }

// DestinationPort returns the destination port.
func (u UDP) DestinationPort() uint16 { return binary.BigEndian.Uint16(u[2:4]) }

// Payload returns the data after the header.
func (u UDP) Payload() []byte { return u[UDPHeaderLen:] }

// MarshalUDP writes an IPv4 packet holding a UDP datagram with payload into
// buf and returns its length.
func MarshalUDP(buf []byte, src, dst netip.Addr, sport, dport uint16, payload []byte) (int, error) {
	n := IPv4HeaderLen + UDPHeaderLen + len(payload)
	if len(buf) < n || n > 0xffff {
		return 0, ErrBuffer
	}
	PutIPv4(buf, ProtoUDP, src, dst, 0, UDPHeaderLen+len(payload))
	u := buf[IPv4HeaderLen:n]
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(len(u)))
	u[6], u[7] = 0, 0
	copy(u[8:], payload)
	c := Checksum(u, pseudoSum(src, dst, ProtoUDP, len(u)))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:8], c)
	return n, nil
}

// ICMP echo types.
const (
	ICMPEchoReply   = 0
	ICMPEchoRequest = 8
)

// MarshalEcho writes an IPv4 ICMP echo request or reply into buf.
func MarshalEcho(buf []byte, typ uint8, src, dst netip.Addr, id, seq uint16, data []byte) (int, error) {
	n := IPv4HeaderLen + 8 + len(data)
	if len(buf) < n {
		return 0, ErrBuffer
	}
	PutIPv4(buf, ProtoICMP, src, dst, seq, 8+len(data))
	m := buf[IPv4HeaderLen:n]
	m[0], m[1], m[2], m[3] = typ, 0, 0, 0
	binary.BigEndian.PutUint16(m[4:6], id)
	binary.BigEndian.PutUint16(m[6:8], seq)
	copy(m[8:], data)
	binary.BigEndian.PutUint16(m[2:4], Checksum(m, 0))
	return n, nil
}

// Echo is a view of an ICMP echo message.
type Echo []byte

// ParseEcho validates length and checksum of an ICMP message.
func ParseEcho(b []byte) (Echo, error) {
	if len(b) < 8 {
		return nil, ErrShort
	}
	if Checksum(b, 0) != 0 {
		return nil, ErrChecksum
	}
	return Echo(b), nil
}

// Type returns the ICMP type.
func (e Echo) Type() uint8 { return e[0] }

// Identifier returns the echo identifier.
func (e Echo) Identifier() uint16 { return binary.BigEndian.Uint16(e[4:6]) }

// Sequence returns the echo sequence number.
func (e Echo) Sequence() uint16 { return binary.BigEndian.Uint16(e[6:8]) }

// Data returns the echo data.
func (e Echo) Data() []byte { return e[8:] }
