package lccli

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/fib"
)

// This file holds the routing-table commands of Global Configuration:
// ip route, virtual-router and static arp.

func (s *state) cmdRoute(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vr := ctx.VR
	if !s.vrExistsLocked(vr) {
		return fmt.Errorf("Virtual router %s does not exist", vr)
	}
	r, err := s.routeArgsLocked(req)
	if err != nil {
		return err
	}
	if r.distance == 1 {
		r.distance = 0
	}
	if r.iface != "" {
		c := s.ifs[r.iface]
		switch {
		case c == nil:
			return fmt.Errorf("Interface %s does not exist", r.iface)
		case c.kind == kindMgmt:
			return errors.New("Routes through the management port belong to the kernel; use its ip address and gateway")
		case !c.inEngine():
			return fmt.Errorf("Configure a VLAN ID on %s first (vlan id)", c.id)
		case c.vr != vr:
			return fmt.Errorf("Interface %s is in virtual router %s", c.id, c.vr)
		}
	}
	if err := s.d.Engine.AddRoute(vr, engineRoute(r)); err != nil {
		return engineErr(err)
	}
	rs := slices.DeleteFunc(s.routes[vr], func(o staticRoute) bool { return sameRoute(o, r) })
	rs = append(rs, r)
	slices.SortFunc(rs, compareRoutes)
	s.routes[vr] = rs
	return nil
}

// routeArgsLocked reads prefix, mask and the optional next hop or
// interface and distance of an ip route command.
func (s *state) routeArgsLocked(req *command.Request) (staticRoute, error) {
	addr := req.Addr("prefix")
	p := netip.PrefixFrom(addr, command.MaskBits(req.Addr("mask")))
	if p.Masked().Addr() != addr {
		return staticRoute{}, errors.New("Inconsistent address and mask")
	}
	r := staticRoute{prefix: p, distance: req.IntOr("distance", 0)}
	if req.Has("nexthop") {
		nh := req.Addr("nexthop")
		if nh.IsUnspecified() || nh.IsLoopback() || nh.IsMulticast() || nh.As4()[0] >= 240 {
			return staticRoute{}, fmt.Errorf("Invalid next hop %s", nh)
		}
		r.nextHop = nh
	}
	if req.Has("if") {
		id, err := parseIfID(req.Interface("if"))
		if err != nil {
			return staticRoute{}, err
		}
		r.iface = id.String()
	}
	return r, nil
}

func engineRoute(r staticRoute) linecard.Route {
	return linecard.Route{Prefix: r.prefix, NextHop: r.nextHop, Interface: r.iface, Distance: uint8(r.distance), Type: fib.Static}
}

func sameRoute(a, b staticRoute) bool {
	return a.prefix == b.prefix && a.nextHop == b.nextHop && a.iface == b.iface
}

func compareRoutes(a, b staticRoute) int {
	if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
		return c
	}
	if a.prefix.Bits() != b.prefix.Bits() {
		return a.prefix.Bits() - b.prefix.Bits()
	}
	if c := a.nextHop.Compare(b.nextHop); c != 0 {
		return c
	}
	return strings.Compare(a.iface, b.iface)
}

func (s *state) cmdNoRoute(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vr := ctx.VR
	if !s.vrExistsLocked(vr) {
		return fmt.Errorf("Virtual router %s does not exist", vr)
	}
	want, err := s.routeArgsLocked(req)
	if err != nil {
		return err
	}
	match := func(r staticRoute) bool {
		if r.prefix != want.prefix {
			return false
		}
		if req.Has("nexthop") || req.Has("if") {
			return r.nextHop == want.nextHop && r.iface == want.iface
		}
		return true
	}
	found := false
	for _, r := range s.routes[vr] {
		if !match(r) {
			continue
		}
		found = true
		if err := s.d.Engine.DeleteRoute(vr, engineRoute(r)); err != nil && !errors.Is(err, fib.ErrNoSuchRoute) {
			return engineErr(err)
		}
	}
	if !found {
		return errors.New("No matching route to delete")
	}
	s.routes[vr] = slices.DeleteFunc(s.routes[vr], match)
	return nil
}

