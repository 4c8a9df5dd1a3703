package header

import (
	"encoding/binary"
	"net"
)

// EtherType values used by the data plane.
const (
	EtherTypeIPv4           = 0x0800
	EtherTypeARP            = 0x0806
	EtherTypeVLAN           = 0x8100
	EtherTypeQinQ           = 0x88a8
	EtherTypeIPv6           = 0x86dd
	EtherTypePPPoEDiscovery = 0x8863
	EtherTypePPPoESession   = 0x8864
)

// EthernetHeaderLen is the length of an untagged Ethernet II header.
const EthernetHeaderLen = 14

// EthernetMinFrame is the minimum Ethernet frame length without FCS.
const EthernetMinFrame = 60

// Broadcast is the Ethernet broadcast address.
var Broadcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// Ethernet is a view of an Ethernet II header followed by its payload.
type Ethernet []byte

// Destination returns the destination MAC address (a view, not a copy).
func (e Ethernet) Destination() net.HardwareAddr { return net.HardwareAddr(e[0:6]) }

// Source returns the source MAC address (a view, not a copy).
func (e Ethernet) Source() net.HardwareAddr { return net.HardwareAddr(e[6:12]) }

// EtherType returns the EtherType field (the TPID when the frame is tagged).
func (e Ethernet) EtherType() uint16 { return binary.BigEndian.Uint16(e[12:14]) }

// SetDestination sets the destination MAC address.
func (e Ethernet) SetDestination(mac [6]byte) { copy(e[0:6], mac[:]) }

// SetSource sets the source MAC address.
func (e Ethernet) SetSource(mac [6]byte) { copy(e[6:12], mac[:]) }

// SetEtherType sets the EtherType field.
func (e Ethernet) SetEtherType(t uint16) { binary.BigEndian.PutUint16(e[12:14], t) }

// Payload returns the bytes after the untagged Ethernet header.
func (e Ethernet) Payload() []byte { return e[EthernetHeaderLen:] }

// EthernetFields describes an Ethernet II header to be marshalled.
type EthernetFields struct {
	Destination, Source [6]byte
	EtherType           uint16
}

// Marshal writes the header into buf, which must hold EthernetHeaderLen
// bytes, and returns the number of bytes written.
func (f *EthernetFields) Marshal(buf []byte) int {
	copy(buf[0:6], f.Destination[:])
	copy(buf[6:12], f.Source[:])
	binary.BigEndian.PutUint16(buf[12:14], f.EtherType)
	return EthernetHeaderLen
}

// VLANTagLen is the length of an IEEE 802.1Q tag (TPID + TCI).
const VLANTagLen = 4

// VLAN is a view of the 4 bytes that follow the TPID of an 802.1Q tagged
// frame: the Tag Control Information and the encapsulated EtherType.
type VLAN []byte

// TCI returns the Tag Control Information field.
func (v VLAN) TCI() uint16 { return binary.BigEndian.Uint16(v[0:2]) }

// Priority returns the Priority Code Point (3 bits).
func (v VLAN) Priority() uint8 { return v[0] >> 5 }

// DropEligible reports the Drop Eligible Indicator bit.
func (v VLAN) DropEligible() bool { return v[0]&0x10 != 0 }

// ID returns the 12-bit VLAN identifier.
func (v VLAN) ID() uint16 { return v.TCI() & 0x0fff }

// EncapsulatedType returns the EtherType of the tagged payload.
func (v VLAN) EncapsulatedType() uint16 { return binary.BigEndian.Uint16(v[2:4]) }

// SetTCI sets the Tag Control Information field.
func (v VLAN) SetTCI(tci uint16) { binary.BigEndian.PutUint16(v[0:2], tci) }

// SetEncapsulatedType sets the EtherType of the tagged payload.
func (v VLAN) SetEncapsulatedType(t uint16) { binary.BigEndian.PutUint16(v[2:4], t) }
