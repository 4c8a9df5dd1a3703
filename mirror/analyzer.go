package mirror

import (
	"errors"
	"net/netip"

	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
)

// Delivery encoders: the data plane builds every copy on the worker that
// sees the packet, with the linecard.CopyEncoder of the analyzer's
// delivery. jmirror.Encoder (UDP prepend) and plainEncoder implement it;
// ERSPAN or ETSI TS 102 232 delivery would be further implementations,
// chosen in startAnalyzer — triggers, policies and taps do not change.

// errCopyTooBig is returned (without allocating) by plainEncoder.
var errCopyTooBig = errors.New("mirror: copy larger than buffer")

// plainEncoder delivers the mirrored packet unchanged (no prepend); the
// data plane sends it to the analyzer's next hop.
type plainEncoder struct{}

// Encode implements linecard.CopyEncoder.
func (plainEncoder) Encode(buf []byte, _ int, _, _ uint32, pkt []byte) (int, error) {
	if len(buf) < len(pkt) {
		return 0, errCopyTooBig
	}
	return copy(buf, pkt), nil
}

// analyzerKey identifies one analyzer delivery: virtual router, address,
// UDP port (0: plain).
type analyzerKey struct {
	vr   string
	addr netip.Addr
	port uint16
}

// analyzer is one analyzer delivery: its encoder and the data plane's
// Delivery, which the taps of every mirror to that analyzer point at.
type analyzer struct {
	key analyzerKey
	d   *linecard.Delivery
	jm  *jmirror.Encoder // nil for plain delivery
}

// AnalyzerStats are the counters of one analyzer delivery.
type AnalyzerStats struct {
	// Copied counts copies the data plane built for the analyzer; Dropped
	// copies it could not build (no resolved next hop, copy buffers of a
	// batch used up).
	Copied, Dropped uint64
	// Sent and SentBytes count frames sent toward the analyzer; SendErrors
	// copies lost on the way (no ARP entry for the next hop, egress down).
	Sent, SentBytes, SendErrors uint64
}

// startAnalyzer makes the data-plane delivery for k, with r's source
// address; it stays unresolved until setRoute.
func (e *Engine) startAnalyzer(k analyzerKey, r Route) (*analyzer, error) {
	a := &analyzer{key: k}
	var enc linecard.CopyEncoder = plainEncoder{}
	if k.port != 0 {
		a.jm = jmirror.NewEncoder(r.Source, k.addr, k.port)
		enc = a.jm
	}
	d, err := e.dp.NewDelivery(k.vr, enc)
	if err != nil {
		return nil, err
	}
	a.d = d
	return a, nil
}

// setRoute follows a route change: new source address and next hop. A
// next hop the data plane cannot resolve leaves the delivery unresolved
// (its copies are dropped and counted) and is returned: the caller shows
// the analyzer unreachable until a later call resolves it.
func (a *analyzer) setRoute(r Route) error {
	if a.jm != nil && a.jm.Source() != r.Source {
		a.jm.SetSource(r.Source)
	}
	return a.d.SetNextHop(r.NextHop) // already says which next hop
}

// close stops the delivery: taps no longer point at it, and unresolving
// it drops any copy a worker still builds from a stale tap.
func (a *analyzer) close() {
	_ = a.d.SetNextHop(netip.Addr{})
}

func (a *analyzer) stats() AnalyzerStats {
	s := a.d.Stats()
	return AnalyzerStats{Copied: s.Copied, Dropped: s.Dropped, Sent: s.Sent, SentBytes: s.SentBytes, SendErrors: s.SendErrors}
}
