package linecard

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/erxos/erx/services/linecard/arp"
)

// ARPEntry is one row of `show arp`.
type ARPEntry struct {
	Interface string
	arp.Entry
}

// ARPEntries returns the ARP entries of every interface in virtual router vr.
func (e *Engine) ARPEntries(vr string) ([]ARPEntry, error) {
	e.mu.Lock()
	v := e.vrs[vr]
	var ifs []*iface
	for _, ifc := range e.byName {
		if ifc.vr.Load() == v {
			ifs = append(ifs, ifc)
		}
	}
	e.mu.Unlock()
	if v == nil {
		return nil, fmt.Errorf("linecard: virtual router %q: %w", vr, ErrNoSuchVirtualRouter)
	}
	sort.Slice(ifs, func(i, j int) bool { return ifs[i].index < ifs[j].index })
	var out []ARPEntry
	for _, ifc := range ifs {
		for _, en := range ifc.arp.Entries() {
			out = append(out, ARPEntry{Interface: ifc.name, Entry: en})
		}
	}
	return out, nil
}

// AddStaticARP installs a static ARP entry on an interface (`arp` in
// Global Configuration mode); mirroring uses it for the analyzer's next hop.
func (e *Engine) AddStaticARP(name string, ip netip.Addr, mac [6]byte) error {
	if !ip.Is4() {
		return fmt.Errorf("linecard: %v: %w", ip, ErrBadAddress)
	}
	e.mu.Lock()
	ifc, err := e.lookup(name)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	ifc.arp.AddStatic(ip, mac, e.now())
	return nil
}

// DeleteARP removes the entry for ip (static or dynamic) from an interface.
func (e *Engine) DeleteARP(name string, ip netip.Addr) error {
	e.mu.Lock()
	ifc, err := e.lookup(name)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if !ip.Is4() || !ifc.arp.Delete(ip) {
		return fmt.Errorf("linecard: arp %v on %q: %w", ip, name, ErrNoSuchAddress)
	}
	return nil
}

// ClearARP removes the dynamic ARP entries of one interface, or of every
// interface when name is empty (`clear arp`).
func (e *Engine) ClearARP(name string) error {
	e.mu.Lock()
	var ifs []*iface
	if name == "" {
		for _, ifc := range e.byName {
			ifs = append(ifs, ifc)
		}
	} else {
		ifc, err := e.lookup(name)
		if err != nil {
			e.mu.Unlock()
			return err
		}
		ifs = append(ifs, ifc)
	}
	e.mu.Unlock()
	for _, ifc := range ifs {
		ifc.arp.Clear()
	}
	return nil
}
