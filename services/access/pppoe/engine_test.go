package pppoe

import (
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
	"go.uber.org/goleak"
)

var (
	acMAC = MAC{0x02, 0, 0, 0, 0, 1}
	mac1  = MAC{0x02, 0, 0, 0, 1, 1}
	mac2  = MAC{0x02, 0, 0, 0, 1, 2}
)

type sent struct {
	port  string
	frame []byte
}

type recorder struct {
	mu      sync.Mutex
	frames  []sent
	started []*Session
	ended   map[uint16]subscriber.Cause
	ppp     [][]byte
}

func (r *recorder) SendFrame(port string, f []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, sent{port, append([]byte(nil), f...)})
	return nil
}
func (r *recorder) SessionStarted(s *Session) { r.started = append(r.started, s) }
func (r *recorder) SessionPPP(s *Session, p []byte) {
	r.ppp = append(r.ppp, append([]byte(nil), p...))
}
func (r *recorder) SessionEnded(s *Session, c subscriber.Cause) {
	if r.ended == nil {
		r.ended = map[uint16]subscriber.Cause{}
	}
	r.ended[s.ID] = c
}

// last returns the last sent frame parsed.
func (r *recorder) last(t *testing.T) (header.Ethernet, Header) {
	t.Helper()
	if len(r.frames) == 0 {
		t.Fatal("nothing sent")
	}
	f := header.Ethernet(r.frames[len(r.frames)-1].frame)
	h, err := Parse(f.Payload())
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

func newTestEngine(t *testing.T, mod func(*Config)) (*Engine, *recorder, *clock.Fake) {
	t.Helper()
	r := &recorder{}
	clk := clock.NewFake(time.Unix(1000, 0))
	cfg := Config{
		ACName:       "host1",
		ServiceNames: []string{"internet"},
		Clock:        clk,
		PortMAC: func(p string) (MAC, bool) {
			return acMAC, p == "fastEthernet 4/1"
		},
		Sender:  r,
		Handler: r,
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, r, clk
}

const port = "fastEthernet 4/1"

func discovery(dst, src MAC, code Code, sid uint16, tags ...Tag) []byte {
	d := Discovery{Code: code, SessionID: sid, Tags: tags}
	buf := make([]byte, header.EthernetHeaderLen+d.Len())
	(&header.EthernetFields{Destination: dst, Source: src, EtherType: header.EtherTypePPPoEDiscovery}).Marshal(buf)
	d.Marshal(buf[header.EthernetHeaderLen:])
	return buf
}

// login runs PADI..PADS for mac and returns the session ID (0 on failure).
func login(t *testing.T, e *Engine, r *recorder, mac MAC, uniq string) uint16 {
	t.Helper()
	n := len(r.frames)
	e.HandleFrame(port, discovery(header.Broadcast, mac, CodePADI, 0, Tag{TagServiceName, nil}, Tag{TagHostUniq, []byte(uniq)}))
	if len(r.frames) == n {
		return 0
	}
	_, pado := r.last(t)
	if pado.Code() != CodePADO {
		t.Fatalf("got %v, want PADO", pado.Code())
	}
	ck, ok := Tags(pado.Payload()).Find(TagACCookie)
	if !ok {
		t.Fatal("PADO without cookie")
	}
	if v, _ := Tags(pado.Payload()).Find(TagHostUniq); string(v) != uniq {
		t.Fatalf("Host-Uniq not echoed: %q", v)
	}
	e.HandleFrame(port, discovery(acMAC, mac, CodePADR, 0, Tag{TagServiceName, []byte("internet")}, Tag{TagACCookie, ck}, Tag{TagHostUniq, []byte(uniq)}))
	f, pads := r.last(t)
	if pads.Code() != CodePADS || MAC(f.Destination()) != mac {
		t.Fatalf("got %v to %v, want PADS", pads.Code(), f.Destination())
	}
	return pads.SessionID()
}

func TestDiscoveryAndPADT(t *testing.T) {
	e, r, _ := newTestEngine(t, nil)
	id := login(t, e, r, mac1, "u1")
	if id == 0 || len(r.started) != 1 || r.started[0].ID != id {
		t.Fatalf("session not started: id=%d started=%v", id, r.started)
	}
	// Session data reaches the handler; data from another MAC does not.
	frame := make([]byte, 14+6+4)
	(&header.EthernetFields{Destination: acMAC, Source: mac1, EtherType: header.EtherTypePPPoESession}).Marshal(frame)
	PutHeader(frame[14:], CodeSession, id, 4)
	copy(frame[20:], []byte{0xc0, 0x21, 9, 9})
	if err := e.HandleFrame(port, frame); err != nil {
		t.Fatal(err)
	}
	(&header.EthernetFields{Destination: acMAC, Source: mac2, EtherType: header.EtherTypePPPoESession}).Marshal(frame)
	if err := e.HandleFrame(port, frame); err == nil {
		t.Fatal("spoofed session frame accepted")
	}
	if len(r.ppp) != 1 || r.ppp[0][0] != 0xc0 {
		t.Fatalf("ppp = %x", r.ppp)
	}
	// Our PPP frames go out encapsulated.
	if err := r.started[0].SendPPP([]byte{0xc0, 0x21, 1, 2}); err != nil {
		t.Fatal(err)
	}
	f, h := r.last(t)
	if f.EtherType() != header.EtherTypePPPoESession || h.SessionID() != id || MAC(f.Source()) != acMAC || string(h.Payload()) != "\xc0\x21\x01\x02" {
		t.Fatalf("bad session frame %x", r.frames[len(r.frames)-1].frame)
	}
	// PADT from the client ends it.
	e.HandleFrame(port, discovery(acMAC, mac1, CodePADT, id))
	if c, ok := r.ended[id]; !ok || c != subscriber.CauseUserRequest {
		t.Fatalf("ended = %v", r.ended)
	}
	if err := r.started[0].SendPPP([]byte{0xc0, 0x21}); err == nil {
		t.Fatal("send after PADT succeeded")
	}

	// Server-side terminate sends PADT.
	id2 := login(t, e, r, mac2, "u2")
	if err := e.Terminate(id2, subscriber.CauseAdminReset); err != nil {
		t.Fatal(err)
	}
	_, padt := r.last(t)
	if padt.Code() != CodePADT || padt.SessionID() != id2 || r.ended[id2] != subscriber.CauseAdminReset {
		t.Fatalf("got %v sid %d", padt.Code(), padt.SessionID())
	}
	if len(e.Sessions()) != 0 {
		t.Fatal("sessions left")
	}
	st := e.Stats()
	if st.PADIRecv != 2 || st.PADOSent != 2 || st.PADSSent != 2 || st.PADTRecv != 1 || st.PADTSent != 1 || st.UnknownSession != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBadCookie(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tags   []Tag
		src    MAC
		advnce time.Duration
	}{
		{"missing", []Tag{{TagServiceName, nil}}, mac1, 0},
		{"forged", []Tag{{TagServiceName, nil}, {TagACCookie, make([]byte, 16)}}, mac1, 0},
		{"other mac", nil, mac2, 0},
		{"expired", nil, mac1, 3 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, r, clk := newTestEngine(t, nil)
			e.HandleFrame(port, discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil}))
			_, pado := r.last(t)
			ck, _ := Tags(pado.Payload()).Find(TagACCookie)
			tags := tc.tags
			if tags == nil {
				tags = []Tag{{TagServiceName, nil}, {TagACCookie, ck}}
			}
			clk.Advance(tc.advnce)
			n := len(r.frames)
			if err := e.HandleFrame(port, discovery(acMAC, tc.src, CodePADR, 0, tags...)); err == nil {
				t.Fatal("PADR accepted")
			}
			if len(r.frames) != n || e.Stats().BadCookie != 1 {
				t.Fatalf("frames %d->%d stats %+v", n, len(r.frames), e.Stats())
			}
		})
	}
	// A cookie survives one rotation.
	e, r, clk := newTestEngine(t, nil)
	e.HandleFrame(port, discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil}))
	_, pado := r.last(t)
	ck, _ := Tags(pado.Payload()).Find(TagACCookie)
	clk.Advance(61 * time.Second)
	if err := e.HandleFrame(port, discovery(acMAC, mac1, CodePADR, 0, Tag{TagServiceName, nil}, Tag{TagACCookie, ck})); err != nil {
		t.Fatalf("cookie from previous period rejected: %v", err)
	}
}

