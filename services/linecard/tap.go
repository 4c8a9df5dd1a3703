package linecard

import (
	"sync/atomic"
)

// Direction says which way a mirrored packet was travelling.
type Direction uint8

// Mirror directions.
const (
	Ingress Direction = iota // received on the interface
	Egress                   // sent out of the interface
)

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Tap is what the mirror engine attaches to an interface direction (or,
// later, to a subscriber session's dynamic interface) with
// Engine.SetTap. While it is attached, workers copy every IPv4 packet
// passing that point into Queue; the original packet is never delayed.
type Tap struct {
	Queue     *CopyQueue
	MirrorID  uint32 // copied into every Copy
	SessionID uint32 // copied into every Copy
}

// Copy is one mirrored packet as the mirror engine sees it.
type Copy struct {
	MirrorID, SessionID uint32
	IfIndex             uint32
	Direction           Direction
	Packet              []byte // the IPv4 packet; valid only during HandleCopy
}

// CopyHandler is implemented by the mirror engine: it turns copies into
// packets for the analyzer (for example the jmirror UDP encapsulation)
// and sends them, typically with Engine.SendIPv4.
type CopyHandler interface {
	HandleCopy(c *Copy)
}

// copyRing is a single-producer single-consumer ring of preallocated
// copy slots.
type copyRing struct {
	head, tail      atomic.Uint64 // head: next to read; tail: next to write
	copied, dropped atomic.Uint64
	slots           [][]byte
	meta            []Copy
	_               [64]byte
}

// CopyQueue is a bounded queue of mirror copies for one analyzer. It has
// one lock-free ring per producer lane (every worker and the engine's
// control lane), so producers never contend or wait: a full ring drops
// the copy and counts it. One consumer goroutine drains it.
type CopyQueue struct {
	rings []copyRing
	ready chan struct{}
}

// newCopyQueue preallocates lanes rings of slots copies of up to size bytes.
func newCopyQueue(lanes, slots, size int) *CopyQueue {
	q := &CopyQueue{rings: make([]copyRing, lanes), ready: make(chan struct{}, 1)}
	for i := range q.rings {
		r := &q.rings[i]
		mem := make([]byte, slots*size)
		r.slots = make([][]byte, slots)
		r.meta = make([]Copy, slots)
		for j := range r.slots {
			r.slots[j] = mem[j*size : (j+1)*size : (j+1)*size]
		}
	}
	return q
}

// push copies pkt into lane's ring; it reports false when the ring is full.
func (q *CopyQueue) push(lane int, t *Tap, ifIndex uint32, dir Direction, pkt []byte) bool {
	r := &q.rings[lane]
	tail := r.tail.Load()
	head := r.head.Load()
	n := uint64(len(r.slots))
	if tail-head >= n {
		r.dropped.Add(1)
		return false
	}
	i := tail % n
	m := &r.meta[i]
	m.MirrorID, m.SessionID, m.IfIndex, m.Direction = t.MirrorID, t.SessionID, ifIndex, dir
	m.Packet = r.slots[i][:copy(r.slots[i], pkt)]
	r.tail.Store(tail + 1)
	r.copied.Add(1)
	// Always signal: while a wake-up is pending the channel is full and
	// this is a lock-free check; signalling only on empty→non-empty could
	// lose a wake-up against a concurrent Drain.
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// Ready returns a channel that receives a value when copies may be
// waiting; the consumer then calls Drain.
func (q *CopyQueue) Ready() <-chan struct{} { return q.ready }

// Drain hands up to max waiting copies (all when max ≤ 0) to h, in order
// per lane, and returns how many it handed. Only one goroutine may drain
// a queue.
func (q *CopyQueue) Drain(h CopyHandler, max int) int {
	done := 0
	for i := range q.rings {
		r := &q.rings[i]
		for head := r.head.Load(); head < r.tail.Load(); head++ {
			if max > 0 && done == max {
				return done
			}
			h.HandleCopy(&r.meta[head%uint64(len(r.slots))])
			r.head.Store(head + 1)
			done++
		}
	}
	return done
}

// Stats returns the number of copies queued and dropped since creation.
func (q *CopyQueue) Stats() (copied, dropped uint64) {
	for i := range q.rings {
		copied += q.rings[i].copied.Load()
		dropped += q.rings[i].dropped.Load()
	}
	return copied, dropped
}
