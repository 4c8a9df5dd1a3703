package radius_test

import (
	"net/netip"
	"testing"

	"layeh.com/radius"

	erx "github.com/erxos/erx/aaa/radius"
)

// TestDynamicMirrorCoACountedApart: a CoA carrying lawful-intercept VSAs is
// counted only in the secret mirroring counters (its ACK, NAK and
// retransmission too), never in the ordinary CoA counters an operator
// without mirror access can read.
func TestDynamicMirrorCoACountedApart(t *testing.T) {
	d := newDynTest(t, erx.DynamicConfig{})
	li := func(session string) func(*radius.Packet) {
		return func(p *radius.Packet) {
			if session != "" {
				p.Set(44, radius.Attribute(session)) // Acct-Session-Id
			}
			m := erx.Mirror{HasAction: true, Action: 1, HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9")}
			if err := m.AddTo(p, []byte("k"), erx.ZeroAuthenticator); err != nil {
				t.Fatal(err)
			}
		}
	}
	ack := coaRequest(t, radius.CodeCoARequest, 1, "k", false, li(""))
	d.exchange(ack, "k")
	d.exchange(ack, "k") // retransmission
	d.exchange(coaRequest(t, radius.CodeCoARequest, 2, "k", false, li("other")), "k")
	d.exchange(coaRequest(t, radius.CodeCoARequest, 3, "k", false), "k") // ordinary CoA

	st := d.srv.Stats()
	want := erx.MirrorDynamicStats{CoARequests: 2, CoAACKs: 1, CoANAKs: 1, Duplicates: 1}
	if st.Mirror != want {
		t.Errorf("mirroring counters = %+v, want %+v", st.Mirror, want)
	}
	if st.CoARequests != 1 || st.CoAACKs != 1 || st.CoANAKs != 0 || st.Duplicates != 0 {
		t.Errorf("ordinary counters include mirroring CoAs: %+v", st)
	}
}