func TestLimits(t *testing.T) {
	e, r, _ := newTestEngine(t, func(c *Config) { c.MaxSessionsPerMAC = 2; c.MaxSessionsPerPort = 3 })
	if login(t, e, r, mac1, "a") == 0 || login(t, e, r, mac1, "b") == 0 {
		t.Fatal("first two sessions refused")
	}
	if login(t, e, r, mac1, "c") != 0 {
		t.Fatal("third session for one MAC allowed")
	}
	if login(t, e, r, mac2, "a") == 0 {
		t.Fatal("other MAC refused")
	}
	if login(t, e, r, MAC{2, 0, 0, 0, 1, 3}, "a") != 0 {
		t.Fatal("port limit not enforced")
	}
	if e.Stats().LimitRejected != 2 {
		t.Fatalf("stats %+v", e.Stats())
	}
}

func TestServiceNameRejected(t *testing.T) {
	e, r, _ := newTestEngine(t, nil)
	e.HandleFrame(port, discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, []byte("video")}))
	if len(r.frames) != 0 || e.Stats().ServiceRejected != 1 {
		t.Fatal("PADO for unknown service")
	}
	// No Service-Name tag at all is malformed.
	e.HandleFrame(port, discovery(header.Broadcast, mac1, CodePADI, 0))
	if e.Stats().Malformed != 1 {
		t.Fatalf("stats %+v", e.Stats())
	}
}

