package mirror

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/erxos/erx/services/linecard"
)

// bindingKey is one mirror in force: a target bound to a policy.
type bindingKey struct {
	policy string
	target string // "if:<name>:<dir>" or "session:<key>"
}

// binding describes a mirror in force.
type binding struct {
	session     bool
	taps        []tapKey
	mirrorID    uint32
	sessionID   uint32
	source      Source
	triggerType string
	trigger     string
	direction   string
	target      string // interface name, or the session's user and interface
}

// reachability is a policy's analyzer state.
type reachability struct {
	ok     bool
	reason string // when !ok: "no mirror rule", "no route", "not in analyzer mode"
	route  Route
}

// tapState is a tap attached in the data plane.
type tapState struct {
	an       analyzerKey
	mirrorID uint32
	sid      uint32
}

// desiredBindingsLocked derives the mirrors the state asks for.
func (e *Engine) desiredBindingsLocked() map[bindingKey]binding {
	out := map[bindingKey]binding{}
	if !e.started {
		return out
	}
	for k, name := range e.attachments {
		p := e.policies[name]
		if p == nil {
			continue
		}
		sid := uint32(0)
		if info, err := e.dp.Interface(k.ifname); err == nil {
			sid = info.Index
		}
		out[bindingKey{name, fmt.Sprintf("if:%s:%d", k.ifname, k.dir)}] = binding{
			taps: []tapKey{k}, mirrorID: p.mirrorID(), sessionID: sid, source: Source{Kind: SourceCLIStatic},
			triggerType: "interfaceString", trigger: k.ifname, direction: dirName(k.dir), target: k.ifname,
		}
	}
	for _, s := range e.sessions {
		var p *policy
		b := binding{session: true, direction: "ingress+egress", target: s.id.Username + " on " + s.ifname,
			sessionID: SessionIDFromAcct(s.id.AcctSessionID)}
		if s.radius != nil {
			p = s.radius
			b.source = Source{Kind: SourceRADIUSLogin}
			if p.origin == OriginCoA {
				b.source.Kind = SourceRADIUSCoA
			}
			b.triggerType, b.trigger = "acctSessionId", s.id.AcctSessionID
			if p.hasSID {
				b.sessionID = p.sid
			}
		} else if tr := e.triggerLocked(s); tr != nil && !tr.disable {
			p = e.policies[tr.policy]
			b.source = Source{Kind: SourceCLITrigger}
			b.triggerType, b.trigger = tr.key.typ.MIBName(), tr.key.value
		}
		if p == nil || s.ifname == "" || e.analyzerIfs[s.ifname] {
			continue
		}
		b.mirrorID = p.mirrorID()
		for _, d := range []Direction{Input, Output} {
			k := tapKey{s.ifname, d}
			// A manual attachment wins, and the mirror it removed stays removed.
			if _, manual := e.attachments[k]; !manual && !s.overridden[d] {
				b.taps = append(b.taps, k)
			}
		}
		if len(b.taps) > 0 {
			out[bindingKey{p.name, "session:" + s.key}] = b
		}
	}
	return out
}

// reconcileCache memoizes the data-plane lookups of one reconciliation:
// the routes to analyzers and each virtual router's default analyzers
// (interface state, static next hops). A nil *reconcileCache memoizes
// nothing.
type reconcileCache struct {
	routes map[analyzerKey]routeResult
	defs   map[string]vrDefaults // by virtual router
}

type routeResult struct {
	r   Route
	err error
}

func newReconcileCache() *reconcileCache {
	return &reconcileCache{routes: map[analyzerKey]routeResult{}, defs: map[string]vrDefaults{}}
}

func (c *reconcileCache) route(k analyzerKey) (routeResult, bool) {
	if c == nil {
		return routeResult{}, false
	}
	r, ok := c.routes[k]
	return r, ok
}

func (c *reconcileCache) setRoute(k analyzerKey, r routeResult) {
	if c != nil {
		c.routes[k] = r
	}
}

func (c *reconcileCache) defaults(vr string) (vrDefaults, bool) {
	if c == nil {
		return vrDefaults{}, false
	}
	d, ok := c.defs[vr]
	return d, ok
}

func (c *reconcileCache) setDefaults(vr string, d vrDefaults) {
	if c != nil {
		c.defs[vr] = d
	}
}

