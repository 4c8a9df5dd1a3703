package acl

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAndString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"permit any", "permit any"},
		{"DENY any", "deny any"},
		{"permit host 192.0.2.1", "permit host 192.0.2.1"},
		{"permit 192.0.2.1", "permit host 192.0.2.1"},
		{"permit 192.0.2.1 0.0.0.0", "permit host 192.0.2.1"},
		{"deny 10.0.0.0 0.255.255.255", "deny 10.0.0.0 0.255.255.255"},
		{"permit", "error"},
		{"allow any", "error"},
		{"permit any 1.2.3.4", "error"},
		{"permit host", "error"},
		{"permit 1.2.3", "error"},
		{"permit 1.2.3.4 0.0.0.255 x", "error"},
		{"permit ::1", "error"},
	} {
		e, err := Parse(strings.Fields(tc.in))
		got := "error"
		if err == nil {
			got = e.String()
		}
		if got != tc.want {
			t.Errorf("%q: got %q want %q (%v)", tc.in, got, tc.want, err)
		}
	}
}

func TestPermits(t *testing.T) {
	mk := func(lines ...string) List {
		var l List
		for _, s := range lines {
			e, err := Parse(strings.Fields(s))
			if err != nil {
				t.Fatal(err)
			}
			l = append(l, e)
		}
		return l
	}
	l := mk("deny host 10.1.1.1", "permit 10.1.0.0 0.0.255.255", "deny 10.0.0.0 0.255.255.255")
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"10.1.1.1", false}, {"10.1.2.3", true}, {"10.2.0.1", false}, {"192.0.2.1", false},
		{"::ffff:10.1.2.3", true}, {"::1", false},
	} {
		if got := l.Permits(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("%s: got %v want %v", tc.addr, got, tc.want)
		}
	}
	if !mk().Permits(netip.MustParseAddr("1.2.3.4")) {
		t.Error("empty list denies")
	}
	if !mk("deny host 1.1.1.1", "permit any").Permits(netip.MustParseAddr("::1")) {
		t.Error("any does not match IPv6")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("permit 10.0.0.0 0.0.0.255")
	f.Add("deny host 1.2.3.4")
	f.Add("permit any")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(strings.Fields(s))
		if err != nil {
			return
		}
		// What String writes parses back to the same entry.
		e2, err := Parse(strings.Fields(e.String()))
		if err != nil || e2 != e {
			t.Fatalf("%q -> %q -> %v %v", s, e.String(), e2, err)
		}
		e.Matches(netip.MustParseAddr("10.0.0.1"))
	})
}
