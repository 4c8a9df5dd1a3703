package mirror

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

func sub1() Session {
	return Session{Interface: "ppp-1", Identity: Identity{
		AcctSessionID: "0000000a12345678", CallingStationID: "00:11:22:33:44:55", Address: netip.MustParseAddr("10.9.0.5"),
		Username: "sub1@erx.test", NASPortID: "gigabitEthernet 2/0/0.100", DHCPOption82: "0104ABCD",
		AgentCircuitID: "circuit-1", AgentRemoteID: "remote-1"}}
}

func TestTriggerPrecedence(t *testing.T) {
	all := []struct {
		typ   TriggerType
		value string
	}{
		{TriggerAgentRemoteID, "remote-1"},
		{TriggerAgentCircuitID, "circuit-1"},
		{TriggerDHCPOption82, "0x0104abcd"},
		{TriggerNASPortID, "gigabitEthernet 2/0/0.100"},
		{TriggerUsername, "sub1@erx.test"},
		{TriggerIPAddress, "10.9.0.5"},
		{TriggerCallingStationID, "00:11:22:33:44:55"},
		{TriggerAcctSessionID, "0000000a12345678"},
	}
	// Adding rules from the lowest precedence up, the newest always wins;
	// removing them from the highest down, the next one takes over.
	r := newRig(t, nil)
	r.setupLI1()
	for i, a := range all {
		r.must(r.e.AddTrigger("default", a.typ, a.value, fmt.Sprintf("P%d", i), false, admin))
		got, ok := r.e.MatchTrigger(sub1().Identity)
		if !ok || got.Type != a.typ {
			t.Fatalf("after adding %v: match %v %v", a.typ, got.Type, ok)
		}
	}
	for i := len(all) - 1; i > 0; i-- {
		r.must(r.e.RemoveTrigger("default", all[i].typ, all[i].value, false, admin))
		got, ok := r.e.MatchTrigger(sub1().Identity)
		if !ok || got.Type != all[i-1].typ || got.Policy != fmt.Sprintf("P%d", i-1) {
			t.Fatalf("after removing %v: match %+v", all[i].typ, got)
		}
	}
	// Table: which rule wins for sessions lacking some attributes.
	for _, tc := range []struct {
		name string
		id   Identity
		want TriggerType
		none bool
	}{
		{"only remote id", Identity{AgentRemoteID: "remote-1"}, TriggerAgentRemoteID, false},
		{"username beats remote id", Identity{Username: "sub1@erx.test", AgentRemoteID: "remote-1"}, TriggerUsername, false},
		{"username in another VR", Identity{Username: "sub1@erx.test", VirtualRouter: "vr2", AgentRemoteID: "x"}, 0, true},
		{"ip beats username", Identity{Username: "sub1@erx.test", Address: netip.MustParseAddr("10.9.0.5")}, TriggerIPAddress, false},
		{"option 82 case", Identity{DHCPOption82: "0104abcd"}, TriggerDHCPOption82, false},
		{"nothing", Identity{Username: "other"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			for _, a := range all {
				r.must(r.e.AddTrigger("default", a.typ, a.value, "P-"+a.typ.String(), false, admin))
			}
			got, ok := r.e.MatchTrigger(tc.id)
			if ok == tc.none || (ok && got.Type != tc.want) {
				t.Errorf("match %+v %v, want %v", got, ok, tc.want)
			}
		})
	}
}

func TestTriggerValues(t *testing.T) {
	r := newRig(t, nil)
	for _, tc := range []struct {
		typ   TriggerType
		value string
		ok    bool
	}{
		{TriggerIPAddress, "10.0.0.1", true},
		{TriggerIPAddress, "10.0.0", false},
		{TriggerIPAddress, "::1", false},
		{TriggerDHCPOption82, "0a0b", true},
		{TriggerDHCPOption82, "0a0", false},
		{TriggerDHCPOption82, "zz", false},
		{TriggerUsername, "", false},
		{TriggerType(99), "x", false},
	} {
		err := r.e.AddTrigger("default", tc.typ, tc.value, "P", false, admin)
		if (err == nil) != tc.ok {
			t.Errorf("%v %q: %v", tc.typ, tc.value, err)
		}
	}
	if err := r.e.AddTrigger("default", TriggerUsername, "u", "spl_1", false, admin); !errors.Is(err, ErrBadPolicyName) {
		t.Errorf("spl_ name: %v", err)
	}
	if err := r.e.RemoveTrigger("default", TriggerUsername, "nobody", false, admin); !errors.Is(err, ErrNoSuchTrigger) {
		t.Errorf("remove missing: %v", err)
	}
}

