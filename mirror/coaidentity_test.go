package mirror

import (
	"net/netip"
	"testing"
)

// TestCoAIdentification: a CoA finds the session that matches every
// identification attribute it carries (RFC 5176 section 3), with
// User-Name and Framed-IP-Address scoped to the request's virtual router
// (ERX-Virtual-Router-Name, else the default one; spec section 3).
func TestCoAIdentification(t *testing.T) {
	// sub1 in the default VR on ppp-1; the same user name and address in
	// VR isp1 on ppp-2.
	other := sub1()
	other.Interface, other.AcctSessionID, other.VirtualRouter = "ppp-2", "0000000b00000001", "isp1"
	other.CallingStationID, other.NASPortID = "00:11:22:33:44:66", "gigabitEthernet 2/0/0.200"
	addr := "10.9.0.5"
	for _, tc := range []struct {
		name  string
		id    Identity
		iface string // session mirrored; "" NAK 503
	}{
		{"acct-session-id", Identity{AcctSessionID: "0000000a12345678"}, "ppp-1"},
		{"acct-session-id in another VR", Identity{AcctSessionID: "0000000b00000001"}, "ppp-2"},
		{"username, default VR", Identity{Username: "sub1@erx.test"}, "ppp-1"},
		{"username with Virtual-Router-Name", Identity{Username: "sub1@erx.test", VirtualRouter: "isp1"}, "ppp-2"},
		{"username in a VR without sessions", Identity{Username: "sub1@erx.test", VirtualRouter: "isp2"}, ""},
		{"ip-address with Virtual-Router-Name", Identity{Address: netip.MustParseAddr(addr), VirtualRouter: "isp1"}, "ppp-2"},
		{"acct-session-id and username agree", Identity{AcctSessionID: "0000000a12345678", Username: "sub1@erx.test"}, "ppp-1"},
		{"acct-session-id matches, username does not", Identity{AcctSessionID: "0000000a12345678", Username: "sub9@erx.test"}, ""},
		{"username matches, acct-session-id does not", Identity{AcctSessionID: "ffff", Username: "sub1@erx.test"}, ""},
		{"acct-session-id of one session, address of the other VR", Identity{AcctSessionID: "0000000a12345678",
			Address: netip.MustParseAddr(addr), VirtualRouter: "isp1"}, ""},
		{"calling-station-id and nas-port-id of different sessions", Identity{CallingStationID: "00:11:22:33:44:55",
			NASPortID: "gigabitEthernet 2/0/0.200"}, ""},
		{"calling-station-id and nas-port-id", Identity{CallingStationID: "00:11:22:33:44:66",
			NASPortID: "gigabitEthernet 2/0/0.200"}, "ppp-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.setupLI1()
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
			r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: other})
			res := r.e.HandleCoA(tc.id, liOn("40000010"), "coa")
			if tc.iface == "" {
				if res.ACK || res.Cause != CauseSessionNotFound {
					t.Fatalf("result %+v, want NAK 503", res)
				}
				if r.dp.numTaps() != 0 {
					t.Fatal("a session was mirrored")
				}
				return
			}
			if !res.ACK {
				t.Fatalf("NAK: %v", res.Err)
			}
			if r.dp.tap(tc.iface, Input) == nil || r.dp.numTaps() != 2 {
				t.Fatalf("want only %s mirrored (%d taps)", tc.iface, r.dp.numTaps())
			}
		})
	}
}
