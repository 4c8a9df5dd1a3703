package linecard

import (
	"testing"

	"github.com/erxos/erx/services/linecard/port/memport"
)

// TestWatchLinks: a carrier change calls the watchers once per poll that
// sees it, a poll without change calls nobody, and cancel unsubscribes.
func TestWatchLinks(t *testing.T) {
	r0, _ := memport.Pair("r0", macR0, "h0", macH0)
	e, err := New(Config{}, PortConfig{Port: r0, Interface: "ge-0"})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	cancel := e.WatchLinks(func() { calls++ })
	steps := []struct {
		up   bool
		want int
	}{
		{true, 0},  // unchanged since New
		{false, 1}, // link down
		{false, 1}, // still down
		{true, 2},  // back up
	}
	for i, s := range steps {
		r0.SetCarrier(s.up)
		e.pollLinks()
		if calls != s.want {
			t.Fatalf("step %d (up=%v): %d calls, want %d", i, s.up, calls, s.want)
		}
		if info, err := e.Interface("ge-0"); err != nil || info.LinkUp != s.up {
			t.Fatalf("step %d: LinkUp %v (err %v), want %v", i, info.LinkUp, err, s.up)
		}
	}
	cancel()
	r0.SetCarrier(false)
	e.pollLinks()
	if calls != 2 {
		t.Fatalf("after cancel: %d calls, want 2", calls)
	}
}
