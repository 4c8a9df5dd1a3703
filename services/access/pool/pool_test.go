package pool

import (
	"errors"
	"net/netip"
	"testing"
)

var mp = netip.MustParseAddr

func TestAllocateOrder(t *testing.T) {
	var s Server
	must(t, s.AddRange("a", mp("10.0.0.1"), mp("10.0.0.2")))
	must(t, s.AddRange("a", mp("10.0.1.1"), mp("10.0.1.1")))
	must(t, s.AddRange("b", mp("10.0.2.1"), netip.Addr{}))

	want := []string{"10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.2.1"}
	for _, w := range want {
		got, err := s.Allocate("")
		if err != nil || got != mp(w) {
			t.Fatalf("Allocate = %v, %v; want %s", got, err, w)
		}
	}
	if _, err := s.Allocate(""); !errors.Is(err, ErrExhausted) {
		t.Fatalf("want ErrExhausted, got %v", err)
	}
	// Released addresses of the first range are reused first.
	must(t, s.Release(mp("10.0.1.1")))
	must(t, s.Release(mp("10.0.0.2")))
	if got, _ := s.Allocate("a"); got != mp("10.0.0.2") {
		t.Fatalf("reuse: got %v", got)
	}
	if got, _ := s.Allocate("a"); got != mp("10.0.1.1") {
		t.Fatalf("reuse: got %v", got)
	}
}

func TestNamedPool(t *testing.T) {
	var s Server
	must(t, s.AddRange("a", mp("10.0.0.1"), mp("10.0.0.1")))
	must(t, s.AddRange("b", mp("10.0.2.1"), mp("10.0.2.9")))
	if got, _ := s.Allocate("b"); got != mp("10.0.2.1") {
		t.Fatalf("got %v", got)
	}
	if _, err := s.Allocate("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate("a"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("named pool must not spill over: %v", err)
	}
	if _, err := s.Allocate("zz"); !errors.Is(err, ErrNoPool) {
		t.Fatalf("got %v", err)
	}
}

func TestReserveReleaseErrors(t *testing.T) {
	var s Server
	must(t, s.AddRange("a", mp("10.0.0.1"), mp("10.0.0.100")))
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"reserve in pool", func() error { _, err := s.Reserve(mp("10.0.0.5")); return err }, nil},
		{"reserve twice", func() error { _, err := s.Reserve(mp("10.0.0.5")); return err }, ErrInUse},
		{"reserve outside", func() error {
			ok, err := s.Reserve(mp("192.0.2.1"))
			if ok {
				return errors.New("owned")
			}
			return err
		}, nil},
		{"release", func() error { return s.Release(mp("10.0.0.5")) }, nil},
		{"release twice", func() error { return s.Release(mp("10.0.0.5")) }, ErrNotInUse},
		{"release outside", func() error { return s.Release(mp("192.0.2.1")) }, ErrNotInPool},
		{"overlap", func() error { return s.AddRange("b", mp("10.0.0.100"), mp("10.0.0.200")) }, ErrOverlap},
		{"reverse", func() error { return s.AddRange("b", mp("10.0.1.9"), mp("10.0.1.1")) }, ErrBadRange},
		{"ipv6", func() error { return s.AddRange("b", mp("::1"), mp("::2")) }, ErrBadRange},
		{"remove missing", func() error { return s.RemovePool("zz") }, ErrNoPool},
	} {
		if err := tc.do(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestUsageAndRegistry(t *testing.T) {
	var g Registry
	s := g.Server("default")
	must(t, s.AddRange("a", mp("10.0.0.0"), mp("10.0.0.255")))
	must(t, s.AddRange("a", mp("10.0.1.0"), mp("10.0.1.9")))
	for range 260 {
		if _, err := s.Allocate(""); err != nil {
			t.Fatal(err)
		}
	}
	u := s.Usage("a")
	if len(u) != 1 || u[0].Size != 266 || u[0].InUse != 260 || u[0].Ranges[0].InUse != 256 || u[0].Ranges[1].InUse != 4 {
		t.Fatalf("usage %+v", u)
	}
	if g.Server("default") != s {
		t.Fatal("Server not stable")
	}
	must(t, s.RemovePool("a"))
	g.Prune("default")
	if _, ok := g.Lookup("default"); ok {
		t.Fatal("empty server not pruned")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
