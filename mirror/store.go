package mirror

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"sort"
)

// storeVersion is the secure store format version.
const storeVersion = 1

// storeFile is the secure store's content: the static secure
// configuration only (dynamic RADIUS policies end with their sessions).
type storeFile struct {
	Version   int      `json:"version"`
	Analyzers []string `json:"analyzers,omitempty"`
	// DefaultAnalyzers are the analyzers that are their virtual
	// router's default analyzer (`ip analyzer default`).
	DefaultAnalyzers []string       `json:"default_analyzers,omitempty"`
	Policies         []storePolicy  `json:"policies,omitempty"`
	Attachments      []storeAttach  `json:"attachments,omitempty"`
	Triggers         []storeTrigger `json:"triggers,omitempty"`
}

type storePolicy struct {
	Name        string     `json:"name"`
	VR          string     `json:"vr"`
	Analyzer    netip.Addr `json:"analyzer,omitzero"`
	Port        uint16     `json:"port,omitempty"`
	MirrorID    uint32     `json:"mirror_id,omitempty"`
	HasMirrorID bool       `json:"has_mirror_id,omitempty"`
	HasRule     bool       `json:"has_rule,omitempty"`
}

type storeAttach struct {
	Interface string `json:"interface"`
	Output    bool   `json:"output,omitempty"`
	Policy    string `json:"policy"`
}

type storeTrigger struct {
	Type    string `json:"type"`
	VR      string `json:"vr,omitempty"`
	Value   string `json:"value"`
	Policy  string `json:"policy,omitempty"`
	Disable bool   `json:"disable,omitempty"`
}

// snapshotLocked returns the static configuration in a stable order.
func (e *Engine) snapshotLocked() storeFile {
	f := storeFile{Version: storeVersion}
	for n := range e.analyzerIfs {
		f.Analyzers = append(f.Analyzers, n)
	}
	sort.Strings(f.Analyzers)
	for n := range e.defaultAnalyzers {
		f.DefaultAnalyzers = append(f.DefaultAnalyzers, n)
	}
	sort.Strings(f.DefaultAnalyzers)
	for _, p := range e.policies {
		if p.origin != OriginStatic {
			continue
		}
		sp := storePolicy{Name: p.name, VR: p.vr}
		if p.rule != nil {
			sp.HasRule, sp.Analyzer, sp.Port, sp.MirrorID, sp.HasMirrorID = true, p.rule.Analyzer, p.rule.Port, p.rule.MirrorID, p.rule.HasMirrorID
		}
		f.Policies = append(f.Policies, sp)
	}
	sort.Slice(f.Policies, func(i, j int) bool { return f.Policies[i].Name < f.Policies[j].Name })
	for k, n := range e.attachments {
		f.Attachments = append(f.Attachments, storeAttach{Interface: k.ifname, Output: k.dir == Output, Policy: n})
	}
	sort.Slice(f.Attachments, func(i, j int) bool {
		a, b := f.Attachments[i], f.Attachments[j]
		if a.Interface != b.Interface {
			return a.Interface < b.Interface
		}
		return !a.Output && b.Output
	})
	for _, t := range e.triggersLocked() {
		f.Triggers = append(f.Triggers, storeTrigger{Type: t.Type.String(), VR: t.VirtualRouter, Value: t.Value, Policy: t.Policy, Disable: t.Disable})
	}
	return f
}

// saveLocked writes the static configuration to the secure store.
func (e *Engine) saveLocked() error {
	if e.cfg.Store == nil {
		return nil
	}
	b, err := json.MarshalIndent(e.snapshotLocked(), "", " ")
	if err != nil {
		return wrap("encode secure store", err)
	}
	if err := e.cfg.Store.WriteFile(e.cfg.StoreFile, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("could not save the secure configuration: %w", err)
	}
	return nil
}

// Load restores the static secure configuration from the store (at boot,
// before Start). A missing file is an empty configuration. On a decoding
// error nothing is restored. Whatever could not be restored is written to
// the secure mirror log (one entry per item, naming it) and also returned;
// the error names policies, interfaces and triggers, so the caller must
// not show it outside the secure log.
func (e *Engine) Load() (err error) {
	if e.cfg.Store == nil {
		return nil
	}
	defer func() {
		if err == nil {
			return
		}
		// A partial restore has logged each item itself.
		var partial *restoreError
		if !errors.As(err, &partial) {
			e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: Source{Kind: SourceSystem},
				Cause: "secure configuration not restored: " + err.Error()})
		}
	}()
	b, err := e.cfg.Store.ReadFile(e.cfg.StoreFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return wrap("read secure store", err)
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return wrap("decode secure store", err)
	}
	if f.Version != storeVersion {
		return wrap("decode secure store", fmt.Errorf("version %d", f.Version))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var bad []error
	for _, n := range f.Analyzers {
		e.analyzerIfs[n] = true
		if ap, ok := e.dp.(AnalyzerPorts); ok {
			if err := ap.SetAnalyzer(n, true); err != nil {
				bad = append(bad, fmt.Errorf("ip analyzer on %s: %w", n, err))
			}
		}
	}
	for _, n := range f.DefaultAnalyzers {
		if !e.analyzerIfs[n] {
			bad = append(bad, fmt.Errorf("ip analyzer default on %s: not an analyzer", n))
			continue
		}
		if e.defaultAnalyzers == nil {
			e.defaultAnalyzers = map[string]bool{}
		}
		e.defaultAnalyzers[n] = true
	}
	for _, sp := range f.Policies {
		if err := validPolicyName(sp.Name); err != nil {
			bad = append(bad, err)
			continue
		}
		p := e.createPolicyLocked(sp.VR, sp.Name)
		if sp.HasRule {
			r := Rule{Analyzer: sp.Analyzer, Port: sp.Port, MirrorID: sp.MirrorID, HasMirrorID: sp.HasMirrorID}
			if err := r.validate(); err != nil {
				bad = append(bad, fmt.Errorf("policy %s: %w", sp.Name, err))
				continue
			}
			p.rule = &r
		}
	}
	for _, a := range f.Attachments {
		if _, ok := e.policies[a.Policy]; !ok {
			bad = append(bad, fmt.Errorf("attachment on %s: %w: %s", a.Interface, ErrNoSuchPolicy, a.Policy))
			continue
		}
		d := Input
		if a.Output {
			d = Output
		}
		e.attachments[tapKey{a.Interface, d}] = a.Policy
	}
	for _, st := range f.Triggers {
		t, ok := ParseTriggerType(st.Type)
		k, err := canonicalTrigger(st.VR, t, st.Value)
		if !ok || err != nil || (!st.Disable && e.policies[st.Policy] == nil) || len(e.triggers) >= e.cfg.MaxTriggers {
			bad = append(bad, fmt.Errorf("trigger %s %s: not restored", st.Type, st.Value))
			continue
		}
		e.trigGen++
		e.triggers[k] = &trigger{key: k, policy: st.Policy, disable: st.Disable}
	}
	e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: Source{Kind: SourceSystem}, Cause: "secure configuration restored"})
	for _, b := range bad {
		e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: Source{Kind: SourceSystem}, Cause: "not restored: " + b.Error()})
	}
	e.reconcileLocked("")
	if len(bad) > 0 {
		return wrap("restore secure store", &restoreError{errors.Join(bad...)})
	}
	return nil
}

// restoreError is Load's error when only some items were restored; each
// was already written to the secure log.
type restoreError struct{ err error }

func (r *restoreError) Error() string { return r.err.Error() }
func (r *restoreError) Unwrap() error { return r.err }
