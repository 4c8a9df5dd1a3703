package subscribers

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/services/access/subscriber"
)

// Method is one authentication method of a method list.
type Method int

// Authentication methods (`aaa authentication ppp default radius local none`).
const (
	MethodRADIUS Method = iota + 1
	MethodLocal
	MethodNone
)

// String returns the CLI keyword.
func (m Method) String() string {
	switch m {
	case MethodRADIUS:
		return "radius"
	case MethodLocal:
		return "local"
	case MethodNone:
		return "none"
	}
	return "unknown"
}

// ParseMethod parses a CLI keyword.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "radius":
		return MethodRADIUS, nil
	case "local":
		return MethodLocal, nil
	case "none":
		return MethodNone, nil
	}
	return 0, fmt.Errorf("subscribers: unknown authentication method %q", s)
}

// Errors of the AAA front end.
var (
	// ErrRejected: a method refused the credentials.
	ErrRejected = errors.New("subscribers: authentication rejected")
	// ErrUnavailable: no method in the list could decide (no RADIUS
	// server answered and nothing followed it in the list).
	ErrUnavailable = errors.New("subscribers: no authentication method available")
	// ErrCHAPNeedsClearPassword: CHAP with the local method needs the
	// user's password in clear, which a bcrypt secret does not give.
	ErrCHAPNeedsClearPassword = errors.New("subscribers: local CHAP needs a clear-text password")
)

// RADIUSAuthenticator sends Access-Requests (*radius.Client implements it).
type RADIUSAuthenticator interface {
	Authenticate(ctx context.Context, a erxradius.AccessRequest) (*erxradius.Response, error)
}

// LocalUsers checks local subscriber credentials; it is shaped like
// aaa/local.SubscriberDB.AuthPassword (the privilege is ignored). It must
// be the subscribers' own database (`aaa local username`), never the
// operators' CLI accounts, and compare in constant time.
type LocalUsers interface {
	AuthPassword(name, password string) (int, error)
}

// ClearPasswords is implemented by local user stores that can give a
// user's password in clear, which CHAP needs. aaa/local.SubscriberDB
// implements it (`aaa local username NAME password TEXT`). A store
// without it rejects every CHAP login with ErrCHAPNeedsClearPassword.
type ClearPasswords interface {
	ClearPassword(name string) (string, bool)
}

// Credentials are what a subscriber presented.
type Credentials struct {
	User string
	// PAP
	Password string
	PAP      bool
	// CHAP
	CHAPID        uint8
	CHAPChallenge []byte
	CHAPResponse  []byte
}

// Identity is what the router knows about where a subscriber comes from,
// sent in Access-Request.
type Identity struct {
	Port             *erxradius.Port
	CallingStationID string
	Framed           bool // PPP: Service-Type Framed, Framed-Protocol PPP
	// Extra are more attributes for the Access-Request (an IP
	// subscriber's DHCP VSAs).
	Extra radius.Attributes
}

// Grant is the result of a successful authentication.
type Grant struct {
	Attributes subscriber.Attributes
	Auth       erxradius.Authorization // RADIUS only
	Mirror     *erxradius.Mirror       // lawful-intercept VSAs, when present
	Server     string                  // the RADIUS server that accepted
	Method     Method
}

// AAA is the authentication front end: it runs a method list.
type AAA struct {
	RADIUS RADIUSAuthenticator
	Local  LocalUsers
	// Stats, when set, counts each Authenticate under Kind.
	Stats *AAACounters
	Kind  AuthKind
}

// AuthKind is who is being authenticated, for `show aaa statistics`.
type AuthKind int

// Kinds of authentication.
const (
	AuthPPP   AuthKind = iota // PPP subscribers (PAP/CHAP)
	AuthIP                    // IP subscribers (DHCP)
	AuthLogin                 // operator logins (SSH) through RADIUS
	numAuthKinds
)

// String is the CLI keyword of k.
func (k AuthKind) String() string {
	return [...]string{"ppp", "ip", "login"}[k]
}

// AuthStats are the outcomes of the authentications of one kind.
type AuthStats struct {
	Kind     AuthKind
	Requests uint64 // method lists run
	Accepts  uint64 // a method admitted the user
	Rejects  uint64 // a method refused the credentials
	// Unavailable: no method of the list could decide (no RADIUS server
	// answered within its retransmissions, nothing after it in the list).
	Unavailable uint64
	// RADIUSTimeouts counts RADIUS attempts no server answered (the list
	// went on to its next method or gave up).
	RADIUSTimeouts uint64
	// ByMethod counts the accepts of each method (radius, local, none).
	ByMethod map[Method]uint64
}

