package subscribers

import (
	"context"
	"hash/fnv"
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
