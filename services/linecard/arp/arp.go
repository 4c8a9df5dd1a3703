package arp

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// State is the state of a neighbour entry.
type State uint32

// Entry states. An entry that times out is removed ("gone").
const (
	Incomplete State = iota // request sent, no answer yet
	Reachable               // answered within ReachableTime
	Stale                   // older than ReachableTime: still used, refreshed on use
	Static                  // configured; never ages
)

// String returns the state name shown by `show arp`.
func (s State) String() string {
	switch s {
	case Incomplete:
		return "incomplete"
	case Reachable:
		return "reachable"
	case Stale:
		return "stale"
	case Static:
		return "static"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// Config holds the timers and limits of a table. Zero fields take the
// defaults listed on each field.
type Config struct {
	ReachableTime time.Duration // reachable → stale; default 21600 s (JunosE `arp timeout`)
	StaleTime     time.Duration // stale → gone without a refresh; default 60 s
	RetryInterval time.Duration // between requests while incomplete; default 1 s
	MaxRetries    int           // requests before giving up; default 3
	QueueLen      int           // packets held per unresolved next hop; default 4
	MaxPending    int           // incomplete entries at once; default 256 (bounds ARP scans)
}

func (c *Config) setDefaults() {
	if c.ReachableTime == 0 {
		c.ReachableTime = 21600 * time.Second
	}
	if c.StaleTime == 0 {
		c.StaleTime = 60 * time.Second
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.QueueLen == 0 {
		c.QueueLen = 4
	}
	if c.MaxPending == 0 {
		c.MaxPending = 256
	}
}

// Sender puts ARP traffic on the wire for a table. SendRequest is called
// with the table's mutex held and must not call back into the table;
// SendQueued is called without it.
type Sender interface {
	// SendRequest sends an ARP request for target to dst (the broadcast
	// address, or the known MAC when refreshing a stale entry).
	SendRequest(target netip.Addr, dst [6]byte)
	// SendQueued transmits packets (IPv4 packets without link header)
	// that waited for their next hop to resolve to mac.
	SendQueued(mac [6]byte, pkts [][]byte)
}

// Entry is one row of `show arp`.
type Entry struct {
	Addr    netip.Addr
	MAC     [6]byte // zero while incomplete
	State   State
	Updated time.Time // last confirmation
}

// Stats counts table events.
type Stats struct {
	RequestsSent uint64
	QueueDrops   uint64 // packets dropped because the next hop's queue was full
	TimeoutDrops uint64 // packets dropped because the next hop did not resolve
}

type neighbor struct {
	mac   atomic.Uint64 // 48-bit MAC
	state atomic.Uint32
	used  atomic.Bool // looked up while stale

	// guarded by Table.mu
	updated time.Time
	nextTry time.Time
	retries int
	queue   [][]byte
	pending bool // counted in Table.pending
}

// Table is the neighbour table of one interface.
type Table struct {
	cfg    Config
	sender Sender
	snap   [shards]atomic.Pointer[map[uint32]*neighbor] // read by Lookup, by low address byte

	mu      sync.Mutex
	m       map[uint32]*neighbor
	pending int // incomplete entries

	requests, queueDrops, timeoutDrops atomic.Uint64
}

// New returns an empty table that sends through s.
func New(cfg Config, s Sender) *Table {
	cfg.setDefaults()
	t := &Table{cfg: cfg, sender: s, m: make(map[uint32]*neighbor)}
	for i := range t.snap {
		t.snap[i].Store(&emptyShard)
	}
	return t
}

// emptyShard is every new table's snapshot shard: publish never writes a
// shard in place, so tables share it (a table per interface, and a PPPoE
// subscriber interface never learns a neighbour, so 256 maps each would
// be most of a subscriber's memory).
var emptyShard map[uint32]*neighbor

func key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addrOf(k uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)})
}

