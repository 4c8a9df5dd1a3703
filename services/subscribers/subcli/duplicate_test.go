package subcli

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/access/pppoetest"
)

// padrGate is a Link that holds the clients' PADRs until it has n
// different ones, then sends them in the order they came: every client
// got its PADO before any session exists, so a session limit is met at
// the PADR (PADS error), not at the PADI (no PADO). Retransmissions of a
// held PADR are dropped.
type padrGate struct {
	pppoetest.Link
	n        int
	mu       sync.Mutex
	held     [][]byte
	released bool
}

func (g *padrGate) WriteFrame(f []byte) error {
	if len(f) < 16 || binary.BigEndian.Uint16(f[12:]) != 0x8863 || pppoe.Code(f[15]) != pppoe.CodePADR {
		return g.Link.WriteFrame(f)
	}
	g.mu.Lock()
	if g.released {
		g.mu.Unlock()
		return g.Link.WriteFrame(f)
	}
	for _, h := range g.held {
		if bytes.Equal(h, f) {
			g.mu.Unlock()
			return nil
		}
	}
	g.held = append(g.held, bytes.Clone(f))
	var out [][]byte
	if len(g.held) == g.n {
		out, g.held, g.released = g.held, nil, true
	}
	g.mu.Unlock()
	for _, h := range out {
		if err := g.Link.WriteFrame(h); err != nil {
			return err
		}
	}
	return nil
}

// TestPPPoEDuplicateProtection: with `pppoe duplicate-protection` a
// second session from a client MAC that already has one is refused with
// a PADS carrying an AC-System-Error (both clients were offered before
// either session existed), the refusal is counted, and the same two
// logins from two MACs both succeed. Without the command one MAC may
// open two sessions.
func TestPPPoEDuplicateProtection(t *testing.T) {
	for _, tc := range []struct {
		name       string
		protect    bool
		macs       [2]byte // last byte of each client's MAC
		secondFail bool
	}{
		{"same MAC refused", true, [2]byte{1, 1}, true},
		{"other MAC", true, [2]byte{1, 2}, false},
		{"same MAC without protection", false, [2]byte{1, 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRigLink(t, func(l pppoetest.Link) pppoetest.Link { return &padrGate{Link: l, n: 2} })
			s := r.session()
			lines := []string{"configure terminal", "aaa authentication ppp default none",
				"ip local pool subs 100.64.0.1 100.64.0.9", "interface gigabitEthernet 1/0/0", "encapsulation pppoe"}
			if tc.protect {
				lines = append(lines, "pppoe duplicate-protection")
			}
			if out := transcript(s, append(lines, "end")...); strings.Contains(out, "%") {
				t.Fatalf("configuration failed:\n%s", out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, last := range tc.macs {
				wg.Go(func() {
					ses, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, last},
						User: "u", Password: "p", Retries: 3, RetryInterval: 5 * time.Second})
					errs[i] = err
					if err == nil {
						t.Cleanup(func() { _ = ses.Close() })
					}
				})
				// The first client's PADR is held before the second starts.
				for i == 0 && r.e.PPPoEStats()["gigabitEthernet 1/0/0"].PADOSent == 0 && ctx.Err() == nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
			wg.Wait()
			if errs[0] != nil {
				t.Fatalf("first login: %v", errs[0])
			}
			var le *pppoetest.LoginError
			switch {
			case !tc.secondFail && errs[1] != nil:
				t.Fatalf("second login: %v", errs[1])
			case tc.secondFail && (!errors.As(errs[1], &le) || le.Stage != pppoetest.StageDiscovery || le.Reason != "session limit reached"):
				t.Fatalf("second login: %v, want a PADS error", errs[1])
			}
			st := r.e.PPPoEStats()["gigabitEthernet 1/0/0"]
			if want := map[bool]uint64{true: 1}[tc.secondFail]; st.LimitRejected != want || st.PADOSent != 2 {
				t.Errorf("stats %+v, want %d limit rejects", st, want)
			}
		})
	}
}
