package subcli

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2866"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/cli/command"
)

// testMirrorAccess is the session value the rig's Deps.MirrorVisible
// looks for; the test-only `mirror-enable` below sets it.
type testMirrorAccess struct{}

// TestDynamicStatisticsHideMirroringCoAs: a CoA-Request carrying
// lawful-intercept VSAs is left out of the ordinary counters of `show
// radius dynamic-request statistics` and `show radius statistics`; a
// session with mirror access sees it in a separate section.
func TestDynamicStatisticsHideMirroringCoAs(t *testing.T) {
	r := newRig(t)
	must(t, r.in.Tree().Register(&command.Command{Syntax: "mirror-enable", Modes: execModes, Privilege: 15,
		Run: func(ctx *command.Context, _ *command.Request) error {
			ctx.SetValue(testMirrorAccess{}, true)
			return nil
		}}))
	s := r.session()
	port := radiustest.FreeUDPPort(t)
	if out := transcript(s, "configure terminal", "radius dynamic-request server 127.0.0.1", "key k",
		"udp-port "+strconv.Itoa(int(port)), "exit", "end"); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String()
	coa := func(li bool) {
		t.Helper()
		p := radius.New(radius.CodeCoARequest, []byte("k"))
		must(t, rfc2866.AcctSessionID_SetString(p, "0000000001"))
		if li {
			m := erxradius.Mirror{HasAction: true, Action: erxradius.LIOn, HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9")}
			must(t, m.AddTo(p, []byte("k"), erxradius.ZeroAuthenticator))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := &radius.Client{Dialer: net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.1")}}}
		resp, err := c.Exchange(ctx, p, server)
		must(t, err)
		if resp.Code != radius.CodeCoANAK {
			t.Fatalf("CoA answered %v, want CoA-NAK", resp.Code)
		}
	}
	coa(true)
	coa(true)
	coa(false)

	ordinary := transcript(s, "show radius dynamic-request statistics", "show radius statistics")
	for name, want := range map[string]int{"CoA requests": 1, "CoA NAKs": 1, "Duplicate requests": 0} {
		if got := dynamicStat(ordinary, name); got != want {
			t.Errorf("%s = %d, want %d (mirroring CoAs left out) in:\n%s", name, got, want, ordinary)
		}
	}
	if !strings.Contains(ordinary, "Dynamic requests: CoA 1 (ACK 0, NAK 1)") || strings.Contains(strings.ToLower(ordinary), "mirror") {
		t.Errorf("ordinary output shows mirroring CoAs:\n%s", ordinary)
	}

	secret := transcript(s, "mirror-enable", "show radius dynamic-request statistics", "show radius statistics")
	for name, want := range map[string]int{"CoA requests": 1, "Mirroring CoA requests": 2, "Mirroring CoA NAKs": 2, "Mirroring CoA ACKs": 0} {
		if got := dynamicStat(secret, name); got != want {
			t.Errorf("with mirror-enable, %s = %d, want %d in:\n%s", name, got, want, secret)
		}
	}
	if !strings.Contains(secret, "Mirroring dynamic requests: CoA 2 (ACK 0, NAK 2)") {
		t.Errorf("show radius statistics with mirror-enable lacks the mirroring CoAs:\n%s", secret)
	}
}
