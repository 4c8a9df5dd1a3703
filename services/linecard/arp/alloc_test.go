package arp

import (
	"net/netip"
	"testing"
	"time"
)

// TestNewTableIsSmall: a new table (one per interface, so one per PPPoE
// subscriber) allocates a handful of objects, not one map per snapshot
// shard; tables sharing the empty shard still learn independently.
func TestNewTableIsSmall(t *testing.T) {
	if n := testing.AllocsPerRun(20, func() { New(Config{}, nil) }); n > 4 {
		t.Fatalf("New allocates %v objects", n)
	}
	a, b := New(Config{}, nil), New(Config{}, nil)
	ip := netip.MustParseAddr("10.0.0.7")
	a.AddStatic(ip, [6]byte{2, 0, 0, 0, 0, 7}, time.Now())
	if _, ok := a.Lookup(key(ip)); !ok {
		t.Fatal("a did not learn its entry")
	}
	if _, ok := b.Lookup(key(ip)); ok {
		t.Fatal("b sees a's entry through the shared empty shard")
	}
	if len(emptyShard) != 0 {
		t.Fatal("the shared empty shard was written")
	}
}
