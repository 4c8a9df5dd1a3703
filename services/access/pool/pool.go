package pool

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"sync"
)

// Errors returned by Server methods; test with errors.Is.
var (
	ErrExhausted  = errors.New("address pool exhausted")
	ErrNoPool     = errors.New("no such address pool")
	ErrInUse      = errors.New("address already in use")
	ErrNotInPool  = errors.New("address not in any pool")
	ErrNotInUse   = errors.New("address not allocated")
	ErrOverlap    = errors.New("range overlaps an existing range")
	ErrBadRange   = errors.New("invalid IPv4 range")
	errRangeLarge = errors.New("range larger than 2^24 addresses")
)

// maxRange bounds one range so its bitmap stays small (2 MiB).
const maxRange = 1 << 24

type addrRange struct {
	start, end uint32 // inclusive
	used       []uint64
	inUse      int
	hint       int // lowest word index that may hold a free bit
}

func (r *addrRange) size() int { return int(r.end-r.start) + 1 }

func (r *addrRange) contains(a uint32) bool { return a >= r.start && a <= r.end }

func (r *addrRange) alloc() (uint32, bool) {
	n := r.size()
	for w := r.hint; w < len(r.used); w++ {
		free := ^r.used[w]
		if free == 0 {
			continue
		}
		b := bits.TrailingZeros64(free)
		i := w*64 + b
		if i >= n {
			return 0, false
		}
		r.used[w] |= 1 << b
		r.inUse++
		r.hint = w
		return r.start + uint32(i), true
	}
	r.hint = len(r.used)
	return 0, false
}

func (r *addrRange) set(a uint32) bool {
	i := int(a - r.start)
	w, b := i/64, uint(i%64)
	if r.used[w]&(1<<b) != 0 {
		return false
	}
	r.used[w] |= 1 << b
	r.inUse++
	return true
}

func (r *addrRange) clear(a uint32) bool {
	i := int(a - r.start)
	w, b := i/64, uint(i%64)
	if r.used[w]&(1<<b) == 0 {
		return false
	}
	r.used[w] &^= 1 << b
	r.inUse--
	if w < r.hint {
		r.hint = w
	}
	return true
}

type namedPool struct {
	name   string
	ranges []*addrRange
}

// Server is the local address server of one virtual router. It is safe for
// concurrent use.
type Server struct {
	mu    sync.Mutex
	pools []*namedPool
}

// Range is one configured range of a pool.
type Range struct {
	Start, End netip.Addr
	Size       int
	InUse      int
}

// Usage is what `show ip local pool` prints for one pool.
type Usage struct {
	Name   string
	Ranges []Range
	Size   int
	InUse  int
}

func v4(a netip.Addr) (uint32, bool) {
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

func addr(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

// AddRange adds the range start..end (inclusive; end may be invalid for a
// single address) to the named pool, creating the pool if it is new.
func (s *Server) AddRange(name string, start, end netip.Addr) error {
	if !end.IsValid() {
		end = start
	}
	lo, ok1 := v4(start)
	hi, ok2 := v4(end)
	if name == "" || !ok1 || !ok2 || hi < lo {
		return fmt.Errorf("pool %q %v-%v: %w", name, start, end, ErrBadRange)
	}
	if uint64(hi-lo)+1 > maxRange {
		return fmt.Errorf("pool %q %v-%v: %w", name, start, end, errRangeLarge)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pools {
		for _, r := range p.ranges {
			if lo <= r.end && hi >= r.start {
				return fmt.Errorf("pool %q %v-%v overlaps pool %q: %w", name, start, end, p.name, ErrOverlap)
			}
		}
	}
	r := &addrRange{start: lo, end: hi, used: make([]uint64, (int(hi-lo)+1+63)/64)}
	if p := s.find(name); p != nil {
		p.ranges = append(p.ranges, r)
		return nil
	}
	s.pools = append(s.pools, &namedPool{name: name, ranges: []*addrRange{r}})
	return nil
}

// RemovePool deletes a pool. Addresses still allocated from it are forgotten.
func (s *Server) RemovePool(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.pools {
		if p.name == name {
			s.pools = append(s.pools[:i], s.pools[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("pool %q: %w", name, ErrNoPool)
}

// Empty reports whether the server has no pools (JunosE removes the local
// address server with its last pool).
func (s *Server) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pools) == 0
}

func (s *Server) find(name string) *namedPool {
	for _, p := range s.pools {
		if p.name == name {
			return p
		}
	}
	return nil
}

// Allocate hands out the lowest free address of the named pool, or of the
// first pool with a free address when name is empty.
func (s *Server) Allocate(name string) (netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pools := s.pools
	if name != "" {
		p := s.find(name)
		if p == nil {
			return netip.Addr{}, fmt.Errorf("allocate from pool %q: %w", name, ErrNoPool)
		}
		pools = []*namedPool{p}
	}
	for _, p := range pools {
		for _, r := range p.ranges {
			if a, ok := r.alloc(); ok {
				return addr(a), nil
			}
		}
	}
	if name == "" {
		return netip.Addr{}, fmt.Errorf("allocate: %w", ErrExhausted)
	}
	return netip.Addr{}, fmt.Errorf("allocate from pool %q: %w", name, ErrExhausted)
}

func (s *Server) rangeOf(a netip.Addr) (*addrRange, uint32) {
	u, ok := v4(a)
	if !ok {
		return nil, 0
	}
	for _, p := range s.pools {
		for _, r := range p.ranges {
			if r.contains(u) {
				return r, u
			}
		}
	}
	return nil, 0
}

// Reserve marks a specific address (e.g. a RADIUS Framed-IP-Address) as in
// use. It reports false with a nil error when the address belongs to no pool,
// so the caller need not release it.
func (s *Server) Reserve(a netip.Addr) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, u := s.rangeOf(a)
	if r == nil {
		return false, nil
	}
	if !r.set(u) {
		return true, fmt.Errorf("reserve %v: %w", a, ErrInUse)
	}
	return true, nil
}

// Release returns an address to its pool.
func (s *Server) Release(a netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, u := s.rangeOf(a)
	if r == nil {
		return fmt.Errorf("release %v: %w", a, ErrNotInPool)
	}
	if !r.clear(u) {
		return fmt.Errorf("release %v: %w", a, ErrNotInUse)
	}
	return nil
}

// Usage returns the usage of every pool, in configuration order, or of the
// named pool only.
func (s *Server) Usage(name string) []Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Usage
	for _, p := range s.pools {
		if name != "" && p.name != name {
			continue
		}
		u := Usage{Name: p.name}
		for _, r := range p.ranges {
			u.Ranges = append(u.Ranges, Range{Start: addr(r.start), End: addr(r.end), Size: r.size(), InUse: r.inUse})
			u.Size += r.size()
			u.InUse += r.inUse
		}
		out = append(out, u)
	}
	return out
}

// Registry holds one local address server per virtual router.
type Registry struct {
	mu      sync.Mutex
	servers map[string]*Server
}

// Server returns the local address server of the virtual router vr,
// creating it on first use.
func (g *Registry) Server(vr string) *Server {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.servers == nil {
		g.servers = make(map[string]*Server)
	}
	s, ok := g.servers[vr]
	if !ok {
		s = &Server{}
		g.servers[vr] = s
	}
	return s
}

// Lookup returns the server of vr if it exists.
func (g *Registry) Lookup(vr string) (*Server, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.servers[vr]
	return s, ok
}

// Prune removes the server of vr once its last pool is gone.
func (g *Registry) Prune(vr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.servers[vr]; ok && s.Empty() {
		delete(g.servers, vr)
	}
}