// AAACounters count authentications per kind. The zero value is ready.
type AAACounters struct {
	k [numAuthKinds]struct {
		requests, accepts, rejects, unavailable, radiusTimeouts atomic.Uint64
		byMethod                                                [MethodNone + 1]atomic.Uint64
	}
}

// Snapshot returns the counters of every kind, in AuthKind order.
func (c *AAACounters) Snapshot() []AuthStats {
	out := make([]AuthStats, 0, numAuthKinds)
	for i := range c.k {
		x := &c.k[i]
		st := AuthStats{Kind: AuthKind(i), Requests: x.requests.Load(), Accepts: x.accepts.Load(),
			Rejects: x.rejects.Load(), Unavailable: x.unavailable.Load(), RADIUSTimeouts: x.radiusTimeouts.Load(),
			ByMethod: map[Method]uint64{}}
		for m := MethodRADIUS; m <= MethodNone; m++ {
			st.ByMethod[m] = x.byMethod[m].Load()
		}
		out = append(out, st)
	}
	return out
}

// count records the outcome of one authentication of kind k.
func (c *AAACounters) count(k AuthKind, g Grant, err error) {
	if c == nil || k < 0 || k >= numAuthKinds {
		return
	}
	x := &c.k[k]
	x.requests.Add(1)
	switch {
	case err == nil:
		x.accepts.Add(1)
		if g.Method >= MethodRADIUS && g.Method <= MethodNone {
			x.byMethod[g.Method].Add(1)
		}
	case errors.Is(err, ErrRejected):
		x.rejects.Add(1)
	default:
		x.unavailable.Add(1)
	}
}

func (c *AAACounters) radiusTimeout(k AuthKind) {
	if c != nil && k >= 0 && k < numAuthKinds {
		c.k[k].radiusTimeouts.Add(1)
	}
}

// Authenticate tries the methods in order (empty: radius). RADIUS that
// gets no answer, or is not configured, falls through to the next method;
// an Access-Reject ends the list. A local failure ends the list too
// (aaa/local cannot tell an unknown user from a wrong password). None
// accepts.
func (a *AAA) Authenticate(ctx context.Context, methods []Method, id Identity, c Credentials) (Grant, error) {
	g, err := a.authenticate(ctx, methods, id, c)
	a.Stats.count(a.Kind, g, err)
	return g, err
}

func (a *AAA) authenticate(ctx context.Context, methods []Method, id Identity, c Credentials) (Grant, error) {
	if len(methods) == 0 {
		methods = []Method{MethodRADIUS}
	}
	var last error = ErrUnavailable
	for _, m := range methods {
		switch m {
		case MethodNone:
			return Grant{Method: MethodNone}, nil
		case MethodLocal:
			if a.Local == nil {
				last = fmt.Errorf("%w: no local users", ErrUnavailable)
				continue
			}
			return a.local(c)
		case MethodRADIUS:
			if a.RADIUS == nil {
				last = fmt.Errorf("%w: no RADIUS server configured", ErrUnavailable)
				continue
			}
			g, err := a.radius(ctx, id, c)
			if err == nil || errors.Is(err, ErrRejected) {
				return g, err
			}
			a.Stats.radiusTimeout(a.Kind)
			last = err
		}
	}
	return Grant{}, last
}

func (a *AAA) local(c Credentials) (Grant, error) {
	g := Grant{Method: MethodLocal}
	if c.PAP {
		if _, err := a.Local.AuthPassword(c.User, c.Password); err != nil {
			return g, fmt.Errorf("%w: local: %v", ErrRejected, err)
		}
		return g, nil
	}
	cp, ok := a.Local.(ClearPasswords)
	if !ok {
		return g, fmt.Errorf("%w: %w", ErrRejected, ErrCHAPNeedsClearPassword)
	}
	pw, ok := cp.ClearPassword(c.User)
	if !ok {
		return g, fmt.Errorf("%w: local: no such user", ErrRejected)
	}
	h := md5.New()
	h.Write([]byte{c.CHAPID})
	h.Write([]byte(pw))
	h.Write(c.CHAPChallenge)
	if subtle.ConstantTimeCompare(h.Sum(nil), c.CHAPResponse) != 1 {
		return g, fmt.Errorf("%w: local: bad CHAP response", ErrRejected)
	}
	return g, nil
}

