package mirror

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/arp"
)

// The default analyzer (`ip analyzer default`, spec section 2): an
// analyzer interface that is also its virtual router's default analyzer
// carries the copies of every policy of that router whose analyzer
// address has no route through an analyzer interface — no route at all,
// or only one out of an ordinary interface (typically the default route
// toward the Internet). The copies leave it toward the analyzer itself
// when the analyzer is on the interface's subnet, else toward the
// interface's static ARP entry (the analyzer's next hop; an analyzer
// interface learns no ARP). One default analyzer per virtual router; a
// multiaccess subscriber interface (IPoE) or any other subscriber
// interface cannot be it. One that is shut down or has no link carries
// nothing: its policies show the analyzer unreachable ("default analyzer
// X down") until a reconciliation finds it up again.

// ErrNotDefaultCapable refuses `ip analyzer default` on a subscriber
// interface.
var ErrNotDefaultCapable = errors.New("a multiaccess or subscriber interface cannot be the default analyzer")

// Neighbors is implemented by a data plane that lists its ARP entries
// (*linecard.Engine does); the default analyzer takes its next hop from
// the static ones.
type Neighbors interface {
	ARPEntries(vr string) ([]linecard.ARPEntry, error)
}

// SetDefaultAnalyzer puts an interface into analyzer mode and makes it
// the default analyzer of its virtual router (`ip analyzer default`),
// replacing the router's previous default analyzer (which stays an
// analyzer). `ip analyzer` (SetAnalyzerInterface) on it keeps analyzer
// mode and drops the default role; `no ip analyzer` drops both.
func (e *Engine) SetDefaultAnalyzer(ifname string, who Source) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.setAnalyzerLocked(ifname, true, true, who)
}

// IsDefaultAnalyzer reports whether ifname is its virtual router's
// default analyzer.
func (e *Engine) IsDefaultAnalyzer(ifname string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.defaultAnalyzers[ifname]
}

// setAnalyzerLocked sets an interface's analyzer mode and default role
// (def counts only when on).
func (e *Engine) setAnalyzerLocked(ifname string, on, def bool, who Source) error {
	def = def && on
	if on && !canBeAnalyzer(ifname) {
		return ErrNotAnalyzerCapable
	}
	var vr string
	if def {
		info, err := e.dp.Interface(ifname)
		if err != nil {
			return fmt.Errorf("ip analyzer default on %s: %w", ifname, err)
		}
		if info.Kind == linecard.PPPoESub || info.Kind == linecard.IPoESub {
			return ErrNotDefaultCapable
		}
		vr = vrOrDefault(info.VirtualRouter)
	}
	if on {
		for k := range e.attachments {
			if k.ifname == ifname {
				return ErrMirroredAnalyzer
			}
		}
	}
	if e.analyzerIfs[ifname] == on && e.defaultAnalyzers[ifname] == def {
		return nil
	}
	if e.analyzerIfs[ifname] != on {
		if ap, ok := e.dp.(AnalyzerPorts); ok {
			if err := ap.SetAnalyzer(ifname, on); err != nil {
				return err
			}
		}
	}
	why := "interface became an analyzer"
	switch {
	case !on:
		delete(e.analyzerIfs, ifname)
		delete(e.defaultAnalyzers, ifname)
		e.logConfig(who, "no ip analyzer on "+ifname, "")
		why = "analyzer interface removed"
	case def:
		e.analyzerIfs[ifname] = true
		for n := range e.defaultAnalyzers {
			if n != ifname && e.interfaceVRLocked(n) == vr {
				delete(e.defaultAnalyzers, n)
				e.logConfig(who, "ip analyzer on "+n+" (no longer the default analyzer)", "")
			}
		}
		if e.defaultAnalyzers == nil {
			e.defaultAnalyzers = map[string]bool{}
		}
		e.defaultAnalyzers[ifname] = true
		e.logConfig(who, "ip analyzer default on "+ifname, "")
	default:
		e.analyzerIfs[ifname] = true
		delete(e.defaultAnalyzers, ifname)
		e.logConfig(who, "ip analyzer on "+ifname, "")
	}
	e.reconcileLocked(why)
	return e.saveLocked()
}

