package radius

import (
	"fmt"
	"net/netip"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// Authorization is what an Access-Accept tells subscriber access about a
// subscriber. Zero values mean the attribute was absent.
type Authorization struct {
	FramedIP        netip.Addr    // Framed-IP-Address (8)
	FramedNetmask   netip.Addr    // Framed-IP-Netmask (9)
	FramedPool      string        // Framed-Pool (88)
	SessionTimeout  time.Duration // Session-Timeout (27)
	IdleTimeout     time.Duration // Idle-Timeout (28)
	InterimInterval time.Duration // Acct-Interim-Interval (85)
	Class           [][]byte      // Class (25), to echo in accounting

	VirtualRouter string     // ERX-Virtual-Router-Name
	AddressPool   string     // ERX-Address-Pool-Name
	PrimaryDNS    netip.Addr // ERX-Primary-Dns
	SecondaryDNS  netip.Addr // ERX-Secondary-Dns
	IngressPolicy string     // ERX-Ingress-Policy-Name
	EgressPolicy  string     // ERX-Egress-Policy-Name
	QoSProfile    string     // ERX-Qos-Profile-Name

	Mirror Mirror // decrypted lawful-intercept VSAs; check Mirror.Present
}

// Authorization decodes the attributes of an Access-Accept. A malformed
// attribute is an error; a bad mirroring VSA is an error wrapping
// ErrBadMirror, with the rest of the Authorization filled in.
func (r *Response) Authorization() (Authorization, error) {
	return DecodeAuthorization(r.Packet, r.Secret, r.RequestAuthenticator)
}

// DecodeAuthorization decodes the attributes of the Access-Accept p that
// answers a request with authenticator requestAuth.
func DecodeAuthorization(p *radius.Packet, secret []byte, requestAuth [16]byte) (Authorization, error) {
	var a Authorization
	addr := func(name string, t radius.Type) (netip.Addr, error) {
		v, ok := p.Lookup(t)
		if !ok {
			return netip.Addr{}, nil
		}
		if len(v) != 4 {
			return netip.Addr{}, fmt.Errorf("radius: %s of %d bytes", name, len(v))
		}
		return netip.AddrFrom4([4]byte(v)), nil
	}
	seconds := func(name string, t radius.Type) (time.Duration, error) {
		v, ok := p.Lookup(t)
		if !ok {
			return 0, nil
		}
		n, err := radius.Integer(v)
		if err != nil {
			return 0, fmt.Errorf("radius: %s: %w", name, err)
		}
		return time.Duration(n) * time.Second, nil
	}
	var err error
	if a.FramedIP, err = addr("Framed-IP-Address", rfc2865.FramedIPAddress_Type); err != nil {
		return a, err
	}
	if a.FramedNetmask, err = addr("Framed-IP-Netmask", rfc2865.FramedIPNetmask_Type); err != nil {
		return a, err
	}
	if v, ok := p.Lookup(rfc2869.FramedPool_Type); ok {
		a.FramedPool = string(v)
	}
	if a.SessionTimeout, err = seconds("Session-Timeout", rfc2865.SessionTimeout_Type); err != nil {
		return a, err
	}
	if a.IdleTimeout, err = seconds("Idle-Timeout", rfc2865.IdleTimeout_Type); err != nil {
		return a, err
	}
	if a.InterimInterval, err = seconds("Acct-Interim-Interval", rfc2869.AcctInterimInterval_Type); err != nil {
		return a, err
	}
	for _, avp := range p.Attributes {
		if avp.Type == rfc2865.Class_Type {
			a.Class = append(a.Class, append([]byte(nil), avp.Attribute...))
		}
	}
	if err := ValidateVSAs(p); err != nil {
		return a, err
	}
	a.VirtualRouter, _ = ERXString(p, ERXVirtualRouterName)
	a.AddressPool, _ = ERXString(p, ERXAddressPoolName)
	a.IngressPolicy, _ = ERXString(p, ERXIngressPolicyName)
	a.EgressPolicy, _ = ERXString(p, ERXEgressPolicyName)
	a.QoSProfile, _ = ERXString(p, ERXQoSProfileName)
	if a.PrimaryDNS, _, err = ERXAddr(p, ERXPrimaryDNS); err != nil {
		return a, err
	}
	if a.SecondaryDNS, _, err = ERXAddr(p, ERXSecondaryDNS); err != nil {
		return a, err
	}
	a.Mirror, err = DecodeMirror(p, secret, requestAuth)
	return a, err
}
