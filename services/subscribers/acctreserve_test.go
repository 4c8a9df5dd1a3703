package subscribers

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedFlash is a flash whose writes, once hold is called, wait until
// release; each write begun is reported on started.
type gatedFlash struct {
	memStore
	mu      sync.Mutex
	gate    chan struct{} // nil: writes go through
	started chan struct{}
}

func (f *gatedFlash) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
}

func (f *gatedFlash) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.gate)
	f.gate = nil
}

func (f *gatedFlash) WriteFile(name string, b []byte) error {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	f.started <- struct{}{}
	if gate != nil {
		<-gate
	}
	return f.memStore.WriteFile(name, b)
}

// reservation returns the reservation on the flash.
func (f *gatedFlash) reservation(t *testing.T) uint64 {
	t.Helper()
	b, err := f.ReadFile(acctIDFile)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAcctSessionIDsReserveAhead: the next Acct-Session-Id reservation
// is written in the background once four fifths of the current one are
// used, and logins go on while the flash is busy; only a login past the
// whole reservation waits for its write (its id could repeat after a
// restart otherwise).
func TestAcctSessionIDsReserveAhead(t *testing.T) {
	t0 := time.UnixMilli(1_764_000_000_000)
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	at := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = t0.Add(d) }
	flash := &gatedFlash{started: make(chan struct{}, 8)}
	tb := newTable(t0, now)
	t.Cleanup(tb.acctNext.wait)
	must(t, tb.acctNext.persist(flash))
	<-flash.started
	if r := flash.reservation(t); r != uint64(t0.Add(time.Hour).UnixMilli()) {
		t.Fatalf("first reservation %d", r)
	}
	// add logs a subscriber in; it fails the test if the login hangs.
	add := func(what string) Session {
		t.Helper()
		done := make(chan Session, 1)
		go func() { done <- tb.add(&Session{Type: TypeIPoE}) }()
		select {
		case s := <-done:
			return s
		case <-time.After(10 * time.Second): // hang guard only
			t.Fatalf("%s: the login waits for the flash", what)
		}
		return Session{}
	}
	add("within the reservation")
	if len(flash.started) != 0 {
		t.Fatal("reservation written again long before its end")
	}

	flash.hold()
	at(50 * time.Minute) // past four fifths of the hour
	add("at 50 minutes")
	select {
	case <-flash.started:
	case <-time.After(10 * time.Second): // hang guard only
		t.Fatal("no reservation written ahead at 50 minutes")
	}
	for range 100 {
		add("while the reservation is written")
	}
	flash.release()
	want := uint64(t0.Add(50*time.Minute + time.Hour).UnixMilli())
	for deadline := time.Now().Add(10 * time.Second); flash.reservation(t) < want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // hang guard only
			t.Fatalf("reservation %d, want %d", flash.reservation(t), want)
		}
	}
	tb.acctNext.wait()
	// Past the first hour: covered by the reservation written ahead.
	at(70 * time.Minute)
	if s := add("past the first reservation"); s.AcctSessionID != strconv.FormatUint(uint64(t0.Add(70*time.Minute).UnixMilli())%acctIDSpace, 10) {
		t.Fatalf("id %s does not follow the clock", s.AcctSessionID)
	}
	if len(flash.started) != 0 {
		t.Fatal("reservation written again")
	}

	// A step of the clock past the whole reservation: that login waits
	// for the write of the next one.
	flash.hold()
	at(3 * time.Hour)
	done := make(chan Session, 1)
	go func() { done <- tb.add(&Session{Type: TypeIPoE}) }()
	<-flash.started
	select {
	case s := <-done:
		t.Fatalf("id %s issued past the reservation on the flash", s.AcctSessionID)
	default:
	}
	flash.release()
	s := <-done
	id, _ := strconv.ParseUint(s.AcctSessionID, 10, 64)
	if r := flash.reservation(t); r%acctIDSpace < id {
		t.Fatalf("id %d above the reservation %d", id, r)
	}
}
