package fib

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// Type is the kind of a route.
type Type uint8

// Route types, in the order `show ip route` names them.
const (
	Connected Type = iota // subnet of an interface address
	Local                 // an address of the router itself (/32)
	Static                // configured with `ip route`
	Host                  // a subscriber host route installed by access
)

// String returns the JunosE-style name of the route type.
func (t Type) String() string {
	switch t {
	case Connected:
		return "connected"
	case Local:
		return "local"
	case Static:
		return "static"
	case Host:
		return "host"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// DefaultDistance returns the administrative distance JunosE gives a route type.
func (t Type) DefaultDistance() uint8 {
	switch t {
	case Connected, Local:
		return 0
	case Host:
		return 2
	}
	return 1
}

// Route is one route of a virtual router. A Route is immutable once added.
type Route struct {
	Prefix   netip.Prefix // masked IPv4 prefix
	Type     Type
	Distance uint8      // administrative distance; lower wins
	Gateway  netip.Addr // next-hop address; invalid for a directly attached route
	IfIndex  uint32     // egress interface; 0 means resolve through Gateway
}

// Resolved reports whether the route names an egress interface.
func (r *Route) Resolved() bool { return r.IfIndex != 0 }

func (r *Route) sameKey(o *Route) bool {
	return r.Type == o.Type && r.Gateway == o.Gateway && r.IfIndex == o.IfIndex
}

// Errors returned by Table methods.
var (
	ErrNotIPv4     = errors.New("fib: prefix is not IPv4")
	ErrNoSuchRoute = errors.New("fib: no such route")
)

// leaf holds the matches of the last 8 address bits under one /24.
type leaf [256]atomic.Pointer[Route]

// mid holds the matches of bits 17-24 under one /16, and the leaves
// below the /24s that have longer prefixes.
type mid struct {
	routes [256]atomic.Pointer[Route]
	leaves atomic.Pointer[[256]atomic.Pointer[leaf]] // nil until a /25-/32 exists
}

// Table is the FIB of one virtual router. Lookup is safe to call from
// any number of goroutines concurrently with Add and Delete; Add and
// Delete serialise among themselves.
type Table struct {
	l1routes []atomic.Pointer[Route] // 65536: matches of the top 16 bits
	l1mids   []atomic.Pointer[mid]   // 65536: nil unless a longer prefix exists

	mu     sync.Mutex
	routes map[netip.Prefix][]*Route // all candidates per prefix, best first
	via    map[uint32]int            // candidates per IfIndex (Via)
	chunks int
}

// New returns an empty table.
func New() *Table {
	return &Table{l1routes: make([]atomic.Pointer[Route], 1<<16), l1mids: make([]atomic.Pointer[mid], 1<<16),
		routes: make(map[netip.Prefix][]*Route), via: make(map[uint32]int)}
}

// Via returns how many routes (candidates, installed or not) go out of
// interface ifIndex, so that removing an interface with none (a
// subscriber's, whose host route is already gone) needs no scan of every
// route.
func (t *Table) Via(ifIndex uint32) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.via[ifIndex]
}

// count adjusts the Via count of r by d. Called with mu held.
func (t *Table) count(r *Route, d int) {
	if t.via[r.IfIndex] += d; t.via[r.IfIndex] <= 0 {
		delete(t.via, r.IfIndex)
	}
}

// Lookup returns the best route for the longest prefix matching dst (a
// big-endian IPv4 address), or nil. It never blocks and never allocates.
func (t *Table) Lookup(dst uint32) *Route {
	hi := dst >> 16
	m := t.l1mids[hi].Load()
	if m == nil {
		return t.l1routes[hi].Load()
	}
	i := (dst >> 8) & 0xff
	if ls := m.leaves.Load(); ls != nil {
		if l := ls[i].Load(); l != nil {
			return l[dst&0xff].Load()
		}
	}
	return m.routes[i].Load()
}

// LookupAddr is Lookup for a netip.Addr; it returns nil for non-IPv4 addresses.
func (t *Table) LookupAddr(a netip.Addr) *Route {
	if !a.Is4() {
		return nil
	}
	b := a.As4()
	return t.Lookup(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
}

func prefixKey(p netip.Prefix) (netip.Prefix, error) {
	if !p.Addr().Is4() || !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("%w: %v", ErrNotIPv4, p)
	}
	return p.Masked(), nil
}

// Add installs r (its Prefix is masked first). A route with the same
// prefix, type, gateway and interface replaces the existing one. The best
// route of a prefix is the one with the lowest distance; ties keep the
// earlier route.
func (t *Table) Add(r Route) error {
	p, err := prefixKey(r.Prefix)
	if err != nil {
		return err
	}
	r.Prefix = p
	nr := &r
	t.mu.Lock()
	defer t.mu.Unlock()
	cands := t.routes[p]
	var old *Route
	if len(cands) > 0 {
		old = cands[0]
	}
	out := make([]*Route, 0, len(cands)+1)
	for _, c := range cands {
		if !c.sameKey(nr) {
			out = append(out, c)
		} else {
			t.count(c, -1)
		}
	}
	out = append(out, nr)
	t.count(nr, 1)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Distance < out[j].Distance })
	t.routes[p] = out
	if out[0] != old {
		t.install(p, old, out[0])
	}
	return nil
}

