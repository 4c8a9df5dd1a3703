package subscribers

import (
	"sync"
	"sync/atomic"
)

// DefaultQueueLen is the queue length of an asynchronous consumer.
const DefaultQueueLen = 4096

// ConsumerOptions say how a consumer receives events.
//
// A synchronous consumer is called on the publishing goroutine before
// Publish returns. The engine publishes Login after the subscriber's
// dynamic interface exists but before its host route is installed, so a
// synchronous consumer (the mirroring engine, which must tap a session
// before its first routed packet) sees Login before any traffic to the
// subscriber is forwarded; it must return quickly. Publishing never runs
// on a data-plane worker: the engine publishes from its control
// goroutine.
//
// An asynchronous consumer has its own goroutine and a bounded queue
// (QueueLen, default DefaultQueueLen); when the queue is full the event is
// dropped for that consumer and counted (ConsumerStats.Dropped), so a slow
// consumer never stalls logins.
//
// Either way a consumer sees the events of one session in publication
// order (Login, AddressAssigned, Logout).
type ConsumerOptions struct {
	Sync     bool
	QueueLen int
}

// ConsumerStats are the counters of one consumer.
type ConsumerStats struct {
	Name      string
	Sync      bool
	Delivered uint64
	Dropped   uint64
	Queued    int
}

type consumer struct {
	name      string
	fn        func(Event)
	sync      bool
	q         chan Event
	done      chan struct{}
	delivered atomic.Uint64
	dropped   atomic.Uint64
}

// Bus publishes session events to consumers. It is safe for concurrent
// use.
type Bus struct {
	mu        sync.Mutex
	consumers []*consumer
	closed    bool
	wg        sync.WaitGroup
}

// Subscribe registers fn under name and returns a function that removes
// it (waiting for an asynchronous consumer's goroutine to finish what it
// has queued).
func (b *Bus) Subscribe(name string, fn func(Event), opt ConsumerOptions) (cancel func()) {
	c := &consumer{name: name, fn: fn, sync: opt.Sync, done: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return func() {}
	}
	if !c.sync {
		n := opt.QueueLen
		if n <= 0 {
			n = DefaultQueueLen
		}
		c.q = make(chan Event, n)
		b.wg.Add(1)
		go b.run(c)
	}
	b.consumers = append(b.consumers, c)
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			for i, o := range b.consumers {
				if o == c {
					b.consumers = append(b.consumers[:i:i], b.consumers[i+1:]...)
					if c.q != nil {
						close(c.q)
					}
					break
				}
			}
			b.mu.Unlock()
			if c.q != nil {
				<-c.done
			}
		})
	}
}

func (b *Bus) run(c *consumer) {
	defer b.wg.Done()
	defer close(c.done)
	for ev := range c.q {
		c.fn(ev)
		c.delivered.Add(1)
	}
}

// Publish delivers ev to every consumer: synchronously to synchronous
// consumers (in subscription order), by queue to the others.
func (b *Bus) Publish(ev Event) {
	var syncs []*consumer
	b.mu.Lock()
	for _, c := range b.consumers {
		if c.sync {
			syncs = append(syncs, c)
			continue
		}
		select {
		case c.q <- ev:
		default:
			c.dropped.Add(1)
		}
	}
	b.mu.Unlock()
	for _, c := range syncs {
		c.fn(ev)
		c.delivered.Add(1)
	}
}

// Stats returns every consumer's counters in subscription order.
func (b *Bus) Stats() []ConsumerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]ConsumerStats, 0, len(b.consumers))
	for _, c := range b.consumers {
		out = append(out, ConsumerStats{Name: c.name, Sync: c.sync, Delivered: c.delivered.Load(),
			Dropped: c.dropped.Load(), Queued: len(c.q)})
	}
	return out
}

// Close removes every consumer after their queues drain. Later Subscribe
// calls return a no-op cancel and Publish delivers nothing.
func (b *Bus) Close() {
	b.mu.Lock()
	b.closed = true
	cs := b.consumers
	b.consumers = nil
	for _, c := range cs {
		if c.q != nil {
			close(c.q)
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
}
