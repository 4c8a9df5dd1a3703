package pppoe

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/erxos/erx/services/linecard/header"
)

// TestPeerIndex checks the per-client index a retransmitted PADR is
// looked up in (instead of a scan of every session): two sessions of one
// MAC with different Host-Uniq values each get their own session back,
// a session that carried PPP is not handed out again, and the index
// empties with the sessions.
func TestPeerIndex(t *testing.T) {
	e, r, _ := newTestEngine(t, nil)
	a := login(t, e, r, mac1, "a")
	b := login(t, e, r, mac1, "b")
	c := login(t, e, r, mac2, "a")
	if a == 0 || b == 0 || c == 0 || a == b {
		t.Fatalf("logins: %d %d %d", a, b, c)
	}
	if got := len(e.byPeer[portMAC{port, mac1}]); got != 2 {
		t.Fatalf("index holds %d sessions of mac1, want 2", got)
	}
	if login(t, e, r, mac1, "b") != b || login(t, e, r, mac1, "a") != a {
		t.Fatal("retransmitted PADR did not find its session")
	}
	// Once PPP ran on a, a new PADR with its Host-Uniq is a new session.
	lcp := discoverySession(acMAC, mac1, a)
	if err := e.HandleFrame(port, lcp); err != nil {
		t.Fatal(err)
	}
	if d := login(t, e, r, mac1, "a"); d == a || d == 0 {
		t.Fatalf("PADR after PPP got session %d (old %d)", d, a)
	}
	for _, s := range e.Sessions() {
		if err := e.Terminate(s.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.byPeer) != 0 || len(e.perMAC) != 0 || len(e.sessions) != 0 {
		t.Fatalf("left behind: index %d, per-MAC %d, sessions %d", len(e.byPeer), len(e.perMAC), len(e.sessions))
	}
}

// discoverySession is an LCP Configure-Request on session sid.
func discoverySession(dst, src MAC, sid uint16) []byte {
	ppp := []byte{0xc0, 0x21, 1, 1, 0, 4}
	buf := make([]byte, header.EthernetHeaderLen+HeaderLen+len(ppp))
	(&header.EthernetFields{Destination: dst, Source: src, EtherType: header.EtherTypePPPoESession}).Marshal(buf)
	PutHeader(buf[header.EthernetHeaderLen:], CodeSession, sid, len(ppp))
	copy(buf[header.EthernetHeaderLen+HeaderLen:], ppp)
	return buf
}

// BenchmarkPADR is one login's discovery (PADI, PADR) with 30,000
// sessions already up: its cost must not grow with the sessions.
func BenchmarkPADR(b *testing.B) {
	for _, n := range []int{0, 30000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := &recorder{}
			e, err := NewEngine(Config{ACName: "host1", GlobalPADIRate: 1e12,
				PortMAC: func(string) (MAC, bool) { return acMAC, true }, Sender: nopSender{}, Handler: r})
			if err != nil {
				b.Fatal(err)
			}
			mac := func(i int) MAC {
				m := MAC{2, 1}
				binary.BigEndian.PutUint32(m[2:], uint32(i))
				return m
			}
			ck := func(m MAC) []byte { return e.cookie(&e.secret, port, m) }
			for i := range n {
				m := mac(i)
				e.HandleFrame(port, discovery(acMAC, m, CodePADR, 0, Tag{TagServiceName, nil}, Tag{TagACCookie, ck(m)}))
			}
			b.ResetTimer()
			for i := range b.N {
				m := mac(n + i%20000)
				if i%20000 == 0 && i > 0 {
					b.StopTimer()
					for _, s := range e.Sessions() {
						if s.PeerMAC[2] != 0 || int(binary.BigEndian.Uint32(s.PeerMAC[2:])) >= n {
							e.Terminate(s.ID, 0)
						}
					}
					b.StartTimer()
				}
				e.HandleFrame(port, discovery(acMAC, m, CodePADR, 0, Tag{TagServiceName, nil}, Tag{TagACCookie, ck(m)}))
			}
		})
	}
}

type nopSender struct{}

func (nopSender) SendFrame(string, []byte) error { return nil }