// Delete removes the route with r's prefix, type, gateway and interface.
func (t *Table) Delete(r Route) error {
	p, err := prefixKey(r.Prefix)
	if err != nil {
		return err
	}
	r.Prefix = p
	t.mu.Lock()
	defer t.mu.Unlock()
	cands := t.routes[p]
	for i, c := range cands {
		if !c.sameKey(&r) {
			continue
		}
		out := append(append([]*Route(nil), cands[:i]...), cands[i+1:]...)
		t.count(c, -1)
		if len(out) == 0 {
			delete(t.routes, p)
		} else {
			t.routes[p] = out
		}
		if i == 0 {
			var nb *Route
			if len(out) > 0 {
				nb = out[0]
			}
			t.install(p, c, nb)
		}
		return nil
	}
	return fmt.Errorf("%w: %v %v", ErrNoSuchRoute, p, r.Type)
}

// DeleteMatching removes every route for which match returns true, for
// example all routes through an interface that went away. It returns the
// number of routes removed.
func (t *Table) DeleteMatching(match func(*Route) bool) int {
	var victims []Route
	t.mu.Lock()
	for _, cands := range t.routes {
		for _, c := range cands {
			if match(c) {
				victims = append(victims, *c)
			}
		}
	}
	t.mu.Unlock()
	for _, v := range victims {
		_ = t.Delete(v)
	}
	return len(victims)
}

// Routes returns every installed candidate route sorted by prefix, the
// best route of each prefix first, for `show ip route`.
func (t *Table) Routes() []Route {
	t.mu.Lock()
	out := make([]Route, 0, len(t.routes))
	for _, cands := range t.routes {
		for _, c := range cands {
			out = append(out, *c)
		}
	}
	t.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Prefix, out[j].Prefix
		if a.Addr() != b.Addr() {
			return a.Addr().Less(b.Addr())
		}
		if a.Bits() != b.Bits() {
			return a.Bits() < b.Bits()
		}
		return out[i].Distance < out[j].Distance
	})
	return out
}

// Len returns the number of prefixes with at least one route.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.routes)
}

// Chunks returns the number of second- and third-level chunks allocated
// (each holds 256 slots); it is a measure of the table's memory.
func (t *Table) Chunks() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.chunks
}

// covering returns the best route of the longest prefix strictly shorter
// than p that contains p, or nil. Called with t.mu held.
func (t *Table) covering(p netip.Prefix) *Route {
	for bits := p.Bits() - 1; bits >= 0; bits-- {
		q, _ := p.Addr().Prefix(bits)
		if c := t.routes[q]; len(c) > 0 {
			return c[0]
		}
	}
	return nil
}

// install makes nr (nil when the prefix lost its last route) the match
// for prefix p in place of old. Called with t.mu held.
func (t *Table) install(p netip.Prefix, old, nr *Route) {
	bits := p.Bits()
	var keep func(cur *Route) bool
	if nr == nil {
		nr = t.covering(p)
		keep = func(cur *Route) bool { return cur != old }
	} else {
		keep = func(cur *Route) bool { return cur != nil && cur != old && cur.Prefix.Bits() > bits }
	}
	a4 := p.Addr().As4()
	a := uint32(a4[0])<<24 | uint32(a4[1])<<16 | uint32(a4[2])<<8 | uint32(a4[3])
	switch {
	case bits <= 16:
		t.fillL1(int(a>>16), 1<<(16-bits), keep, nr)
	case bits <= 24:
		m := t.midOf(int(a >> 16))
		t.fillMid(m, int(a>>8)&0xff, 1<<(24-bits), keep, nr)
	default:
		l := t.leafOf(t.midOf(int(a>>16)), int(a>>8)&0xff)
		fillLeaf(l, int(a&0xff), 1<<(32-bits), keep, nr)
	}
}

// fillL1 sets first-level slots [start, start+n) and everything below
// them to nr where keep reports the current route should not stay.
func (t *Table) fillL1(start, n int, keep func(*Route) bool, nr *Route) {
	for i := start; i < start+n; i++ {
		if m := t.l1mids[i].Load(); m != nil {
			t.fillMid(m, 0, 256, keep, nr)
		}
		if !keep(t.l1routes[i].Load()) {
			t.l1routes[i].Store(nr)
		}
	}
}

func (t *Table) fillMid(m *mid, start, n int, keep func(*Route) bool, nr *Route) {
	ls := m.leaves.Load()
	for i := start; i < start+n; i++ {
		if ls != nil {
			if l := ls[i].Load(); l != nil {
				fillLeaf(l, 0, 256, keep, nr)
			}
		}
		if !keep(m.routes[i].Load()) {
			m.routes[i].Store(nr)
		}
	}
}

func fillLeaf(l *leaf, start, n int, keep func(*Route) bool, nr *Route) {
	for i := start; i < start+n; i++ {
		if !keep(l[i].Load()) {
			l[i].Store(nr)
		}
	}
}

// midOf returns the mid chunk below first-level slot i, creating it from
// the slot's route. A chunk is filled before it is published.
func (t *Table) midOf(i int) *mid {
	if m := t.l1mids[i].Load(); m != nil {
		return m
	}
	m := new(mid)
	r := t.l1routes[i].Load()
	for j := range m.routes {
		m.routes[j].Store(r)
	}
	t.chunks++
	t.l1mids[i].Store(m)
	return m
}

// leafOf returns the leaf below slot i of m, creating it from the slot's route.
func (t *Table) leafOf(m *mid, i int) *leaf {
	ls := m.leaves.Load()
	if ls == nil {
		ls = new([256]atomic.Pointer[leaf])
		m.leaves.Store(ls)
	}
	if l := ls[i].Load(); l != nil {
		return l
	}
	l := new(leaf)
	r := m.routes[i].Load()
	for j := range l {
		l[j].Store(r)
	}
	t.chunks++
	ls[i].Store(l)
	return l
}
