package mirror

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/erxos/erx/services/linecard"
)

// PolicyInfo describes one secure policy list for `show secure policy-list`.
type PolicyInfo struct {
	Name          string
	VirtualRouter string
	Origin        Origin
	Rule          *Rule  // nil: default rule, mirroring disabled
	MirrorID      uint32 // on the wire
	Reachable     bool
	Unreachable   string // reason when !Reachable and Rule != nil
	Via           Route
	References    []string // "gigabitEthernet 2/0/0.100 secure-input", "subscriber sub1@erx.test on IF"
	// Stats are the counters of the policy's analyzer delivery, shared by
	// every list mirroring to the same analyzer address and port.
	Stats AnalyzerStats
}

// Policies returns the secure policy lists (static and dynamic) sorted by
// name, or only the one named.
func (e *Engine) Policies(name string) ([]PolicyInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []PolicyInfo
	for _, p := range e.policies {
		if name != "" && p.name != name {
			continue
		}
		r := e.reach[p.name]
		if p.rule == nil {
			r = reachability{}
		} else if _, ok := e.reach[p.name]; !ok {
			r = e.reachLocked(p, nil)
		}
		pi := PolicyInfo{Name: p.name, VirtualRouter: p.vr, Origin: p.origin, MirrorID: p.mirrorID(), Reachable: r.ok, Unreachable: r.reason, Via: r.route}
		if p.rule != nil {
			rule := *p.rule
			pi.Rule = &rule
			if a := e.analyzers[analyzerKey{p.vr, p.rule.Analyzer, p.rule.Port}]; a != nil {
				pi.Stats = a.stats()
			}
		}
		for k, n := range e.attachments {
			if n == p.name {
				pi.References = append(pi.References, k.ifname+" "+dirWord(k.dir))
			}
		}
		for k, b := range e.bindings {
			if k.policy == p.name && b.session {
				pi.References = append(pi.References, "subscriber "+b.target)
			}
		}
		sort.Strings(pi.References)
		out = append(out, pi)
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchPolicy, name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// WritePolicies prints `show secure policy-list [NAME]`.
func (e *Engine) WritePolicies(w io.Writer, name string) error {
	ps, err := e.Policies(name)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		_, err := io.WriteString(w, "No secure policy lists configured\n")
		return err
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "Secure policy list %s\n", p.Name)
		fmt.Fprintf(&b, "  Origin: %s, virtual router %s\n", p.Origin, p.VirtualRouter)
		if p.Rule == nil {
			b.WriteString("  Administrative state: disabled (default rule, no mirror rule)\n")
		} else {
			b.WriteString("  Administrative state: enabled\n")
			fmt.Fprintf(&b, "  Rule 1: %s\n", p.Rule)
			how := "configured"
			switch {
			case p.Origin != OriginStatic && p.Rule.HasMirrorID:
				how = "from Med-Dev-Handle"
			case !p.Rule.HasMirrorID:
				how = "assigned"
			}
			if p.Rule.Port == 0 {
				fmt.Fprintf(&b, "  Mirror-ID: %d (%s; plain IP mirroring, no header)\n", p.MirrorID, how)
			} else {
				fmt.Fprintf(&b, "  Mirror-ID: %d (%s)\n", p.MirrorID, how)
			}
			if p.Reachable {
				fmt.Fprintf(&b, "  Analyzer: reachable via %s, source %s, next hop %s\n", p.Via.Interface, addrOrZero(p.Via.Source), addrOrZero(p.Via.NextHop))
				b.WriteString("  Mirror action: enabled\n")
			} else {
				fmt.Fprintf(&b, "  Analyzer: unreachable: %s\n", p.Unreachable)
				b.WriteString("  Mirror action: disabled (analyzer unreachable)\n")
			}
		}
		if len(p.References) == 0 {
			b.WriteString("  Referenced by: none\n")
		} else {
			b.WriteString("  Referenced by:\n")
			for _, r := range p.References {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		if p.Rule != nil {
			fmt.Fprintf(&b, "  Copies to %s (all lists using it): %d queued, %d sent (%d bytes), %d dropped (queue full), %d send errors\n",
				analyzerText(*p.Rule), p.Stats.Queued, p.Stats.Sent, p.Stats.SentBytes, p.Stats.Dropped, p.Stats.SendErrors)
		}
	}
	if pct, ok := e.mirroredShare(); ok && pct > MirrorShareGuidance {
		fmt.Fprintf(&b, "Warning: mirrored traffic is %.1f%% of the router's traffic (guidance: at most %d%%)\n", pct, MirrorShareGuidance)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// MirrorShareGuidance is the JunosE guidance: keep mirrored traffic at or
// below 5 % of the router's traffic.
const MirrorShareGuidance = 5

// TrafficCounters is implemented by a data plane that reports interface
// counters (*linecard.Engine does); the engine then warns in `show secure
// policy-list` when mirror copies exceed MirrorShareGuidance percent of the
// packets received.
type TrafficCounters interface {
	Interfaces() []linecard.InterfaceInfo
	Counters(ifname string) (linecard.Counters, error)
}

// mirroredShare returns mirror copies as a percentage of packets received
// by all interfaces since their counters were last cleared.
func (e *Engine) mirroredShare() (float64, bool) {
	tc, ok := e.dp.(TrafficCounters)
	if !ok {
		return 0, false
	}
	var in, copies uint64
	for _, i := range tc.Interfaces() {
		c, err := tc.Counters(i.Name)
		if err != nil {
			continue
		}
		in += c.InPackets
		copies += c.MirrorCopies
	}
	if in == 0 {
		return 0, false
	}
	return 100 * float64(copies) / float64(in), true
}

// WriteConfig writes the static secure configuration as CLI commands, for
// a session with mirror access only (its own section of `show
// configuration`). It never includes dynamic policies.
func (e *Engine) WriteConfig(w io.Writer) error {
	e.mu.Lock()
	f := e.snapshotLocked()
	e.mu.Unlock()
	var b strings.Builder
	for _, p := range f.Policies {
		fmt.Fprintf(&b, "secure ip policy-list %s\n", p.Name)
		if p.HasRule {
			fmt.Fprintf(&b, " %s\n", Rule{Analyzer: p.Analyzer, Port: p.Port, MirrorID: p.MirrorID, HasMirrorID: p.HasMirrorID})
		}
	}
	ifs := map[string][]string{}
	var names []string
	add := func(ifname, line string) {
		if _, ok := ifs[ifname]; !ok {
			names = append(names, ifname)
		}
		ifs[ifname] = append(ifs[ifname], line)
	}
	for _, a := range f.Analyzers {
		add(a, "ip analyzer")
	}
	for _, a := range f.Attachments {
		d := "secure-input"
		if a.Output {
			d = "secure-output"
		}
		add(a.Interface, "ip policy "+d+" "+a.Policy)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "interface %s\n", n)
		for _, l := range ifs[n] {
			fmt.Fprintf(&b, " %s\n", l)
		}
	}
	vr := ""
	for _, t := range f.Triggers {
		tt, _ := ParseTriggerType(t.Type)
		if t.VR == "" {
			t.VR = "default"
		}
		if tt.perVR() && t.VR != vr && (vr != "" || t.VR != "default") {
			fmt.Fprintf(&b, "virtual-router %s\n", t.VR)
		}
		if tt.perVR() {
			vr = t.VR
		}
		fmt.Fprintf(&b, "%s\n", Trigger{Type: tt, Value: t.Value, Policy: t.Policy, Disable: t.Disable})
	}
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w, "! secure mirroring configuration\n"+b.String())
	return err
}
