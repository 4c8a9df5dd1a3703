package main

import (
	"net/netip"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/lccli"
)

// routeNotifier is the line card as the interface and routing commands see
// it: every change that can move the route to an analyzer (addresses,
// routes, shutdown, virtual routers, interfaces) is passed on to the
// mirroring engine, which re-checks its analyzers. The line card has no
// change notification of its own (mirror/API.md, "Events the engine
// needs"). Everything else is the line card's own method, promoted.
type routeNotifier struct {
	*linecard.Engine
	r *router
}

var _ lccli.Engine = routeNotifier{}

// changed tells the mirroring engine after a successful change. r.mirror
// is nil only before the engine exists (nothing to re-check then).
func (n routeNotifier) changed(err error) error {
	if err == nil && n.r.mirror != nil {
		n.r.mirror.RoutesChanged()
	}
	return err
}

func (n routeNotifier) AddVirtualRouter(name string) error {
	return n.changed(n.Engine.AddVirtualRouter(name))
}

func (n routeNotifier) DeleteVirtualRouter(name string) error {
	return n.changed(n.Engine.DeleteVirtualRouter(name))
}

func (n routeNotifier) SetVirtualRouter(ifname, vr string) error {
	return n.changed(n.Engine.SetVirtualRouter(ifname, vr))
}

func (n routeNotifier) AddVLANInterface(name, parent string, vlan uint16) error {
	return n.changed(n.Engine.AddVLANInterface(name, parent, vlan))
}

func (n routeNotifier) AddLoopback(name string) error {
	return n.changed(n.Engine.AddLoopback(name))
}

// DeleteInterface also drops the secure attachments of the interface
// (logged as InterfaceDeleted in the secure log).
func (n routeNotifier) DeleteInterface(name string) error {
	err := n.Engine.DeleteInterface(name)
	if err == nil && n.r.mirror != nil {
		n.r.mirror.InterfaceDeleted(name)
	}
	return n.changed(err)
}

func (n routeNotifier) SetAdminUp(name string, up bool) error {
	return n.changed(n.Engine.SetAdminUp(name, up))
}

func (n routeNotifier) AddAddress(name string, a netip.Prefix) error {
	return n.changed(n.Engine.AddAddress(name, a))
}

func (n routeNotifier) DeleteAddress(name string, a netip.Prefix) error {
	return n.changed(n.Engine.DeleteAddress(name, a))
}

func (n routeNotifier) AddRoute(vr string, rt linecard.Route) error {
	return n.changed(n.Engine.AddRoute(vr, rt))
}

func (n routeNotifier) DeleteRoute(vr string, rt linecard.Route) error {
	return n.changed(n.Engine.DeleteRoute(vr, rt))
}

// Static ARP entries are the next hop of a default analyzer
// (`ip analyzer default`) whose analyzer is not on its subnet.

func (n routeNotifier) AddStaticARP(name string, ip netip.Addr, mac [6]byte) error {
	return n.changed(n.Engine.AddStaticARP(name, ip, mac))
}

func (n routeNotifier) DeleteARP(name string, ip netip.Addr) error {
	return n.changed(n.Engine.DeleteARP(name, ip))
}

func (n routeNotifier) ClearARP(name string) error {
	return n.changed(n.Engine.ClearARP(name))
}
