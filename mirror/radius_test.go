package mirror

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseDevHandle(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want DevHandle
		err  bool
	}{
		{"8 raw bytes", []byte{0, 0, 3, 0, 0, 0, 0, 0x90}, DevHandle{MirrorID: 0x300, SessionID: 0x90, HasSessionID: true}, false},
		{"16 hex digits", []byte("0000030000000090"), DevHandle{MirrorID: 0x300, SessionID: 0x90, HasSessionID: true}, false},
		{"0x and 16 hex digits", []byte("0x0000030000000090"), DevHandle{MirrorID: 0x300, SessionID: 0x90, HasSessionID: true}, false},
		{"4 raw bytes MHV 1", []byte{0x40, 0, 0, 0x10}, DevHandle{MHV: 1, MirrorID: 0x10}, false},
		{"8 hex digits MHV 1", []byte("40000010"), DevHandle{MHV: 1, MirrorID: 0x10}, false},
		{"upper-case hex", []byte("0X4000001A"), DevHandle{MHV: 1, MirrorID: 0x1a}, false},
		{"max mirror id", []byte("7fffffff"), DevHandle{MHV: 1, MirrorID: 0x3fffffff}, false},
		{"8 octets that are not all hex digits are raw", []byte("4000001g"), DevHandle{MirrorID: 0x34303030, SessionID: 0x30303167, HasSessionID: true}, false},
		{"bad hex of 16", []byte("00000300000000zz"), DevHandle{}, true},
		{"odd length", []byte("4000001"), DevHandle{}, true},
		{"5 bytes", []byte{1, 2, 3, 4, 5}, DevHandle{}, true},
		{"empty", nil, DevHandle{}, true},
		{"12 hex digits", []byte("400000100000"), DevHandle{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDevHandle(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("got %+v %v, want %+v err %v", got, err, tc.want, tc.err)
			}
			if err != nil && !errors.Is(err, ErrBadDevHandle) {
				t.Errorf("error %v does not wrap ErrBadDevHandle", err)
			}
		})
	}
}

func FuzzParseDevHandle(f *testing.F) {
	f.Add([]byte("0000030000000090"))
	f.Add([]byte{0x40, 0, 0, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseDevHandle(b)
		if err == nil && h.MirrorID > 1<<30-1 {
			t.Fatalf("mirror id %#x", h.MirrorID)
		}
	})
}

func liOn(handle string) LIRequest {
	return LIRequest{HasAction: true, Action: LIOn, HasDevHandle: true, DevHandle: []byte(handle),
		HasAnalyzer: true, Analyzer: analyzerIP, HasPort: true, Port: 30030}
}

func TestCoA(t *testing.T) {
	byAcct := Identity{AcctSessionID: "0000000a12345678"}
	noSuch := Identity{AcctSessionID: "ffff"}
	off := func(l LIRequest) LIRequest { l.Action = LIOff; return l }
	noop := func(l LIRequest) LIRequest { l.Action = LINoop; return l }
	for _, tc := range []struct {
		name   string
		id     Identity
		li     LIRequest
		ack    bool
		cause  ErrorCause
		active bool // a RADIUS mirror in force afterwards
	}{
		{"start", byAcct, liOn("40000010"), true, 0, true},
		{"start by username", Identity{Username: "sub1@erx.test"}, liOn("0000030000000090"), true, 0, true},
		{"start plain", byAcct, LIRequest{HasAction: true, Action: LIOn, HasAnalyzer: true, Analyzer: analyzerIP}, true, 0, true},
		{"noop", byAcct, noop(liOn("40000010")), true, 0, false},
		{"session not found", noSuch, liOn("40000010"), false, CauseSessionNotFound, false},
		{"no identity", Identity{}, liOn("40000010"), false, CauseMissingAttribute, false},
		{"no VSA", byAcct, LIRequest{}, false, CauseMissingAttribute, false},
		{"no action", byAcct, func() LIRequest { l := liOn("40000010"); l.HasAction = false; return l }(), false, CauseMissingAttribute, false},
		{"action 3", byAcct, func() LIRequest { l := liOn("40000010"); l.Action = 3; return l }(), false, CauseInvalidRequest, false},
		{"59 without 61", byAcct, func() LIRequest { l := liOn("40000010"); l.HasPort = false; return l }(), false, CauseInvalidRequest, false},
		{"61 without 59", byAcct, func() LIRequest { l := liOn("40000010"); l.HasDevHandle = false; return l }(), false, CauseInvalidRequest, false},
		{"bad handle", byAcct, liOn("000003000000009g"), false, CauseInvalidRequest, false},
		{"no analyzer", byAcct, func() LIRequest { l := liOn("40000010"); l.HasAnalyzer = false; return l }(), false, CauseMissingAttribute, false},
		{"bad analyzer", byAcct, func() LIRequest { l := liOn("40000010"); l.Analyzer = netip.MustParseAddr("0.0.0.0"); return l }(), false, CauseInvalidRequest, false},
		{"stop without mirror", byAcct, off(liOn("40000010")), false, CauseInvalidRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.setupLI1()
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
			res := r.e.HandleCoA(tc.id, tc.li, "10.0.0.100")
			if res.ACK != tc.ack || res.Cause != tc.cause {
				t.Fatalf("result %+v, want ack %v cause %d", res, tc.ack, tc.cause)
			}
			tp := r.dp.tap("ppp-1", Input)
			if (tp != nil) != tc.active {
				t.Fatalf("tap %+v, want active %v", tp, tc.active)
			}
			if !tc.ack && !r.hasEvent(EventRADIUSFailure, "") {
				t.Error("NAK not logged")
			}
		})
	}
}