func (a *AAA) radius(ctx context.Context, id Identity, c Credentials) (Grant, error) {
	req := erxradius.AccessRequest{UserName: c.User, Port: id.Port, CallingStationID: id.CallingStationID, Extra: id.Extra}
	if id.Framed {
		req.ServiceType = rfc2865.ServiceType_Value_FramedUser
		req.FramedProtocol = rfc2865.FramedProtocol_Value_PPP
	}
	if c.PAP {
		req.Password = c.Password
	} else {
		req.CHAPID, req.CHAPChallenge, req.CHAPResponse = c.CHAPID, c.CHAPChallenge, c.CHAPResponse
	}
	resp, err := a.RADIUS.Authenticate(ctx, req)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: radius: %w", ErrUnavailable, err)
	}
	g := Grant{Method: MethodRADIUS, Server: resp.Server.String()}
	if resp.Code != radius.CodeAccessAccept {
		return g, fmt.Errorf("%w: radius: %v", ErrRejected, resp.Code)
	}
	auth, err := resp.Authorization()
	if err != nil && !errors.Is(err, erxradius.ErrBadMirror) {
		return g, fmt.Errorf("%w: radius: bad Access-Accept: %w", ErrRejected, err)
	}
	// A bad mirroring VSA must not make the subscriber notice anything:
	// the login proceeds unmirrored.
	g.Auth = auth
	// A malformed one still goes to the mirroring engine (auth.Mirror.Err),
	// which logs the failed policy in its secure log.
	if (err == nil || errors.Is(err, erxradius.ErrBadMirror)) && auth.Mirror.Present() {
		m := auth.Mirror
		g.Mirror = &m
	}
	g.Attributes = subscriber.Attributes{Address: auth.FramedIP, Pool: auth.FramedPool,
		PrimaryDNS: auth.PrimaryDNS, SecondaryDNS: auth.SecondaryDNS, VirtualRouter: auth.VirtualRouter,
		SessionTimeout: auth.SessionTimeout}
	if g.Attributes.Pool == "" {
		g.Attributes.Pool = auth.AddressPool
	}
	return g, nil
}

// AAAStats returns the authentication counters of PPP and IP
// subscribers and of operator logins (`show aaa statistics`).
func (e *Engine) AAAStats() []AuthStats { return e.aaaStats.Snapshot() }

// AuthenticateLogin sends an Access-Request for an operator login to the
// authentication servers subscribers use (`radius authentication
// server`), and counts it under AuthLogin. Without servers it fails with
// an error wrapping erxradius.ErrNoServer, which means "unavailable" to
// the login method list.
func (e *Engine) AuthenticateLogin(ctx context.Context, req erxradius.AccessRequest) (*erxradius.Response, error) {
	e.mu.Lock()
	e.retryRADIUSLocked()
	c := e.aaa.RADIUS
	e.mu.Unlock()
	st := &e.aaaStats.k[AuthLogin]
	st.requests.Add(1)
	if c == nil {
		st.unavailable.Add(1)
		return nil, fmt.Errorf("%w: no RADIUS authentication server configured", erxradius.ErrNoServer)
	}
	resp, err := c.Authenticate(ctx, req)
	switch {
	case err != nil:
		st.radiusTimeouts.Add(1)
		st.unavailable.Add(1)
	case resp.Code == radius.CodeAccessAccept:
		st.accepts.Add(1)
		st.byMethod[MethodRADIUS].Add(1)
	default:
		st.rejects.Add(1)
	}
	return resp, err
}

// PortOf describes an access interface for NAS-Port and NAS-Port-Id from
// its CLI name ("gigabitEthernet 2/0/1.100") and VLAN ID. Names that are
// not TYPE slot/[adapter/]port[.sub] give a Port with only the type.
func PortOf(ifname string, vlan uint16) *erxradius.Port {
	p := &erxradius.Port{Adapter: -1, VLAN: int(vlan)}
	typ, rest, _ := strings.Cut(ifname, " ")
	if typ != "" {
		p.Type = strings.ToUpper(typ[:1]) + typ[1:]
	}
	num, sub, _ := strings.Cut(rest, ".")
	if sub != "" {
		sub, _, _ = strings.Cut(sub, ".")
		fmt.Sscanf(sub, "%d", &p.Sub)
	}
	parts := strings.Split(num, "/")
	var v []int
	for _, s := range parts {
		var n int
		if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
			return p
		}
		v = append(v, n)
	}
	switch len(v) {
	case 2:
		p.Slot, p.Port = v[0], v[1]
	case 3:
		p.Slot, p.Adapter, p.Port = v[0], v[1], v[2]
	}
	return p
}

// callingStationID formats a MAC address the E Series way.
func callingStationID(mac [6]byte) string {
	return erxradius.FormatMAC(net.HardwareAddr(mac[:]), erxradius.MACDotted)
}
