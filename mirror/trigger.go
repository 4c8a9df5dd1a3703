package mirror

import (
	"fmt"
	"net/netip"
	"strings"
)

// TriggerType is what a trigger rule matches a subscriber session on. The
// values are in precedence order: a lower value wins.
type TriggerType int

// Trigger types, highest precedence first (spec section 11.7).
const (
	TriggerAcctSessionID TriggerType = iota
	TriggerCallingStationID
	TriggerIPAddress
	TriggerUsername
	TriggerNASPortID
	TriggerDHCPOption82
	TriggerAgentCircuitID
	TriggerAgentRemoteID
	numTriggerTypes
)

var triggerWords = [numTriggerTypes]string{"acct-session-id", "calling-station-id", "ip-address", "username",
	"nas-port-id", "dhcp-option-82", "agent-circuit-id", "agent-remote-id"}

var triggerMIBNames = [numTriggerTypes]string{"acctSessionId", "callingStationId", "ipAddress", "username",
	"nasPortId", "dhcpOption82", "agentCircuitId", "agentRemoteId"}

// TriggerTypes returns every trigger type in precedence order.
func TriggerTypes() []TriggerType {
	out := make([]TriggerType, numTriggerTypes)
	for i := range out {
		out[i] = TriggerType(i)
	}
	return out
}

// String returns the CLI keyword, e.g. "username".
func (t TriggerType) String() string {
	if t < 0 || t >= numTriggerTypes {
		return fmt.Sprintf("trigger(%d)", int(t))
	}
	return triggerWords[t]
}

// MIBName returns the MIB's trigger type name, e.g. "acctSessionId".
func (t TriggerType) MIBName() string {
	if t < 0 || t >= numTriggerTypes {
		return "unknown"
	}
	return triggerMIBNames[t]
}

// ParseTriggerType returns the trigger type named by a CLI keyword.
func ParseTriggerType(word string) (TriggerType, bool) {
	for i, w := range triggerWords {
		if strings.EqualFold(w, word) {
			return TriggerType(i), true
		}
	}
	return 0, false
}

// perVR reports whether the trigger is scoped to a virtual router.
func (t TriggerType) perVR() bool { return t == TriggerIPAddress || t == TriggerUsername }

// Identity is what identifies a subscriber session to triggers and to CoA
// requests. Empty fields are not known.
type Identity struct {
	AcctSessionID    string
	CallingStationID string
	Address          netip.Addr
	Username         string
	VirtualRouter    string // "" means default
	NASPortID        string
	DHCPOption82     string // the option's value as hex digits
	AgentCircuitID   string
	AgentRemoteID    string
}

func (id *Identity) vr() string {
	if id.VirtualRouter == "" {
		return "default"
	}
	return id.VirtualRouter
}

// key returns the trigger key the identity has for type t.
func (id *Identity) key(t TriggerType) (triggerKey, bool) {
	k := triggerKey{typ: t}
	switch t {
	case TriggerAcctSessionID:
		k.value = id.AcctSessionID
	case TriggerCallingStationID:
		k.value = id.CallingStationID
	case TriggerIPAddress:
		if id.Address.IsValid() {
			k.value = id.Address.String()
		}
	case TriggerUsername:
		k.value = id.Username
	case TriggerNASPortID:
		k.value = id.NASPortID
	case TriggerDHCPOption82:
		k.value = strings.ToLower(id.DHCPOption82)
	case TriggerAgentCircuitID:
		k.value = id.AgentCircuitID
	case TriggerAgentRemoteID:
		k.value = id.AgentRemoteID
	}
	if t.perVR() {
		k.vr = id.vr()
	}
	return k, k.value != ""
}

// triggerKey identifies one trigger rule.
type triggerKey struct {
	typ   TriggerType
	vr    string // ip-address and username only
	value string // canonical value
}

// trigger is one rule: mirror with policy, or `mirror disable`.
type trigger struct {
	key     triggerKey
	policy  string // "" for disable
	disable bool
}

// Trigger describes one trigger rule.
type Trigger struct {
	Type          TriggerType
	Value         string
	VirtualRouter string // for ip-address and username
	Policy        string // "" when Disable
	Disable       bool
}

// String renders the rule as its CLI command.
func (t Trigger) String() string {
	v := t.Value
	if strings.ContainsAny(v, " \t") {
		v = `"` + v + `"`
	}
	if t.Disable {
		return fmt.Sprintf("mirror disable %s %s", t.Type, v)
	}
	return fmt.Sprintf("mirror %s %s ip secure-policy-list %s", t.Type, v, t.Policy)
}

