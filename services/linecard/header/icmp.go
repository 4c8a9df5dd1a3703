package header

import "encoding/binary"

// ICMPv4 types and codes used by the router (RFC 792, RFC 1191).
const (
	ICMPv4EchoReply       = 0
	ICMPv4DestUnreachable = 3
	ICMPv4EchoRequest     = 8
	ICMPv4TimeExceeded    = 11

	ICMPv4NetUnreachable      = 0
	ICMPv4HostUnreachable     = 1
	ICMPv4FragmentationNeeded = 4
	ICMPv4TTLExceeded         = 0
)

// ICMPv4HeaderLen is the length of the fixed ICMPv4 header.
const ICMPv4HeaderLen = 8

// ICMPv4 is a view of an ICMPv4 message.
type ICMPv4 []byte

// Type returns the message type.
func (m ICMPv4) Type() uint8 { return m[0] }

// Code returns the message code.
func (m ICMPv4) Code() uint8 { return m[1] }

// Checksum returns the checksum field.
func (m ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(m[2:4]) }

// Ident returns the echo identifier.
func (m ICMPv4) Ident() uint16 { return binary.BigEndian.Uint16(m[4:6]) }

// Sequence returns the echo sequence number.
func (m ICMPv4) Sequence() uint16 { return binary.BigEndian.Uint16(m[6:8]) }

// MTU returns the next-hop MTU of a fragmentation-needed message (RFC 1191).
func (m ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(m[6:8]) }

// SetType sets the message type.
func (m ICMPv4) SetType(t uint8) { m[0] = t }

// SetCode sets the message code.
func (m ICMPv4) SetCode(c uint8) { m[1] = c }

// SetChecksum sets the checksum field.
func (m ICMPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(m[2:4], c) }

// SetRestOfHeader sets bytes 4..8 (identifier/sequence, unused or MTU).
func (m ICMPv4) SetRestOfHeader(hi, lo uint16) {
	binary.BigEndian.PutUint16(m[4:6], hi)
	binary.BigEndian.PutUint16(m[6:8], lo)
}

// CalculateChecksum returns the checksum over the whole message with the
// checksum field taken as zero.
func (m ICMPv4) CalculateChecksum() uint16 {
	sum := Checksum(m[:2], 0)
	return ^Checksum(m[4:], uint32(sum))
}

// Valid reports whether the message is long enough and its checksum is correct.
func (m ICMPv4) Valid() bool {
	return len(m) >= ICMPv4HeaderLen && Checksum(m, 0) == 0xffff
}

// ICMPv4Fields describes an ICMPv4 header to be marshalled.
type ICMPv4Fields struct {
	Type, Code uint8
	// RestOfHeader holds bytes 4..8: identifier and sequence for echo,
	// zero and next-hop MTU for fragmentation needed.
	RestOfHeader [2]uint16
}

// Marshal writes the header followed by payload into buf (at least
// ICMPv4HeaderLen+len(payload) bytes) with a correct checksum and
// returns the number of bytes written.
func (f *ICMPv4Fields) Marshal(buf, payload []byte) int {
	m := ICMPv4(buf[:ICMPv4HeaderLen+len(payload)])
	m.SetType(f.Type)
	m.SetCode(f.Code)
	m.SetRestOfHeader(f.RestOfHeader[0], f.RestOfHeader[1])
	copy(m[ICMPv4HeaderLen:], payload)
	m.SetChecksum(0)
	m.SetChecksum(m.CalculateChecksum())
	return len(m)
}
