package linecard

import "fmt"

// PuntReason says why a frame went to the control plane.
type PuntReason uint8

// Punt reasons.
const (
	PuntPPPoEDiscovery PuntReason = iota // EtherType 0x8863
	PuntPPPoESession                     // EtherType 0x8864
	PuntBroadcast                        // IPv4 to a broadcast address (DHCP)
	PuntLocal                            // IPv4 to a router address, not ICMP echo (UDP, TCP, ...)
)

// String returns the reason's name.
func (r PuntReason) String() string {
	switch r {
	case PuntPPPoEDiscovery:
		return "pppoe-discovery"
	case PuntPPPoESession:
		return "pppoe-session"
	case PuntBroadcast:
		return "broadcast"
	case PuntLocal:
		return "local"
	}
	return fmt.Sprintf("punt(%d)", uint8(r))
}

// Punt is a frame the data plane hands to the control plane.
type Punt struct {
	Interface string // receiving interface (a VLAN subinterface when tagged)
	IfIndex   uint32
	VLAN      uint16 // 0 when untagged
	Reason    PuntReason
	Frame     []byte // the Ethernet frame with its VLAN tag removed; valid only during the call
}

// ControlPlane receives what the data plane does not handle itself:
// PPPoE discovery and session frames, DHCP and other broadcasts, and
// traffic to the router's addresses other than ICMP echo. The access
// service (PPPoE, DHCP) implements it.
//
// HandlePunt runs on a forwarding worker: it must copy what it keeps and
// return quickly without blocking. To answer, the control plane calls
// Engine.TransmitFrame or Engine.SendIPv4.
type ControlPlane interface {
	HandlePunt(p *Punt)
}
