package linecard

import (
	"fmt"
)

// SetAnalyzer puts a port interface (physical, VLAN or PPPoE subscriber)
// into analyzer mode or takes it out (`ip analyzer` on E Series): an
// analyzer interface is send-only. Everything it receives is dropped and
// counted only in the secret AnalyzerDrops counter (not in Drops), it
// never learns or answers ARP and sends no ARP requests or gratuitous
// ARP, so its analyzer next hop needs a static ARP entry (AddStaticARP).
// Turning analyzer mode on clears the interface's dynamic ARP entries.
// Mirror copies (Tap) and router-originated packets (SendIPv4) leaving
// through it are counted only in the secret MirrorSent counters.
//
// The mode belongs to the name: for a name that does not exist yet (the
// secure store is restored before a subinterface is configured, or a
// dynamic interface comes later) it is recorded and applied when the
// interface is created, and it survives the interface's deletion. A
// loopback cannot be an analyzer (ErrBadArgument).
func (e *Engine) SetAnalyzer(name string, on bool) error {
	if name == "" {
		return fmt.Errorf("linecard: %w: empty interface name", ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc := e.byName[name]
	if ifc != nil && ifc.port == nil && on {
		return fmt.Errorf("linecard: %q: %w: an analyzer interface needs a port", name, ErrBadArgument)
	}
	if on {
		if e.analyzers == nil {
			e.analyzers = make(map[string]bool)
		}
		e.analyzers[name] = true
	} else {
		delete(e.analyzers, name)
	}
	if ifc != nil {
		e.applyAnalyzerLocked(ifc)
	}
	return nil
}

// applyAnalyzerLocked gives ifc the analyzer mode recorded for its name.
func (e *Engine) applyAnalyzerLocked(ifc *iface) {
	on := e.analyzers[ifc.name] && ifc.port != nil
	if ifc.analyzer.Swap(on) != on && on {
		ifc.arp.Clear() // static entries stay
	}
}

// Analyzer reports whether analyzer mode is set for an interface name
// (existing or not). Like the secret counters, only mirror-enabled
// sessions may be shown the answer.
func (e *Engine) Analyzer(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.analyzers[name]
}
