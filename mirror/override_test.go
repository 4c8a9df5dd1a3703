package mirror

import (
	"net/netip"
	"testing"
)

// TestManualAttachmentOverridesTrigger: JunosE 11.0.2 (spec section 12):
// a secure policy attached by hand to a session interface removes the
// trigger's (or RADIUS's) mirror there, and that mirror does not come
// back when the manual policy is removed; newer configuration for the
// session, or its next login, brings it back.
func TestManualAttachmentOverridesTrigger(t *testing.T) {
	setupLI2 := func(r *rig) {
		r.must(r.e.CreatePolicy("default", "LI-2", admin))
		r.must(r.e.SetRule("LI-2", Rule{Analyzer: analyzerIP, Port: 30031, MirrorID: 17, HasMirrorID: true}, admin))
	}
	for _, tc := range []struct {
		name   string
		mirror func(r *rig) // the session's mirror before the manual attachment
		mid    uint32       // its Mirror-ID
		newer  func(r *rig) // newer configuration for the session
	}{
		{"CLI trigger", func(r *rig) {
			r.must(r.e.AddTrigger("default", TriggerUsername, "sub1@erx.test", "LI-1", false, admin))
		}, 16, func(r *rig) {
			r.must(r.e.AddTrigger("default", TriggerAcctSessionID, "0000000a12345678", "LI-1", false, admin))
		}},
		{"RADIUS CoA", func(r *rig) {
			if res := r.e.HandleCoA(Identity{AcctSessionID: "0000000a12345678"}, liOn("40000030"), "coa"); !res.ACK {
				r.t.Fatal(res.Err)
			}
		}, 0x30, func(r *rig) {
			if res := r.e.HandleCoA(Identity{AcctSessionID: "0000000a12345678"}, liOn("40000030"), "coa"); !res.ACK {
				r.t.Fatal(res.Err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.setupLI1()
			setupLI2(r)
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
			tc.mirror(r)
			mid := func(d Direction) uint32 {
				t.Helper()
				tp := r.dp.tap("ppp-1", d)
				if tp == nil {
					return 0
				}
				return tp.MirrorID
			}
			if mid(Input) != tc.mid || mid(Output) != tc.mid {
				t.Fatalf("session mirror: input %#x output %#x, want %#x", mid(Input), mid(Output), tc.mid)
			}
			r.must(r.e.Attach("default", "ppp-1", Input, "LI-2", admin))
			if mid(Input) != 17 || mid(Output) != tc.mid {
				t.Fatalf("after the manual attachment: input %#x output %#x", mid(Input), mid(Output))
			}
			contains(t, r.logText(), "mirror on ppp-1 removed by ip policy secure-input")
			r.must(r.e.Detach("ppp-1", Input, admin))
			if mid(Input) != 0 || mid(Output) != tc.mid {
				t.Fatalf("after the manual attachment is removed: input %#x (want none) output %#x", mid(Input), mid(Output))
			}
			// Unrelated changes (routes, other sessions) do not bring it back.
			r.e.RoutesChanged()
			s2 := sub1()
			s2.Interface, s2.AcctSessionID, s2.Username, s2.Address = "ppp-2", "0000000b", "sub2@erx.test", netip.Addr{}
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: s2})
			if mid(Input) != 0 {
				t.Fatalf("the removed mirror came back: input %#x", mid(Input))
			}
			// Newer configuration for the session applies in both directions.
			tc.newer(r)
			if mid(Input) != tc.mid || mid(Output) != tc.mid {
				t.Fatalf("after newer configuration: input %#x output %#x, want %#x", mid(Input), mid(Output), tc.mid)
			}
			// So does the next login (for the CLI trigger, which stays).
			r.must(r.e.Attach("default", "ppp-1", Output, "LI-2", admin))
			r.must(r.e.Detach("ppp-1", Output, admin))
			if mid(Output) != 0 {
				t.Fatalf("the removed output mirror came back: %#x", mid(Output))
			}
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogout, Session: sub1()})
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
			if tc.name == "CLI trigger" && (mid(Input) != 16 || mid(Output) != 16) {
				t.Fatalf("after a new login: input %#x output %#x", mid(Input), mid(Output))
			}
		})
	}
}