func TestPolicyStateMachine(t *testing.T) {
	r := newRig(t, nil)
	r.dp.index["gigabitEthernet 2/0/0.100"] = 7
	r.setupLI1()
	contains(t, r.show("LI-1"), "Secure policy list LI-1", "Origin: static", "Administrative state: enabled",
		"mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16", "Mirror-ID: 16 (configured)",
		"reachable via gigabitEthernet 2/0/2", "Mirror action: enabled", "Referenced by: none")

	// Interface attachment starts at once; Session-ID is the interface index.
	r.must(r.e.Attach("default", "gigabitEthernet 2/0/0.100", Input, "LI-1", admin))
	tp := r.dp.tap("gigabitEthernet 2/0/0.100", Input)
	if tp == nil || tp.MirrorID != 16 || tp.SessionID != 7 {
		t.Fatalf("interface tap %+v", tp)
	}
	if !r.hasEvent(EventInterfaceActivated, "LI-1") {
		t.Error("no InterfaceSessionActivated")
	}
	if err := r.e.SetAnalyzerInterface("gigabitEthernet 2/0/0.100", true, admin); !errors.Is(err, ErrMirroredAnalyzer) {
		t.Errorf("analyzer on a mirrored interface: %v", err)
	}
	if err := r.e.Attach("default", "gigabitEthernet 2/0/2", Output, "LI-1", admin); !errors.Is(err, ErrAnalyzerMirrored) {
		t.Errorf("attach to analyzer: %v", err)
	}

	// A user trigger configured before login: mirroring starts at login.
	r.must(r.e.AddTrigger("default", TriggerUsername, "sub1@erx.test", "LI-1", false, Source{Kind: SourceCLITrigger, Who: "admin"}))
	if r.dp.tap("ppp-1", Input) != nil {
		t.Fatal("tap before login")
	}
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	for _, d := range []Direction{Input, Output} {
		tp := r.dp.tap("ppp-1", d)
		if tp == nil || tp.MirrorID != 16 || tp.SessionID != 0x12345678 {
			t.Fatalf("session tap %v: %+v", d, tp)
		}
	}
	contains(t, r.show("LI-1"), "subscriber sub1@erx.test on ppp-1", "gigabitEthernet 2/0/0.100 secure-input")
	r.must(r.e.AddTrigger("default", TriggerNASPortID, "gigabitEthernet 2/0/0.100", "LI-1", false, admin))
	contains(t, r.logText(), `mirror nas-port-id "gigabitEthernet 2/0/0.100" ip secure-policy-list LI-1`)
	r.must(r.e.RemoveTrigger("default", TriggerNASPortID, "gigabitEthernet 2/0/0.100", false, admin))
	contains(t, r.logText(), "SessionStart  source cliTrigger  trigger username sub1@erx.test  mirror-id 16  session-id 0x12345678  policy LI-1")

	// Deleting a policy in use is refused.
	if err := r.e.DeletePolicy("LI-1", admin); !errors.Is(err, ErrPolicyInUse) {
		t.Errorf("delete in use: %v", err)
	}

	// Route lost: the mirror action is disabled and the taps go; it recovers by itself.
	r.routes.set(analyzerIP, nil)
	if n := r.dp.numTaps(); n != 0 {
		t.Fatalf("%d taps while the analyzer is unreachable", n)
	}
	contains(t, r.show("LI-1"), "Analyzer: unreachable: no route", "Mirror action: disabled (analyzer unreachable)")
	if !r.hasEvent(EventAnalyzerUnreachable, "LI-1") {
		t.Error("no AnalyzerUnreachable")
	}
	rt := analyzerRT
	rt.Interface = "gigabitEthernet 2/0/3" // a route via an interface not in analyzer mode
	r.routes.set(analyzerIP, &rt)
	contains(t, r.show("LI-1"), "unreachable: not in analyzer mode")
	r.routes.set(analyzerIP, &analyzerRT)
	if n := r.dp.numTaps(); n != 3 {
		t.Fatalf("%d taps after the route came back, want 3", n)
	}
	if !r.hasEvent(EventAnalyzerReachable, "LI-1") {
		t.Error("no AnalyzerReachable")
	}
	// Taking the analyzer interface out of analyzer mode disables too.
	r.must(r.e.SetAnalyzerInterface("gigabitEthernet 2/0/2", false, admin))
	if n := r.dp.numTaps(); n != 0 {
		t.Fatalf("%d taps without analyzer mode", n)
	}
	r.must(r.e.SetAnalyzerInterface("gigabitEthernet 2/0/2", true, admin))

	// Logout stops the session mirror; the next login restarts it.
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogout, Session: sub1(), Cause: "lost-carrier"})
	if r.dp.tap("ppp-1", Input) != nil || r.dp.tap("ppp-1", Output) != nil {
		t.Fatal("session taps after logout")
	}
	contains(t, r.logText(), "SessionEnd  source cliTrigger", ": lost-carrier")
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	if r.dp.tap("ppp-1", Output) == nil {
		t.Fatal("no tap at the second login")
	}
	// `mirror disable` for the same user with higher precedence stops it.
	r.must(r.e.AddTrigger("default", TriggerAcctSessionID, "0000000a12345678", "", true, admin))
	if r.dp.tap("ppp-1", Output) != nil {
		t.Fatal("tap after mirror disable")
	}
	r.must(r.e.RemoveTrigger("default", TriggerAcctSessionID, "0000000a12345678", true, admin))
	if r.dp.tap("ppp-1", Output) == nil {
		t.Fatal("no tap after no mirror disable")
	}
	// A manual attachment on the session interface overrides the trigger's tap there.
	r.must(r.e.CreatePolicy("default", "LI-2", admin))
	r.must(r.e.SetRule("LI-2", Rule{Analyzer: analyzerIP, Port: 30031, MirrorID: 17, HasMirrorID: true}, admin))
	r.must(r.e.Attach("default", "ppp-1", Input, "LI-2", admin))
	if tp := r.dp.tap("ppp-1", Input); tp == nil || tp.MirrorID != 17 {
		t.Fatalf("manual attachment: %+v", tp)
	}
	if tp := r.dp.tap("ppp-1", Output); tp == nil || tp.MirrorID != 16 {
		t.Fatalf("trigger tap on the other direction: %+v", tp)
	}
	r.must(r.e.Detach("ppp-1", Input, admin))
	// Removing the rule disables the policy (default rule) and its taps.
	r.must(r.e.ClearRule("LI-1", admin))
	if n := r.dp.numTaps(); n != 0 {
		t.Fatalf("%d taps with the default rule", n)
	}
	contains(t, r.show("LI-1"), "Administrative state: disabled")
	r.must(r.e.RemoveTrigger("default", TriggerUsername, "sub1@erx.test", false, admin))
	r.must(r.e.Detach("gigabitEthernet 2/0/0.100", Input, admin))
	r.must(r.e.DeletePolicy("LI-1", admin))
	if _, err := r.e.Policies("LI-1"); !errors.Is(err, ErrNoSuchPolicy) {
		t.Errorf("deleted policy still shown: %v", err)
	}
}

