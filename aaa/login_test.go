package aaa_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"github.com/erxos/erx/aaa"
	"github.com/erxos/erx/aaa/local"
	erx "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/cli/sshd"
)

// client adapts a radius.Client to aaa.RADIUSAuthenticator.
type client struct{ c *erx.Client }

func (c client) AuthenticateLogin(ctx context.Context, a erx.AccessRequest) (*erx.Response, error) {
	return c.c.Authenticate(ctx, a)
}

func vsa(t *testing.T, typ erx.ERXType, v string) radius.Attribute {
	t.Helper()
	a, err := erx.EncodeVSA(erx.VendorERX, byte(typ), []byte(v))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func serviceType(v rfc2865.ServiceType) radius.Attribute {
	return radius.Attribute{0, 0, 0, byte(v)}
}

// TestPasswordMethodRADIUS: the radius login method grants the level of
// the Access-Accept the JunosE way, a reject ends the list, and a server
// that does not answer (or no server at all) is "unavailable" so the
// line's next method decides.
func TestPasswordMethodRADIUS(t *testing.T) {
	f := radiustest.NewFakeServer(t, "k")
	f.SetUser("admin15", radiustest.User{Password: "pw", Attributes: radius.Attributes{
		{Type: 26, Attribute: vsa(t, erx.ERXCliInitialAccessLevel, "15")}}})
	f.SetUser("oper5", radiustest.User{Password: "pw", Attributes: radius.Attributes{
		{Type: 26, Attribute: vsa(t, erx.ERXCliInitialAccessLevel, "5")}}})
	f.SetUser("svcadmin", radiustest.User{Password: "pw", Attributes: radius.Attributes{
		{Type: rfc2865.ServiceType_Type, Attribute: serviceType(rfc2865.ServiceType_Value_AdministrativeUser)},
		{Type: 26, Attribute: vsa(t, erx.ERXCliInitialAccessLevel, "15")}}})
	f.SetUser("svclogin", radiustest.User{Password: "pw", Attributes: radius.Attributes{
		{Type: rfc2865.ServiceType_Type, Attribute: serviceType(rfc2865.ServiceType_Value_NASPromptUser)},
		{Type: 26, Attribute: vsa(t, erx.ERXCliInitialAccessLevel, "15")}}})
	f.SetUser("plain", radiustest.User{Password: "pw"})
	f.SetUser("badlevel", radiustest.User{Password: "pw", Attributes: radius.Attributes{
		{Type: 26, Attribute: vsa(t, erx.ERXCliInitialAccessLevel, "99")}}})
	f.SetUser("denied", radiustest.User{Reject: true})
	f.SetUser("silent", radiustest.User{Drop: true})

	c, err := erx.NewClient(erx.Config{NAS: erx.NASIdentity{IP: netip.MustParseAddr("127.0.0.1")},
		Servers: []erx.ServerConfig{{Addr: f.Addr, Secret: f.Secret, Timeout: 50 * time.Millisecond, Retransmit: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := &aaa.Logins{Local: local.NewUsers(), RADIUS: client{c}}
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}

	tests := []struct {
		user, pw    string
		level       int
		reject      bool
		unavailable bool
	}{
		{"admin15", "pw", 15, false, false},
		{"oper5", "pw", 5, false, false},
		{"svcadmin", "pw", 10, false, false}, // Service-Type overrides the VSA
		{"svclogin", "pw", 1, false, false},
		{"plain", "pw", 1, false, false},
		{"badlevel", "pw", 1, false, false},
		{"admin15", "wrong", 0, true, false},
		{"denied", "pw", 0, true, false},
		{"silent", "pw", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.pw, func(t *testing.T) {
			level, err := l.PasswordMethod("radius", tt.user, tt.pw, remote)
			if got := errors.Is(err, sshd.ErrMethodUnavailable); got != tt.unavailable {
				t.Fatalf("unavailable = %v (err %v), want %v", got, err, tt.unavailable)
			}
			if got := errors.Is(err, aaa.ErrRejected); got != tt.reject {
				t.Fatalf("rejected = %v (err %v), want %v", got, err, tt.reject)
			}
			if err == nil && level != tt.level {
				t.Errorf("level %d, want %d", level, tt.level)
			}
		})
	}
	// The Access-Request names the operator and where the login comes from.
	var seen bool
	for _, p := range f.Requests() {
		if rfc2865.UserName_GetString(p) == "plain" {
			seen = true
			if got := rfc2865.CallingStationID_GetString(p); got != "192.0.2.7" {
				t.Errorf("Calling-Station-Id %q, want 192.0.2.7", got)
			}
			if got := rfc2865.ServiceType_Get(p); got != rfc2865.ServiceType_Value_LoginUser {
				t.Errorf("Service-Type %v, want Login-User", got)
			}
		}
	}
	if !seen {
		t.Error("no Access-Request for plain")
	}

	// Without a RADIUS client, and for methods erx does not have, the
	// method is unavailable.
	for _, l := range []*aaa.Logins{{Local: local.NewUsers()}, l} {
		method := "radius"
		if l.RADIUS != nil {
			method = "tacacs+"
		}
		if _, err := l.PasswordMethod(method, "plain", "pw", remote); !errors.Is(err, sshd.ErrMethodUnavailable) {
			t.Errorf("%s with RADIUS=%v: %v, want unavailable", method, l.RADIUS != nil, err)
		}
	}
}

func TestLoginLevel(t *testing.T) {
	for _, tt := range []struct {
		name  string
		attrs func(p *radius.Packet)
		want  int
	}{
		{"none", func(*radius.Packet) {}, 1},
		{"vsa0", func(p *radius.Packet) { erx.ERXSetString(p, erx.ERXCliInitialAccessLevel, "0") }, 0},
		{"vsa10", func(p *radius.Packet) { erx.ERXSetString(p, erx.ERXCliInitialAccessLevel, "10") }, 10},
		{"vsaNUL", func(p *radius.Packet) { erx.ERXSetString(p, erx.ERXCliInitialAccessLevel, "15\x00") }, 15},
		{"vsaJunk", func(p *radius.Packet) { erx.ERXSetString(p, erx.ERXCliInitialAccessLevel, "admin") }, 1},
		{"admin", func(p *radius.Packet) {
			rfc2865.ServiceType_Set(p, rfc2865.ServiceType_Value_AdministrativeUser)
		}, 10},
		{"framedFallsToVSA", func(p *radius.Packet) {
			rfc2865.ServiceType_Set(p, rfc2865.ServiceType_Value_FramedUser)
			erx.ERXSetString(p, erx.ERXCliInitialAccessLevel, "5")
		}, 5},
	} {
		p := radius.New(radius.CodeAccessAccept, []byte("k"))
		tt.attrs(p)
		if got := aaa.LoginLevel(p); got != tt.want {
			t.Errorf("%s: level %d, want %d", tt.name, got, tt.want)
		}
	}
}

// FuzzLoginLevel: any Access-Accept attributes give a level in 0-15.
func FuzzLoginLevel(f *testing.F) {
	f.Add([]byte{26, 9, 0, 0, 0x13, 0x0a, 18, 3, '5'}, byte(0))
	f.Add([]byte{6, 6, 0, 0, 0, 6}, byte(1))
	f.Fuzz(func(t *testing.T, attrs []byte, _ byte) {
		b := append([]byte{2, 1, 0, 0}, make([]byte, 16)...)
		b = append(b, attrs...)
		if len(b) > radius.MaxPacketLength {
			return
		}
		b[2], b[3] = byte(len(b)>>8), byte(len(b))
		p, err := radius.Parse(b, []byte("k"))
		if err != nil {
			return
		}
		if l := aaa.LoginLevel(p); l < 0 || l > 15 {
			t.Fatalf("level %d", l)
		}
	})
}