// interfaceVRLocked returns the virtual router of an interface ("" when
// it does not exist).
func (e *Engine) interfaceVRLocked(ifname string) string {
	info, err := e.dp.Interface(ifname)
	if err != nil {
		return ""
	}
	return vrOrDefault(info.VirtualRouter)
}

// defaultCandidate is a default analyzer that can carry copies: in
// analyzer mode, administratively up with its link up, with an IPv4
// address.
type defaultCandidate struct {
	info   linecard.InterfaceInfo
	static netip.Addr // lowest static ARP entry on its subnets (invalid: none)
}

// vrDefaults are the default analyzers of one virtual router, as one
// reconciliation sees them.
type vrDefaults struct {
	usable []defaultCandidate // sorted by name
	down   []string           // default analyzers not up (administratively or link)
}

// defaultsLocked returns the default analyzers of virtual router vr,
// memoized in c (nil: not memoized) so that a reconciliation asks the
// data plane for each interface and for the ARP entries once, not once
// per policy.
func (e *Engine) defaultsLocked(vr string, c *reconcileCache) vrDefaults {
	vr = vrOrDefault(vr)
	if d, ok := c.defaults(vr); ok {
		return d
	}
	names := make([]string, 0, len(e.defaultAnalyzers))
	for n := range e.defaultAnalyzers {
		if e.analyzerIfs[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var d vrDefaults
	var entries []linecard.ARPEntry
	fetched := false
	for _, n := range names {
		info, err := e.dp.Interface(n)
		if err != nil || vrOrDefault(info.VirtualRouter) != vr {
			continue
		}
		if !info.AdminUp || !info.LinkUp {
			d.down = append(d.down, n)
			continue
		}
		if !fetched {
			entries, fetched = e.arpEntriesLocked(vr), true
		}
		d.usable = append(d.usable, defaultCandidate{info: info, static: staticNextHop(info, entries)})
	}
	c.setDefaults(vr, d)
	return d
}

// defaultAnalyzerRouteLocked returns the route through virtual router
// vr's default analyzer to analyzer address dst, if it has one that is
// usable (defaultCandidate) with a next hop: dst on its subnet, or a
// static ARP entry on its subnet. c memoizes the data-plane lookups (may
// be nil). When there is none, why says which default analyzers are down
// ("" when none is).
func (e *Engine) defaultAnalyzerRouteLocked(vr string, dst netip.Addr, c *reconcileCache) (r Route, ok bool, why string) {
	d := e.defaultsLocked(vr, c)
	for _, cand := range d.usable {
		r := Route{Interface: cand.info.Name}
		for _, a := range cand.info.Addresses {
			if !a.Addr().Is4() {
				continue
			}
			if !r.Source.IsValid() {
				r.Source = a.Addr()
			}
			if a.Contains(dst) {
				r.Source, r.NextHop = a.Addr(), dst
				break
			}
		}
		if r.Source.IsValid() && !r.NextHop.IsValid() {
			r.NextHop = cand.static
		}
		if r.NextHop.IsValid() {
			return r, true, ""
		}
	}
	if len(d.down) > 0 {
		why = "default analyzer " + strings.Join(d.down, ", ") + " down"
	}
	return Route{}, false, why
}

// arpEntriesLocked returns the ARP entries of virtual router vr (none
// when the data plane does not list them).
func (e *Engine) arpEntriesLocked(vr string) []linecard.ARPEntry {
	ns, ok := e.dp.(Neighbors)
	if !ok {
		return nil
	}
	entries, err := ns.ARPEntries(vr)
	if err != nil {
		return nil
	}
	return entries
}

// staticNextHop returns the lowest static entry of entries on an
// interface's subnets (invalid when there is none).
func staticNextHop(info linecard.InterfaceInfo, entries []linecard.ARPEntry) netip.Addr {
	var best netip.Addr
	for _, en := range entries {
		if en.Interface != info.Name || en.State != arp.Static || (best.IsValid() && !en.Addr.Less(best)) {
			continue
		}
		for _, a := range info.Addresses {
			if a.Contains(en.Addr) && a.Addr() != en.Addr {
				best = en.Addr
				break
			}
		}
	}
	return best
}