func TestTriggerForRunningSession(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	s := sub1()
	s.Address = netip.Addr{}
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: s})
	r.must(r.e.AddTrigger("default", TriggerIPAddress, "10.9.0.5", "LI-1", false, admin))
	if r.dp.tap("ppp-1", Input) != nil {
		t.Fatal("tap before the address is known")
	}
	r.e.HandleSessionEvent(SessionEvent{Type: SessionAddressAssigned, Session: sub1()})
	if r.dp.tap("ppp-1", Input) == nil {
		t.Fatal("no tap once the address matched")
	}
}

func TestMaxTriggers(t *testing.T) {
	r := newRig(t, nil)
	for i := 0; i < DefaultMaxTriggers; i++ {
		r.must(r.e.AddTrigger("default", TriggerUsername, fmt.Sprintf("u%d", i), "P", false, admin))
	}
	// Replacing an existing rule is fine; the 101st is refused.
	r.must(r.e.AddTrigger("default", TriggerUsername, "u0", "Q", false, admin))
	if err := r.e.AddTrigger("default", TriggerUsername, "u100", "P", false, admin); !errors.Is(err, ErrTooManyTriggers) {
		t.Fatalf("101st trigger: %v", err)
	}
	if len(r.e.Triggers()) != DefaultMaxTriggers || !r.hasEvent(EventCLITriggerFailure, "") {
		t.Error("101st trigger counted or not logged")
	}
}