// reachLocked computes a policy's analyzer state from the routes; cache
// may be nil. Whether the data plane resolves the next hop is checked
// when the delivery follows the route (reconcileLocked).
func (e *Engine) reachLocked(p *policy, cache *reconcileCache) reachability {
	if p.rule == nil {
		return reachability{reason: "no mirror rule"}
	}
	k := analyzerKey{vr: p.vr, addr: p.rule.Analyzer}
	res, ok := cache.route(k)
	if !ok {
		res.r, res.err = e.cfg.Routes.LookupRoute(p.vr, p.rule.Analyzer)
		cache.setRoute(k, res)
	}
	r, err := res.r, res.err
	why := ""
	if err != nil || !e.analyzerIfs[r.Interface] {
		// No route through an analyzer interface: the VR's default analyzer, if any.
		dr, ok, down := e.defaultAnalyzerRouteLocked(p.vr, p.rule.Analyzer, cache)
		if ok {
			return reachability{ok: true, route: dr}
		}
		if down != "" {
			why = " (" + down + ")"
		}
	}
	if err != nil {
		return reachability{reason: "no route" + why}
	}
	if !e.analyzerIfs[r.Interface] {
		return reachability{reason: "not in analyzer mode" + why, route: r}
	}
	return reachability{ok: true, route: r}
}

// reconcileLocked brings the bindings, taps and analyzer deliveries in line
// with the state, logging every start, stop and analyzer change. why is
// the reason given to mirrors that stop.
func (e *Engine) reconcileLocked(why string) {
	want := e.desiredBindingsLocked()
	// Log mirrors that stop and start.
	for _, k := range sortedBindingKeys(e.bindings) {
		if _, ok := want[k]; !ok {
			b := e.bindings[k]
			ev := EventInterfaceDeactivated
			if b.session {
				ev = EventSessionEnd
			}
			e.log.add(e.bindingEntry(ev, k, b, why))
		}
	}
	for _, k := range sortedBindingKeys(want) {
		if _, ok := e.bindings[k]; !ok {
			b := want[k]
			ev := EventInterfaceActivated
			if b.session {
				ev = EventSessionStart
			}
			e.log.add(e.bindingEntry(ev, k, b, ""))
		}
	}
	e.bindings = want

	// Analyzer reachability of every policy with a rule, from the routes.
	names := make([]string, 0, len(e.policies))
	for n := range e.policies {
		names = append(names, n)
	}
	sort.Strings(names)
	reach := make(map[string]reachability, len(names))
	cache := newReconcileCache()
	for _, n := range names {
		reach[n] = e.reachLocked(e.policies[n], cache)
	}

	// The deliveries of the analyzers the bindings use follow their
	// routes; a next hop the data plane cannot resolve (its route went
	// away, a default analyzer lost its address) makes the analyzer
	// unreachable until a later reconciliation resolves it.
	routes := map[analyzerKey]Route{}
	for _, k := range sortedBindingKeys(want) {
		if p := e.policies[k.policy]; p != nil && reach[k.policy].ok {
			routes[policyAnalyzer(p)] = reach[k.policy].route
		}
	}
	unresolved := map[analyzerKey]string{}
	for ak, r := range routes {
		a := e.analyzers[ak]
		if a == nil {
			var err error
			if a, err = e.startAnalyzer(ak, r); err != nil {
				e.log.add(Entry{Time: e.now(), Event: EventAnalyzerUnreachable, Source: Source{Kind: SourceSystem},
					Analyzer: analyzerText(Rule{Analyzer: ak.addr, Port: ak.port}), Cause: "genericFailure: " + err.Error()})
				delete(routes, ak)
				continue
			}
			e.analyzers[ak] = a
		}
		if err := a.setRoute(r); err != nil {
			unresolved[ak] = "next hop unresolved: " + err.Error()
			delete(routes, ak)
		}
	}

	// Log the changes of reachability.
	for _, n := range names {
		p := e.policies[n]
		if p.rule == nil {
			delete(e.reach, n)
			continue
		}
		r := reach[n]
		if why, ok := unresolved[policyAnalyzer(p)]; ok && r.ok {
			r = reachability{reason: why, route: r.route}
			reach[n] = r
		}
		old, seen := e.reach[n]
		switch {
		case !r.ok && (!seen || old.ok || old.reason != r.reason):
			e.log.add(Entry{Time: e.now(), Event: EventAnalyzerUnreachable, Source: Source{Kind: SourceSystem}, Policy: n,
				MirrorID: p.mirrorID(), Analyzer: analyzerText(*p.rule), Cause: r.reason})
		case r.ok && seen && !old.ok:
			e.log.add(Entry{Time: e.now(), Event: EventAnalyzerReachable, Source: Source{Kind: SourceSystem}, Policy: n,
				MirrorID: p.mirrorID(), Analyzer: analyzerText(*p.rule), Cause: "via " + r.route.Interface})
		}
		e.reach[n] = r
	}

	// Taps wanted: bindings whose analyzer is reachable.
	taps := map[tapKey]tapState{}
	for _, k := range sortedBindingKeys(want) {
		b := want[k]
		p := e.policies[k.policy]
		if p == nil || !reach[k.policy].ok {
			continue
		}
		ak := policyAnalyzer(p)
		for _, tk := range b.taps {
			if _, taken := taps[tk]; !taken {
				taps[tk] = tapState{an: ak, mirrorID: b.mirrorID, sid: b.sessionID}
			}
		}
	}
	// Detach taps no longer wanted, then attach or change the others.
	for _, tk := range sortedTapKeys(e.taps) {
		if _, ok := taps[tk]; !ok {
			if err := e.dp.SetTap(tk.ifname, tk.dir, nil); err != nil && !errors.Is(err, linecard.ErrNoSuchInterface) {
				e.tapFailure(tk, err)
			}
			delete(e.taps, tk)
		}
	}
	for _, tk := range sortedTapKeys(taps) {
		ts := taps[tk]
		if old, ok := e.taps[tk]; ok && old == ts {
			continue
		}
		a := e.analyzers[ts.an]
		if a == nil { // its delivery could not be made (logged above)
			if _, ok := e.taps[tk]; ok {
				_ = e.dp.SetTap(tk.ifname, tk.dir, nil)
				delete(e.taps, tk)
			}
			continue
		}
		if err := e.dp.SetTap(tk.ifname, tk.dir, &linecard.Tap{Delivery: a.d, MirrorID: ts.mirrorID, SessionID: ts.sid}); err != nil {
			e.tapFailure(tk, err)
			delete(e.taps, tk)
			continue
		}
		delete(e.tapErr, tk)
		e.taps[tk] = ts
	}
	// Stop analyzers no tap uses.
	for ak, a := range e.analyzers {
		if _, ok := routes[ak]; !ok {
			a.close()
			delete(e.analyzers, ak)
		}
	}
}

