package mirror

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"

	"github.com/erxos/erx/mirror/jmirror"
)

// TestAnalyzerEncoders: an analyzer with a UDP port gets the jmirror
// encoder, whose source follows the route; one without gets the plain
// encoder, which hands the packet over unchanged.
func TestAnalyzerEncoders(t *testing.T) {
	pkt := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	e, err := New(Config{DataPlane: newFakeDP(t), Routes: &fakeRoutes{}})
	if err != nil {
		t.Fatal(err)
	}
	jm, err := e.startAnalyzer(analyzerKey{vr: "default", addr: analyzerIP, port: 30030}, analyzerRT)
	if err != nil {
		t.Fatal(err)
	}
	defer jm.close()
	if jm.jm == nil || jm.jm.Source() != analyzerRT.Source {
		t.Fatalf("jmirror encoder %+v", jm.jm)
	}
	buf := make([]byte, 100)
	n, err := jm.jm.Encode(buf, 0, 16, 9, pkt)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jmirror.Parse(buf[:n])
	if err != nil || p.Header().MirrorID() != 16 || p.Header().SessionID() != 9 || p.IPv4().Source() != analyzerRT.Source || !bytes.Equal(p.Payload(), pkt) {
		t.Fatalf("jmirror copy %x: %v", buf[:n], err)
	}
	moved := analyzerRT
	moved.Source = netip.MustParseAddr("192.0.2.77")
	jm.setRoute(moved)
	if jm.jm.Source() != moved.Source {
		t.Fatal("source did not follow the route")
	}
	plain, err := e.startAnalyzer(analyzerKey{vr: "default", addr: analyzerIP}, analyzerRT)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.close()
	if plain.jm != nil {
		t.Fatal("plain analyzer has a jmirror encoder")
	}
	if n, err := (plainEncoder{}).Encode(buf, 0, 16, 9, pkt); err != nil || !bytes.Equal(buf[:n], pkt) {
		t.Fatalf("plain copy %x: %v", buf[:n], err)
	}
	if _, err := (plainEncoder{}).Encode(buf[:10], 0, 16, 9, pkt); err == nil {
		t.Fatal("plain copy into a short buffer")
	}
	// The portless fake has no route to the next hop: nothing copied yet.
	if s := plain.stats(); s != (AnalyzerStats{}) {
		t.Fatalf("stats %+v", s)
	}
}

// chanSource is a SessionSource fed by the test.
type chanSource struct {
	mu sync.Mutex
	fn func(SessionEvent)
}

func (c *chanSource) SubscribeSessions(fn func(SessionEvent)) func() {
	c.mu.Lock()
	c.fn = fn
	c.mu.Unlock()
	return func() { c.mu.Lock(); c.fn = nil; c.mu.Unlock() }
}

func (c *chanSource) emit(ev SessionEvent) {
	c.mu.Lock()
	fn := c.fn
	c.mu.Unlock()
	if fn != nil {
		fn(ev)
	}
}

func TestSessionSubscription(t *testing.T) {
	src := &chanSource{}
	dp := newFakeDP(t)
	rt := &fakeRoutes{routes: map[netip.Addr]Route{analyzerIP: analyzerRT}}
	e, err := New(Config{DataPlane: dp, Routes: rt, Sessions: src})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.SetAnalyzerInterface("gigabitEthernet 2/0/2", true, admin))
	must(e.AddTrigger("default", TriggerUsername, "sub1@erx.test", "LI-1", false, admin))
	must(e.SetRule("LI-1", Rule{Analyzer: analyzerIP, Port: 30030}, admin))
	must(e.Start())
	src.emit(SessionEvent{Type: SessionLogin, Session: sub1()})
	if dp.tap("ppp-1", Input) == nil {
		t.Fatal("login event not consumed")
	}
	e.Stop()
	if dp.numTaps() != 0 {
		t.Fatal("taps after Stop")
	}
	src.emit(SessionEvent{Type: SessionLogout, Session: sub1()})
	if len(e.Sessions()) != 1 {
		t.Fatal("event consumed after Stop")
	}
	// Router-assigned Mirror-ID: stable, 30 bits, shown as assigned.
	ps, _ := e.Policies("LI-1")
	if ps[0].MirrorID != (&policy{name: "LI-1"}).mirrorID() || ps[0].MirrorID > jmirror.MaxMirrorID {
		t.Errorf("assigned mirror id %d", ps[0].MirrorID)
	}
}
