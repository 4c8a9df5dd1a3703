package pppoe

import (
	"testing"

	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
)

// offer sends a PADI from mac with Host-Uniq uniq and returns the
// AC-Cookie of the PADO (nil: no PADO).
func offer(t *testing.T, e *Engine, r *recorder, mac MAC, uniq string) []byte {
	t.Helper()
	n := len(r.frames)
	e.HandleFrame(port, discovery(header.Broadcast, mac, CodePADI, 0, Tag{TagServiceName, nil}, Tag{TagHostUniq, []byte(uniq)}))
	if len(r.frames) == n {
		return nil
	}
	_, pado := r.last(t)
	ck, _ := Tags(pado.Payload()).Find(TagACCookie)
	return ck
}

// request sends the PADR for an offer and returns the PADS.
func request(t *testing.T, e *Engine, r *recorder, mac MAC, uniq string, cookie []byte) Header {
	t.Helper()
	e.HandleFrame(port, discovery(acMAC, mac, CodePADR, 0, Tag{TagServiceName, []byte("internet")},
		Tag{TagACCookie, cookie}, Tag{TagHostUniq, []byte(uniq)}))
	f, pads := r.last(t)
	if pads.Code() != CodePADS || MAC(f.Destination()) != mac {
		t.Fatalf("got %v to %v, want PADS", pads.Code(), f.Destination())
	}
	return pads
}

// TestLimitsPADSError covers the session limits (interface, per port, per
// MAC) when both requests were offered before either session existed:
// the PADR over the limit gets a PADS with session ID 0 and an
// AC-System-Error tag (RFC 2516 §5.4), echoing Host-Uniq; the refusal is
// counted, and the freed slot is usable again after a PADT.
func TestLimitsPADSError(t *testing.T) {
	mac3 := MAC{2, 0, 0, 0, 1, 3}
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		first MAC // accepted
		over  MAC // refused: same limit
	}{
		{"per MAC", func(c *Config) { c.MaxSessionsPerMAC = 1 }, mac1, mac1},
		{"per port", func(c *Config) { c.MaxSessionsPerPort = 1 }, mac1, mac2},
		{"interface (pppoe sessions)", func(c *Config) { c.MaxSessions = 1 }, mac1, mac3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, r, _ := newTestEngine(t, tc.mod)
			ckA, ckB := offer(t, e, r, tc.first, "a"), offer(t, e, r, tc.over, "b")
			if ckA == nil || ckB == nil {
				t.Fatal("no PADO below the limit")
			}
			ok := request(t, e, r, tc.first, "a", ckA)
			if ok.SessionID() == 0 {
				t.Fatal("first session refused")
			}
			pads := request(t, e, r, tc.over, "b", ckB)
			tags := Tags(pads.Payload())
			msg, isErr := tags.Find(TagACSystemError)
			uniq, _ := tags.Find(TagHostUniq)
			if pads.SessionID() != 0 || !isErr || len(msg) == 0 || string(uniq) != "b" {
				t.Fatalf("PADS over the limit: session %d, AC-System-Error %q (%v), Host-Uniq %q", pads.SessionID(), msg, isErr, uniq)
			}
			if st := e.Stats(); st.LimitRejected != 1 {
				t.Fatalf("stats %+v", st)
			}
			// Now at the limit, the next PADI gets no offer at all.
			if offer(t, e, r, tc.over, "c") != nil {
				t.Fatal("PADO at the limit")
			}
			if st := e.Stats(); st.LimitRejected != 2 {
				t.Fatalf("stats %+v", st)
			}
			// The first session ends: the slot is free again.
			e.HandleFrame(port, discovery(acMAC, tc.first, CodePADT, ok.SessionID()))
			if c, ended := r.ended[ok.SessionID()]; !ended || c != subscriber.CauseUserRequest {
				t.Fatalf("PADT: ended %v cause %v", ended, c)
			}
			if login(t, e, r, tc.over, "d") == 0 {
				t.Fatal("limit still held after PADT")
			}
		})
	}
}