// policyAnalyzer returns the analyzer delivery of a policy with a rule.
func policyAnalyzer(p *policy) analyzerKey {
	return analyzerKey{vr: p.vr, addr: p.rule.Analyzer, port: p.rule.Port}
}

func (e *Engine) tapFailure(tk tapKey, err error) {
	if e.tapErr[tk] == err.Error() {
		return
	}
	e.tapErr[tk] = err.Error()
	e.log.add(Entry{Time: e.now(), Event: EventSessionFailed, Source: Source{Kind: SourceSystem}, TriggerType: "interfaceString",
		Trigger: tk.ifname, Direction: dirName(tk.dir), Cause: "genericFailure: " + err.Error()})
}

func (e *Engine) bindingEntry(ev Event, k bindingKey, b binding, why string) Entry {
	en := Entry{Time: e.now(), Event: ev, Source: b.source, TriggerType: b.triggerType, Trigger: b.trigger,
		MirrorID: b.mirrorID, SessionID: b.sessionID, HasSessionID: true, Policy: k.policy, Direction: b.direction, Cause: why}
	if p := e.policies[k.policy]; p != nil && p.rule != nil {
		en.Analyzer = analyzerText(*p.rule)
	}
	return en
}

func sortedBindingKeys(m map[bindingKey]binding) []bindingKey {
	out := make([]bindingKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].policy != out[j].policy {
			return out[i].policy < out[j].policy
		}
		return out[i].target < out[j].target
	})
	return out
}

func sortedTapKeys(m map[tapKey]tapState) []tapKey {
	out := make([]tapKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ifname != out[j].ifname {
			return out[i].ifname < out[j].ifname
		}
		return out[i].dir < out[j].dir
	})
	return out
}

func sortTriggers(ts []Trigger) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Type != ts[j].Type {
			return ts[i].Type < ts[j].Type
		}
		if ts[i].VirtualRouter != ts[j].VirtualRouter {
			return ts[i].VirtualRouter < ts[j].VirtualRouter
		}
		return ts[i].Value < ts[j].Value
	})
}

// RoutesChanged re-checks every analyzer's route; call it (or have Routes
// implement RouteWatcher) whenever routes, addresses or interfaces change.
func (e *Engine) RoutesChanged() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reconcileLocked("analyzer unreachable")
}

// addrOrZero is a helper for show output.
func addrOrZero(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}
