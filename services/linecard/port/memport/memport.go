package memport

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/services/linecard/port"
)

// Capacity is the number of frames a port holds before it drops.
const Capacity = 1024

const slotSize = 2048

// Port is one end of an in-memory link. It implements port.Port with one
// receive queue and any number of transmit lanes.
type Port struct {
	name string
	mac  [6]byte
	mtu  int
	peer *Port

	mu     sync.Mutex
	slots  [][]byte // ring of preallocated frame buffers
	lens   []int
	head   int
	count  int
	closed bool
	ready  chan struct{} // signalled when frames arrive or on close
	timer  *time.Timer

	rxPackets, rxBytes, txPackets, txBytes, rxDropped atomic.Uint64
	noCarrier                                         atomic.Bool
}

func newPort(name string, mac [6]byte, mtu int) *Port {
	p := &Port{name: name, mac: mac, mtu: mtu, slots: make([][]byte, Capacity), lens: make([]int, Capacity),
		ready: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	p.timer.Stop()
	mem := make([]byte, Capacity*slotSize)
	for i := range p.slots {
		p.slots[i] = mem[i*slotSize : (i+1)*slotSize]
	}
	return p
}

// Pair returns two connected ports with the given names and MACs and an
// MTU of 1500.
func Pair(nameA string, macA [6]byte, nameB string, macB [6]byte) (*Port, *Port) {
	a, b := newPort(nameA, macA, 1500), newPort(nameB, macB, 1500)
	a.peer, b.peer = b, a
	return a, b
}

// SetMTU changes the MTU the port reports; call before the port is used.
func (p *Port) SetMTU(mtu int) { p.mtu = mtu }

// SetCarrier sets the link state Carrier reports (tests of link
// detection); a new port has carrier.
func (p *Port) SetCarrier(up bool) { p.noCarrier.Store(!up) }

// Carrier reports the link state set with SetCarrier.
func (p *Port) Carrier() (bool, error) { return !p.noCarrier.Load(), nil }

// Name implements port.Port.
func (p *Port) Name() string { return p.name }

// HardwareAddr implements port.Port.
func (p *Port) HardwareAddr() [6]byte { return p.mac }

// MTU implements port.Port.
func (p *Port) MTU() int { return p.mtu }

// Queues implements port.Port.
func (p *Port) Queues() int { return 1 }

// Receive implements port.Port.
func (p *Port) Receive(q int, b *port.Batch) (int, error) {
	for {
		p.mu.Lock()
		if p.count > 0 {
			n := 0
			for n < len(b.Bufs) && p.count > 0 {
				b.Fill(n, p.slots[p.head][:p.lens[p.head]])
				p.rxPackets.Add(1)
				p.rxBytes.Add(uint64(p.lens[p.head]))
				p.head = (p.head + 1) % Capacity
				p.count--
				n++
			}
			p.mu.Unlock()
			return n, nil
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return 0, port.ErrClosed
		}
		p.timer.Reset(port.PollTimeout)
		select {
		case <-p.ready:
			p.timer.Stop()
		case <-p.timer.C:
			return 0, nil
		}
	}
}

// Transmit implements port.Port: frames are copied to the peer's receive
// ring; frames that do not fit are dropped and counted on the peer.
func (p *Port) Transmit(lane int, frames [][]byte) (int, error) {
	q := p.peer
	q.mu.Lock()
	if q.closed || p.closed {
		q.mu.Unlock()
		return 0, port.ErrClosed
	}
	for _, f := range frames {
		if q.count == Capacity || len(f) > slotSize {
			q.rxDropped.Add(1)
			continue
		}
		i := (q.head + q.count) % Capacity
		q.lens[i] = copy(q.slots[i], f)
		q.count++
		p.txPackets.Add(1)
		p.txBytes.Add(uint64(len(f)))
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return len(frames), nil
}

// Stats implements port.Port.
func (p *Port) Stats() port.Stats {
	return port.Stats{RxPackets: p.rxPackets.Load(), RxBytes: p.rxBytes.Load(), TxPackets: p.txPackets.Load(),
		TxBytes: p.txBytes.Load(), RxDropped: p.rxDropped.Load()}
}

// Close implements port.Port.
func (p *Port) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
	return nil
}

// Pending returns the number of frames waiting to be received.
func (p *Port) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}
