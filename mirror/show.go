package mirror

import (
	"fmt"
	"io"
	"slices"
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
	// ViaDefault says the analyzer is reached through its virtual
	// router's default analyzer interface.
	ViaDefault bool
	References []string // "gigabitEthernet 2/0/0.100 secure-input", "subscriber sub1@erx.test on IF"
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
		pi := PolicyInfo{Name: p.name, VirtualRouter: p.vr, Origin: p.origin, MirrorID: p.mirrorID(), Reachable: r.ok, Unreachable: r.reason, Via: r.route,
			ViaDefault: r.ok && e.defaultAnalyzers[r.route.Interface]}
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
				via := p.Via.Interface
				if p.ViaDefault {
					via += " (default analyzer)"
				}
				fmt.Fprintf(&b, "  Analyzer: reachable via %s, source %s, next hop %s\n", via, addrOrZero(p.Via.Source), addrOrZero(p.Via.NextHop))
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
			fmt.Fprintf(&b, "  Copies to %s (all lists using it): %d copied, %d sent (%d bytes), %d dropped (not built), %d send errors\n",
				analyzerText(*p.Rule), p.Stats.Copied, p.Stats.Sent, p.Stats.SentBytes, p.Stats.Dropped, p.Stats.SendErrors)
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
		writePolicyList(&b, p)
	}
	f.writeInterfaceBlocks(&b)
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

// The static secure configuration, split where JunosE shows it in `show
// configuration` (for a session with mirror access only): secure policy
// lists before the interfaces, `ip analyzer` and `ip policy
// secure-input|secure-output` in interface blocks, trigger rules in the
// virtual router's global lines. mirrorcli registers them as secret
// configuration sections; none of them is ever in system.cnf.

// WritePolicyConfig writes the static secure policy lists of virtual
// router vr ("default" for the default one).
func (e *Engine) WritePolicyConfig(w io.Writer, vr string) error {
	e.mu.Lock()
	f := e.snapshotLocked()
	e.mu.Unlock()
	var b strings.Builder
	for _, p := range f.Policies {
		if vrOrDefault(p.VR) != vrOrDefault(vr) {
			continue
		}
		writePolicyList(&b, p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteInterfaceConfig writes one block per interface that is an
// analyzer or has secure policies attached: "interface NAME" and its
// `ip analyzer` / `ip policy secure-input|secure-output NAME` lines.
func (e *Engine) WriteInterfaceConfig(w io.Writer) error {
	e.mu.Lock()
	f := e.snapshotLocked()
	e.mu.Unlock()
	var b strings.Builder
	f.writeInterfaceBlocks(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTriggerConfig writes the trigger rules of virtual router vr: the
// ip-address and username rules of that router, and, for the default
// one, the rules that are not scoped to a virtual router.
func (e *Engine) WriteTriggerConfig(w io.Writer, vr string) error {
	e.mu.Lock()
	ts := e.triggersLocked()
	e.mu.Unlock()
	vr = vrOrDefault(vr)
	var b strings.Builder
	for _, t := range ts {
		if t.Type.perVR() && vrOrDefault(t.VirtualRouter) != vr || !t.Type.perVR() && vr != "default" {
			continue
		}
		fmt.Fprintf(&b, "%s\n", t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePolicyList writes secure policy list p and its rule.
func writePolicyList(b *strings.Builder, p storePolicy) {
	fmt.Fprintf(b, "secure ip policy-list %s\n", p.Name)
	if p.HasRule {
		fmt.Fprintf(b, " %s\n", Rule{Analyzer: p.Analyzer, Port: p.Port, MirrorID: p.MirrorID, HasMirrorID: p.HasMirrorID})
	}
}

// writeInterfaceBlocks writes one block per interface that is an
// analyzer or has secure policies attached, in name order: "interface
// NAME" and its `ip analyzer` / `ip policy secure-input|secure-output
// NAME` lines.
func (f *storeFile) writeInterfaceBlocks(b *strings.Builder) {
	ifs := map[string][]string{}
	var names []string
	add := func(ifname, line string) {
		if _, ok := ifs[ifname]; !ok {
			names = append(names, ifname)
		}
		ifs[ifname] = append(ifs[ifname], line)
	}
	for _, a := range f.Analyzers {
		add(a, f.analyzerCommand(a))
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
		fmt.Fprintf(b, "interface %s\n", n)
		for _, l := range ifs[n] {
			fmt.Fprintf(b, " %s\n", l)
		}
	}
}

// analyzerCommand returns the command that puts analyzer ifname in
// analyzer mode: `ip analyzer`, or `ip analyzer default`.
func (f *storeFile) analyzerCommand(ifname string) string {
	if slices.Contains(f.DefaultAnalyzers, ifname) {
		return "ip analyzer default"
	}
	return "ip analyzer"
}

func vrOrDefault(vr string) string {
	if vr == "" {
		return "default"
	}
	return vr
}

// WriteIPInterface writes the packet-mirroring part of one interface's
// `show ip interface` entry (for a session with mirror access only):
// analyzer mode and its counters, each secure policy attached with the
// state of its mirror action, and the copies made on the interface. It
// writes nothing for an interface that mirroring does not touch.
func (e *Engine) WriteIPInterface(w io.Writer, ifname string, c linecard.Counters) error {
	e.mu.Lock()
	analyzer := e.analyzerIfs[ifname]
	defaultVR := ""
	if e.defaultAnalyzers[ifname] {
		defaultVR = e.interfaceVRLocked(ifname)
	}
	var atts []string
	for _, d := range []Direction{Input, Output} {
		n, ok := e.attachments[tapKey{ifname, d}]
		if !ok {
			continue
		}
		atts = append(atts, fmt.Sprintf("    %s policy %s, %s\n", dirWord(d), n, e.actionLocked(n)))
	}
	e.mu.Unlock()
	if !analyzer && len(atts) == 0 && c.MirrorCopies == 0 && c.MirrorDrops == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("  Packet mirroring:\n")
	if analyzer {
		b.WriteString("    Analyzer interface (send only)\n")
		if defaultVR != "" {
			fmt.Fprintf(&b, "    Default analyzer of virtual router %s\n", defaultVR)
		}
		fmt.Fprintf(&b, "    Analyzer received and dropped %d, copies sent %d, bytes %d, send errors %d\n",
			c.AnalyzerDrops, c.MirrorSent, c.MirrorSentBytes, c.MirrorSendErrors)
	}
	for _, a := range atts {
		b.WriteString(a)
	}
	if len(atts) > 0 || c.MirrorCopies != 0 || c.MirrorDrops != 0 {
		fmt.Fprintf(&b, "    Mirrored packets %d, dropped %d (not built)\n", c.MirrorCopies, c.MirrorDrops)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// actionLocked describes the mirror action of policy name as `show ip
// interface` shows it.
func (e *Engine) actionLocked(name string) string {
	p := e.policies[name]
	if p == nil || p.rule == nil {
		return "mirror action disabled (default rule, no mirror rule)"
	}
	r, ok := e.reach[name]
	if !ok {
		r = e.reachLocked(p, nil)
	}
	if !r.ok {
		return "mirror action disabled (analyzer unreachable: " + r.reason + ")"
	}
	return fmt.Sprintf("mirror action enabled, analyzer %s via %s", analyzerText(*p.rule), r.route.Interface)
}
