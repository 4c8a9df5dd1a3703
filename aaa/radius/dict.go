package radius

import "fmt"

// VendorERX is the SMI enterprise number of Juniper's E Series (formerly
// Unisphere/Redback ERX) RADIUS vendor-specific attributes.
const VendorERX = 4874

// ERXType is the vendor type of an ERX vendor-specific attribute.
type ERXType byte

// ERX vendor-specific attributes used by erx (numbers and types as in
// FreeRADIUS's dictionary.erx).
const (
	ERXVirtualRouterName      ERXType = 1   // string: virtual router of the subscriber
	ERXAddressPoolName        ERXType = 2   // string: local address pool
	ERXLocalLoopbackInterface ERXType = 3   // string: unnumbered loopback interface
	ERXPrimaryDNS             ERXType = 4   // ipaddr
	ERXSecondaryDNS           ERXType = 5   // ipaddr
	ERXPrimaryWINS            ERXType = 6   // ipaddr
	ERXSecondaryWINS          ERXType = 7   // ipaddr
	ERXIngressPolicyName      ERXType = 10  // string
	ERXEgressPolicyName       ERXType = 11  // string
	ERXIngressStatistics      ERXType = 12  // integer
	ERXEgressStatistics       ERXType = 13  // integer
	ERXQoSProfileName         ERXType = 26  // string
	ERXInputGigapkts          ERXType = 42  // integer
	ERXOutputGigapkts         ERXType = 43  // integer
	ERXServiceBundle          ERXType = 31  // string
	ERXDHCPOptions            ERXType = 55  // octets
	ERXDHCPMacAddr            ERXType = 56  // string
	ERXDHCPGiAddress          ERXType = 57  // ipaddr
	ERXLIAction               ERXType = 58  // integer, salt-encrypted
	ERXMedDevHandle           ERXType = 59  // octets, salt-encrypted
	ERXMedIPAddress           ERXType = 60  // ipaddr, salt-encrypted
	ERXMedPortNumber          ERXType = 61  // integer, salt-encrypted
	ERXInterfaceDesc          ERXType = 63  // string
	ERXServiceActivate        ERXType = 65  // string, tagged
	ERXServiceDeactivate      ERXType = 66  // string
	ERXAccLoopCirID           ERXType = 110 // string: agent circuit id
	ERXAccAggrCirIDAsc        ERXType = 112 // string
	ERXDHCPOption82           ERXType = 159 // octets: the relay agent information option (all sub-options)
	ERXAccLoopRemoteID        ERXType = 182 // string: agent remote id
	ERXPPPoEDescription       ERXType = 24  // string
	// Operator (CLI) logins authenticated through RADIUS.
	ERXCliInitialAccessLevel   ERXType = 18 // string: initial CLI privilege level ("0", "1", "5", "10", "15")
	ERXCliAllowAllVRAccess     ERXType = 19 // integer: 1 = the user may enter every virtual router
	ERXAlternateCliAccessLevel ERXType = 20 // string
	ERXAlternateCliVrouterName ERXType = 21 // string
)

// ValueType is the data type of an attribute value.
type ValueType int

// Attribute value types.
const (
	TypeString ValueType = iota
	TypeOctets
	TypeInteger
	TypeIPAddr
)

// ERXAttr describes one attribute of the ERX dictionary.
type ERXAttr struct {
	Type      ERXType
	Name      string
	Value     ValueType
	Encrypted bool // salt-encrypted (FreeRADIUS encrypt=2)
	Tagged    bool // first value byte is an RFC 2868 tag
}

