package subscribers

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	erxradius "github.com/erxos/erx/aaa/radius"
)

// RADIUSAccounter sends Accounting-Requests (*radius.Client implements it).
type RADIUSAccounter interface {
	Account(ctx context.Context, r erxradius.AccountingRecord) (*erxradius.Response, error)
}

// AccountingStats are the accounting front end's counters.
type AccountingStats struct {
	Starts, Interims, Stops uint64 // records answered by a server
	Failed                  uint64 // records no server answered (dropped, as JunosE does)
	Dropped                 uint64 // records dropped because the queue was full
}

// accounting sends records on a few workers; the records of one session
// always go to the same worker, so Start, Interim-Updates and Stop leave
// in order. Queues are bounded: a full queue drops the record and counts
// it, so a dead accounting server never stalls logins.
type accounting struct {
	send    func() RADIUSAccounter
	queues  []chan erxradius.AccountingRecord
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	starts  atomic.Uint64
	interim atomic.Uint64
	stops   atomic.Uint64
	failed  atomic.Uint64
	dropped atomic.Uint64
}

const (
	acctWorkers  = 4
	acctQueueLen = 4096
	acctTimeout  = 60 * time.Second
)

func newAccounting(send func() RADIUSAccounter) *accounting {
	a := &accounting{send: send}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	for range acctWorkers {
		q := make(chan erxradius.AccountingRecord, acctQueueLen)
		a.queues = append(a.queues, q)
		a.wg.Add(1)
		go a.run(q)
	}
	return a
}

func (a *accounting) enqueue(r erxradius.AccountingRecord) {
	h := fnv.New32a()
	h.Write([]byte(r.SessionID))
	select {
	case a.queues[h.Sum32()%acctWorkers] <- r:
	default:
		a.dropped.Add(1)
	}
}

func (a *accounting) run(q chan erxradius.AccountingRecord) {
	defer a.wg.Done()
	for r := range q {
		c := a.send()
		if c == nil {
			a.failed.Add(1)
			continue
		}
		ctx, cancel := context.WithTimeout(a.ctx, acctTimeout)
		_, err := c.Account(ctx, r)
		cancel()
		switch {
		case err != nil:
			a.failed.Add(1)
		case r.Status == erxradius.AcctStart:
			a.starts.Add(1)
		case r.Status == erxradius.AcctStop:
			a.stops.Add(1)
		default:
			a.interim.Add(1)
		}
	}
}

// close sends what is queued, giving up on records still unanswered
// after grace, and stops the workers.
func (a *accounting) close(grace time.Duration) {
	t := time.AfterFunc(grace, a.cancel)
	defer t.Stop()
	for _, q := range a.queues {
		close(q)
	}
	a.wg.Wait()
	a.cancel()
}

func (a *accounting) stats() AccountingStats {
	return AccountingStats{Starts: a.starts.Load(), Interims: a.interim.Load(), Stops: a.stops.Load(),
		Failed: a.failed.Load(), Dropped: a.dropped.Load()}
}

// record builds the accounting record of s.
func record(status erxradius.AcctStatus, s Session, c Counters, now time.Time) erxradius.AccountingRecord {
	r := erxradius.AccountingRecord{Status: status, SessionID: s.AcctSessionID, UserName: s.Username,
		CallingStationID: s.CallingStationID, FramedIP: s.Address, Class: s.Class, EventTime: now,
		Port: PortOf(s.AccessInterface, s.VLAN)}
	if status != erxradius.AcctStart {
		r.SessionTime = now.Sub(s.LoginTime)
		r.InputOctets, r.OutputOctets = c.InOctets, c.OutOctets
		r.InputPackets, r.OutputPackets = c.InPackets, c.OutPackets
	}
	return r
}

