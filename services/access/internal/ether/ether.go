package ether

import (
	"encoding/binary"
	"errors"
)

// HeaderLen is the length of an untagged Ethernet II header.
const HeaderLen = 14

// EtherTypes used by the access protocols.
const (
	TypeIPv4          = 0x0800
	TypePPPoEDiscover = 0x8863
	TypePPPoESession  = 0x8864
)

// MAC is a 48-bit hardware address.
type MAC [6]byte

// Broadcast is ff:ff:ff:ff:ff:ff.
var Broadcast = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

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

// ErrShort reports a frame shorter than an Ethernet header.
var ErrShort = errors.New("ethernet frame too short")

// Frame is a view of an Ethernet II frame.
type Frame []byte

// Parse checks that b holds an Ethernet header.
func Parse(b []byte) (Frame, error) {
	if len(b) < HeaderLen {
		return nil, ErrShort
	}
	return Frame(b), nil
}

// Destination returns the destination address.
func (f Frame) Destination() MAC { return MAC(f[0:6]) }

// Source returns the source address.
func (f Frame) Source() MAC { return MAC(f[6:12]) }

// EtherType returns the EtherType.
func (f Frame) EtherType() uint16 { return binary.BigEndian.Uint16(f[12:14]) }

// Payload returns the bytes after the header.
func (f Frame) Payload() []byte { return f[HeaderLen:] }

// PutHeader writes an Ethernet header into buf[:14] and returns 14.
func PutHeader(buf []byte, dst, src MAC, etherType uint16) int {
	copy(buf[0:6], dst[:])
	copy(buf[6:12], src[:])
	binary.BigEndian.PutUint16(buf[12:14], etherType)
	return HeaderLen
}
