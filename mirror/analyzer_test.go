package mirror

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"

	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
)

// plainDP adds plain delivery to fakeDP.
type plainDP struct {
	*fakeDP
	mu  sync.Mutex
	nh  []netip.Addr
	pkt [][]byte
}

func (p *plainDP) SendIPv4Via(vr string, nh netip.Addr, pkt []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nh = append(p.nh, nh)
	p.pkt = append(p.pkt, append([]byte(nil), pkt...))
	return nil
}

func TestAnalyzerDelivery(t *testing.T) {
	pkt := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	for _, tc := range []struct {
		name  string
		port  uint16
		plain bool
	}{
		{"jmirror", 30030, false},
		{"plain without data-plane support", 0, false},
		{"plain", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDP(t)
			var dp DataPlane = f
			pd := &plainDP{fakeDP: f}
			if tc.plain {
				dp = pd
			}
			e, err := New(Config{DataPlane: dp, Routes: &fakeRoutes{}})
			if err != nil {
				t.Fatal(err)
			}
			a := e.startAnalyzer(analyzerKey{vr: "default", addr: analyzerIP, port: tc.port}, analyzerRT)
			a.HandleCopy(&linecard.Copy{MirrorID: 16, SessionID: 9, Packet: pkt})
			a.close()
			st := a.stats()
			switch {
			case tc.port != 0:
				if st.Sent != 1 || len(f.sent) != 1 {
					t.Fatalf("stats %+v", st)
				}
				p, err := jmirror.Parse(f.sent[0])
				if err != nil || p.Header().MirrorID() != 16 || p.Header().SessionID() != 9 || p.IPv4().Source() != analyzerRT.Source || !bytes.Equal(p.Payload(), pkt) {
					t.Fatalf("sent %v", err)
				}
			case tc.plain:
				if st.Sent != 1 || len(pd.pkt) != 1 || !bytes.Equal(pd.pkt[0], pkt) || pd.nh[0] != analyzerRT.NextHop {
					t.Fatalf("plain: stats %+v", st)
				}
			default:
				if st.SendErrors != 1 || st.Sent != 0 {
					t.Fatalf("unsupported plain: stats %+v", st)
				}
			}
		})
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