// sessionIDs issues Acct-Session-Ids in JunosE's "decimal" format: ten
// decimal digits. An id is never below the wall clock in milliseconds
// (modulo 10^10) when it is issued, and ids increase strictly within a
// run. With a store (the router's flash) a run first reserves the ids it
// may issue, up to an hour of clock ahead, and a restarted routerd starts
// above the reservation of the run before: ids do not repeat across
// restarts, also within the same second or after a burst of logins that
// ran ahead of the clock. Once four fifths of a reservation are used the
// next one is written in the background, without the locks logins take
// (the table's and this one's): a login waits for the flash only when a
// burst, or a step of the clock, runs past the whole reservation before
// that write ended. Without a store only the clock separates runs. Ids
// wrap after about 115 days; the table skips an id still in use.
type sessionIDs struct {
	mu       sync.Mutex
	now      func() time.Time
	last     uint64 // milliseconds since the epoch, unwrapped
	store    IDStore
	reserved uint64 // ids up to this one may be issued (the reservation on the store)
	// writing: reserveAhead is writing the next reservation; written
	// (on mu) signals its end, wg waits for it.
	writing bool
	written *sync.Cond
	wg      sync.WaitGroup
}

// IDStore keeps the Acct-Session-Id reservation across restarts; the
// router's flash (same shape as dhcp.Store).
type IDStore interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, b []byte) error
}

const (
	// acctIDSpace is the number of ten-digit ids.
	acctIDSpace = 10_000_000_000
	// acctIDFile holds the reservation in the IDStore.
	acctIDFile = "acct-session-id"
	// acctIDReserve is how far ahead a reservation reaches: an hour of
	// the millisecond clock, so the store is written about once an hour.
	acctIDReserve = uint64(time.Hour / time.Millisecond)
	// acctIDRenew is the rest of a reservation below which the next one
	// is written: its last fifth (12 minutes of the clock).
	acctIDRenew = acctIDReserve / 5
)

func newSessionIDs(boot time.Time, now func() time.Time) *sessionIDs {
	g := &sessionIDs{now: now, last: uint64(max(boot.UnixMilli(), 1)) - 1}
	g.written = sync.NewCond(&g.mu)
	return g
}

// persist loads the previous run's reservation from s, starts above it
// and writes this run's reservation. Call it before the first next.
func (g *sessionIDs) persist(s IDStore) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.store = s
	if b, err := s.ReadFile(acctIDFile); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && v > g.last {
			g.last = v
		}
	}
	// A failed write still moves the reservation on: the flash is not
	// retried for every login; the clock keeps runs apart.
	g.reserved = max(g.last, uint64(max(g.now().UnixMilli(), 0))) + acctIDReserve
	return g.write(g.reserved)
}

// write stores reservation r.
func (g *sessionIDs) write(r uint64) error {
	if err := g.store.WriteFile(acctIDFile, []byte(strconv.FormatUint(r, 10)+"\n")); err != nil {
		return fmt.Errorf("subscribers: Acct-Session-Id reservation: %w", err)
	}
	return nil
}

// reserveAhead writes reservation r, without g.mu held, then lets ids up
// to r be issued (also when the write failed, as persist does).
func (g *sessionIDs) reserveAhead(r uint64) {
	defer g.wg.Done()
	_ = g.write(r)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reserved = max(g.reserved, r)
	g.writing = false
	g.written.Broadcast()
}

// next returns a new id.
func (g *sessionIDs) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = max(g.last+1, uint64(max(g.now().UnixMilli(), 0)))
	for g.store != nil {
		if !g.writing && g.last+acctIDRenew > g.reserved {
			g.writing = true
			g.wg.Add(1)
			go g.reserveAhead(g.last + acctIDReserve)
		}
		if g.last <= g.reserved {
			break
		}
		// Past the reservation on the store before the next one is
		// written: an id issued now could repeat after a restart.
		g.written.Wait()
	}
	return fmt.Sprintf("%010d", g.last%acctIDSpace)
}

// wait waits for a reservation being written (Engine.Close).
func (g *sessionIDs) wait() { g.wg.Wait() }

// PersistAcctSessionIDs keeps the Acct-Session-Id reservation in s (the
// router's flash), so ids never repeat across restarts of routerd. Call it
// right after New, before subscribers log in.
func (e *Engine) PersistAcctSessionIDs(s IDStore) error { return e.table.acctNext.persist(s) }
