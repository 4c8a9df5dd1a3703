package jmirror

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Sizes and defaults of the encapsulation.
const (
	// DefaultPort is the analyzer UDP port JunosE and Wireshark use by default.
	DefaultPort = 30030
	// IPv4HeaderLen is the length of the prepend's IPv4 header (no options).
	IPv4HeaderLen = 20
	// UDPHeaderLen is the length of the prepend's UDP header.
	UDPHeaderLen = 8
	// HeaderLen is the length of the mirror header (MHV, Mirror-ID, Session-ID).
	HeaderLen = 8
	// PrependLen is the whole prepend: IPv4 + UDP + mirror header.
	PrependLen = IPv4HeaderLen + UDPHeaderLen + HeaderLen
	// TTL is the prepend's IPv4 time to live.
	TTL = 255
	// MaxMirrorID is the largest 30-bit Mirror-ID.
	MaxMirrorID = 1<<30 - 1
	// MaxPayload is the largest mirrored packet that fits in one IPv4 datagram.
	MaxPayload = 0xffff - PrependLen

	protoUDP = 17
)

// Errors returned by Parse and Prepend.Marshal.
var (
	ErrShort     = errors.New("jmirror: packet too short")
	ErrNotIPv4   = errors.New("jmirror: not an IPv4 header without options")
	ErrChecksum  = errors.New("jmirror: bad IPv4 header checksum")
	ErrLength    = errors.New("jmirror: length fields do not match")
	ErrNotUDP    = errors.New("jmirror: not UDP")
	ErrFragment  = errors.New("jmirror: fragmented")
	ErrPorts     = errors.New("jmirror: source and destination ports differ")
	ErrMirrorID  = errors.New("jmirror: mirror identifier exceeds 30 bits")
	ErrNoAddress = errors.New("jmirror: source or analyzer address is not IPv4")
	ErrTooBig    = errors.New("jmirror: mirrored packet too large")
)

// Header is a view of the 8-byte mirror header.
type Header []byte

// MHV returns the mirror header version (the top 2 bits).
func (h Header) MHV() uint8 { return h[0] >> 6 }

// MirrorID returns the 30-bit Mirror Identifier.
func (h Header) MirrorID() uint32 { return binary.BigEndian.Uint32(h[0:4]) & MaxMirrorID }

// SessionID returns the 32-bit Session Identifier.
func (h Header) SessionID() uint32 { return binary.BigEndian.Uint32(h[4:8]) }

// Packet is a view of a whole analyzer packet: IPv4 header, UDP header,
// mirror header and the mirrored packet. Use Parse to get a validated one.
type Packet []byte

// Parse validates b as an analyzer packet and returns a view of it. It
// checks the IPv4 header (version 4, no options, checksum, total length,
// not a fragment, protocol UDP), the UDP length and equal ports.
func Parse(b []byte) (Packet, error) {
	if len(b) < PrependLen {
		return nil, ErrShort
	}
	if b[0] != 0x45 {
		return nil, ErrNotIPv4
	}
	if Checksum(b[:IPv4HeaderLen], 0) != 0 {
		return nil, ErrChecksum
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < PrependLen || total > len(b) {
		return nil, fmt.Errorf("%w: IPv4 total length %d, have %d bytes", ErrLength, total, len(b))
	}
	if binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
		return nil, ErrFragment
	}
	if b[9] != protoUDP {
		return nil, ErrNotUDP
	}
	p := Packet(b[:total])
	if int(binary.BigEndian.Uint16(b[24:26])) != total-IPv4HeaderLen {
		return nil, fmt.Errorf("%w: UDP length %d, IPv4 payload %d", ErrLength, binary.BigEndian.Uint16(b[24:26]), total-IPv4HeaderLen)
	}
	if p.SourcePort() != p.DestinationPort() {
		return nil, ErrPorts
	}
	return p, nil
}

// TTL returns the IPv4 time to live.
func (p Packet) TTL() uint8 { return p[8] }

// Identification returns the IPv4 identification field.
func (p Packet) Identification() uint16 { return binary.BigEndian.Uint16(p[4:6]) }

// Source returns the IPv4 source (the analyzer interface address).
func (p Packet) Source() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }

// Destination returns the IPv4 destination (the analyzer address).
func (p Packet) Destination() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// SourcePort returns the UDP source port.
func (p Packet) SourcePort() uint16 { return binary.BigEndian.Uint16(p[20:22]) }

// DestinationPort returns the UDP destination port (the analyzer port).
func (p Packet) DestinationPort() uint16 { return binary.BigEndian.Uint16(p[22:24]) }

// UDPChecksum returns the UDP checksum field (always 0 as emitted).
func (p Packet) UDPChecksum() uint16 { return binary.BigEndian.Uint16(p[26:28]) }

// Header returns the mirror header.
func (p Packet) Header() Header { return Header(p[28:PrependLen]) }

// Payload returns the mirrored packet.
func (p Packet) Payload() []byte { return p[PrependLen:] }

// Prepend holds the fields of the 36-byte prepend that are not computed.
type Prepend struct {
	// Source is the analyzer interface's IPv4 address.
	Source netip.Addr
	// Analyzer is the analyzer's IPv4 address.
	Analyzer netip.Addr
	// Port is both UDP ports (DefaultPort when 0).
	Port uint16
	// ID is the IPv4 identification.
	ID uint16
	// MirrorID is the 30-bit Mirror Identifier; MHV is always written as 0.
	MirrorID uint32
	// SessionID is the 32-bit Session Identifier.
	SessionID uint32
}

// Marshal writes the prepend for a mirrored packet of payloadLen bytes into
// buf[:PrependLen], computing the lengths and the IPv4 header checksum, and
// returns PrependLen. It does not allocate.
func (h *Prepend) Marshal(buf []byte, payloadLen int) (int, error) {
	if len(buf) < PrependLen {
		return 0, ErrShort
	}
	if payloadLen < 0 || payloadLen > MaxPayload {
		return 0, ErrTooBig
	}
	if h.MirrorID > MaxMirrorID {
		return 0, ErrMirrorID
	}
	if !h.Source.Is4() || !h.Analyzer.Is4() {
		return 0, ErrNoAddress
	}
	port := h.Port
	if port == 0 {
		port = DefaultPort
	}
	total := PrependLen + payloadLen
	b := buf[:PrependLen]
	b[0], b[1] = 0x45, 0
	binary.BigEndian.PutUint16(b[2:4], uint16(total))
	binary.BigEndian.PutUint16(b[4:6], h.ID)
	b[6], b[7] = 0, 0 // may be fragmented on the way, like any router datagram
	b[8], b[9] = TTL, protoUDP
	b[10], b[11] = 0, 0
	src, dst := h.Source.As4(), h.Analyzer.As4()
	copy(b[12:16], src[:])
	copy(b[16:20], dst[:])
	binary.BigEndian.PutUint16(b[10:12], Checksum(b[:IPv4HeaderLen], 0))
	binary.BigEndian.PutUint16(b[20:22], port)
	binary.BigEndian.PutUint16(b[22:24], port)
	binary.BigEndian.PutUint16(b[24:26], uint16(total-IPv4HeaderLen))
	b[26], b[27] = 0, 0
	binary.BigEndian.PutUint32(b[28:32], h.MirrorID) // MHV 0 in the top 2 bits
	binary.BigEndian.PutUint32(b[32:36], h.SessionID)
	return PrependLen, nil
}

// Checksum returns the Internet checksum of b (RFC 1071), starting from
// the partial sum initial. Over an IPv4 header with a valid checksum field
// it returns 0.
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
