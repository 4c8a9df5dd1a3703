package subscribers

import "github.com/erxos/erx/services/access/pppoe"

// PPPoEStats returns the PPPoE discovery counters of each access
// interface with PPPoE on (`show pppoe interface`): among them the PADIs
// dropped by the per-MAC and global rate limits.
func (e *Engine) PPPoEStats() map[string]pppoe.Stats {
	out := map[string]pppoe.Stats{}
	for name, pe := range e.pppoeEngines() {
		out[name] = pe.Stats()
	}
	return out
}

// pppoeEngines returns the PPPoE engine of each access interface with
// PPPoE on, by interface.
func (e *Engine) pppoeEngines() map[string]*pppoe.Engine {
	e.mu.Lock()
	accs := make([]*access, 0, len(e.access))
	for _, a := range e.access {
		accs = append(accs, a)
	}
	e.mu.Unlock()
	out := map[string]*pppoe.Engine{}
	for _, a := range accs {
		a.mu.Lock()
		pe := a.pppoe
		a.mu.Unlock()
		if pe != nil {
			out[a.name] = pe
		}
	}
	return out
}