func TestCoAStartStop(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	id := Identity{AcctSessionID: "0000000a12345678"}
	// 8-byte handle: Mirror-ID and Session-ID from the handle.
	if res := r.e.HandleCoA(id, liOn("0000030000000090"), "coa"); !res.ACK {
		t.Fatal(res.Err)
	}
	tp := r.dp.tap("ppp-1", Output)
	if tp == nil || tp.MirrorID != 0x300 || tp.SessionID != 0x90 {
		t.Fatalf("tap %+v", tp)
	}
	ps, _ := r.e.Policies("")
	var dyn PolicyInfo
	for _, p := range ps {
		if strings.HasPrefix(p.Name, "spl_") {
			dyn = p
		}
	}
	if dyn.Origin != OriginCoA || dyn.MirrorID != 0x300 {
		t.Fatalf("dynamic policy %+v", dyn)
	}
	contains(t, r.show(""), "Secure policy list "+dyn.Name, "Origin: CoA", "subscriber sub1@erx.test on ppp-1")
	// Replace with a 4-byte handle: Session-ID from the Acct-Session-Id.
	if res := r.e.HandleCoA(id, liOn("40000010"), "coa"); !res.ACK {
		t.Fatal(res.Err)
	}
	if tp := r.dp.tap("ppp-1", Output); tp == nil || tp.MirrorID != 0x10 || tp.SessionID != 0x12345678 {
		t.Fatalf("replaced tap %+v", tp)
	}
	if _, err := r.e.Policies(dyn.Name); err == nil {
		t.Error("replaced dynamic policy still exists")
	}
	// A stop that does not match what is in place is refused.
	bad := liOn("40000011")
	bad.Action = LIOff
	if res := r.e.HandleCoA(id, bad, "coa"); res.ACK || res.Cause != CauseInvalidRequest {
		t.Fatalf("mismatched stop: %+v", res)
	}
	stop := liOn("40000010")
	stop.Action = LIOff
	if res := r.e.HandleCoA(id, stop, "coa"); !res.ACK {
		t.Fatal(res.Err)
	}
	if r.dp.numTaps() != 0 {
		t.Fatal("taps after LI-Action off")
	}
	for _, p := range mustPolicies(t, r.e) {
		if strings.HasPrefix(p.Name, "spl_") {
			t.Errorf("dynamic policy %s left", p.Name)
		}
	}
}

func mustPolicies(t *testing.T, e *Engine) []PolicyInfo {
	t.Helper()
	ps, err := e.Policies("")
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestConflicts checks spec 9.7: at login RADIUS wins; while logged in the
// newest configuration replaces the existing one.
func TestConflicts(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	r.must(r.e.AddTrigger("default", TriggerUsername, "sub1@erx.test", "LI-1", false, admin))
	li := liOn("40000020")
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1(), LI: &li, From: "radius-1"})
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 0x20 {
		t.Fatalf("at login RADIUS must win: %+v", tp)
	}
	// A newer CLI trigger for the running session replaces the RADIUS mirror.
	r.must(r.e.AddTrigger("default", TriggerAcctSessionID, "0000000a12345678", "LI-1", false, admin))
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 16 {
		t.Fatalf("newest (CLI) must win: %+v", tp)
	}
	for _, p := range mustPolicies(t, r.e) {
		if strings.HasPrefix(p.Name, "spl_") {
			t.Errorf("replaced dynamic policy %s left", p.Name)
		}
	}
	// A newer CoA replaces the CLI mirror.
	if res := r.e.HandleCoA(Identity{Username: "sub1@erx.test"}, liOn("40000030"), "coa"); !res.ACK {
		t.Fatal(res.Err)
	}
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 0x30 {
		t.Fatalf("newest (CoA) must win: %+v", tp)
	}
	// Logout deletes the dynamic policy; the next login without VSAs is
	// mirrored by the trigger again.
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogout, Session: sub1()})
	if len(mustPolicies(t, r.e)) != 1 || r.dp.numTaps() != 0 {
		t.Fatal("logout left a dynamic policy or taps")
	}
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 16 {
		t.Fatalf("trigger after relogin: %+v", tp)
	}
	// A bad Access-Accept is logged and the CLI trigger applies.
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogout, Session: sub1()})
	badLI := liOn("zz")
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1(), LI: &badLI})
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 16 || !r.hasEvent(EventRADIUSFailure, "") {
		t.Fatalf("bad Access-Accept: %+v", tp)
	}
}
