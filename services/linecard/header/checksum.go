package header

import "encoding/binary"

// Checksum returns the 16-bit one's complement sum of b added to initial,
// not complemented (RFC 1071). An odd trailing byte is padded with zero.
func Checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for len(b) >= 8 {
		sum += uint32(binary.BigEndian.Uint16(b[0:])) + uint32(binary.BigEndian.Uint16(b[2:])) +
			uint32(binary.BigEndian.Uint16(b[4:])) + uint32(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
		sum = (sum & 0xffff) + (sum >> 16)
	}
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = (sum & 0xffff) + (sum >> 16)
	}
	return uint16(sum)
}

// ChecksumUpdate returns the header checksum hc after a 16-bit field
// changed from old to new, per RFC 1624 equation 3: HC' = ~(~HC + ~m + m').
func ChecksumUpdate(hc, old, new uint16) uint16 {
	sum := uint32(^hc) + uint32(^old) + uint32(new)
	for sum > 0xffff {
		sum = (sum & 0xffff) + (sum >> 16)
	}
	return ^uint16(sum)
}
