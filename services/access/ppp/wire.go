package ppp

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// PPP protocol numbers.
const (
	ProtoIPv4   uint16 = 0x0021
	ProtoIPv6   uint16 = 0x0057
	ProtoIPCP   uint16 = 0x8021
	ProtoIPv6CP uint16 = 0x8057
	ProtoLCP    uint16 = 0xc021
	ProtoPAP    uint16 = 0xc023
	ProtoCHAP   uint16 = 0xc223
)

// Control packet codes (RFC 1661 §5).
const (
	CodeConfigureRequest uint8 = 1
	CodeConfigureAck     uint8 = 2
	CodeConfigureNak     uint8 = 3
	CodeConfigureReject  uint8 = 4
	CodeTerminateRequest uint8 = 5
	CodeTerminateAck     uint8 = 6
	CodeCodeReject       uint8 = 7
	CodeProtocolReject   uint8 = 8
	CodeEchoRequest      uint8 = 9
	CodeEchoReply        uint8 = 10
	CodeDiscardRequest   uint8 = 11
)

// PAP codes (RFC 1334 §2.2) and CHAP codes (RFC 1994 §4).
const (
	PAPAuthenticateRequest uint8 = 1
	PAPAuthenticateAck     uint8 = 2
	PAPAuthenticateNak     uint8 = 3

	CHAPChallenge uint8 = 1
	CHAPResponse  uint8 = 2
	CHAPSuccess   uint8 = 3
	CHAPFailure   uint8 = 4
)

// Decoder errors.
var (
	ErrShort     = errors.New("ppp: packet too short")
	ErrLength    = errors.New("ppp: bad length field")
	ErrOption    = errors.New("ppp: malformed option")
	ErrBufferLen = errors.New("ppp: buffer too small")
)

// Frame is a view of a PPP frame starting at the Protocol field (no address
// and control fields, no protocol field compression: as carried by PPPoE).
type Frame []byte

// ParseFrame checks that b holds a protocol field.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) < 2 {
		return nil, ErrShort
	}
	return Frame(b), nil
}

// Protocol returns the Protocol field.
func (f Frame) Protocol() uint16 { return binary.BigEndian.Uint16(f[0:2]) }

// Information returns the bytes after the Protocol field.
func (f Frame) Information() []byte { return f[2:] }

// Packet is a view of an LCP-style control packet (also PAP and CHAP):
// Code, Identifier, Length, Data.
type Packet []byte

// ParsePacket validates the Length field and returns a view trimmed to it
// (trailing padding is dropped, RFC 1661 §5).
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < 4 {
		return nil, ErrShort
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < 4 || n > len(b) {
		return nil, ErrLength
	}
	return Packet(b[:n]), nil
}

// Code returns the Code field.
func (p Packet) Code() uint8 { return p[0] }

// Identifier returns the Identifier field.
func (p Packet) Identifier() uint8 { return p[1] }

// Length returns the Length field.
func (p Packet) Length() uint16 { return binary.BigEndian.Uint16(p[2:4]) }

// Data returns the bytes after the header.
func (p Packet) Data() []byte { return p[4:] }

// MarshalPacket writes protocol, code, identifier, length and data into buf
// and returns the frame length.
func MarshalPacket(buf []byte, proto uint16, code, id uint8, data []byte) (int, error) {
	n := 2 + 4 + len(data)
	if len(buf) < n || n-2 > 0xffff {
		return 0, ErrBufferLen
	}
	binary.BigEndian.PutUint16(buf[0:2], proto)
	buf[2] = code
	buf[3] = id
	binary.BigEndian.PutUint16(buf[4:6], uint16(n-2))
	copy(buf[6:], data)
	return n, nil
}

// Options is a view of a configuration option list.
type Options []byte

// Each calls fn for each option until fn returns false. It returns ErrOption
// if an option's length is below 2 or overruns the list.
func (o Options) Each(fn func(typ uint8, value []byte) bool) error {
	b := []byte(o)
	for len(b) > 0 {
		if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
			return ErrOption
		}
		if !fn(b[0], b[2:b[1]]) {
			return nil
		}
		b = b[b[1]:]
	}
	return nil
}

// Valid reports whether every option is well formed.
func (o Options) Valid() bool {
	return o.Each(func(uint8, []byte) bool { return true }) == nil
}

// AppendOption appends a type-length-value option to b.
func AppendOption(b []byte, typ uint8, value []byte) []byte {
	b = append(b, typ, byte(2+len(value)))
	return append(b, value...)
}

func appendOption16(b []byte, typ uint8, v uint16) []byte {
	return append(b, typ, 4, byte(v>>8), byte(v))
}

func appendOption32(b []byte, typ uint8, v uint32) []byte {
	return append(b, typ, 6, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendOptionAddr(b []byte, typ uint8, a netip.Addr) []byte {
	v := a.As4()
	return append(b, typ, 6, v[0], v[1], v[2], v[3])
}

// ParsePAPRequest splits PAP Authenticate-Request data into Peer-ID and
// Password.
func ParsePAPRequest(data []byte) (peerID, password []byte, err error) {
	if len(data) < 1 || 1+int(data[0]) > len(data) {
		return nil, nil, ErrShort
	}
	peerID = data[1 : 1+data[0]]
	rest := data[1+data[0]:]
	if len(rest) < 1 || 1+int(rest[0]) > len(rest) {
		return nil, nil, ErrShort
	}
	return peerID, rest[1 : 1+rest[0]], nil
}

// AppendPAPRequest appends Authenticate-Request data to b.
func AppendPAPRequest(b, peerID, password []byte) []byte {
	b = append(b, byte(len(peerID)))
	b = append(b, peerID...)
	b = append(b, byte(len(password)))
	return append(b, password...)
}

// ParsePAPMessage returns the Message of a PAP Ack or Nak.
func ParsePAPMessage(data []byte) ([]byte, error) {
	if len(data) < 1 || 1+int(data[0]) > len(data) {
		return nil, ErrShort
	}
	return data[1 : 1+data[0]], nil
}

// ParseCHAPValue splits CHAP Challenge or Response data into Value and Name.
func ParseCHAPValue(data []byte) (value, name []byte, err error) {
	if len(data) < 1 || 1+int(data[0]) > len(data) {
		return nil, nil, ErrShort
	}
	return data[1 : 1+data[0]], data[1+data[0]:], nil
}

// AppendCHAPValue appends Challenge or Response data to b.
func AppendCHAPValue(b, value, name []byte) []byte {
	b = append(b, byte(len(value)))
	b = append(b, value...)
	return append(b, name...)
}
