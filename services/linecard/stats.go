package linecard

import (
	"fmt"

	"github.com/erxos/erx/services/linecard/port"
)

// Counters returns an interface's counters since the last ClearCounters.
// Reading does not stop or slow the workers.
func (e *Engine) Counters(name string) (Counters, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return Counters{}, err
	}
	c := ifc.sum()
	c.sub(&ifc.base)
	return c, nil
}

// ClearCounters zeroes an interface's counters as seen by Counters
// (`clear interfaces`); all interfaces when name is empty.
func (e *Engine) ClearCounters(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "" {
		for _, ifc := range e.byName {
			ifc.base = ifc.sum()
		}
		return nil
	}
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	ifc.base = ifc.sum()
	return nil
}

func (ifc *iface) sum() Counters {
	var c Counters
	for i := range ifc.lanes {
		ifc.lanes[i].addTo(&c)
	}
	return c
}

// SetTap attaches t to an interface direction, or detaches when t is nil.
// Workers see the change at the next packet.
func (e *Engine) SetTap(name string, dir Direction, t *Tap) error {
	if dir != Ingress && dir != Egress {
		return fmt.Errorf("linecard: direction %d: %w", dir, ErrBadArgument)
	}
	if t != nil && (t.Delivery == nil || t.Delivery.e != e) {
		return fmt.Errorf("linecard: %w: tap without a delivery of this engine", ErrBadArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ifc, err := e.lookup(name)
	if err != nil {
		return err
	}
	ifc.tap[dir].Store(t)
	return nil
}

// PortStats returns the backend counters of the port under a physical
// interface (frames lost in the ring, transmit errors), for
// `show interfaces` hardware counters.
func (e *Engine) PortStats(name string) (port.Stats, error) {
	e.mu.Lock()
	ifc, err := e.lookup(name)
	e.mu.Unlock()
	if err != nil {
		return port.Stats{}, err
	}
	if ifc.port == nil {
		return port.Stats{}, fmt.Errorf("linecard: %q: %w: no port", name, ErrBadArgument)
	}
	return ifc.port.p.Stats(), nil
}
