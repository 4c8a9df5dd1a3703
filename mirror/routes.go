package mirror

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/erxos/erx/services/linecard"
)

// Route is how a virtual router reaches an analyzer.
type Route struct {
	// Interface is the outgoing interface.
	Interface string
	// Source is that interface's IPv4 address: the prepend's source.
	Source netip.Addr
	// NextHop is the gateway, or the analyzer itself when directly connected.
	NextHop netip.Addr
}

// ErrNoRoute is returned by Routes.LookupRoute when no route exists.
var ErrNoRoute = errors.New("no route")

// Routes resolves the route to an analyzer address.
type Routes interface {
	LookupRoute(vr string, dst netip.Addr) (Route, error)
}

// RouteWatcher is implemented by a Routes that reports changes of routes,
// interface addresses or interfaces. The engine subscribes at Start; a
// data plane without notifications has its glue call
// Engine.RoutesChanged instead. The callback looks routes up again, so it
// must not be called while holding a lock LookupRoute takes.
type RouteWatcher interface {
	WatchRoutes(changed func()) (cancel func())
}

// RouteSource is the part of *linecard.Engine that FIBRoutes reads.
type RouteSource interface {
	Routes(vr string) ([]linecard.RouteInfo, error)
	Interface(name string) (linecard.InterfaceInfo, error)
}

// FIBRoutes implements Routes over the data plane's route table: the
// longest matching best route, resolved once through its next hop when it
// names no interface.
type FIBRoutes struct {
	Source RouteSource
}

// LookupRoute implements Routes.
func (f FIBRoutes) LookupRoute(vr string, dst netip.Addr) (Route, error) {
	rs, err := f.Source.Routes(vr)
	if err != nil {
		return Route{}, err
	}
	best := func(a netip.Addr) (linecard.RouteInfo, bool) {
		var r linecard.RouteInfo
		found := false
		for _, x := range rs {
			if x.Best && x.Prefix.Contains(a) && (!found || x.Prefix.Bits() > r.Prefix.Bits()) {
				r, found = x, true
			}
		}
		return r, found
	}
	r, ok := best(dst)
	if !ok {
		return Route{}, ErrNoRoute
	}
	out := Route{Interface: r.Interface, NextHop: dst}
	if r.NextHop.IsValid() {
		out.NextHop = r.NextHop
	}
	if out.Interface == "" {
		g, ok := best(r.NextHop)
		if !ok || g.Interface == "" {
			return Route{}, fmt.Errorf("next hop %v: %w", r.NextHop, ErrNoRoute)
		}
		out.Interface = g.Interface
	}
	info, err := f.Source.Interface(out.Interface)
	if err != nil {
		return Route{}, err
	}
	for _, a := range info.Addresses {
		if a.Addr().Is4() {
			out.Source = a.Addr()
			break
		}
	}
	if !out.Source.IsValid() {
		return Route{}, fmt.Errorf("interface %s has no address: %w", out.Interface, ErrNoRoute)
	}
	return out, nil
}
