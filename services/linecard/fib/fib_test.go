package fib

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func TestTable(t *testing.T) {
	type op struct {
		del bool
		r   Route
	}
	static := func(p string, gw string, d uint8) Route {
		return Route{Prefix: pfx(p), Type: Static, Gateway: addr(gw), Distance: d}
	}
	conn := func(p string, ifi uint32) Route { return Route{Prefix: pfx(p), Type: Connected, IfIndex: ifi} }
	tests := []struct {
		name  string
		ops   []op
		dst   string
		want  string // prefix of expected route, "" for none
		wantG string // expected gateway, if any
	}{
		{"empty", nil, "10.0.0.1", "", ""},
		{"default route", []op{{r: static("0.0.0.0/0", "192.0.2.1", 1)}}, "8.8.8.8", "0.0.0.0/0", "192.0.2.1"},
		{"more specific wins", []op{{r: static("0.0.0.0/0", "192.0.2.1", 1)}, {r: conn("10.0.0.0/8", 1)}, {r: conn("10.1.0.0/16", 2)}, {r: conn("10.1.2.0/24", 3)}},
			"10.1.2.3", "10.1.2.0/24", ""},
		{"more specific inserted first", []op{{r: conn("10.1.2.0/24", 3)}, {r: conn("10.0.0.0/8", 1)}}, "10.1.2.3", "10.1.2.0/24", ""},
		{"sibling of specific", []op{{r: conn("10.1.2.0/24", 3)}, {r: conn("10.0.0.0/8", 1)}}, "10.1.3.3", "10.0.0.0/8", ""},
		{"host route", []op{{r: conn("10.0.0.0/8", 1)}, {r: Route{Prefix: pfx("10.9.9.9/32"), Type: Host, IfIndex: 7}}}, "10.9.9.9", "10.9.9.9/32", ""},
		{"host route neighbour", []op{{r: conn("10.0.0.0/8", 1)}, {r: Route{Prefix: pfx("10.9.9.9/32"), Type: Host, IfIndex: 7}}}, "10.9.9.8", "10.0.0.0/8", ""},
		{"/25 over /8", []op{{r: conn("10.0.0.0/8", 1)}, {r: conn("10.0.0.128/25", 2)}}, "10.0.0.200", "10.0.0.128/25", ""},
		{"delete restores covering", []op{{r: conn("10.0.0.0/8", 1)}, {r: conn("10.1.0.0/16", 2)}, {del: true, r: conn("10.1.0.0/16", 2)}}, "10.1.2.3", "10.0.0.0/8", ""},
		{"delete deep restores covering", []op{{r: conn("10.0.0.0/8", 1)}, {r: conn("10.1.2.0/23", 2)}, {r: conn("10.1.2.4/30", 3)}, {del: true, r: conn("10.1.2.4/30", 3)}}, "10.1.2.5", "10.1.2.0/23", ""},
		{"delete covering keeps specific", []op{{r: conn("10.0.0.0/8", 1)}, {r: conn("10.1.2.0/24", 2)}, {del: true, r: conn("10.0.0.0/8", 1)}}, "10.1.2.9", "10.1.2.0/24", ""},
		{"delete last", []op{{r: conn("10.0.0.0/8", 1)}, {del: true, r: conn("10.0.0.0/8", 1)}}, "10.1.2.9", "", ""},
		{"distance: lower wins", []op{{r: static("10.0.0.0/8", "192.0.2.1", 10)}, {r: static("10.0.0.0/8", "192.0.2.2", 1)}}, "10.1.1.1", "10.0.0.0/8", "192.0.2.2"},
		{"distance: tie keeps first", []op{{r: static("10.0.0.0/8", "192.0.2.1", 5)}, {r: static("10.0.0.0/8", "192.0.2.2", 5)}}, "10.1.1.1", "10.0.0.0/8", "192.0.2.1"},
		{"distance: delete best falls back", []op{{r: static("10.0.0.0/8", "192.0.2.1", 10)}, {r: static("10.0.0.0/8", "192.0.2.2", 1)}, {del: true, r: static("10.0.0.0/8", "192.0.2.2", 1)}}, "10.1.1.1", "10.0.0.0/8", "192.0.2.1"},
		{"replace same key", []op{{r: static("10.0.0.0/8", "192.0.2.1", 10)}, {r: static("10.0.0.0/8", "192.0.2.1", 3)}, {del: true, r: static("10.0.0.0/8", "192.0.2.1", 0)}}, "10.1.1.1", "", ""},
		{"unmasked prefix", []op{{r: conn("10.1.2.3/24", 1)}}, "10.1.2.200", "10.1.2.0/24", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := New()
			for _, o := range tt.ops {
				var err error
				if o.del {
					err = tb.Delete(o.r)
				} else {
					err = tb.Add(o.r)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			got := tb.LookupAddr(addr(tt.dst))
			if tt.want == "" {
				if got != nil {
					t.Fatalf("got %v, want none", got.Prefix)
				}
				return
			}
			if got == nil || got.Prefix != pfx(tt.want) {
				t.Fatalf("got %+v, want %s", got, tt.want)
			}
			if tt.wantG != "" && got.Gateway != addr(tt.wantG) {
				t.Fatalf("gateway %v, want %s", got.Gateway, tt.wantG)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tb := New()
	if err := tb.Add(Route{Prefix: netip.MustParsePrefix("2001:db8::/32")}); err == nil {
		t.Error("IPv6 accepted")
	}
	if err := tb.Delete(Route{Prefix: pfx("10.0.0.0/8")}); err == nil {
		t.Error("deleting missing route succeeded")
	}
}

// naive is a reference LPM used to cross-check the trie.
func naive(routes map[netip.Prefix]*Route, a netip.Addr) *Route {
	for bits := 32; bits >= 0; bits-- {
		p, _ := a.Prefix(bits)
		if r := routes[p]; r != nil {
			return r
		}
	}
	return nil
}

func TestRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tb := New()
	ref := map[netip.Prefix]*Route{}
	var list []netip.Prefix
	for i := 0; i < 3000; i++ {
		a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(8)), byte(rng.IntN(256))})
		p, _ := a.Prefix(8 + rng.IntN(25))
		if rng.IntN(4) == 0 && len(list) > 0 {
			v := list[rng.IntN(len(list))]
			if ref[v] != nil {
				if err := tb.Delete(Route{Prefix: v, Type: Connected, IfIndex: 1}); err != nil {
					t.Fatal(err)
				}
				delete(ref, v)
			}
			continue
		}
		if err := tb.Add(Route{Prefix: p, Type: Connected, IfIndex: 1}); err != nil {
			t.Fatal(err)
		}
		ref[p] = &Route{Prefix: p}
		list = append(list, p)
	}
	for i := 0; i < 20000; i++ {
		a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(5)), byte(rng.IntN(9)), byte(rng.IntN(256))})
		want, got := naive(ref, a), tb.LookupAddr(a)
		if (want == nil) != (got == nil) || (want != nil && want.Prefix != got.Prefix) {
			t.Fatalf("%v: got %v, want %v", a, got, want)
		}
	}
}