func TestRetransmittedPADR(t *testing.T) {
	e, r, _ := newTestEngine(t, nil)
	e.HandleFrame(port, discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil}))
	_, pado := r.last(t)
	ck, _ := Tags(pado.Payload()).Find(TagACCookie)
	padr := discovery(acMAC, mac1, CodePADR, 0, Tag{TagServiceName, nil}, Tag{TagACCookie, ck})
	e.HandleFrame(port, padr)
	_, a := r.last(t)
	e.HandleFrame(port, padr)
	_, b := r.last(t)
	if a.SessionID() != b.SessionID() || len(e.Sessions()) != 1 || len(r.started) != 1 {
		t.Fatalf("retransmitted PADR made a new session: %d %d", a.SessionID(), b.SessionID())
	}
}

func TestPADIFloodDoesNotStarveOthers(t *testing.T) {
	e, r, clk := newTestEngine(t, nil)
	padi := discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil})
	// 10,000 PADIs within one second from mac1, interleaved with one from mac2.
	for i := range 10000 {
		e.HandleFrame(port, padi)
		if i == 5000 {
			n := len(r.frames)
			e.HandleFrame(port, discovery(header.Broadcast, mac2, CodePADI, 0, Tag{TagServiceName, nil}))
			if len(r.frames) != n+1 {
				t.Fatal("mac2 starved by mac1 flood")
			}
		}
		clk.Advance(100 * time.Microsecond)
	}
	st := e.Stats()
	if st.PADIRateDropped < 9900 || st.PADOSent > 30 {
		t.Fatalf("flood not limited: %+v", st)
	}
}

func TestTerminateUnknown(t *testing.T) {
	e, _, _ := newTestEngine(t, nil)
	if err := e.Terminate(7, subscriber.CauseAdminReset); err == nil {
		t.Fatal("terminate of unknown session succeeded")
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
