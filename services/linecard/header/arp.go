package header

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// ARP operation codes (RFC 826).
const (
	ARPRequest = 1
	ARPReply   = 2
)

// ARPEthernetIPv4Len is the length of an ARP packet for Ethernet/IPv4.
const ARPEthernetIPv4Len = 28

// ErrARPUnsupported reports an ARP packet that is not Ethernet/IPv4.
var ErrARPUnsupported = errors.New("arp: not Ethernet/IPv4")

// ErrTruncated reports a packet shorter than its header says.
var ErrTruncated = errors.New("truncated")

// ARP is a view of an ARP packet (RFC 826) for Ethernet hardware and IPv4
// protocol addresses.
type ARP []byte

// HardwareType returns ar$hrd.
func (a ARP) HardwareType() uint16 { return binary.BigEndian.Uint16(a[0:2]) }

// ProtocolType returns ar$pro.
func (a ARP) ProtocolType() uint16 { return binary.BigEndian.Uint16(a[2:4]) }

// HardwareLen returns ar$hln.
func (a ARP) HardwareLen() uint8 { return a[4] }

// ProtocolLen returns ar$pln.
func (a ARP) ProtocolLen() uint8 { return a[5] }

// Operation returns ar$op.
func (a ARP) Operation() uint16 { return binary.BigEndian.Uint16(a[6:8]) }

// SenderHardwareAddress returns ar$sha (a view).
func (a ARP) SenderHardwareAddress() net.HardwareAddr { return net.HardwareAddr(a[8:14]) }

// SenderProtocolAddress returns ar$spa.
func (a ARP) SenderProtocolAddress() netip.Addr { return netip.AddrFrom4([4]byte(a[14:18])) }

// TargetHardwareAddress returns ar$tha (a view).
func (a ARP) TargetHardwareAddress() net.HardwareAddr { return net.HardwareAddr(a[18:24]) }

// TargetProtocolAddress returns ar$tpa.
func (a ARP) TargetProtocolAddress() netip.Addr { return netip.AddrFrom4([4]byte(a[24:28])) }

// Validate checks that a is a complete Ethernet/IPv4 ARP packet.
func (a ARP) Validate() error {
	if len(a) < ARPEthernetIPv4Len {
		return ErrTruncated
	}
	if a.HardwareType() != 1 || a.ProtocolType() != EtherTypeIPv4 || a.HardwareLen() != 6 || a.ProtocolLen() != 4 {
		return ErrARPUnsupported
	}
	return nil
}

// ARPFields describes an Ethernet/IPv4 ARP packet to be marshalled.
type ARPFields struct {
	Operation      uint16
	SenderHardware [6]byte
	SenderProtocol netip.Addr
	TargetHardware [6]byte
	TargetProtocol netip.Addr
}

// Marshal writes the ARP packet into buf (at least ARPEthernetIPv4Len
// bytes) and returns the number of bytes written.
func (f *ARPFields) Marshal(buf []byte) int {
	binary.BigEndian.PutUint16(buf[0:2], 1)
	binary.BigEndian.PutUint16(buf[2:4], EtherTypeIPv4)
	buf[4], buf[5] = 6, 4
	binary.BigEndian.PutUint16(buf[6:8], f.Operation)
	copy(buf[8:14], f.SenderHardware[:])
	s := f.SenderProtocol.As4()
	copy(buf[14:18], s[:])
	copy(buf[18:24], f.TargetHardware[:])
	t := f.TargetProtocol.As4()
	copy(buf[24:28], t[:])
	return ARPEthernetIPv4Len
}
