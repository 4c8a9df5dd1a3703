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
	Lookup(vr string, dst netip.Addr) (linecard.RouteInfo, netip.Addr, error)
}

// FIBRoutes implements Routes over the data plane's FIB: one longest-match
// lookup, resolved through the route's next hop when it names no
// interface, with the source address the egress interface gives. It costs
// the same with 32,000 subscriber host routes as with none.
type FIBRoutes struct {
	Source RouteSource
}

// LookupRoute implements Routes.
func (f FIBRoutes) LookupRoute(vr string, dst netip.Addr) (Route, error) {
	ri, src, err := f.Source.Lookup(vr, dst)
	if err != nil {
		if errors.Is(err, linecard.ErrNoRoute) {
			return Route{}, fmt.Errorf("%w: %v", ErrNoRoute, err)
		}
		return Route{}, err
	}
	out := Route{Interface: ri.Interface, NextHop: dst, Source: src}
	if ri.NextHop.IsValid() {
		out.NextHop = ri.NextHop
	}
	return out, nil
}

// linkWatcher is implemented by a RouteSource that reports carrier changes
// (*linecard.Engine).
type linkWatcher interface {
	WatchLinks(changed func()) (cancel func())
}

// WatchRoutes implements RouteWatcher for the changes the data plane
// reports by itself: a port's carrier going up or down (a default analyzer
// whose link drops, or returns). changed runs on a goroutine of its own,
// never on the line card's timer goroutine (it takes the engine's lock,
// which flash writes hold), and changes that arrive while it runs are
// folded into one more call. Configuration changes reach the engine
// through Engine.RoutesChanged from the CLI glue.
func (f FIBRoutes) WatchRoutes(changed func()) (cancel func()) {
	w, ok := f.Source.(linkWatcher)
	if !ok {
		return func() {}
	}
	kick, done := make(chan struct{}, 1), make(chan struct{})
	go func() {
		for {
			select {
			case <-kick:
				changed()
			case <-done:
				return
			}
		}
	}()
	stop := w.WatchLinks(func() {
		select {
		case kick <- struct{}{}:
		default: // a call is pending already
		}
	})
	return func() {
		stop()
		close(done)
	}
}
