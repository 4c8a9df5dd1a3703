package pppoetest

import (
	"sync"

	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// memLink is the host side of a memport pair as a Link.
type memLink struct {
	p   *memport.Port
	b   *port.Batch // receive batch; ReadFrame hands out its frames one by one
	n   int         // frames in b
	i   int         // next frame of b to hand out
	wmu sync.Mutex
	one [1][]byte
}

// MemPortLink makes p (the host end of a memport.Pair whose other end is
// a line-card port) a Link, so the emulator talks to the line card with no
// kernel in between. Frames are received in batches of 64.
func MemPortLink(p *memport.Port) Link {
	return &memLink{p: p, b: port.NewBatch(64, port.DefaultBufSize)}
}

// ReadFrame implements Link; it is called from one goroutine.
func (m *memLink) ReadFrame(buf []byte) (int, error) {
	for m.i >= m.n {
		n, err := m.p.Receive(0, m.b)
		if err != nil {
			return 0, ErrClosed
		}
		m.n, m.i = n, 0
	}
	f := m.b.Frames[m.i]
	m.i++
	return copy(buf, f), nil
}

// WriteFrame implements Link. Like a wire, a frame that finds the line
// card's receive ring full is dropped.
func (m *memLink) WriteFrame(f []byte) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.one[0] = f
	_, err := m.p.Transmit(0, m.one[:])
	m.one[0] = nil
	if err != nil {
		return ErrClosed
	}
	return nil
}

// Close implements Link.
func (m *memLink) Close() error { return m.p.Close() }
