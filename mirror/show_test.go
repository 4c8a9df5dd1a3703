package mirror

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// TestShowTranscripts pins the whole text of `show secure policy-list
// [NAME]` (spec section 11.4: name, origin, administrative state, mirror
// rule, analyzer state, attachments, copy counters) and `show mirror log`
// (section 11.5: time, event, source, trigger, Mirror-ID, Session-ID,
// policy, direction, analyzer, cause), and `clear mirror log`, for a
// state with every kind of list: static with an interface and a
// subscriber attached, a RADIUS-created spl_ list, a plain (no header)
// list, an unreachable one and one with only the default rule.
func TestShowTranscripts(t *testing.T) {
	r := newRig(t, nil)
	r.dp.index["gigabitEthernet 2/0/0.100"] = 7
	r.setupLI1()
	r.must(r.e.Attach("default", "gigabitEthernet 2/0/0.100", Input, "LI-1", admin))
	r.must(r.e.AddTrigger("default", TriggerUsername, "sub1@erx.test", "LI-1", false, admin))
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	r.must(r.e.CreatePolicy("default", "PLAIN", admin))
	r.must(r.e.SetRule("PLAIN", Rule{Analyzer: analyzerIP}, admin))
	r.must(r.e.CreatePolicy("default", "FAR", admin))
	r.must(r.e.SetRule("FAR", Rule{Analyzer: netip.MustParseAddr("198.51.100.1"), Port: 30031, MirrorID: 5, HasMirrorID: true}, admin))
	r.must(r.e.CreatePolicy("default", "EMPTY", admin))
	sub2 := Session{Interface: "ppp-2", Identity: Identity{AcctSessionID: "0000000042", Username: "sub2@erx.test"}}
	li := liOn("0000030000000090")
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub2, LI: &li, From: "10.0.0.1:1812"})

	const li1Block = `Secure policy list LI-1
  Origin: static, virtual router default
  Administrative state: enabled
  Rule 1: mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16
  Mirror-ID: 16 (configured)
  Analyzer: reachable via gigabitEthernet 2/0/2, source 192.0.2.1, next hop 192.0.2.9
  Mirror action: enabled
  Referenced by:
    gigabitEthernet 2/0/0.100 secure-input
    subscriber sub1@erx.test on ppp-1
  Copies to 192.0.2.9:30030 (all lists using it): 0 copied, 0 sent (0 bytes), 0 dropped (not built), 0 send errors
`
	for _, tc := range []struct {
		name, list, want string
	}{
		{"one static list", "LI-1", li1Block},
		{"all lists", "", `Secure policy list EMPTY
  Origin: static, virtual router default
  Administrative state: disabled (default rule, no mirror rule)
  Referenced by: none
Secure policy list FAR
  Origin: static, virtual router default
  Administrative state: enabled
  Rule 1: mirror analyzer-ip-address 198.51.100.1 analyzer-udp-port 30031 mirror-identifier 5
  Mirror-ID: 5 (configured)
  Analyzer: unreachable: no route
  Mirror action: disabled (analyzer unreachable)
  Referenced by: none
  Copies to 198.51.100.1:30031 (all lists using it): 0 copied, 0 sent (0 bytes), 0 dropped (not built), 0 send errors
` + li1Block + `Secure policy list PLAIN
  Origin: static, virtual router default
  Administrative state: enabled
  Rule 1: mirror analyzer-ip-address 192.0.2.9
  Mirror-ID: 598366919 (assigned; plain IP mirroring, no header)
  Analyzer: reachable via gigabitEthernet 2/0/2, source 192.0.2.1, next hop 192.0.2.9
  Mirror action: enabled
  Referenced by: none
  Copies to 192.0.2.9 (all lists using it): 0 copied, 0 sent (0 bytes), 0 dropped (not built), 0 send errors
Secure policy list spl_88000001
  Origin: RADIUS, virtual router default
  Administrative state: enabled
  Rule 1: mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 768
  Mirror-ID: 768 (from Med-Dev-Handle)
  Analyzer: reachable via gigabitEthernet 2/0/2, source 192.0.2.1, next hop 192.0.2.9
  Mirror action: enabled
  Referenced by:
    subscriber sub2@erx.test on ppp-2
  Copies to 192.0.2.9:30030 (all lists using it): 0 copied, 0 sent (0 bytes), 0 dropped (not built), 0 send errors
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.show(tc.list); got != tc.want {
				t.Errorf("show secure policy-list %s:\n%s\nwant:\n%s", tc.list, got, tc.want)
			}
		})
	}

	const at = "Fri Nov 27 2026 12:00:00 UTC  "
	wantLog := []string{
		"Configured  source cliStatic (admin)  : ip analyzer on gigabitEthernet 2/0/2",
		"Configured  source cliStatic (admin)  policy LI-1  : secure ip policy-list LI-1",
		"Configured  source cliStatic (admin)  policy LI-1  : mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16",
		"Configured  source cliStatic (admin)  policy LI-1  : ip policy secure-input LI-1 on gigabitEthernet 2/0/0.100",
		"InterfaceSessionActivated  source cliStatic  trigger interfaceString gigabitEthernet 2/0/0.100  mirror-id 16  session-id 0x00000007  policy LI-1  direction ingress  analyzer 192.0.2.9:30030",
		"Configured  source cliStatic (admin)  policy LI-1  : mirror username sub1@erx.test ip secure-policy-list LI-1",
		"SessionStart  source cliTrigger  trigger username sub1@erx.test  mirror-id 16  session-id 0x12345678  policy LI-1  direction ingress+egress  analyzer 192.0.2.9:30030",
	}
	got := strings.Split(strings.TrimSuffix(r.logText(), "\n"), "\n")
	if len(got) < len(wantLog) {
		t.Fatalf("show mirror log has %d lines, want at least %d:\n%s", len(got), len(wantLog), r.logText())
	}
	for i, w := range wantLog {
		if got[i] != at+w {
			t.Errorf("show mirror log line %d:\n%s\nwant:\n%s", i+1, got[i], at+w)
		}
	}
	// The RADIUS login's dynamic list and its session start.
	contains(t, r.logText(),
		at+"Configured  source radiusLogin (10.0.0.1:1812)  trigger username sub2@erx.test  mirror-id 768  policy spl_88000001  analyzer 192.0.2.9:30030  : dynamic secure policy created\n",
		at+"SessionStart  source radiusLogin  trigger acctSessionId 0000000042  mirror-id 768  session-id 0x00000090  policy spl_88000001  direction ingress+egress  analyzer 192.0.2.9:30030\n")

	// Logout ends the session mirror and deletes the dynamic list, both
	// logged.
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogout, Session: sub2, Cause: "lost-carrier"})
	contains(t, r.logText(),
		at+"Configured  source system  trigger username sub2@erx.test  policy spl_88000001  : dynamic secure policy deleted: session ended: lost-carrier\n",
		at+"SessionEnd  source radiusLogin  trigger acctSessionId 0000000042  mirror-id 768  session-id 0x00000090  policy spl_88000001  direction ingress+egress  : lost-carrier\n")
	if _, err := r.e.Policies("spl_88000001"); err == nil {
		t.Error("dynamic list left after logout")
	}

	r.e.ClearLog()
	var b bytes.Buffer
	r.must(r.e.WriteLog(&b))
	if b.String() != "Secure mirror log is empty\n" {
		t.Errorf("show mirror log after clear mirror log: %q", b.String())
	}
	// A CoA failure is logged under the identifying attribute it came
	// with, the first in trigger precedence.
	for _, tc := range []struct {
		name string
		id   Identity
		want string
	}{
		{"Acct-Session-Id", Identity{AcctSessionID: "0000000099"}, "  trigger acctSessionId 0000000099  "},
		{"User-Name", Identity{Username: "nobody@erx.test"}, "  trigger username nobody@erx.test  "},
		{"Framed-IP-Address before User-Name", Identity{Username: "nobody@erx.test", Address: netip.MustParseAddr("10.9.9.9")}, "  trigger ipAddress 10.9.9.9  "},
		{"NAS-Port-Id", Identity{NASPortID: "gigabitEthernet 2/0/0.7"}, "  trigger nasPortId gigabitEthernet 2/0/0.7  "},
		{"nothing", Identity{}, "RadiusBasedMirroringFailure  source radiusCoa (coa)  : "},
	} {
		t.Run("CoA failure by "+tc.name, func(t *testing.T) {
			r.e.ClearLog()
			if res := r.e.HandleCoA(tc.id, liOn("40000010"), "coa"); res.ACK {
				t.Fatalf("CoA for no session acknowledged: %+v", res)
			}
			if got := r.logText(); !strings.Contains(got, tc.want) || !strings.Contains(got, "RadiusBasedMirroringFailure") {
				t.Errorf("secure log lacks %q:\n%s", tc.want, got)
			}
		})
	}
}
