package mirror

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"

	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
)

// Origin says who created a secure policy list.
type Origin int

// Policy origins.
const (
	OriginStatic Origin = iota // CLI `secure ip policy-list`
	OriginRADIUS               // Access-Accept at login (dynamic spl_)
	OriginCoA                  // CoA-Request (dynamic spl_)
)

// String returns "static", "RADIUS" or "CoA".
func (o Origin) String() string {
	switch o {
	case OriginRADIUS:
		return "RADIUS"
	case OriginCoA:
		return "CoA"
	}
	return "static"
}

// Rule is the mirror rule of a secure policy list:
// `mirror analyzer-ip-address A [analyzer-udp-port P] [mirror-identifier ID]`.
type Rule struct {
	// Analyzer is the analyzer (mediation device) address.
	Analyzer netip.Addr
	// Port is the analyzer UDP port; 0 means plain IP mirroring (no prepend).
	Port uint16
	// MirrorID is the Mirror-ID when HasMirrorID is set.
	MirrorID    uint32
	HasMirrorID bool
}

// String renders the rule as its CLI command.
func (r Rule) String() string {
	s := "mirror analyzer-ip-address " + r.Analyzer.String()
	if r.Port != 0 {
		s += fmt.Sprintf(" analyzer-udp-port %d", r.Port)
	}
	if r.HasMirrorID {
		s += fmt.Sprintf(" mirror-identifier %d", r.MirrorID)
	}
	return s
}

func (r Rule) validate() error {
	if !r.Analyzer.Is4() || r.Analyzer.IsUnspecified() || r.Analyzer.IsMulticast() || r.Analyzer.IsLoopback() || r.Analyzer == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return ErrBadAnalyzer
	}
	if r.MirrorID > jmirror.MaxMirrorID {
		return ErrBadMirrorID
	}
	return nil
}

// policy is one secure policy list.
type policy struct {
	name   string
	vr     string
	origin Origin
	rule   *Rule  // nil: the default rule, mirroring disabled
	sid    uint32 // dynamic policies: Session-ID from an 8-byte Med-Dev-Handle
	hasSID bool
	owner  string // dynamic policies: the session key
}

// mirrorID returns the Mirror-ID on the wire: the configured one, else one
// derived from the name, stable across reloads.
func (p *policy) mirrorID() uint32 {
	if p.rule != nil && p.rule.HasMirrorID {
		return p.rule.MirrorID
	}
	h := fnv.New32a()
	h.Write([]byte(p.name))
	return h.Sum32() & jmirror.MaxMirrorID
}

func validPolicyName(name string) error {
	if name == "" || len(name) > MaxPolicyName || strings.ContainsAny(name, " \t\"") || name == "*" ||
		strings.HasPrefix(strings.ToLower(name), "spl_") {
		return fmt.Errorf("%w %q", ErrBadPolicyName, name)
	}
	return nil
}

// Direction is the direction of an interface attachment.
type Direction = linecard.Direction

// Attachment directions: `ip policy secure-input` and `secure-output`.
const (
	Input  = linecard.Ingress
	Output = linecard.Egress
)

// tapKey is one interface direction.
type tapKey struct {
	ifname string
	dir    Direction
}

// Source says who made a change or started a mirror, for the secure log.
type Source struct {
	// Kind is the configuration source.
	Kind SourceKind
	// Who is the CLI user and line, RADIUS server or CoA client.
	Who string
}

// SourceKind is the MIB's configuration source.
type SourceKind int

// Configuration sources.
const (
	SourceCLIStatic SourceKind = iota
	SourceCLITrigger
	SourceRADIUSLogin
	SourceRADIUSCoA
	SourceSystem
)

// String returns the MIB name (cliStatic, cliTrigger, radiusLogin, radiusCoa) or "system".
func (k SourceKind) String() string {
	return [...]string{"cliStatic", "cliTrigger", "radiusLogin", "radiusCoa", "system"}[k]
}

// CLI returns the Source of a CLI user's change.
func CLI(user string) Source { return Source{Kind: SourceCLIStatic, Who: user} }

// CreatePolicy creates secure policy list name in virtual router vr, or
// does nothing when it exists (`secure ip policy-list NAME`).
func (e *Engine) CreatePolicy(vr, name string, who Source) error {
	if err := validPolicyName(name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.policies[name]; ok {
		return nil
	}
	e.createPolicyLocked(vr, name)
	e.logConfig(who, "secure ip policy-list "+name, name)
	return e.saveLocked()
}

func (e *Engine) createPolicyLocked(vr, name string) *policy {
	if vr == "" {
		vr = linecard.DefaultVirtualRouter
	}
	p := &policy{name: name, vr: vr}
	e.policies[name] = p
	return p
}

// staticPolicy returns the static policy name or ErrNoSuchPolicy.
func (e *Engine) staticPolicy(name string) (*policy, error) {
	p, ok := e.policies[name]
	if !ok || p.origin != OriginStatic {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchPolicy, name)
	}
	return p, nil
}

// SetRule sets the mirror rule of static policy name.
func (e *Engine) SetRule(name string, r Rule, who Source) error {
	if err := r.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.staticPolicy(name)
	if err != nil {
		return err
	}
	p.rule = &r
	e.logConfig(who, r.String(), name)
	e.reconcileLocked("policy changed")
	return e.saveLocked()
}

// ClearRule removes the mirror rule of static policy name (`no mirror`);
// the default rule, mirroring disabled, applies again.
func (e *Engine) ClearRule(name string, who Source) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.staticPolicy(name)
	if err != nil {
		return err
	}
	p.rule = nil
	e.logConfig(who, "no mirror", name)
	e.reconcileLocked("mirror rule removed")
	return e.saveLocked()
}

