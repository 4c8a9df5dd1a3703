package header

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// IPv4 header constants (RFC 791).
const (
	IPv4MinHeaderLen = 20
	IPv4MaxHeaderLen = 60
	IPv4FlagDF       = 0x2 // don't fragment
	IPv4FlagMF       = 0x1 // more fragments
)

// IP protocol numbers.
const (
	ProtocolICMP = 1
	ProtocolTCP  = 6
	ProtocolUDP  = 17
)

// Errors returned by IPv4.Validate.
var (
	ErrIPv4Version  = errors.New("ipv4: version is not 4")
	ErrIPv4IHL      = errors.New("ipv4: bad header length")
	ErrIPv4Length   = errors.New("ipv4: bad total length")
	ErrIPv4Checksum = errors.New("ipv4: bad header checksum")
)

// IPv4 is a view of an IPv4 packet (RFC 791).
type IPv4 []byte

// Version returns the version field.
func (p IPv4) Version() uint8 { return p[0] >> 4 }

// IHL returns the Internet Header Length in 32-bit words.
func (p IPv4) IHL() uint8 { return p[0] & 0xf }

// HeaderLength returns the header length in bytes.
func (p IPv4) HeaderLength() int { return int(p.IHL()) * 4 }

// TOS returns the Type of Service (DSCP/ECN) byte.
func (p IPv4) TOS() uint8 { return p[1] }

// TotalLength returns the Total Length field.
func (p IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(p[2:4]) }

// ID returns the Identification field.
func (p IPv4) ID() uint16 { return binary.BigEndian.Uint16(p[4:6]) }

// Flags returns the 3-bit flags field (IPv4FlagDF, IPv4FlagMF).
func (p IPv4) Flags() uint8 { return p[6] >> 5 }

// FragmentOffset returns the fragment offset in bytes.
func (p IPv4) FragmentOffset() int { return int(binary.BigEndian.Uint16(p[6:8])&0x1fff) * 8 }

// TTL returns the Time to Live field.
func (p IPv4) TTL() uint8 { return p[8] }

// Protocol returns the Protocol field.
func (p IPv4) Protocol() uint8 { return p[9] }

// Checksum returns the Header Checksum field.
func (p IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(p[10:12]) }

// Source returns the Source Address.
func (p IPv4) Source() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }

// Destination returns the Destination Address.
func (p IPv4) Destination() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// DestinationUint32 returns the Destination Address as a big-endian integer.
func (p IPv4) DestinationUint32() uint32 { return binary.BigEndian.Uint32(p[16:20]) }

// Options returns the options bytes (a view; empty when IHL is 5).
func (p IPv4) Options() []byte { return p[IPv4MinHeaderLen:p.HeaderLength()] }

// Payload returns the bytes after the header up to Total Length. Call
// only on a validated packet.
func (p IPv4) Payload() []byte { return p[p.HeaderLength():p.TotalLength()] }

// Validate checks version, IHL, total length against the buffer and the
// header checksum. It does not look at options' contents.
func (p IPv4) Validate() error {
	if len(p) < IPv4MinHeaderLen {
		return ErrTruncated
	}
	if p.Version() != 4 {
		return ErrIPv4Version
	}
	hl := p.HeaderLength()
	if hl < IPv4MinHeaderLen || hl > len(p) {
		return ErrIPv4IHL
	}
	tl := int(p.TotalLength())
	if tl < hl || tl > len(p) {
		return ErrIPv4Length
	}
	if Checksum(p[:hl], 0) != 0xffff {
		return ErrIPv4Checksum
	}
	return nil
}

// CalculateChecksum returns the header checksum computed over the header
// with the checksum field taken as zero.
func (p IPv4) CalculateChecksum() uint16 {
	hl := p.HeaderLength()
	sum := Checksum(p[:10], 0)
	return ^Checksum(p[12:hl], uint32(sum))
}

// SetChecksum sets the Header Checksum field.
func (p IPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(p[10:12], c) }

// SetTotalLength sets the Total Length field (checksum not updated).
func (p IPv4) SetTotalLength(l uint16) { binary.BigEndian.PutUint16(p[2:4], l) }

// SetFlagsFragmentOffset sets the flags and the fragment offset in bytes
// (a multiple of 8); the checksum is not updated.
func (p IPv4) SetFlagsFragmentOffset(flags uint8, offset int) {
	binary.BigEndian.PutUint16(p[6:8], uint16(flags)<<13|uint16(offset/8)&0x1fff)
}

// DecrementTTL lowers TTL by one and updates the checksum incrementally
// (RFC 1624). The caller checks TTL > 1 first.
func (p IPv4) DecrementTTL() {
	old := binary.BigEndian.Uint16(p[8:10])
	p[8]--
	p.SetChecksum(ChecksumUpdate(p.Checksum(), old, binary.BigEndian.Uint16(p[8:10])))
}

// PseudoHeaderChecksum returns the unfolded sum of the TCP/UDP
// pseudo-header for this packet's addresses, protocol and length l.
func (p IPv4) PseudoHeaderChecksum(l int) uint32 {
	return uint32(Checksum(p[12:20], uint32(p.Protocol())+uint32(l)))
}

// IPv4Fields describes an IPv4 header without options to be marshalled.
type IPv4Fields struct {
	TOS            uint8
	TotalLength    uint16
	ID             uint16
	Flags          uint8
	FragmentOffset int
	TTL            uint8
	Protocol       uint8
	Source         netip.Addr
	Destination    netip.Addr
}

// Marshal writes a 20-byte header with a correct checksum into buf and
// returns the number of bytes written.
func (f *IPv4Fields) Marshal(buf []byte) int {
	p := IPv4(buf[:IPv4MinHeaderLen])
	p[0] = 0x45
	p[1] = f.TOS
	p.SetTotalLength(f.TotalLength)
	binary.BigEndian.PutUint16(p[4:6], f.ID)
	p.SetFlagsFragmentOffset(f.Flags, f.FragmentOffset)
	p[8] = f.TTL
	p[9] = f.Protocol
	s, d := f.Source.As4(), f.Destination.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	p.SetChecksum(0)
	p.SetChecksum(p.CalculateChecksum())
	return IPv4MinHeaderLen
}
