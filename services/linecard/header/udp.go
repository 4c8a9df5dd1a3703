package header

import "encoding/binary"

// UDPHeaderLen is the length of a UDP header (RFC 768).
const UDPHeaderLen = 8

// UDP is a view of a UDP datagram (RFC 768).
type UDP []byte

// SourcePort returns the source port.
func (u UDP) SourcePort() uint16 { return binary.BigEndian.Uint16(u[0:2]) }

// DestinationPort returns the destination port.
func (u UDP) DestinationPort() uint16 { return binary.BigEndian.Uint16(u[2:4]) }

// Length returns the Length field (header plus data).
func (u UDP) Length() uint16 { return binary.BigEndian.Uint16(u[4:6]) }

// Checksum returns the checksum field (0 means none).
func (u UDP) Checksum() uint16 { return binary.BigEndian.Uint16(u[6:8]) }

// Payload returns the data after the header, bounded by Length when valid.
func (u UDP) Payload() []byte {
	l := int(u.Length())
	if l < UDPHeaderLen || l > len(u) {
		l = len(u)
	}
	return u[UDPHeaderLen:l]
}

// SetSourcePort sets the source port.
func (u UDP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(u[0:2], p) }

// SetDestinationPort sets the destination port.
func (u UDP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(u[2:4], p) }

// SetLength sets the Length field.
func (u UDP) SetLength(l uint16) { binary.BigEndian.PutUint16(u[4:6], l) }

// SetChecksum sets the checksum field.
func (u UDP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(u[6:8], c) }

// CalculateChecksum returns the checksum over the pseudo-header sum
// (IPv4.PseudoHeaderChecksum) and the datagram, with the checksum field
// taken as zero; a result of 0 is sent as 0xffff.
func (u UDP) CalculateChecksum(pseudo uint32) uint16 {
	sum := Checksum(u[:6], pseudo)
	c := ^Checksum(u[8:], uint32(sum))
	if c == 0 {
		c = 0xffff
	}
	return c
}

// UDPFields describes a UDP header to be marshalled.
type UDPFields struct {
	SourcePort, DestinationPort uint16
}

// Marshal writes the header followed by payload into buf (at least
// UDPHeaderLen+len(payload) bytes) and returns the number of bytes
// written. The checksum is computed when pseudo (the sum from
// IPv4.PseudoHeaderChecksum) is non-zero, else left zero (none).
func (f *UDPFields) Marshal(buf, payload []byte, pseudo uint32) int {
	u := UDP(buf[:UDPHeaderLen+len(payload)])
	u.SetSourcePort(f.SourcePort)
	u.SetDestinationPort(f.DestinationPort)
	u.SetLength(uint16(len(u)))
	copy(u[UDPHeaderLen:], payload)
	u.SetChecksum(0)
	if pseudo != 0 {
		u.SetChecksum(u.CalculateChecksum(pseudo))
	}
	return len(u)
}
