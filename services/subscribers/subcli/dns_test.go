package subcli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/pppoetest"
)

// TestAAADNSInIPCP: `aaa dns primary|secondary` are the name servers a
// PPP subscriber gets in IPCP when RADIUS gives none; an ERX-Primary-Dns
// from RADIUS wins over the configured primary (the configured secondary
// still fills the one RADIUS left out); `no aaa dns` removes them.
func TestAAADNSInIPCP(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "k")
	rad.SetUser("plain", radiustest.User{Password: "pw"})
	p := radius.New(radius.CodeAccessAccept, nil)
	must(t, erxradius.ERXSetAddr(p, erxradius.ERXPrimaryDNS, netip.MustParseAddr("198.51.100.1")))
	rad.SetUser("withdns", radiustest.User{Password: "pw", Attributes: p.Attributes})
	r := newRig(t)
	s := r.session()
	port := fmt.Sprint(rad.Addr.Port())
	if out := transcript(s, "configure terminal",
		"radius authentication server 127.0.0.1", "key k", "udp-port "+port, "exit",
		"aaa dns primary 192.0.2.53", "aaa dns secondary 192.0.2.54",
		"ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0", "encapsulation pppoe", "end"); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, tc := range []struct {
		cmd, user       string
		primary, second string // "" = none handed out
	}{
		{"", "plain", "192.0.2.53", "192.0.2.54"},
		{"", "withdns", "198.51.100.1", "192.0.2.54"},
		{"no aaa dns secondary", "plain", "192.0.2.53", ""},
		{"no aaa dns primary", "plain", "", ""},
	} {
		if tc.cmd != "" {
			if out := transcript(s, "configure terminal", tc.cmd, "end"); strings.Contains(out, "%") {
				t.Fatalf("%s:\n%s", tc.cmd, out)
			}
		}
		ses, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 1, byte(i)}, User: tc.user,
			Password: "pw", RetryInterval: 200 * time.Millisecond})
		must(t, err)
		pri, sec := ses.DNS()
		if str(pri) != tc.primary || str(sec) != tc.second {
			t.Errorf("%d %s: IPCP DNS %v %v, want %q %q", i, tc.user, pri, sec, tc.primary, tc.second)
		}
		must(t, ses.Close())
	}
}

// str is an address as text, "" for none (invalid or 0.0.0.0).
func str(a netip.Addr) string {
	if !a.IsValid() || a.IsUnspecified() {
		return ""
	}
	return a.String()
}
