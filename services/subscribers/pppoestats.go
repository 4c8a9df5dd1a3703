package subscribers

import "github.com/erxos/erx/services/access/pppoe"

// PPPoEStats returns the PPPoE discovery counters of each access
// interface with PPPoE on (`show pppoe interface`): among them the PADIs
// dropped by the per-MAC and global rate limits.
func (e *Engine) PPPoEStats() map[string]pppoe.Stats {
	e.mu.Lock()
	accs := make([]*access, 0, len(e.access))
	for _, a := range e.access {
		accs = append(accs, a)
	}
	e.mu.Unlock()
	out := map[string]pppoe.Stats{}
	for _, a := range accs {
		a.mu.Lock()
		pe := a.pppoe
		a.mu.Unlock()
		if pe != nil {
			out[a.name] = pe.Stats()
		}
	}
	return out
}
