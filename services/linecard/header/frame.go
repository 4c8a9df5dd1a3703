package header

import "errors"

// This file holds what the subscriber-access engines (DHCP, PPPoE and
// their emulators) need beyond the data plane's per-header views: a
// comparable MAC address, length checks for Ethernet and UDP, the ICMP
// message body, and builders for whole IPv4/UDP packets and
// Ethernet/IPv4/UDP frames.

// MAC is a 48-bit Ethernet address held by value, so that it compares
// with == and keys maps. It converts to and from the [6]byte fields of the
// Fields types and from the net.HardwareAddr views: MAC(e.Source()).
type MAC [6]byte

// String formats the address as aa:bb:cc:dd:ee:ff.
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return string(b)
}

// Validate checks that e holds an untagged Ethernet header.
func (e Ethernet) Validate() error {
	if len(e) < EthernetHeaderLen {
		return ErrTruncated
	}
	return nil
}

// ErrUDPLength reports a UDP Length field outside the header and the buffer.
var ErrUDPLength = errors.New("udp: bad length")

// Validate checks that u holds a UDP header whose Length field covers the
// header and does not run past the buffer; Payload is then bounded by it.
// It does not check the checksum.
func (u UDP) Validate() error {
	if len(u) < UDPHeaderLen {
		return ErrTruncated
	}
	if l := int(u.Length()); l < UDPHeaderLen || l > len(u) {
		return ErrUDPLength
	}
	return nil
}

// Payload returns the bytes after the fixed ICMPv4 header: the echo data,
// or the quoted datagram of an error message.
func (m ICMPv4) Payload() []byte { return m[ICMPv4HeaderLen:] }

// IPv4UDPHeaderLen is the length of an IPv4 header without options
// followed by a UDP header.
const IPv4UDPHeaderLen = IPv4MinHeaderLen + UDPHeaderLen

// UDPFrameHeaderLen is the length of the headers of an untagged
// Ethernet/IPv4/UDP frame.
const UDPFrameHeaderLen = EthernetHeaderLen + IPv4UDPHeaderLen

// Errors returned by the packet and frame builders.
var (
	ErrBufferTooSmall = errors.New("buffer too small")
	ErrTooLong        = errors.New("IPv4 packet longer than 65535 bytes")
)

// IPv4UDPFields describes an IPv4 packet (header without options)
// carrying one UDP datagram.
type IPv4UDPFields struct {
	// IPv4 is the IPv4 header; Marshal sets its Protocol and TotalLength.
	IPv4 IPv4Fields
	UDP  UDPFields
}

// Marshal writes the IPv4 header, the UDP header with its checksum and
// payload into buf and returns the number of bytes written. It does not
// allocate.
func (f *IPv4UDPFields) Marshal(buf, payload []byte) (int, error) {
	n := IPv4UDPHeaderLen + len(payload)
	if n > 0xffff {
		return 0, ErrTooLong
	}
	if len(buf) < n {
		return 0, ErrBufferTooSmall
	}
	ip := f.IPv4
	ip.Protocol, ip.TotalLength = ProtocolUDP, uint16(n)
	ip.Marshal(buf)
	f.UDP.Marshal(buf[IPv4MinHeaderLen:], payload, IPv4(buf).PseudoHeaderChecksum(n-IPv4MinHeaderLen))
	return n, nil
}

// UDPFrameFields describes an untagged Ethernet II frame carrying an IPv4
// packet (header without options) carrying one UDP datagram.
type UDPFrameFields struct {
	// Destination and Source are the Ethernet addresses; the EtherType
	// is IPv4.
	Destination, Source [6]byte
	// IPv4 is the IPv4 header; Marshal sets its Protocol and TotalLength.
	IPv4 IPv4Fields
	UDP  UDPFields
}

// Marshal writes the frame carrying payload into buf and returns the
// number of bytes written. It does not allocate.
func (f *UDPFrameFields) Marshal(buf, payload []byte) (int, error) {
	if len(buf) < EthernetHeaderLen {
		return 0, ErrBufferTooSmall
	}
	eth := EthernetFields{Destination: f.Destination, Source: f.Source, EtherType: EtherTypeIPv4}
	eth.Marshal(buf)
	ip := IPv4UDPFields{IPv4: f.IPv4, UDP: f.UDP}
	n, err := ip.Marshal(buf[EthernetHeaderLen:], payload)
	if err != nil {
		return 0, err
	}
	return EthernetHeaderLen + n, nil
}
