package linecard

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"

	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/linecard/header"
)

// AddVirtualRouter creates a virtual router with an empty FIB.
func (e *Engine) AddVirtualRouter(name string) error {
	if name == "" {
		return fmt.Errorf("linecard: %w: empty virtual router name", ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.vrs[name] != nil {
		return fmt.Errorf("linecard: virtual router %q: %w", name, ErrVirtualRouterExists)
	}
	e.vrs[name] = &vrouter{name: name, fib: fib.New()}
	return nil
}

// DeleteVirtualRouter removes a virtual router that has no interfaces.
// The default virtual router cannot be deleted.
func (e *Engine) DeleteVirtualRouter(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	vr := e.vrs[name]
	if vr == nil {
		return fmt.Errorf("linecard: virtual router %q: %w", name, ErrNoSuchVirtualRouter)
	}
	if name == DefaultVirtualRouter {
		return fmt.Errorf("linecard: %w: the default virtual router cannot be deleted", ErrBadArgument)
	}
	for _, ifc := range e.byName {
		if ifc.vr.Load() == vr {
			return fmt.Errorf("linecard: virtual router %q: %w (%s)", name, ErrVirtualRouterInUse, ifc.name)
		}
	}
	delete(e.vrs, name)
	return nil
}

// VirtualRouters returns the names of all virtual routers, sorted.
func (e *Engine) VirtualRouters() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.vrs))
	for n := range e.vrs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SetVirtualRouter moves an interface, with its addresses, into virtual
