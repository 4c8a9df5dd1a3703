package subscribers

import (
	"net/netip"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/linecard"
)

// TestMirrorCoAVirtualRouter: a mirroring CoA-Request hands the mirroring
// hook its ERX-Virtual-Router-Name (VSA 4874-1), which scopes User-Name
// and Framed-IP-Address; without it the hook gets "" (the default
// virtual router, the dynamic-request server's).
func TestMirrorCoAVirtualRouter(t *testing.T) {
	lc, err := linecard.New(linecard.Config{})
	must(t, err)
	e, err := New(Config{DataPlane: lc, Pools: &pool.Registry{}, EchoInterval: -1})
	must(t, err)
	t.Cleanup(func() { must(t, e.Close()) })
	var got []CoARequest
	e.SetMirrorCoA(func(c CoARequest) (bool, erxradius.ErrorCause) { got = append(got, c); return true, 0 })
	m := erxradius.Mirror{HasAction: true, Action: erxradius.LIOn, HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9")}
	for _, tc := range []struct {
		name string
		vr   string // ERX-Virtual-Router-Name, "" absent
	}{
		{"with Virtual-Router-Name", "isp1"},
		{"without", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			p := radius.New(radius.CodeCoARequest, []byte("k"))
			must(t, rfc2865.UserName_SetString(p, "sub1@erx.test"))
			if tc.vr != "" {
				must(t, erxradius.ERXSetString(p, erxradius.ERXVirtualRouterName, tc.vr))
			}
			must(t, m.AddTo(p, []byte("k"), erxradius.ZeroAuthenticator))
			ack, _, _ := e.HandleCoA(ctx(t), &erxradius.DynamicRequest{Packet: p, Source: netip.MustParseAddrPort("127.0.0.1:5000")})
			if !ack || len(got) != 1 || got[0].Username != "sub1@erx.test" || got[0].VirtualRouter != tc.vr {
				t.Fatalf("ack %v, hook saw %+v; want virtual router %q", ack, got, tc.vr)
			}
		})
	}
}
