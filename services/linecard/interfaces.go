package linecard

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/erxos/erx/services/linecard/header"
)

// AddVLANInterface creates the 802.1Q subinterface name for VLAN ID vlan
// (1..4094) on the port of physical interface parent.
func (e *Engine) AddVLANInterface(name, parent string, vlan uint16) error {
	if vlan < 1 || vlan > 4094 {
		return fmt.Errorf("linecard: vlan %d: %w: VLAN ID must be 1..4094", vlan, ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.lookup(parent)
	if err != nil {
		return err
	}
	if p.kind != Physical {
		return fmt.Errorf("linecard: %q is not a physical interface: %w", parent, ErrBadArgument)
	}
	if other := p.port.vlans[vlan].Load(); other != nil {
		return fmt.Errorf("linecard: vlan %d on %q is used by %q: %w", vlan, parent, other.name, ErrInterfaceExists)
	}
	_, err = e.addIfaceLocked(name, VLANSub, p.port, vlan)
	return err
}

// AddLoopback creates a loopback interface.
func (e *Engine) AddLoopback(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := e.addIfaceLocked(name, Loopback, nil, 0)
	return err
}

// DeleteInterface removes a VLAN subinterface, loopback, or PPPoE or IP
// subscriber interface with its addresses, routes through it, ARP entries
// and taps (and, for a VLAN subinterface, the subscriber interfaces over
// it). Physical interfaces cannot be deleted.
func (e *Engine) DeleteInterface(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	if ifc.kind == Physical {
		return fmt.Errorf("linecard: %q: %w: physical interfaces cannot be deleted", name, ErrBadArgument)
	}
	e.deleteLocked(ifc)
	return nil
}

// deleteLocked removes ifc (and the PPPoE sessions and IP subscribers over it).
func (e *Engine) deleteLocked(ifc *iface) {
	e.unlinkIPoELocked(ifc)
	if t := ifc.sessions.Load(); t != nil {
		for _, sub := range t.all() {
			e.deleteLocked(sub)
		}
	}
	switch ifc.kind {
	case VLANSub:
		ifc.port.vlans[ifc.vlan].Store(nil)
	case PPPoESub:
		ifc.parent.setSession(ifc.sid, nil)
	}
	ifc.up.Store(false)
	e.withdrawLocked(ifc, true)
	ifc.tap[Ingress].Store(nil)
	ifc.tap[Egress].Store(nil)
	ifc.arp.Clear()
	delete(e.byName, ifc.name)
	(*e.ifaces.Load())[ifc.index].Store(nil)
	if ifc.resolvesNeighbors() {
		e.setTimedLocked(ifc, false)
	}
}

// SetAdminUp sets the administrative state (`shutdown` / `no shutdown`).
// A down interface drops what it receives and its connected and local
// routes are withdrawn until it comes back up.
func (e *Engine) SetAdminUp(name string, up bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	if ifc.up.Load() == up {
		return nil
	}
	ifc.up.Store(up)
	if up {
		e.installLocked(ifc)
		if ifc.port != nil {
			for _, a := range *ifc.addrs.Load() {
				e.sendARP(ifc, header.ARPRequest, header.Broadcast, a.Addr(), [6]byte{}, a.Addr())
			}
		}
	} else {
		e.withdrawLocked(ifc, false)
	}
	return nil
}

// SetMTU sets the interface IP MTU (68..port MTU for port interfaces).
func (e *Engine) SetMTU(name string, mtu int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	max := 65535
	if ifc.port != nil {
		max = ifc.port.p.MTU()
	}
	if mtu < 68 || mtu > max {
		return fmt.Errorf("linecard: mtu %d: %w: must be 68..%d", mtu, ErrBadArgument, max)
	}
	ifc.mtu.Store(uint32(mtu))
	return nil
}

// SetDescription sets the interface description.
func (e *Engine) SetDescription(name, desc string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	ifc.desc = desc
	return nil
}

// InterfaceInfo describes an interface for `show interfaces`.
type InterfaceInfo struct {
	Name          string
	Index         uint32
	Kind          Kind
	Port          string // host port name; empty for loopback
	VLAN          uint16
	VirtualRouter string
	AdminUp       bool
	// LinkUp is the carrier of the interface's port (polled every second);
	// always true for loopbacks. A PPPoE or VLAN interface follows its port.
	LinkUp      bool
	MTU         int
	MAC         [6]byte
	Description string
	Addresses   []netip.Prefix
	// Parent, SessionID and PeerMAC describe a PPPoE subscriber
	// interface (Kind PPPoESub): the access interface it rides on, its
	// PPPoE session ID and the subscriber's MAC address.
	Parent    string
	SessionID uint16
	PeerMAC   [6]byte
	// PeerAddress is the subscriber's address of an IP subscriber
	// interface (Kind IPoESub), which also sets Parent and PeerMAC.
	PeerAddress netip.Addr
}

func (e *Engine) infoLocked(ifc *iface) InterfaceInfo {
	in := InterfaceInfo{Name: ifc.name, Index: ifc.index, Kind: ifc.kind, VLAN: ifc.vlan, VirtualRouter: ifc.vr.Load().name,
		AdminUp: ifc.up.Load(), MTU: int(ifc.mtu.Load()), MAC: ifc.mac, Description: ifc.desc,
		Addresses: append([]netip.Prefix(nil), *ifc.addrs.Load()...)}
	in.LinkUp = true
	if ifc.port != nil {
		in.Port = ifc.port.p.Name()
		in.LinkUp = ifc.port.link.Load()
	}
	if ifc.parent != nil {
		in.Parent, in.SessionID, in.PeerMAC, in.PeerAddress = ifc.parent.name, ifc.sid, ifc.peer, ifc.peerAddr
		in.VLAN = ifc.parent.vlan
	}
	return in
}

// Interfaces returns all interfaces sorted by index.
func (e *Engine) Interfaces() []InterfaceInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]InterfaceInfo, 0, len(e.byName))
	for _, ifc := range e.byName {
		out = append(out, e.infoLocked(ifc))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Interface returns one interface.
func (e *Engine) Interface(name string) (InterfaceInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return InterfaceInfo{}, err
	}
	return e.infoLocked(ifc), nil
}
