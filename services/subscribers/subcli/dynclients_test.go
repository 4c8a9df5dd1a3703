package subcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2866"

	"github.com/erxos/erx/aaa/radiustest"
)

// dynamicStat reads one counter of `show radius dynamic-request
// statistics` (-1: no such line).
func dynamicStat(out, name string) int {
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == name {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// TestDynamicRequestClientsFromCLI: every `radius dynamic-request server`
// entry is an allowed client with its own key. A CoA-Request is answered
// only when it comes from a configured address and is signed with that
// address's key; other addresses are dropped as unknown clients and a
// configured address using another client's key as a bad authenticator.
// Removing an entry makes its address unknown; all of it is counted in
// `show radius dynamic-request statistics`.
func TestDynamicRequestClientsFromCLI(t *testing.T) {
	r := newRig(t)
	s := r.session()
	port := radiustest.FreeUDPPort(t)
	if out := transcript(s, "configure terminal",
		"radius dynamic-request server 127.0.0.1", "key one", "udp-port "+fmt.Sprint(port), "exit",
		"radius dynamic-request server 127.0.0.2", "key two", "exit", "end"); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// coa sends one CoA-Request from src signed with key; it returns the
	// reply code, or 0 when nothing came back in time.
	coa := func(src, key string) radius.Code {
		t.Helper()
		p := radius.New(radius.CodeCoARequest, []byte(key))
		must(t, rfc2866.AcctSessionID_SetString(p, "0000000001"))
		c := &radius.Client{Dialer: net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}}
		rctx, rcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer rcancel()
		resp, err := c.Exchange(rctx, p, server.String())
		if errors.Is(err, context.DeadlineExceeded) {
			return 0
		}
		must(t, err)
		return resp.Code
	}
	for i, tc := range []struct {
		src, key string
		want     radius.Code
	}{
		{"127.0.0.1", "one", radius.CodeCoANAK}, // no such session, but answered
		{"127.0.0.2", "two", radius.CodeCoANAK},
		{"127.0.0.3", "one", 0}, // unknown client
		{"127.0.0.2", "one", 0}, // another client's key
	} {
		if got := coa(tc.src, tc.key); got != tc.want {
			t.Fatalf("%d: CoA from %s with key %q: %v, want %v", i, tc.src, tc.key, got, tc.want)
		}
	}
	out := transcript(s, "show radius dynamic-request statistics")
	for name, want := range map[string]int{"CoA requests": 2, "CoA NAKs": 2, "Dropped, unknown client": 1, "Dropped, bad authenticator": 1} {
		if got := dynamicStat(out, name); got != want {
			t.Errorf("%s = %d, want %d in:\n%s", name, got, want, out)
		}
	}
	// The removed client is unknown from now on; the other is still served.
	transcript(s, "configure terminal", "no radius dynamic-request server 127.0.0.2", "end")
	if got := coa("127.0.0.2", "two"); got != 0 {
		t.Fatalf("removed client answered: %v", got)
	}
	if got := coa("127.0.0.1", "one"); got != radius.CodeCoANAK {
		t.Fatalf("remaining client: %v", got)
	}
	out = transcript(s, "show radius dynamic-request statistics")
	if got := dynamicStat(out, "Dropped, unknown client"); got != 2 {
		t.Errorf("unknown clients = %d after removing one, in:\n%s", got, out)
	}
	if cfg := transcript(s, "show configuration"); strings.Contains(cfg, "127.0.0.2") ||
		!strings.Contains(cfg, "radius dynamic-request server 127.0.0.1\n key one\n udp-port "+fmt.Sprint(port)) {
		t.Errorf("configuration:\n%s", cfg)
	}
}
