package radius

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// NASIdentity is how the router names itself in every request: at least
// one of NAS-IP-Address and NAS-Identifier is sent (RFC 2865 §4.1).
type NASIdentity struct {
	IP         netip.Addr // NAS-IP-Address; the update-source address or router id
	Identifier string     // NAS-Identifier; usually the hostname
}

// apply sets the NAS identity attributes on p, replacing any present.
func (n NASIdentity) apply(p *radius.Packet) error {
	if n.IP.IsValid() {
		if !n.IP.Is4() {
			return fmt.Errorf("radius: NAS-IP-Address %v is not IPv4", n.IP)
		}
		b := n.IP.As4()
		if err := rfc2865.NASIPAddress_Set(p, net.IP(b[:])); err != nil {
			return fmt.Errorf("radius: NAS-IP-Address: %w", err)
		}
	}
	if n.Identifier != "" {
		if err := rfc2865.NASIdentifier_SetString(p, n.Identifier); err != nil {
			return fmt.Errorf("radius: NAS-Identifier: %w", err)
		}
	}
	return nil
}

// Port identifies the subscriber's access interface the E Series way.
type Port struct {
	Type    string // interface type as the CLI spells it, e.g. "GigabitEthernet"
	Slot    int
	Adapter int // E320 adapter; -1 for slot/port interfaces (ERX)
	Port    int
	Sub     int // subinterface number, 0 for none
	SVLAN   int // S-VLAN id, 0 for none
	VLAN    int // VLAN id, 0 for untagged
}

// NASPortID returns the NAS-Port-Id (87) text of p. erx follows the E Series
// interface specifier: "TYPE slot/adapter/port[.sub][:vlan]" or
// "…[:svlan-vlan]" for stacked VLANs, e.g. "GigabitEthernet 2/0/0.100:100".
// The form was chosen from the JunosE interface naming; no JunosE packet
// capture was available to confirm it.
func (p Port) NASPortID() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(' ')
	if p.Adapter >= 0 {
		fmt.Fprintf(&b, "%d/%d/%d", p.Slot, p.Adapter, p.Port)
	} else {
		fmt.Fprintf(&b, "%d/%d", p.Slot, p.Port)
	}
	if p.Sub != 0 {
		fmt.Fprintf(&b, ".%d", p.Sub)
	}
	switch {
	case p.SVLAN != 0:
		fmt.Fprintf(&b, ":%d-%d", p.SVLAN, p.VLAN)
	case p.VLAN != 0:
		fmt.Fprintf(&b, ":%d", p.VLAN)
	}
	return b.String()
}

// NASPort returns the NAS-Port (5) number of p, packed like the JunosE
// extended Ethernet format (`radius nas-port-format extended ethernet`)
// with erx's fixed field widths: slot 5 bits, port 3 bits, VLAN 12 bits,
// right-justified (slot<<15 | port<<12 | vlan); adapter and S-VLAN are not
// encoded. Configurable widths are not implemented.
func (p Port) NASPort() uint32 {
	return uint32(p.Slot&0x1f)<<15 | uint32(p.Port&0x7)<<12 | uint32(p.VLAN&0xfff)
}

// MACFormat selects how a subscriber MAC address is written in
// Calling-Station-Id.
type MACFormat int

// MAC address formats.
const (
	MACDotted MACFormat = iota // 0090.1a42.0b1c (E Series style, the default)
	MACColon                   // 00:90:1a:42:0b:1c
	MACHyphen                  // 00-90-1A-42-0B-1C (RFC 3580 §3.21)
	MACRaw                     // 00901a420b1c
)

// FormatMAC writes mac in format f. It returns "" for an address that is
// not 6 bytes long.
func FormatMAC(mac net.HardwareAddr, f MACFormat) string {
	if len(mac) != 6 {
		return ""
	}
	switch f {
	case MACColon:
		return mac.String()
	case MACHyphen:
		return strings.ToUpper(strings.ReplaceAll(mac.String(), ":", "-"))
	case MACRaw:
		return fmt.Sprintf("%x", []byte(mac))
	}
	return fmt.Sprintf("%02x%02x.%02x%02x.%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
}

// setNASPort sets NAS-Port, NAS-Port-Id and NAS-Port-Type (Ethernet, 15).
func setNASPort(p *radius.Packet, port *Port) error {
	if port == nil {
		return nil
	}
	if err := rfc2865.NASPort_Set(p, rfc2865.NASPort(port.NASPort())); err != nil {
		return err
	}
	if err := rfc2869.NASPortID_SetString(p, port.NASPortID()); err != nil {
		return err
	}
	return rfc2865.NASPortType_Set(p, rfc2865.NASPortType_Value_Ethernet)
}