func TestConcurrentLookupDuringUpdate(t *testing.T) {
	tb := New()
	_ = tb.Add(Route{Prefix: pfx("0.0.0.0/0"), Type: Static, Gateway: addr("192.0.2.1")})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint32(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if tb.Lookup(0x0a000000|i&0xffffff) == nil {
					t.Error("lookup saw no route while default exists")
					return
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		_ = tb.Add(Route{Prefix: p, Type: Connected, IfIndex: 2})
		if i%2 == 0 {
			_ = tb.Delete(Route{Prefix: p, Type: Connected, IfIndex: 2})
		}
	}
	close(stop)
	wg.Wait()
}

// bgpLike returns n random prefixes with a length mix resembling an
// Internet table: mostly /24, then /22-/23, /16-/21 and a few /8-/15.
func bgpLike(n int, rng *rand.Rand) []netip.Prefix {
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		var bits int
		switch x := rng.IntN(100); {
		case x < 60:
			bits = 24
		case x < 80:
			bits = 22 + rng.IntN(2)
		case x < 97:
			bits = 16 + rng.IntN(6)
		default:
			bits = 8 + rng.IntN(8)
		}
		u := rng.Uint32()
		p, _ := netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}).Prefix(bits)
		out = append(out, p)
	}
	return out
}

// hostRoutes returns n random /32 subscriber routes inside 100.64.0.0/10.
func hostRoutes(n int, rng *rand.Rand) []netip.Prefix {
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		u := 0x64400000 | rng.Uint32()&0x3fffff
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}), 32))
	}
	return out
}

func benchLookup(b *testing.B, prefixes []netip.Prefix, mask, base uint32) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb := New()
	for _, p := range prefixes {
		_ = tb.Add(Route{Prefix: p, Type: Static, Gateway: addr("192.0.2.1"), Distance: 1})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	rng := rand.New(rand.NewPCG(3, 4))
	dsts := make([]uint32, 1<<16)
	for i := range dsts {
		dsts[i] = base | rng.Uint32()&mask
	}
	b.ResetTimer()
	var hits int
	for i := 0; i < b.N; i++ {
		if tb.Lookup(dsts[i&(len(dsts)-1)]) != nil {
			hits++
		}
	}
	runtime.KeepAlive(hits)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
	b.ReportMetric(float64(tb.Chunks()), "chunks")
}

// BenchmarkLookup1MBGPLike measures lookups in a table of 1M random
// Internet-like prefixes (/8../24) at random destinations.
func BenchmarkLookup1MBGPLike(b *testing.B) {
	benchLookup(b, bgpLike(1<<20, rand.New(rand.NewPCG(1, 1))), 0xffffffff, 0)
}

// BenchmarkLookup1MHostRoutes measures lookups in a table of 1M random
// /32 subscriber routes in 100.64.0.0/10, at destinations in that block.
func BenchmarkLookup1MHostRoutes(b *testing.B) {
	benchLookup(b, hostRoutes(1<<20, rand.New(rand.NewPCG(2, 2))), 0x3fffff, 0x64400000)
}

// BenchmarkAdd measures installing Internet-like routes into one table
// (per route, including best-route selection and prefix expansion).
func BenchmarkAdd(b *testing.B) {
	prefixes := bgpLike(b.N, rand.New(rand.NewPCG(5, 5)))
	tb := New()
	b.ResetTimer()
	for _, p := range prefixes {
		_ = tb.Add(Route{Prefix: p, Type: Static, Gateway: addr("192.0.2.1"), Distance: 1})
	}
}
