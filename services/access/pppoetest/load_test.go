package pppoetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// barrierAuth is userDB that records how many authentications ran at
// once. With target > 0 it is a barrier: authentications wait until
// target of them are in flight together (or, as a hang guard only, until
// barrierTimeout has passed), then it opens for good.
type barrierAuth struct {
	userDB
	target   int
	mu       sync.Mutex
	now, max int
	open     chan struct{}
	opened   bool
}

// barrierTimeout only keeps a broken limit from hanging the test; it is
// never what makes the test pass.
const barrierTimeout = 30 * time.Second

func newBarrierAuth(target int) *barrierAuth {
	return &barrierAuth{target: target, open: make(chan struct{})}
}

// openLocked opens the barrier once.
func (a *barrierAuth) openLocked() {
	if !a.opened {
		a.opened = true
		close(a.open)
	}
}

func (a *barrierAuth) AuthenticatePAP(ctx context.Context, user, pass string) (subscriber.Attributes, error) {
	a.mu.Lock()
	a.now++
	a.max = max(a.max, a.now)
	if a.target == 0 || a.now >= a.target {
		a.openLocked()
	}
	a.mu.Unlock()
	timer := time.NewTimer(barrierTimeout)
	select {
	case <-a.open:
	case <-ctx.Done():
	case <-timer.C:
		a.mu.Lock()
		a.openLocked()
		a.mu.Unlock()
	}
	timer.Stop()
	a.mu.Lock()
	a.now--
	a.mu.Unlock()
	return a.userDB.AuthenticatePAP(ctx, user, pass)
}

// TestRunLoadConcurrency: with Concurrency set, no more logins are in
// flight (here: in authentication) than allowed; without it, more than
// that are: the authenticator holds the first logins until
// wantAbove+1 of them are in it together, which only happens when
// RunLoad does not serialize them.
func TestRunLoadConcurrency(t *testing.T) {
	for _, tc := range []struct {
		conc      int
		wantAbove int // max in flight must exceed this (0: no check, no barrier)
	}{{conc: 4}, {conc: 0, wantAbove: 4}} {
		cl, sl := Pipe()
		r := newPPPoERig(t, ppp.AuthPAP, cl, sl)
		auth := newBarrierAuth(0)
		if tc.wantAbove > 0 {
			auth = newBarrierAuth(tc.wantAbove + 1)
		}
		srvCfg := r.srv.cfg.PPP
		srvCfg.Authenticator = auth
		r.srv.cfg.PPP = srvCfg
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard only
		res := RunLoad(ctx, r.emu, LoadConfig{Sessions: 40, Concurrency: tc.conc, BaseMAC: MAC{2, 0x56, 0, 0, 0, 1},
			Credentials: creds, Accept: []ppp.AuthProtocol{ppp.AuthPAP}})
		cancel()
		if len(res.Up) != 40 {
			t.Fatalf("concurrency %d: %d up, failures %v", tc.conc, len(res.Up), res.Failures)
		}
		if tc.conc > 0 && auth.max > tc.conc {
			t.Fatalf("concurrency %d: %d logins in flight", tc.conc, auth.max)
		}
		if auth.max <= tc.wantAbove {
			t.Fatalf("concurrency %d: only %d logins in flight", tc.conc, auth.max)
		}
		res.LogoutAll()
	}
}

// TestMemPortLink logs subscribers in over a memport pair, each end a
// MemPortLink, the way the subscriber tests reach the line card.
func TestMemPortLink(t *testing.T) {
	a, b := memport.Pair("emu", [6]byte{2, 1}, "srv", serverMAC)
	r := newPPPoERig(t, ppp.AuthCHAP, MemPortLink(a), MemPortLink(b))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	res := RunLoad(ctx, r.emu, LoadConfig{Sessions: 50, Concurrency: 8, BaseMAC: MAC{2, 0x57, 0, 0, 0, 1},
		Credentials: creds, PingTarget: mp("10.100.0.1"), Pings: 1})
	if len(res.Up) != 50 || res.PingsAnswered != 50 {
		t.Fatalf("%d up, %d pings answered, failures %v", len(res.Up), res.PingsAnswered, res.Failures)
	}
	res.LogoutAll()
	r.log.waitDown(50)
}
