package mirror

import (
	"errors"
	"net/netip"
	"sync/atomic"

	"github.com/erxos/erx/mirror/jmirror"
	"github.com/erxos/erx/services/linecard"
)

// Encoder turns one mirrored packet into the packet delivered to the
// analyzer, written into buf; it returns the length. jmirror.Encoder (UDP
// prepend) and the plain encoder implement it; ERSPAN or ETSI TS 102 232
// delivery would be further implementations, chosen in newEncoder.
type Encoder interface {
	Encode(buf []byte, mirrorID, sessionID uint32, pkt []byte) (int, error)
}

// plainEncoder delivers the mirrored packet unchanged (no prepend).
type plainEncoder struct{}

// Encode implements Encoder.
func (plainEncoder) Encode(buf []byte, _, _ uint32, pkt []byte) (int, error) {
	if len(buf) < len(pkt) {
		return 0, errors.New("mirror: copy larger than buffer")
	}
	return copy(buf, pkt), nil
}

// ErrPlainUnsupported counts plain copies a data plane cannot deliver.
var ErrPlainUnsupported = errors.New("data plane cannot send plain mirror copies")

// analyzerKey identifies one analyzer delivery: virtual router, address,
// UDP port (0: plain).
type analyzerKey struct {
	vr   string
	addr netip.Addr
	port uint16
}

// analyzer is one analyzer's copy queue and drain goroutine.
type analyzer struct {
	key     analyzerKey
	q       *linecard.CopyQueue
	enc     Encoder
	jm      *jmirror.Encoder // nil for plain delivery
	dp      DataPlane
	nextHop atomic.Pointer[netip.Addr]
	buf     []byte

	stop, done chan struct{}

	sent, sentBytes, sendErrors atomic.Uint64
}

// AnalyzerStats are the counters of one analyzer delivery.
type AnalyzerStats struct {
	// Queued and Dropped come from the copy queue (dropped: queue full).
	Queued, Dropped uint64
	// Sent, SentBytes and SendErrors count what the drain goroutine did.
	Sent, SentBytes, SendErrors uint64
}

func (e *Engine) startAnalyzer(k analyzerKey, r Route) *analyzer {
	a := &analyzer{key: k, dp: e.dp, q: e.dp.NewCopyQueue(e.cfg.QueueSlots, e.cfg.CopySize),
		buf: make([]byte, e.cfg.CopySize+jmirror.PrependLen), stop: make(chan struct{}), done: make(chan struct{})}
	if k.port != 0 {
		a.jm = jmirror.NewEncoder(r.Source, k.addr, k.port)
		a.enc = a.jm
	} else {
		a.enc = plainEncoder{}
	}
	a.setRoute(r)
	go a.run()
	return a
}

// setRoute follows a route change: new source address and next hop.
func (a *analyzer) setRoute(r Route) {
	if a.jm != nil && a.jm.Source() != r.Source {
		a.jm.SetSource(r.Source)
	}
	nh := r.NextHop
	a.nextHop.Store(&nh)
}

func (a *analyzer) run() {
	defer close(a.done)
	for {
		select {
		case <-a.stop:
			return
		case <-a.q.Ready():
			for a.q.Drain(a, 64) > 0 {
				select {
				case <-a.stop:
					return
				default:
				}
			}
		}
	}
}

// HandleCopy implements linecard.CopyHandler: encapsulate and send.
func (a *analyzer) HandleCopy(c *linecard.Copy) {
	n, err := a.enc.Encode(a.buf, c.MirrorID, c.SessionID, c.Packet)
	if err == nil {
		if a.jm != nil {
			err = a.dp.SendIPv4(a.key.vr, a.buf[:n])
		} else if ps, ok := a.dp.(PlainSender); ok {
			err = ps.SendIPv4Via(a.key.vr, *a.nextHop.Load(), a.buf[:n])
		} else {
			err = ErrPlainUnsupported
		}
	}
	if err != nil {
		a.sendErrors.Add(1)
		return
	}
	a.sent.Add(1)
	a.sentBytes.Add(uint64(n))
}

func (a *analyzer) close() {
	close(a.stop)
	<-a.done
}

func (a *analyzer) stats() AnalyzerStats {
	q, d := a.q.Stats()
	return AnalyzerStats{Queued: q, Dropped: d, Sent: a.sent.Load(), SentBytes: a.sentBytes.Load(), SendErrors: a.sendErrors.Load()}
}