var erxDictionary = []ERXAttr{
	{ERXVirtualRouterName, "ERX-Virtual-Router-Name", TypeString, false, false},
	{ERXAddressPoolName, "ERX-Address-Pool-Name", TypeString, false, false},
	{ERXLocalLoopbackInterface, "ERX-Local-Loopback-Interface", TypeString, false, false},
	{ERXPrimaryDNS, "ERX-Primary-Dns", TypeIPAddr, false, false},
	{ERXSecondaryDNS, "ERX-Secondary-Dns", TypeIPAddr, false, false},
	{ERXPrimaryWINS, "ERX-Primary-Wins", TypeIPAddr, false, false},
	{ERXSecondaryWINS, "ERX-Secondary-Wins", TypeIPAddr, false, false},
	{ERXIngressPolicyName, "ERX-Ingress-Policy-Name", TypeString, false, false},
	{ERXEgressPolicyName, "ERX-Egress-Policy-Name", TypeString, false, false},
	{ERXIngressStatistics, "ERX-Ingress-Statistics", TypeInteger, false, false},
	{ERXEgressStatistics, "ERX-Egress-Statistics", TypeInteger, false, false},
	{ERXPPPoEDescription, "ERX-Pppoe-Description", TypeString, false, false},
	{ERXQoSProfileName, "ERX-Qos-Profile-Name", TypeString, false, false},
	{ERXServiceBundle, "ERX-Service-Bundle", TypeString, false, false},
	{ERXInputGigapkts, "ERX-Input-Gigapkts", TypeInteger, false, false},
	{ERXOutputGigapkts, "ERX-Output-Gigapkts", TypeInteger, false, false},
	{ERXDHCPOptions, "ERX-Dhcp-Options", TypeOctets, false, false},
	{ERXDHCPMacAddr, "ERX-Dhcp-Mac-Addr", TypeString, false, false},
	{ERXDHCPGiAddress, "ERX-Dhcp-Gi-Address", TypeIPAddr, false, false},
	{ERXLIAction, "ERX-LI-Action", TypeInteger, true, false},
	{ERXMedDevHandle, "ERX-Med-Dev-Handle", TypeOctets, true, false},
	{ERXMedIPAddress, "ERX-Med-Ip-Address", TypeIPAddr, true, false},
	{ERXMedPortNumber, "ERX-Med-Port-Number", TypeInteger, true, false},
	{ERXInterfaceDesc, "ERX-Interface-Desc", TypeString, false, false},
	{ERXServiceActivate, "ERX-Service-Activate", TypeString, false, true},
	{ERXServiceDeactivate, "ERX-Service-Deactivate", TypeString, false, false},
	{ERXAccLoopCirID, "ERX-Acc-Loop-Cir-Id", TypeString, false, false},
	{ERXAccAggrCirIDAsc, "ERX-Acc-Aggr-Cir-Id-Asc", TypeString, false, false},
	{ERXDHCPOption82, "ERX-Dhcp-Option-82", TypeOctets, false, false},
	{ERXAccLoopRemoteID, "ERX-Acc-Loop-Remote-Id", TypeString, false, false},
	{ERXCliInitialAccessLevel, "ERX-Cli-Initial-Access-Level", TypeString, false, false},
	{ERXCliAllowAllVRAccess, "ERX-Cli-Allow-All-VR-Access", TypeInteger, false, false},
	{ERXAlternateCliAccessLevel, "ERX-Alternate-Cli-Access-Level", TypeString, false, false},
	{ERXAlternateCliVrouterName, "ERX-Alternate-Cli-Vrouter-Name", TypeString, false, false},
}

var erxByType = func() map[ERXType]ERXAttr {
	m := make(map[ERXType]ERXAttr, len(erxDictionary))
	for _, a := range erxDictionary {
		m[a.Type] = a
	}
	return m
}()

// LookupERX returns the dictionary entry of an ERX attribute.
func LookupERX(t ERXType) (ERXAttr, bool) {
	a, ok := erxByType[t]
	return a, ok
}

// String returns the FreeRADIUS name of t, or ERX-Attr-N for one erx does
// not know.
func (t ERXType) String() string {
	if a, ok := erxByType[t]; ok {
		return a.Name
	}
	return fmt.Sprintf("ERX-Attr-%d", byte(t))
}
