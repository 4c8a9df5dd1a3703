package radius

import (
	"fmt"
	"net"
	"net/netip"

	"layeh.com/radius"
)

// VendorDSLForum is the SMI enterprise number of the DSL Forum (Broadband
// Forum) attributes of RFC 4679 (FreeRADIUS dictionary.rfc4679).
const VendorDSLForum = 3561

// DSL Forum vendor types (RFC 4679 §4).
const (
	DSLForumAgentCircuitID byte = 1 // ADSL-Agent-Circuit-Id, octets
	DSLForumAgentRemoteID  byte = 2 // ADSL-Agent-Remote-Id, octets
)

// maxVSAValue is the longest value one vendor sub-attribute holds.
const maxVSAValue = 247

// DHCPClient is what a DHCP local server knows of a client it asks RADIUS
// about (the JunosE DHCP access model: the client's DHCP options, its MAC
// address and, when relayed, the relay's address go in the
// Access-Request).
type DHCPClient struct {
	MAC       net.HardwareAddr
	Options   []byte     // the client's DHCP options as received
	GatewayIP netip.Addr // giaddr; invalid or 0.0.0.0: not relayed
	// Option82 is the raw relay agent information option value;
	// CircuitID and RemoteID are its sub-options 1 and 2.
	Option82            []byte
	CircuitID, RemoteID []byte
}

// Attributes returns the Access-Request attributes describing c:
// ERX-Dhcp-Mac-Addr (E Series dotted form), ERX-Dhcp-Options (the first
// 247 bytes, what one attribute holds), ERX-Dhcp-Gi-Address when relayed,
// ERX-Dhcp-Option-82, and the agent circuit and remote ids both as the
// DSL Forum ADSL-Agent-Circuit-Id/-Remote-Id (RFC 4679) and as
// ERX-Acc-Loop-Cir-Id/ERX-Acc-Loop-Remote-Id. Empty fields are left out;
// over-long ids are truncated to what an attribute holds.
func (c DHCPClient) Attributes() (radius.Attributes, error) {
	p := radius.New(radius.CodeAccessRequest, nil)
	add := func(t ERXType, v []byte) error {
		if len(v) == 0 {
			return nil
		}
		return ERXAdd(p, t, v[:min(len(v), maxVSAValue)])
	}
	if len(c.MAC) == 6 {
		if err := add(ERXDHCPMacAddr, []byte(FormatMAC(c.MAC, MACDotted))); err != nil {
			return nil, err
		}
	}
	if err := add(ERXDHCPOptions, c.Options); err != nil {
		return nil, err
	}
	if c.GatewayIP.Is4() && !c.GatewayIP.IsUnspecified() {
		b := c.GatewayIP.As4()
		if err := add(ERXDHCPGiAddress, b[:]); err != nil {
			return nil, err
		}
	}
	for _, a := range []struct {
		t ERXType
		v []byte
	}{{ERXDHCPOption82, c.Option82}, {ERXAccLoopCirID, c.CircuitID}, {ERXAccLoopRemoteID, c.RemoteID}} {
		if err := add(a.t, a.v); err != nil {
			return nil, err
		}
	}
	for _, a := range []struct {
		t byte
		v []byte
	}{{DSLForumAgentCircuitID, c.CircuitID}, {DSLForumAgentRemoteID, c.RemoteID}} {
		if len(a.v) == 0 {
			continue
		}
		avp, err := EncodeVSA(VendorDSLForum, a.t, a.v[:min(len(a.v), maxVSAValue)])
		if err != nil {
			return nil, fmt.Errorf("radius: DSL Forum attribute %d: %w", a.t, err)
		}
		p.Add(typeVendorSpecific, avp)
	}
	return p.Attributes, nil
}
