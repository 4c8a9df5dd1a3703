package lccli

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maskString is the dotted mask of a prefix length: 24 → 255.255.255.0.
func maskString(bits int) string {
	var v uint32
	if bits > 0 {
		v = ^uint32(0) << (32 - bits)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// broadcast is the directed broadcast address of p's subnet.
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if p.Bits() < 32 {
		v |= ^uint32(0) >> p.Bits()
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// errBadMAC is the answer to a MAC address that is not xxxx.xxxx.xxxx.
var errBadMAC = errors.New("Invalid MAC address (use xxxx.xxxx.xxxx)")

// parseMAC accepts xxxx.xxxx.xxxx (the E Series form) and
// xx:xx:xx:xx:xx:xx; broadcast, multicast and all-zero addresses are
// refused.
func parseMAC(s string) ([6]byte, error) {
	var m [6]byte
	var hexs string
	switch {
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		hexs = s[0:4] + s[5:9] + s[10:14]
	case len(s) == 17 && strings.Count(s, ":") == 5:
		hexs = strings.ReplaceAll(s, ":", "")
		if len(hexs) != 12 {
			return m, errBadMAC
		}
	default:
		return m, errBadMAC
	}
	for i := 0; i < 6; i++ {
		v, err := strconv.ParseUint(hexs[2*i:2*i+2], 16, 8)
		if err != nil {
			return m, errBadMAC
		}
		m[i] = byte(v)
	}
	if m[0]&1 != 0 || m == [6]byte{} {
		return m, fmt.Errorf("MAC address %s is not a unicast address", formatMAC(m))
	}
	return m, nil
}

// formatMAC writes a MAC address the E Series way: 0090.1a00.0001.
func formatMAC(m [6]byte) string {
	return fmt.Sprintf("%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}