// canonicalTrigger checks a trigger value and returns its canonical form.
func canonicalTrigger(vr string, t TriggerType, value string) (triggerKey, error) {
	if t < 0 || t >= numTriggerTypes {
		return triggerKey{}, ErrBadTrigger
	}
	if value == "" || len(value) > 253 {
		return triggerKey{}, fmt.Errorf("%w: %q", ErrBadTrigger, value)
	}
	k := triggerKey{typ: t, value: value}
	switch t {
	case TriggerIPAddress:
		a, err := netip.ParseAddr(value)
		if err != nil || !a.Is4() {
			return triggerKey{}, fmt.Errorf("%w: %q is not an IP address", ErrBadTrigger, value)
		}
		k.value = a.String()
	case TriggerDHCPOption82:
		v := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(value, "0x"), "0X"))
		if len(v)%2 != 0 || strings.Trim(v, "0123456789abcdef") != "" || v == "" {
			return triggerKey{}, fmt.Errorf("%w: %q is not hex", ErrBadTrigger, value)
		}
		k.value = v
	}
	if t.perVR() {
		if vr == "" {
			vr = "default"
		}
		k.vr = vr
	}
	return k, nil
}

// AddTrigger adds or replaces a trigger rule (`mirror TYPE VALUE ip
// secure-policy-list NAME`, or with policy "" and disable set, `mirror
// disable TYPE VALUE`). vr is the CLI's virtual router context. A missing
// list is created with the default rule. Sessions already logged in that
// now match start (or stop) at once; this newest configuration replaces a
// RADIUS-created mirror on them.
func (e *Engine) AddTrigger(vr string, t TriggerType, value, policyName string, disable bool, who Source) error {
	k, err := canonicalTrigger(vr, t, value)
	if err != nil {
		return err
	}
	if !disable {
		if err := validPolicyName(policyName); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.triggers[k]; !ok && len(e.triggers) >= e.cfg.MaxTriggers {
		e.log.add(Entry{Time: e.now(), Event: EventCLITriggerFailure, Source: who, TriggerType: t.MIBName(),
			Trigger: k.value, Policy: policyName, Cause: "noResourcesAvailable: " + ErrTooManyTriggers.Error()})
		return ErrTooManyTriggers
	}
	if !disable {
		if _, ok := e.policies[policyName]; !ok {
			e.createPolicyLocked(vr, policyName)
		} else if _, err := e.staticPolicy(policyName); err != nil {
			return err
		}
	}
	e.trigGen++
	tr := &trigger{key: k, policy: policyName, disable: disable}
	e.triggers[k] = tr
	// Newest configuration wins on sessions already logged in, also over
	// a mirror a manual attachment removed (where that attachment is
	// still in place, it keeps winning).
	for _, s := range e.sessions {
		if best := e.triggerLocked(s); best == tr {
			s.overridden = [2]bool{}
			if s.radius != nil {
				e.removeDynamicLocked(s, "replaced by CLI trigger")
			}
		}
	}
	e.logConfig(who, Trigger{Type: t, Value: k.value, Policy: policyName, Disable: disable}.String(), policyName)
	e.reconcileLocked("trigger replaced")
	return e.saveLocked()
}

// RemoveTrigger removes a trigger rule (`no mirror TYPE VALUE ...`).
// disable selects the `mirror disable` rule.
func (e *Engine) RemoveTrigger(vr string, t TriggerType, value string, disable bool, who Source) error {
	k, err := canonicalTrigger(vr, t, value)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tr, ok := e.triggers[k]
	if !ok || tr.disable != disable {
		return ErrNoSuchTrigger
	}
	delete(e.triggers, k)
	e.trigGen++
	e.logConfig(who, "no "+Trigger{Type: t, Value: k.value, Policy: tr.policy, Disable: disable}.String(), tr.policy)
	e.reconcileLocked("trigger removed")
	return e.saveLocked()
}

// Triggers returns the trigger rules in precedence order, then by value.
func (e *Engine) Triggers() []Trigger {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.triggersLocked()
}

func (e *Engine) triggersLocked() []Trigger {
	out := make([]Trigger, 0, len(e.triggers))
	for _, tr := range e.triggers {
		out = append(out, Trigger{Type: tr.key.typ, Value: tr.key.value, VirtualRouter: tr.key.vr, Policy: tr.policy, Disable: tr.disable})
	}
	sortTriggers(out)
	return out
}

// bestTriggerLocked returns the trigger rule of highest precedence that
// matches id, or nil.
func (e *Engine) bestTriggerLocked(id *Identity) *trigger {
	for t := TriggerType(0); t < numTriggerTypes; t++ {
		k, ok := id.key(t)
		if !ok {
			continue
		}
		if tr, ok := e.triggers[k]; ok {
			return tr
		}
	}
	return nil
}

// MatchTrigger returns the trigger rule that applies to a session with
// identity id (first match in precedence order).
func (e *Engine) MatchTrigger(id Identity) (Trigger, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tr := e.bestTriggerLocked(&id)
	if tr == nil {
		return Trigger{}, false
	}
	return Trigger{Type: tr.key.typ, Value: tr.key.value, VirtualRouter: tr.key.vr, Policy: tr.policy, Disable: tr.disable}, true
}
