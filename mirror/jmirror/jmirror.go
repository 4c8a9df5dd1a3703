package jmirror

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/erxos/erx/services/linecard/header"
)

// Sizes and defaults of the encapsulation.
const (
	// DefaultPort is the analyzer UDP port JunosE and Wireshark use by default.
	DefaultPort = 30030
	// HeaderLen is the length of the mirror header (MHV, Mirror-ID, Session-ID).
	HeaderLen = 8
	// PrependLen is the whole prepend: IPv4 (no options) + UDP + mirror header.
	PrependLen = header.IPv4UDPHeaderLen + HeaderLen
	// TTL is the prepend's IPv4 time to live.
	TTL = 255
	// MaxMirrorID is the largest 30-bit Mirror-ID.
	MaxMirrorID = 1<<30 - 1
	// MaxPayload is the largest mirrored packet that fits in one IPv4 datagram.
	MaxPayload = 0xffff - PrependLen
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
	ip := header.IPv4(b)
	if ip.Version() != 4 || ip.HeaderLength() != header.IPv4MinHeaderLen {
		return nil, ErrNotIPv4
	}
	if header.Checksum(ip[:header.IPv4MinHeaderLen], 0) != 0xffff {
		return nil, ErrChecksum
	}
	total := int(ip.TotalLength())
	if total < PrependLen || total > len(b) {
		return nil, fmt.Errorf("%w: IPv4 total length %d, have %d bytes", ErrLength, total, len(b))
	}
	if ip.Flags()&header.IPv4FlagMF != 0 || ip.FragmentOffset() != 0 {
		return nil, ErrFragment
	}
	if ip.Protocol() != header.ProtocolUDP {
		return nil, ErrNotUDP
	}
	p := Packet(b[:total])
	u := p.UDP()
	if int(u.Length()) != total-header.IPv4MinHeaderLen {
		return nil, fmt.Errorf("%w: UDP length %d, IPv4 payload %d", ErrLength, u.Length(), total-header.IPv4MinHeaderLen)
	}
	if u.SourcePort() != u.DestinationPort() {
		return nil, ErrPorts
	}
	return p, nil
}

// IPv4 returns the IPv4 header (source: the analyzer interface address;
// destination: the analyzer address) and everything after it.
func (p Packet) IPv4() header.IPv4 { return header.IPv4(p) }

// UDP returns the UDP datagram (both ports the analyzer port, checksum 0
// as emitted).
func (p Packet) UDP() header.UDP { return header.UDP(p[header.IPv4MinHeaderLen:]) }

// Header returns the mirror header.
func (p Packet) Header() Header { return Header(p[header.IPv4UDPHeaderLen:PrependLen]) }

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
	// No DF flag: the copy may be fragmented on the way, like any router datagram.
	ip := header.IPv4Fields{TotalLength: uint16(total), ID: h.ID, TTL: TTL, Protocol: header.ProtocolUDP,
		Source: h.Source, Destination: h.Analyzer}
	ip.Marshal(buf)
	u := header.UDP(buf[header.IPv4MinHeaderLen:header.IPv4UDPHeaderLen])
	u.SetSourcePort(port)
	u.SetDestinationPort(port)
	u.SetLength(uint16(total - header.IPv4MinHeaderLen))
	u.SetChecksum(0)
	m := buf[header.IPv4UDPHeaderLen:PrependLen]
	binary.BigEndian.PutUint32(m[0:4], h.MirrorID) // MHV 0 in the top 2 bits
	binary.BigEndian.PutUint32(m[4:8], h.SessionID)
	return PrependLen, nil
}