// DeletePolicy deletes static policy name. A policy still attached to an
// interface or named by a trigger rule is refused with ErrPolicyInUse.
func (e *Engine) DeletePolicy(name string, who Source) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.staticPolicy(name); err != nil {
		return err
	}
	inUse := func(err error) error {
		e.log.add(Entry{Time: e.now(), Event: EventCLITriggerFailure, Source: who, Policy: name,
			Cause: "genericFailure: no secure ip policy-list " + name + " refused: " + err.Error()})
		return err
	}
	for k, pn := range e.attachments {
		if pn == name {
			return inUse(fmt.Errorf("%w: attached to %s %s", ErrPolicyInUse, k.ifname, dirWord(k.dir)))
		}
	}
	for _, t := range e.triggers {
		if t.policy == name {
			return inUse(fmt.Errorf("%w: referenced by mirror %s %s", ErrPolicyInUse, t.key.typ, t.key.value))
		}
	}
	delete(e.policies, name)
	delete(e.reach, name)
	e.logConfig(who, "no secure ip policy-list "+name, name)
	return e.saveLocked()
}

func dirWord(d Direction) string {
	if d == Output {
		return "secure-output"
	}
	return "secure-input"
}

// Attach attaches static policy name to an interface direction (`ip
// policy secure-input|secure-output NAME`). A missing list is created
// with the default rule (mirroring disabled), as JunosE does. A manual
// attachment overrides a trigger-started mirror on the same interface.
func (e *Engine) Attach(vr, ifname string, dir Direction, name string, who Source) error {
	if err := validPolicyName(name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.analyzerIfs[ifname] {
		return ErrAnalyzerMirrored
	}
	if _, ok := e.policies[name]; !ok {
		e.createPolicyLocked(vr, name)
	} else if _, err := e.staticPolicy(name); err != nil {
		return err
	}
	k := tapKey{ifname, dir}
	e.attachments[k] = name
	e.logConfig(who, "ip policy "+dirWord(dir)+" "+name+" on "+ifname, name)
	e.overrideSessionMirrorsLocked(k, who)
	e.reconcileLocked("attachment replaced")
	return e.saveLocked()
}

// overrideSessionMirrorsLocked removes the trigger (or RADIUS) mirror of
// a session from the interface direction a manual attachment now takes:
// JunosE 11.0.2 (spec section 12) does not restore it when the manual
// policy is removed.
func (e *Engine) overrideSessionMirrorsLocked(k tapKey, who Source) {
	for bk, b := range e.bindings {
		if !b.session || !slices.Contains(b.taps, k) {
			continue
		}
		s := e.sessions[strings.TrimPrefix(bk.target, "session:")]
		if s == nil {
			continue
		}
		s.overridden[k.dir] = true
		e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: who, TriggerType: b.triggerType, Trigger: b.trigger,
			Policy: bk.policy, MirrorID: b.mirrorID, Direction: dirName(k.dir),
			Cause: "mirror on " + k.ifname + " removed by ip policy " + dirWord(k.dir) + "; not restored when it is removed"})
	}
}

// Detach removes the secure policy from an interface direction (`no ip
// policy secure-input|secure-output`).
func (e *Engine) Detach(ifname string, dir Direction, who Source) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := tapKey{ifname, dir}
	name, ok := e.attachments[k]
	if !ok {
		return ErrNoSuchAttachment
	}
	delete(e.attachments, k)
	e.logConfig(who, "no ip policy "+dirWord(dir)+" on "+ifname, name)
	e.reconcileLocked("secure policy detached")
	return e.saveLocked()
}

// InterfaceDeleted drops the attachments of a deleted interface and logs
// InterfaceDeleted for each.
func (e *Engine) InterfaceDeleted(ifname string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := false
	for _, d := range []Direction{Input, Output} {
		k := tapKey{ifname, d}
		if name, ok := e.attachments[k]; ok {
			delete(e.attachments, k)
			changed = true
			p := e.policies[name]
			e.log.add(Entry{Time: e.now(), Event: EventInterfaceDeleted, Source: Source{Kind: SourceCLIStatic},
				TriggerType: "interfaceString", Trigger: ifname, Policy: name, MirrorID: p.mirrorID(), Direction: dirName(d)})
		}
	}
	delete(e.tapErr, tapKey{ifname, Input})
	delete(e.tapErr, tapKey{ifname, Output})
	if changed {
		e.reconcileLocked("interface deleted")
		_ = e.saveLocked()
	}
}

// SetAnalyzerInterface puts an interface into analyzer mode or takes it
// out (`[no] ip analyzer`). Turning it on for the default analyzer keeps
// analyzer mode and drops the default role (SetDefaultAnalyzer).
func (e *Engine) SetAnalyzerInterface(ifname string, on bool, who Source) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.setAnalyzerLocked(ifname, on, false, who)
}

// IsAnalyzer reports whether ifname is in analyzer mode.
func (e *Engine) IsAnalyzer(ifname string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.analyzerIfs[ifname]
}

// Attachment returns the static policy attached to an interface direction.
func (e *Engine) Attachment(ifname string, dir Direction) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.attachments[tapKey{ifname, dir}]
	return n, ok
}

func dirName(d Direction) string {
	if d == Output {
		return "egress"
	}
	return "ingress"
}

// canBeAnalyzer reports whether an interface type may be an analyzer:
// any IP interface except SRP, null and loopback interfaces.
func canBeAnalyzer(ifname string) bool {
	l := strings.ToLower(ifname)
	return !strings.HasPrefix(l, "loopback") && !strings.HasPrefix(l, "null") && !strings.HasPrefix(l, "srp")
}
