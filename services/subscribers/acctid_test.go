package subscribers

import (
	"errors"
	"io/fs"
	"strconv"
	"sync"
	"testing"
	"time"
)

// memStore is an IDStore in memory (the flash).
type memStore struct {
	mu     sync.Mutex
	files  map[string][]byte
	writes int
}

func (m *memStore) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (m *memStore) WriteFile(name string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = append([]byte(nil), b...)
	m.writes++
	return nil
}

// TestAcctSessionIDsAcrossRestarts: a routerd restarted at once (a new
// table on the same flash, within the same second and right after a
// burst of logins) issues Acct-Session-Ids that none of the previous
// runs' sessions had; every id is ten decimal digits; the flash is
// written once per run, not per login.
func TestAcctSessionIDsAcrossRestarts(t *testing.T) {
	seen := map[string]int{}
	flash := &memStore{}
	for run := range 3 {
		tb := NewTable(time.Now())
		must(t, tb.acctNext.persist(flash))
		for range 500 {
			s := tb.add(&Session{Type: TypePPPoE})
			if len(s.AcctSessionID) != 10 {
				t.Fatalf("Acct-Session-Id %q is not ten digits", s.AcctSessionID)
			}
			if _, err := strconv.ParseUint(s.AcctSessionID, 10, 64); err != nil {
				t.Fatalf("Acct-Session-Id %q is not decimal", s.AcctSessionID)
			}
			if prev, dup := seen[s.AcctSessionID]; dup {
				t.Fatalf("run %d repeats Acct-Session-Id %s of run %d", run, s.AcctSessionID, prev)
			}
			seen[s.AcctSessionID] = run
		}
	}
	if flash.writes != 3 {
		t.Errorf("%d writes of the reservation for 3 runs, want 3", flash.writes)
	}
	// A flash that fails still leaves the ids working.
	tb := NewTable(time.Now())
	if err := tb.acctNext.persist(failing{}); err == nil {
		t.Error("a failed reservation write is not reported")
	}
	if s := tb.add(&Session{}); len(s.AcctSessionID) != 10 {
		t.Errorf("id %q with a failing flash", s.AcctSessionID)
	}
}

type failing struct{}

func (failing) ReadFile(string) ([]byte, error) { return nil, errors.New("io error") }
func (failing) WriteFile(string, []byte) error  { return errors.New("io error") }

// TestSessionIDsPacing: ids follow the clock, run ahead of it only by
// what was issued faster than one per millisecond, and a later run
// starts above an earlier one unless the earlier one ran ahead beyond
// the restart; the ten digits wrap.
func TestSessionIDsPacing(t *testing.T) {
	t0 := time.UnixMilli(1_764_000_000_000) // ...0000000000 mod 10^10
	clock := t0
	now := func() time.Time { return clock }
	a := newSessionIDs(t0, now)
	var last string
	for i := range 200 { // a burst within one millisecond
		id := a.next()
		if i == 0 && id != "4000000000" {
			t.Fatalf("first id %s, want the clock's 4000000000", id)
		}
		if id <= last {
			t.Fatalf("id %s after %s", id, last)
		}
		last = id
	}
	// Restart 300 ms later, in the same second: above the whole burst.
	clock = t0.Add(300 * time.Millisecond)
	b := newSessionIDs(clock, now)
	if id := b.next(); id <= last {
		t.Fatalf("restarted run issued %s, not above the previous run's %s", id, last)
	}
	// The clock moving on moves the ids on.
	clock = t0.Add(time.Hour)
	if id, want := b.next(), strconv.FormatUint(uint64(clock.UnixMilli())%acctIDSpace, 10); id != want {
		t.Fatalf("id %s an hour later, want %s", id, want)
	}
	// Wrap: ten digits, always.
	w := newSessionIDs(time.UnixMilli(acctIDSpace-1), func() time.Time { return time.UnixMilli(acctIDSpace - 1) })
	if id1, id2 := w.next(), w.next(); id1 != "9999999999" || id2 != "0000000000" {
		t.Fatalf("wrap: %s then %s", id1, id2)
	}
}