func macU64(m [6]byte) uint64 {
	return uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 | uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

func u64MAC(u uint64) [6]byte {
	return [6]byte{byte(u >> 40), byte(u >> 32), byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}
}

// shards splits the published snapshot so that adding or removing an
// entry copies about 1/256 of the table, not all of it.
const shards = 256

// publish replaces the snapshot shard holding k with a copy in which k
// maps to n (removed when n is nil). Called with mu held.
func (t *Table) publish(k uint32, n *neighbor) {
	sh := &t.snap[k%shards]
	old := *sh.Load()
	m := make(map[uint32]*neighbor, len(old)+1)
	for kk, v := range old {
		m[kk] = v
	}
	if n == nil {
		delete(m, k)
	} else {
		m[k] = n
	}
	sh.Store(&m)
}

// Lookup returns the MAC address of next hop ip (big-endian IPv4) when it
// is resolved. It takes no lock and does not allocate.
func (t *Table) Lookup(ip uint32) ([6]byte, bool) {
	n := (*t.snap[ip%shards].Load())[ip]
	if n == nil {
		return [6]byte{}, false
	}
	switch State(n.state.Load()) {
	case Reachable, Static:
	case Stale:
		if !n.used.Load() {
			n.used.Store(true)
		}
	default:
		return [6]byte{}, false
	}
	return u64MAC(n.mac.Load()), true
}

// Result is the outcome of Resolve.
type Result uint8

// Resolve outcomes.
const (
	Queued   Result = iota // the packet waits for the next hop
	Resolved               // the next hop resolved meanwhile; send with the returned MAC
	Dropped                // the next hop's queue is full; the packet was counted and dropped
)

// Resolve handles a Lookup miss for next hop ip at time now: it copies
// pkt into the next hop's bounded queue, creating an incomplete entry and
// sending a broadcast request when there is none.
func (t *Table) Resolve(ip uint32, pkt []byte, now time.Time) ([6]byte, Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.m[ip]
	if n != nil && State(n.state.Load()) != Incomplete {
		return u64MAC(n.mac.Load()), Resolved
	}
	if n == nil {
		if t.pending >= t.cfg.MaxPending {
			t.queueDrops.Add(1)
			return [6]byte{}, Dropped
		}
		t.pending++
		n = &neighbor{nextTry: now.Add(t.cfg.RetryInterval), retries: 1, pending: true}
		n.state.Store(uint32(Incomplete))
		t.m[ip] = n
		t.publish(ip, n)
		t.requests.Add(1)
		t.sender.SendRequest(addrOf(ip), [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	if len(n.queue) >= t.cfg.QueueLen {
		t.queueDrops.Add(1)
		return [6]byte{}, Dropped
	}
	n.queue = append(n.queue, append([]byte(nil), pkt...))
	return [6]byte{}, Queued
}

// settle takes n out of the pending count. Called with mu held.
func (t *Table) settle(n *neighbor) {
	if n.pending {
		n.pending = false
		t.pending--
	}
}

// Input records what an ARP packet from sender ip/mac says (RFC 826
// merge): an existing entry is updated, confirmed and its queue flushed;
// a new entry is created only when create is true (the packet was
// addressed to one of our addresses). Static entries are not changed.
func (t *Table) Input(ip netip.Addr, mac [6]byte, create bool, now time.Time) {
	k := key(ip)
	t.mu.Lock()
	n := t.m[k]
	if n == nil {
		if !create {
			t.mu.Unlock()
			return
		}
		n = &neighbor{}
		t.m[k] = n
		t.publish(k, n)
	}
	if State(n.state.Load()) == Static {
		t.mu.Unlock()
		return
	}
	t.settle(n)
	n.mac.Store(macU64(mac))
	n.updated = now
	n.retries = 0
	n.used.Store(false)
	n.state.Store(uint32(Reachable))
	q := n.queue
	n.queue = nil
	t.mu.Unlock()
	if len(q) > 0 {
		t.sender.SendQueued(mac, q)
	}
}

// Tick runs the timers at time now: retries and gives up on incomplete
// entries (dropping and counting their queues), ages reachable entries to
// stale, refreshes stale entries that were used and removes stale entries
// that were not confirmed within StaleTime. It returns the number of
// queued packets dropped.
func (t *Table) Tick(now time.Time) (dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, n := range t.m {
		switch State(n.state.Load()) {
		case Incomplete:
			if now.Before(n.nextTry) {
				continue
			}
			if n.retries >= t.cfg.MaxRetries {
				dropped += len(n.queue)
				t.settle(n)
				delete(t.m, k)
				t.publish(k, nil)
				continue
			}
			n.retries++
			n.nextTry = now.Add(t.cfg.RetryInterval)
			t.requests.Add(1)
			t.sender.SendRequest(addrOf(k), [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		case Reachable:
			if now.Sub(n.updated) >= t.cfg.ReachableTime {
				n.state.Store(uint32(Stale))
				n.nextTry = now
			}
		case Stale:
			if now.Sub(n.updated) >= t.cfg.ReachableTime+t.cfg.StaleTime {
				delete(t.m, k)
				t.publish(k, nil)
				continue
			}
			if n.used.Load() && !now.Before(n.nextTry) {
				n.nextTry = now.Add(t.cfg.RetryInterval)
				t.requests.Add(1)
				t.sender.SendRequest(addrOf(k), u64MAC(n.mac.Load()))
			}
		}
	}
	t.timeoutDrops.Add(uint64(dropped))
	return dropped
}

// AddStatic installs a static entry (for example the analyzer's next
// hop), replacing any dynamic entry and flushing its queue.
func (t *Table) AddStatic(ip netip.Addr, mac [6]byte, now time.Time) {
	k := key(ip)
	t.mu.Lock()
	n := t.m[k]
	if n == nil {
		n = &neighbor{}
		t.m[k] = n
		t.publish(k, n)
	}
	t.settle(n)
	n.mac.Store(macU64(mac))
	n.updated = now
	n.state.Store(uint32(Static))
	q := n.queue
	n.queue = nil
	t.mu.Unlock()
	if len(q) > 0 {
		t.sender.SendQueued(mac, q)
	}
}

// Delete removes the entry for ip, static or not. It reports whether
// there was one.
func (t *Table) Delete(ip netip.Addr) bool {
	k := key(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.m[k]
	if ok {
		t.settle(n)
		t.timeoutDrops.Add(uint64(len(n.queue)))
		delete(t.m, k)
		t.publish(k, nil)
	}
	return ok
}

// Clear removes every dynamic entry (`clear arp`); static entries stay.
func (t *Table) Clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, n := range t.m {
		if State(n.state.Load()) != Static {
			t.settle(n)
			t.timeoutDrops.Add(uint64(len(n.queue)))
			delete(t.m, k)
			t.publish(k, nil)
		}
	}
}

// Entries returns the table sorted by address.
func (t *Table) Entries() []Entry {
	t.mu.Lock()
	out := make([]Entry, 0, len(t.m))
	for k, n := range t.m {
		out = append(out, Entry{Addr: addrOf(k), MAC: u64MAC(n.mac.Load()), State: State(n.state.Load()), Updated: n.updated})
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	return Stats{RequestsSent: t.requests.Load(), QueueDrops: t.queueDrops.Load(), TimeoutDrops: t.timeoutDrops.Load()}
}
