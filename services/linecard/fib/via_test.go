package fib

import (
	"net/netip"
	"testing"
)

// TestVia counts routes per egress interface through Add (a replacement
// counts once), Delete and DeleteMatching.
func TestVia(t *testing.T) {
	tb := New()
	host := func(a string, ifx uint32) Route {
		return Route{Prefix: netip.MustParsePrefix(a), Type: Host, IfIndex: ifx}
	}
	for _, r := range []Route{host("100.64.0.1/32", 7), host("100.64.0.2/32", 7), host("100.64.0.3/32", 8),
		host("100.64.0.1/32", 7), // the same route again: replaces
		{Prefix: netip.MustParsePrefix("100.64.0.0/16"), Type: Static, IfIndex: 7, Distance: 1}} {
		if err := tb.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if tb.Via(7) != 3 || tb.Via(8) != 1 || tb.Via(9) != 0 {
		t.Fatalf("via 7/8/9 = %d/%d/%d, want 3/1/0", tb.Via(7), tb.Via(8), tb.Via(9))
	}
	if err := tb.Delete(host("100.64.0.2/32", 7)); err != nil {
		t.Fatal(err)
	}
	if n := tb.DeleteMatching(func(r *Route) bool { return r.IfIndex == 7 }); n != 2 || tb.Via(7) != 0 {
		t.Fatalf("DeleteMatching removed %d, via 7 = %d", n, tb.Via(7))
	}
	if tb.Via(8) != 1 || len(tb.via) != 1 {
		t.Fatalf("via table %v", tb.via)
	}
}