func TestInterfaceDeleted(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	r.must(r.e.Attach("default", "ge-0", Output, "LI-1", admin))
	r.e.InterfaceDeleted("ge-0")
	if r.dp.numTaps() != 0 || !r.hasEvent(EventInterfaceDeleted, "LI-1") {
		t.Error("interface deletion not handled")
	}
	if _, ok := r.e.Attachment("ge-0", Output); ok {
		t.Error("attachment kept")
	}
}

func TestTapFailureLoggedOnce(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	r.dp.missing["ppp-9"] = true
	r.must(r.e.Attach("default", "ppp-9", Input, "LI-1", admin))
	r.e.RoutesChanged()
	n := 0
	for _, en := range r.e.Log() {
		if en.Event == EventSessionFailed {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d SessionFailed entries, want 1", n)
	}
	r.dp.mu.Lock()
	delete(r.dp.missing, "ppp-9")
	r.dp.mu.Unlock()
	r.e.RoutesChanged()
	if r.dp.tap("ppp-9", Input) == nil {
		t.Error("tap not retried")
	}
}

func TestLogRing(t *testing.T) {
	l := newSecureLog(3)
	for i := 0; i < 5; i++ {
		l.add(Entry{MirrorID: uint32(i)})
	}
	got := l.snapshot()
	if len(got) != 3 || got[0].MirrorID != 2 || got[2].MirrorID != 4 {
		t.Fatalf("ring %+v", got)
	}
	l.clear()
	if len(l.snapshot()) != 0 {
		t.Fatal("not cleared")
	}
	r := newRig(t, nil)
	for i := 0; i < DefaultLogSize+10; i++ {
		r.e.LogAccess(admin, i%2 == 0)
	}
	if n := len(r.e.Log()); n != DefaultLogSize {
		t.Errorf("log holds %d entries, want %d", n, DefaultLogSize)
	}
	r.e.ClearLog()
	if r.logText() != "Secure mirror log is empty\n" {
		t.Errorf("after clear: %q", r.logText())
	}
	r.e.LogAccess(admin, true)
	if got, want := r.logText(), "Fri Nov 27 2026 12:00:00 UTC  Configured  source cliStatic (admin)  : mirror-enable\n"; got != want {
		t.Errorf("log line %q, want %q", got, want)
	}
}

func TestSessionIDFromAcct(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"0000000a12345678", 0x12345678},
		{"90", 90},                             // decimal Acct-Session-Id
		{"1234500001", 1234500001},             // erx's ten decimal digits
		{"9999999999", 9999999999 % (1 << 32)}, // more than 32 bits: the low 32
		{"0x90", 0x90},
		{"0x40000010", 0x40000010},
		{"erx-ge-2/0/0:1", 0x2f303a31}, // "/0:1"
		{"ab", 0xab},
		{"", 0},
		{"z", 'z'},
	} {
		if got := SessionIDFromAcct(tc.in); got != tc.want {
			t.Errorf("%q: %#x, want %#x", tc.in, got, tc.want)
		}
	}
}
