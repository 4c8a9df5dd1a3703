package port

import (
	"errors"
	"time"
)

// ErrClosed is returned by Receive and Transmit after Close.
var ErrClosed = errors.New("port closed")

// Headroom is the space kept free in front of every received frame so
// the pipeline can push a VLAN tag without moving the payload.
const Headroom = 64

// DefaultBufSize is the buffer size of a Batch made by NewBatch: room for
// Headroom plus a 1518-byte tagged frame and some slack.
const DefaultBufSize = 2048

// PollTimeout bounds how long Receive waits for traffic before returning
// zero frames, so workers notice a stop request.
const PollTimeout = 50 * time.Millisecond

// Batch is a set of preallocated receive buffers. After Receive returns
// n, Frames[:n] are views into Bufs starting at Headroom, and Lens[:n]
// hold the original lengths of frames that were truncated to fit
// (Lens[i] > len(Frames[i]) marks a giant).
type Batch struct {
	Bufs   [][]byte
	Frames [][]byte
	Lens   []int
}

// NewBatch allocates a batch of n buffers of size bytes each.
func NewBatch(n, size int) *Batch {
	b := &Batch{Bufs: make([][]byte, n), Frames: make([][]byte, n), Lens: make([]int, n)}
	mem := make([]byte, n*size)
	for i := range b.Bufs {
		b.Bufs[i] = mem[i*size : (i+1)*size : (i+1)*size]
	}
	return b
}

// Fill copies frame into slot i of the batch (truncating a frame that
// does not fit) and records its original length.
func (b *Batch) Fill(i int, frame []byte) {
	n := copy(b.Bufs[i][Headroom:], frame)
	b.Frames[i] = b.Bufs[i][Headroom : Headroom+n]
	b.Lens[i] = len(frame)
}

// Stats are a port's counters as seen by its backend.
type Stats struct {
	RxPackets, RxBytes uint64
	TxPackets, TxBytes uint64
	RxDropped          uint64 // frames lost before the data plane saw them (ring full)
	TxErrors           uint64 // frames the backend failed to send
}

// Port is a network port owned by the data plane.
type Port interface {
	// Name returns the port's name (the host interface name for afpacket).
	Name() string
	// HardwareAddr returns the port's MAC address.
	HardwareAddr() [6]byte
	// MTU returns the largest IP packet the port carries untagged.
	MTU() int
	// Queues returns the number of receive queues; each is served by one
	// worker, and Receive on one queue is not safe for concurrent use.
	Queues() int
	// Receive fills b with up to len(b.Bufs) frames from queue q. It waits
	// at most PollTimeout and returns 0 and no error when idle.
	Receive(q int, b *Batch) (int, error)
	// Transmit sends frames and returns how many were accepted. Each
	// worker uses its own lane (0 ≤ lane < the lanes the port was opened
	// with); calls on different lanes may run concurrently.
	Transmit(lane int, frames [][]byte) (int, error)
	// Stats returns the backend's counters.
	Stats() Stats
	// Close releases the port; blocked Receive calls return ErrClosed.
	Close() error
}
