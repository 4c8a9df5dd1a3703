package subscriber

import (
	"net/netip"
	"time"
)

// Attributes are what an Access-Accept (or a local method) grants a
// subscriber. Zero values mean "not given".
type Attributes struct {
	// Address is Framed-IP-Address.
	Address netip.Addr
	// Pool is Framed-Pool: the local pool to allocate from.
	Pool string
	// PrimaryDNS and SecondaryDNS are handed out by IPCP or DHCP.
	PrimaryDNS, SecondaryDNS netip.Addr
	// VirtualRouter is the Juniper Virtual-Router VSA.
	VirtualRouter string
	// SessionTimeout is Session-Timeout; zero means none.
	SessionTimeout time.Duration
}

// Cause is why a subscriber session ended.
type Cause int

// Termination causes. The numeric values are erx's own; use
// AcctTerminateCause for the RADIUS encoding.
const (
	CauseUnknown            Cause = iota
	CauseUserRequest              // peer sent PADT, LCP Terminate-Request or DHCP RELEASE
	CauseLostCarrier              // keepalives lost, port down
	CauseAdminReset               // operator clear or RADIUS Disconnect-Request
	CauseSessionTimeout           // Session-Timeout reached
	CauseIdleTimeout              // idle timeout reached
	CauseAuthFailed               // authentication rejected
	CauseNegotiationFailed        // LCP/IPCP could not converge
	CauseNASError                 // local failure, e.g. no address available
	CauseLeaseExpired             // DHCP lease not renewed
	CauseNASRequest               // router-initiated shutdown
	CauseServiceUnavailable       // authenticator unreachable
)

var causeNames = [...]string{
	CauseUnknown:            "unknown",
	CauseUserRequest:        "user-request",
	CauseLostCarrier:        "lost-carrier",
	CauseAdminReset:         "admin-reset",
	CauseSessionTimeout:     "session-timeout",
	CauseIdleTimeout:        "idle-timeout",
	CauseAuthFailed:         "authentication-failed",
	CauseNegotiationFailed:  "negotiation-failed",
	CauseNASError:           "nas-error",
	CauseLeaseExpired:       "lease-expired",
	CauseNASRequest:         "nas-request",
	CauseServiceUnavailable: "service-unavailable",
}

// String returns a short lowercase name.
func (c Cause) String() string {
	if c < 0 || int(c) >= len(causeNames) {
		return "unknown"
	}
	return causeNames[c]
}

// AcctTerminateCause returns the RFC 2866 Acct-Terminate-Cause value.
func (c Cause) AcctTerminateCause() uint32 {
	switch c {
	case CauseUserRequest:
		return 1 // User-Request
	case CauseLostCarrier:
		return 2 // Lost-Carrier
	case CauseIdleTimeout:
		return 4 // Idle-Timeout
	case CauseSessionTimeout, CauseLeaseExpired:
		return 5 // Session-Timeout
	case CauseAdminReset:
		return 6 // Admin-Reset
	case CauseNASError:
		return 9 // NAS-Error
	case CauseNASRequest:
		return 10 // NAS-Request
	case CauseServiceUnavailable, CauseNegotiationFailed:
		return 15 // Service-Unavailable
	case CauseAuthFailed:
		return 17 // User-Error
	default:
		return 9 // NAS-Error
	}
}