// validVRName accepts names of letters, digits, '-', '_' and '.', at most
// 32 characters.
func validVRName(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *state) cmdVirtualRouter(ctx *command.Context, req *command.Request) error {
	name := req.String("name")
	if !validVRName(name) {
		return fmt.Errorf("Invalid virtual router name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(name) {
		if err := s.d.Engine.AddVirtualRouter(name); err != nil && !errors.Is(err, linecard.ErrVirtualRouterExists) {
			return engineErr(err)
		}
		s.vrs[name] = true
	}
	ctx.VR = name
	ctx.EnterMode(command.Config, nil)
	return nil
}

// execVirtualRouter changes the session's virtual router context in Exec
// mode; it never creates one.
func (s *state) execVirtualRouter(ctx *command.Context, req *command.Request) error {
	name := req.String("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(name) {
		return fmt.Errorf("Virtual router %s does not exist", name)
	}
	ctx.VR = name
	return nil
}

func (s *state) cmdNoVirtualRouter(ctx *command.Context, req *command.Request) error {
	name := req.String("name")
	if name == linecard.DefaultVirtualRouter {
		return errors.New("The default virtual router cannot be deleted")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrs[name] {
		return fmt.Errorf("Virtual router %s does not exist", name)
	}
	for _, c := range s.sortedLocked() {
		if c.vr == name && len(c.addrs) > 0 {
			return fmt.Errorf("Virtual router %s has interfaces (%s); remove their addresses first", name, c.id)
		}
	}
	if err := s.d.Engine.DeleteVirtualRouter(name); err != nil && !errors.Is(err, linecard.ErrNoSuchVirtualRouter) {
		return engineErr(err)
	}
	delete(s.vrs, name)
	delete(s.routes, name)
	delete(s.arps, name)
	if ctx.VR == name {
		ctx.VR = linecard.DefaultVirtualRouter
	}
	return nil
}

func (s *state) cmdARP(ctx *command.Context, req *command.Request) error {
	mac, err := parseMAC(req.String("mac"))
	if err != nil {
		return err
	}
	addr := req.Addr("addr")
	s.mu.Lock()
	defer s.mu.Unlock()
	vr := ctx.VR
	if !s.vrExistsLocked(vr) {
		return fmt.Errorf("Virtual router %s does not exist", vr)
	}
	var owner *ifConf
	for _, c := range s.sortedLocked() {
		if c.kind == kindMgmt || c.vr != vr {
			continue
		}
		for _, p := range c.addrs {
			if p.Addr() == addr {
				return fmt.Errorf("%s is an address of this router (%s)", addr, c.id)
			}
			if owner == nil && p.Contains(addr) {
				owner = c
			}
		}
	}
	if owner == nil {
		return fmt.Errorf("No interface in virtual router %s has a subnet containing %s", vr, addr)
	}
	name := owner.id.String()
	for _, a := range s.arps[vr] {
		if a.addr == addr && a.iface != name {
			_ = s.d.Engine.DeleteARP(a.iface, addr)
		}
	}
	if err := s.d.Engine.AddStaticARP(name, addr, mac); err != nil {
		return engineErr(err)
	}
	as := slices.DeleteFunc(s.arps[vr], func(a staticARP) bool { return a.addr == addr })
	as = append(as, staticARP{addr: addr, mac: mac, iface: name})
	slices.SortFunc(as, func(a, b staticARP) int { return a.addr.Compare(b.addr) })
	s.arps[vr] = as
	return nil
}

func (s *state) cmdNoARP(ctx *command.Context, req *command.Request) error {
	addr := req.Addr("addr")
	s.mu.Lock()
	defer s.mu.Unlock()
	vr := ctx.VR
	i := slices.IndexFunc(s.arps[vr], func(a staticARP) bool { return a.addr == addr })
	if i < 0 {
		return fmt.Errorf("No static ARP entry for %s", addr)
	}
	a := s.arps[vr][i]
	if err := s.d.Engine.DeleteARP(a.iface, addr); err != nil && !errors.Is(err, linecard.ErrNoSuchAddress) && !errors.Is(err, linecard.ErrNoSuchInterface) {
		return engineErr(err)
	}
	s.arps[vr] = slices.Delete(s.arps[vr], i, i+1)
	return nil
}