// router vr. Routes through the interface in the old router are removed.
func (e *Engine) SetVirtualRouter(name, vr string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	v := e.vrs[vr]
	if v == nil {
		return fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	if ifc.vr.Load() == v {
		return nil
	}
	for _, a := range *ifc.addrs.Load() {
		if err := e.checkOverlapLocked(v, ifc, a); err != nil {
			return err
		}
	}
	e.withdrawLocked(ifc, true)
	ifc.arp.Clear()
	ifc.vr.Store(v)
	if ifc.up.Load() {
		e.installLocked(ifc)
	}
	return nil
}

func (e *Engine) checkOverlapLocked(vr *vrouter, self *iface, p netip.Prefix) error {
	for _, o := range e.byName {
		if o == self || o.vr.Load() != vr {
			continue
		}
		for _, q := range *o.addrs.Load() {
			if q.Overlaps(p) {
				return fmt.Errorf("linecard: %v on %q: %w (%v on %q)", p, self.name, ErrAddressOverlap, q, o.name)
			}
		}
	}
	return nil
}

func connectedRoutes(ifc *iface, a netip.Prefix) []fib.Route {
	rs := []fib.Route{{Prefix: netip.PrefixFrom(a.Addr(), 32), Type: fib.Local, IfIndex: ifc.index}}
	if a.Bits() < 32 {
		rs = append(rs, fib.Route{Prefix: a.Masked(), Type: fib.Connected, IfIndex: ifc.index})
	}
	return rs
}

// installLocked adds the connected and local routes of ifc's addresses.
func (e *Engine) installLocked(ifc *iface) {
	vr := ifc.vr.Load()
	for _, a := range *ifc.addrs.Load() {
		for _, r := range connectedRoutes(ifc, a) {
			_ = vr.fib.Add(r)
		}
	}
}

// withdrawLocked removes ifc's connected and local routes and, when all
// is set, every other route through it.
func (e *Engine) withdrawLocked(ifc *iface, all bool) {
	f := ifc.vr.Load().fib
	if f.Via(ifc.index) == 0 {
		return // nothing to scan every route for
	}
	f.DeleteMatching(func(r *fib.Route) bool {
		return r.IfIndex == ifc.index && (all || r.Type == fib.Connected || r.Type == fib.Local)
	})
}

// AddAddress adds IPv4 address a (with its prefix length, e.g.
// 192.0.2.1/24) to an interface, installs its connected and local routes
// and announces it with a gratuitous ARP.
func (e *Engine) AddAddress(name string, a netip.Prefix) error {
	if !a.IsValid() || !a.Addr().Is4() || a.Addr().IsUnspecified() || a.Addr().IsMulticast() || a.Addr().IsLoopback() {
		return fmt.Errorf("linecard: %v: %w", a, ErrBadAddress)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	old := *ifc.addrs.Load()
	for _, o := range old {
		if o == a {
			return nil
		}
	}
	if err := e.checkOverlapLocked(ifc.vr.Load(), ifc, a); err != nil {
		return err
	}
	addrs := append(append([]netip.Prefix(nil), old...), a)
	ifc.addrs.Store(&addrs)
	if ifc.up.Load() {
		for _, r := range connectedRoutes(ifc, a) {
			if err := ifc.vr.Load().fib.Add(r); err != nil {
				return fmt.Errorf("linecard: %v on %q: %w", a, name, err)
			}
		}
		if ifc.port != nil {
			e.sendARP(ifc, header.ARPRequest, header.Broadcast, a.Addr(), [6]byte{}, a.Addr())
		}
	}
	return nil
}

// DeleteAddress removes an address and its connected and local routes.
func (e *Engine) DeleteAddress(name string, a netip.Prefix) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	old := *ifc.addrs.Load()
	var addrs []netip.Prefix
	found := false
	for _, o := range old {
		if o == a {
			found = true
			continue
		}
		addrs = append(addrs, o)
	}
	if !found {
		return fmt.Errorf("linecard: %v on %q: %w", a, name, ErrNoSuchAddress)
	}
	ifc.addrs.Store(&addrs)
	for _, r := range connectedRoutes(ifc, a) {
		_ = ifc.vr.Load().fib.Delete(r)
	}
	if ifc.up.Load() {
		e.installLocked(ifc) // another address may share the subnet route just removed
	}
	return nil
}

// Route is a route as the configuration API sees it.
type Route struct {
	Prefix    netip.Prefix
	NextHop   netip.Addr // gateway; may be unset when Interface is set
	Interface string     // egress interface; may be empty when NextHop is set
	Distance  uint8      // 0 takes the type's default (static 1, host 2)
	Type      fib.Type   // Static (CLI `ip route`) or Host (subscriber); Connected/Local are automatic
}

func (e *Engine) toFIBLocked(r Route) (fib.Route, error) {
	var fr fib.Route
	if !r.Prefix.IsValid() || !r.Prefix.Addr().Is4() {
		return fr, fmt.Errorf("linecard: route %v: %w", r.Prefix, ErrBadAddress)
	}
	if r.Type != fib.Static && r.Type != fib.Host {
		return fr, fmt.Errorf("linecard: route %v: %w: type %v is installed automatically", r.Prefix, ErrBadArgument, r.Type)
	}
	if !r.NextHop.IsValid() && r.Interface == "" {
		return fr, fmt.Errorf("linecard: route %v: %w: needs a next hop or an interface", r.Prefix, ErrBadArgument)
	}
	if r.NextHop.IsValid() && !r.NextHop.Is4() {
		return fr, fmt.Errorf("linecard: next hop %v: %w", r.NextHop, ErrBadAddress)
	}
	fr = fib.Route{Prefix: r.Prefix.Masked(), Type: r.Type, Distance: r.Distance, Gateway: r.NextHop}
	if fr.Distance == 0 {
		fr.Distance = r.Type.DefaultDistance()
	}
	if r.Interface != "" {
		ifc, err := e.lookup(r.Interface)
		if err != nil {
			return fr, err
		}
		fr.IfIndex = ifc.index
	}
	return fr, nil
}

// AddRoute installs a static or host route in virtual router vr.
func (e *Engine) AddRoute(vr string, r Route) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.vrs[vr]
	if v == nil {
		return fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	fr, err := e.toFIBLocked(r)
	if err != nil {
		return err
	}
	if fr.IfIndex != 0 && e.ifaceByIndex(fr.IfIndex).vr.Load() != v {
		return fmt.Errorf("linecard: route %v: %w: interface %q is in another virtual router", r.Prefix, ErrBadArgument, r.Interface)
	}
	return v.fib.Add(fr)
}

// DeleteRoute removes a route added with AddRoute (matched by prefix,
// type, next hop and interface).
func (e *Engine) DeleteRoute(vr string, r Route) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.vrs[vr]
	if v == nil {
		return fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	fr, err := e.toFIBLocked(r)
	if err != nil {
		return err
	}
	return v.fib.Delete(fr)
}

// RouteInfo is one row of `show ip route`.
type RouteInfo struct {
	Prefix    netip.Prefix
	Type      fib.Type
	Distance  uint8
	NextHop   netip.Addr
	Interface string
	Best      bool // the route forwarding uses for this prefix
}

// Routes returns the routes of virtual router vr, sorted by prefix.
func (e *Engine) Routes(vr string) ([]RouteInfo, error) {
	e.mu.Lock()
	v := e.vrs[vr]
	e.mu.Unlock()
	if v == nil {
		return nil, fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	rs := v.fib.Routes()
	out := make([]RouteInfo, 0, len(rs))
	for i, r := range rs {
		ri := RouteInfo{Prefix: r.Prefix, Type: r.Type, Distance: r.Distance, NextHop: r.Gateway,
			Best: i == 0 || rs[i-1].Prefix != r.Prefix}
		if ifc := e.ifaceByIndex(r.IfIndex); ifc != nil {
			ri.Interface = ifc.name
		}
		out = append(out, ri)
	}
	return out, nil
}

// Lookup returns the route forwarding would use in virtual router vr for
// dst (the longest matching best route), with Interface set to the egress
// interface even when the route names only a next hop (resolved through
// the FIB once, as forwarding does), and the source address a packet
// originated toward dst should carry: the egress interface's address on
// the next hop's subnet, else its first address (for an unnumbered PPPoE
// subscriber interface, its parent's). NextHop is the route's gateway,
// unset when dst is directly connected. It fails with ErrNoRoute when no
// route matches, the egress interface is gone, or it has no address.
func (e *Engine) Lookup(vr string, dst netip.Addr) (RouteInfo, netip.Addr, error) {
	if !dst.Is4() {
		return RouteInfo{}, netip.Addr{}, fmt.Errorf("linecard: %v: %w", dst, ErrBadAddress)
	}
	e.mu.Lock()
	v := e.vrs[vr]
	e.mu.Unlock()
	if v == nil {
		return RouteInfo{}, netip.Addr{}, fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	d := dst.As4()
	r := v.fib.Lookup(binary.BigEndian.Uint32(d[:]))
	if r == nil {
		return RouteInfo{}, netip.Addr{}, fmt.Errorf("linecard: %v in %q: %w", dst, vr, ErrNoRoute)
	}
	ri := RouteInfo{Prefix: r.Prefix, Type: r.Type, Distance: r.Distance, NextHop: r.Gateway, Best: true}
	idx, nh := r.IfIndex, dst
	if r.Gateway.IsValid() {
		nh = r.Gateway
		if idx == 0 {
			g := r.Gateway.As4()
			r2 := v.fib.Lookup(binary.BigEndian.Uint32(g[:]))
			if r2 == nil || r2.Type == fib.Local {
				return ri, netip.Addr{}, fmt.Errorf("linecard: %v in %q: next hop %v: %w", dst, vr, r.Gateway, ErrNoRoute)
			}
			idx = r2.IfIndex
		}
	}
	ifc := e.ifaceByIndex(idx)
	if ifc == nil {
		return ri, netip.Addr{}, fmt.Errorf("linecard: %v in %q: %w: no egress interface", dst, vr, ErrNoRoute)
	}
	ri.Interface = ifc.name
	if r.Type == fib.Local {
		return ri, dst, nil
	}
	addrs := *ifc.addrs.Load()
	if len(addrs) == 0 && ifc.parent != nil {
		addrs = *ifc.parent.addrs.Load()
	}
	var src netip.Addr
	for _, a := range addrs {
		if !src.IsValid() || a.Contains(nh) && !a.Masked().Contains(src) {
			src = a.Addr()
		}
	}
	if !src.IsValid() {
		return ri, netip.Addr{}, fmt.Errorf("linecard: %v in %q: %w: %q has no address", dst, vr, ErrNoRoute, ifc.name)
	}
	return ri, src, nil
}
