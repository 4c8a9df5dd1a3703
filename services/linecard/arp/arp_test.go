package arp

import (
	"net/netip"
	"testing"
	"time"
)

type fakeSender struct {
	requests []netip.Addr
	unicast  int
	flushed  [][]byte
}

func (f *fakeSender) SendRequest(target netip.Addr, dst [6]byte) {
	f.requests = append(f.requests, target)
	if dst != [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} {
		f.unicast++
	}
}

func (f *fakeSender) SendQueued(mac [6]byte, pkts [][]byte) { f.flushed = append(f.flushed, pkts...) }

var (
	hop    = netip.MustParseAddr("192.0.2.2")
	hopKey = key(hop)
	mac1   = [6]byte{2, 0, 0, 0, 0, 1}
	mac2   = [6]byte{2, 0, 0, 0, 0, 2}
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// step is one event applied to the table at a fake time offset.
type step struct {
	at     time.Duration
	do     string // "resolve", "reply", "unsolicited", "tick", "lookup", "static", "clear"
	mac    [6]byte
	want   State  // expected state after the step; 0xff = no entry
	result Result // for resolve
}

const gone State = 0xff

func TestStateMachine(t *testing.T) {
	cfg := Config{ReachableTime: 10 * time.Second, StaleTime: 5 * time.Second, RetryInterval: time.Second, MaxRetries: 3, QueueLen: 2}
	tests := []struct {
		name         string
		steps        []step
		wantRequests int
		wantFlushed  int
		wantDrops    Stats
	}{
		{"resolve then reply flushes queue", []step{
			{do: "resolve", want: Incomplete, result: Queued},
			{do: "resolve", want: Incomplete, result: Queued},
			{do: "resolve", want: Incomplete, result: Dropped},
			{at: 500 * time.Millisecond, do: "reply", mac: mac1, want: Reachable},
			{at: 600 * time.Millisecond, do: "lookup", want: Reachable},
		}, 1, 2, Stats{QueueDrops: 1}},
		{"retries then gone, queue dropped", []step{
			{do: "resolve", want: Incomplete, result: Queued},
			{at: 1 * time.Second, do: "tick", want: Incomplete},
			{at: 2 * time.Second, do: "tick", want: Incomplete},
			{at: 3 * time.Second, do: "tick", want: gone},
		}, 3, 0, Stats{TimeoutDrops: 1}},
		{"reachable ages to stale then gone", []step{
			{do: "resolve", result: Queued, want: Incomplete},
			{do: "reply", mac: mac1, want: Reachable},
			{at: 9 * time.Second, do: "tick", want: Reachable},
			{at: 10 * time.Second, do: "tick", want: Stale},
			{at: 11 * time.Second, do: "lookup", want: Stale},
			{at: 12 * time.Second, do: "tick", want: Stale},
			{at: 15 * time.Second, do: "tick", want: gone},
		}, 2, 1, Stats{}},
		{"stale refreshed by reply", []step{
			{do: "unsolicited", mac: mac1, want: Reachable},
			{at: 10 * time.Second, do: "tick", want: Stale},
			{at: 11 * time.Second, do: "reply", mac: mac2, want: Reachable},
			{at: 16 * time.Second, do: "tick", want: Reachable},
			{at: 16 * time.Second, do: "lookup", mac: mac2, want: Reachable},
		}, 0, 0, Stats{}},
		{"static never ages and ignores ARP", []step{
			{do: "static", mac: mac1, want: Static},
			{at: time.Hour, do: "tick", want: Static},
			{at: time.Hour, do: "reply", mac: mac2, want: Static},
			{at: time.Hour, do: "lookup", mac: mac1, want: Static},
			{at: time.Hour, do: "clear", want: Static},
		}, 0, 0, Stats{}},
		{"clear removes dynamic", []step{
			{do: "unsolicited", mac: mac1, want: Reachable},
			{do: "clear", want: gone},
		}, 0, 0, Stats{}},
		{"static resolves queued", []step{
			{do: "resolve", want: Incomplete, result: Queued},
			{do: "static", mac: mac1, want: Static},
		}, 1, 1, Stats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{}
			tb := New(cfg, s)
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				switch st.do {
				case "resolve":
					if _, r := tb.Resolve(hopKey, []byte{0x45}, now); r != st.result {
						t.Fatalf("step %d: resolve = %d, want %d", i, r, st.result)
					}
				case "reply":
					tb.Input(hop, st.mac, false, now)
				case "unsolicited":
					tb.Input(hop, st.mac, true, now)
				case "tick":
					tb.Tick(now)
				case "static":
					tb.AddStatic(hop, st.mac, now)
				case "clear":
					tb.Clear()
				case "lookup":
					mac, ok := tb.Lookup(hopKey)
					if !ok || (st.mac != [6]byte{} && mac != st.mac) {
						t.Fatalf("step %d: lookup = %v %v", i, mac, ok)
					}
				}
				es := tb.Entries()
				got := gone
				if len(es) == 1 {
					got = es[0].State
				}
				if got != st.want {
					t.Fatalf("step %d (%s): state %v, want %v", i, st.do, got, st.want)
				}
			}
			if len(s.requests) != tt.wantRequests {
				t.Errorf("requests = %d, want %d", len(s.requests), tt.wantRequests)
			}
			if len(s.flushed) != tt.wantFlushed {
				t.Errorf("flushed = %d, want %d", len(s.flushed), tt.wantFlushed)
			}
			st := tb.Stats()
			if st.QueueDrops != tt.wantDrops.QueueDrops || st.TimeoutDrops != tt.wantDrops.TimeoutDrops {
				t.Errorf("stats = %+v, want drops %+v", st, tt.wantDrops)
			}
		})
	}
}

func TestLookupIncompleteMisses(t *testing.T) {
	tb := New(Config{}, &fakeSender{})
	tb.Resolve(hopKey, nil, t0)
	if _, ok := tb.Lookup(hopKey); ok {
		t.Fatal("incomplete entry resolved")
	}
	if !tb.Delete(hop) || tb.Delete(hop) {
		t.Fatal("delete")
	}
}

func TestLookupAllocs(t *testing.T) {
	tb := New(Config{}, &fakeSender{})
	tb.AddStatic(hop, mac1, t0)
	if n := testing.AllocsPerRun(100, func() { tb.Lookup(hopKey) }); n != 0 {
		t.Fatalf("Lookup allocates %v", n)
	}
}

func TestMaxPending(t *testing.T) {
	tb := New(Config{MaxPending: 2}, &fakeSender{})
	for i, want := range []Result{Queued, Queued, Dropped} {
		if _, r := tb.Resolve(uint32(0x0a000001+i), nil, t0); r != want {
			t.Fatalf("resolve %d = %d, want %d", i, r, want)
		}
	}
	tb.Input(addrOf(0x0a000001), mac1, false, t0)
	if _, r := tb.Resolve(0x0a000009, nil, t0); r != Queued {
		t.Fatal("resolution did not free a pending slot")
	}
}

func TestManyNeighbours(t *testing.T) {
	tb := New(Config{}, &fakeSender{})
	for i := uint32(0); i < 20000; i++ {
		tb.Input(addrOf(0x0a000000+i), mac1, true, t0)
	}
	for i := uint32(0); i < 20000; i += 997 {
		if _, ok := tb.Lookup(0x0a000000 + i); !ok {
			t.Fatalf("neighbour %d missing", i)
		}
	}
	tb.Clear()
	if _, ok := tb.Lookup(0x0a000001); ok || len(tb.Entries()) != 0 {
		t.Fatal("clear left entries")
	}
}
