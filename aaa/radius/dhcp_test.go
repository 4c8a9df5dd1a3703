package radius

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"

	"layeh.com/radius"
)

// TestDHCPClientAttributes: what a DHCP client's Access-Request carries,
// field by field; absent fields send nothing, an over-long value is cut
// to the 247 bytes one vendor attribute holds.
func TestDHCPClientAttributes(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x5b, 0, 0, 0, 1}
	long := bytes.Repeat([]byte{'x'}, 300)
	dsl := func(p *radius.Packet, typ byte) []byte {
		for _, avp := range p.Attributes {
			if avp.Type != typeVendorSpecific {
				continue
			}
			vs, err := ParseVSAs(avp.Attribute)
			if err == nil && vs[0].Vendor == VendorDSLForum && vs[0].Type == typ {
				return vs[0].Value
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		c     DHCPClient
		check func(p *radius.Packet) string // "" = fine
	}{
		{"MAC only", DHCPClient{MAC: mac}, func(p *radius.Packet) string {
			if v, _ := ERXString(p, ERXDHCPMacAddr); v != "025b.0000.0001" {
				return "ERX-Dhcp-Mac-Addr " + v
			}
			if len(p.Attributes) != 1 {
				return "more than the MAC address"
			}
			return ""
		}},
		{"relayed with option 82", DHCPClient{MAC: mac, Options: []byte{53, 1, 1}, GatewayIP: netip.MustParseAddr("10.0.1.254"),
			Option82: []byte{1, 2, 'a', 'b', 2, 1, 'c'}, CircuitID: []byte("ab"), RemoteID: []byte("c")}, func(p *radius.Packet) string {
			var bad []string
			if gi, _, _ := ERXAddr(p, ERXDHCPGiAddress); gi != netip.MustParseAddr("10.0.1.254") {
				bad = append(bad, "giaddr")
			}
			if v, _ := ERXLookup(p, ERXDHCPOptions); !bytes.Equal(v, []byte{53, 1, 1}) {
				bad = append(bad, "options")
			}
			if v, _ := ERXLookup(p, ERXDHCPOption82); !bytes.Equal(v, []byte{1, 2, 'a', 'b', 2, 1, 'c'}) {
				bad = append(bad, "option 82")
			}
			if v, _ := ERXString(p, ERXAccLoopCirID); v != "ab" {
				bad = append(bad, "ERX circuit id")
			}
			if v, _ := ERXString(p, ERXAccLoopRemoteID); v != "c" {
				bad = append(bad, "ERX remote id")
			}
			if string(dsl(p, DSLForumAgentCircuitID)) != "ab" || string(dsl(p, DSLForumAgentRemoteID)) != "c" {
				bad = append(bad, "DSL Forum ids")
			}
			return strings.Join(bad, ", ")
		}},
		{"not relayed", DHCPClient{MAC: mac, GatewayIP: netip.IPv4Unspecified()}, func(p *radius.Packet) string {
			if _, ok := ERXLookup(p, ERXDHCPGiAddress); ok {
				return "giaddr 0.0.0.0 sent"
			}
			return ""
		}},
		{"long values cut", DHCPClient{Options: long, CircuitID: long}, func(p *radius.Packet) string {
			o, _ := ERXLookup(p, ERXDHCPOptions)
			c, _ := ERXLookup(p, ERXAccLoopCirID)
			if len(o) != 247 || len(c) != 247 || len(dsl(p, DSLForumAgentCircuitID)) != 247 {
				return "not cut to 247 bytes"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs, err := tc.c.Attributes()
			if err != nil {
				t.Fatal(err)
			}
			p := radius.New(radius.CodeAccessRequest, nil)
			p.Attributes = attrs
			if msg := tc.check(p); msg != "" {
				t.Error(msg)
			}
		})
	}
}
