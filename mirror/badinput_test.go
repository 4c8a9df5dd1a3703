package mirror

import (
	"errors"
	"strings"
	"testing"

	"github.com/erxos/erx/services/linecard"
)

// TestDeletePolicyInUse: deleting a secure policy list that an interface
// or a trigger rule uses is refused, logged in the secure log, and
// changes nothing (the interface keeps being mirrored).
func TestDeletePolicyInUse(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		use        func(r *rig)
	}{
		{"attached", "attached to ge-0 secure-input", func(r *rig) { r.must(r.e.Attach("default", "ge-0", Input, "LI-1", admin)) }},
		{"trigger", "referenced by mirror username u1", func(r *rig) {
			r.must(r.e.AddTrigger("default", TriggerUsername, "u1", "LI-1", false, admin))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.setupLI1()
			tc.use(r)
			taps := r.dp.numTaps()
			err := r.e.DeletePolicy("LI-1", admin)
			if !errors.Is(err, ErrPolicyInUse) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("delete in use: %v", err)
			}
			if !r.hasEvent(EventCLITriggerFailure, "LI-1") {
				t.Errorf("refusal not in the secure log:\n%s", r.logText())
			}
			contains(t, r.logText(), "no secure ip policy-list LI-1 refused: "+ErrPolicyInUse.Error())
			if _, err := r.e.Policies("LI-1"); err != nil || r.dp.numTaps() != taps {
				t.Errorf("the refused delete changed something: %v, %d taps (was %d)", err, r.dp.numTaps(), taps)
			}
		})
	}
}

// TestWriteIPInterface: the mirroring part of show ip interface for an
// analyzer, an attached interface (action enabled, then disabled with the
// reason when the analyzer's route goes), and nothing for an interface
// mirroring does not touch.
func TestWriteIPInterface(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	r.must(r.e.Attach("default", "ge-0", Input, "LI-1", admin))
	r.must(r.e.Attach("default", "ge-0", Output, "LI-2", admin))
	show := func(ifname string, c linecard.Counters) string {
		var b strings.Builder
		r.must(r.e.WriteIPInterface(&b, ifname, c))
		return b.String()
	}
	if got := show("ge-9", linecard.Counters{InPackets: 5}); got != "" {
		t.Errorf("untouched interface: %q", got)
	}
	got := show("ge-0", linecard.Counters{MirrorCopies: 7, MirrorDrops: 1})
	want := "  Packet mirroring:\n" +
		"    secure-input policy LI-1, mirror action enabled, analyzer 192.0.2.9:30030 via gigabitEthernet 2/0/2\n" +
		"    secure-output policy LI-2, mirror action disabled (default rule, no mirror rule)\n" +
		"    Mirrored packets 7, dropped 1 (not built)\n"
	if got != want {
		t.Errorf("attached:\n%s\nwant:\n%s", got, want)
	}
	got = show("gigabitEthernet 2/0/2", linecard.Counters{AnalyzerDrops: 3, MirrorSent: 6, MirrorSentBytes: 600})
	want = "  Packet mirroring:\n    Analyzer interface (send only)\n" +
		"    Analyzer received and dropped 3, copies sent 6, bytes 600, send errors 0\n"
	if got != want {
		t.Errorf("analyzer:\n%s\nwant:\n%s", got, want)
	}
	r.routes.set(analyzerIP, nil)
	if got := show("ge-0", linecard.Counters{}); !strings.Contains(got, "secure-input policy LI-1, mirror action disabled (analyzer unreachable: no route)") {
		t.Errorf("unreachable analyzer:\n%s", got)
	}
}

// TestMalformedLI: a CoA whose mirroring VSAs could not be decoded is
// NAKed with Error-Cause 404 (503 when the session is unknown) and logged;
// at login it leaves the session unmirrored, with a secure log entry.
func TestMalformedLI(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	s := sub1()
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: s, From: "radius-1",
		LI: &LIRequest{HasAction: true, Action: 7, Malformed: "ERX-LI-Action 7"}})
	if r.dp.numTaps() != 0 || !strings.Contains(r.logText(), "RadiusBasedMirroringFailure  source radiusLogin (radius-1)") ||
		!strings.Contains(r.logText(), "malformed attribute: ERX-LI-Action 7") {
		t.Errorf("login with a malformed VSA: %d taps, log:\n%s", r.dp.numTaps(), r.logText())
	}
	for _, tc := range []struct {
		name string
		id   Identity
		want ErrorCause
	}{
		{"known session", Identity{AcctSessionID: s.Identity.AcctSessionID}, CauseInvalidRequest},
		{"unknown session", Identity{AcctSessionID: "42"}, CauseSessionNotFound},
	} {
		before := len(r.e.Log())
		res := r.e.HandleCoA(tc.id, LIRequest{Malformed: "ERX-Med-Ip-Address of 3 bytes"}, "192.0.2.2:4000")
		if res.ACK || res.Cause != tc.want || len(r.e.Log()) != before+1 {
			t.Errorf("%s: %+v, %d new log entries", tc.name, res, len(r.e.Log())-before)
		}
	}
}
