package pppoetest

import (
	"errors"
	"sync"
	"sync/atomic"
)

// Link carries raw Ethernet frames.
type Link interface {
	// ReadFrame blocks for the next frame; it fails once the link is closed.
	ReadFrame(buf []byte) (int, error)
	// WriteFrame transmits one frame.
	WriteFrame(frame []byte) error
	// Close releases the link and unblocks ReadFrame.
	Close() error
}

// ErrClosed is returned by a closed link.
var ErrClosed = errors.New("pppoetest: link closed")

// pipeEnd is one end of an in-memory pipe.
type pipeEnd struct {
	in      chan []byte
	peer    *pipeEnd
	done    chan struct{}
	once    *sync.Once
	dropped *atomic.Uint64
}

// Pipe returns two connected in-memory links. Like a wire, a frame that
// finds the receiver's queue (4096 frames) full is dropped. Closing either
// end closes both.
func Pipe() (Link, Link) {
	done := make(chan struct{})
	once := &sync.Once{}
	var dropped atomic.Uint64
	a := &pipeEnd{in: make(chan []byte, 4096), done: done, once: once, dropped: &dropped}
	b := &pipeEnd{in: make(chan []byte, 4096), done: done, once: once, dropped: &dropped}
	a.peer, b.peer = b, a
	return a, b
}

// ReadFrame implements Link.
func (p *pipeEnd) ReadFrame(buf []byte) (int, error) {
	select {
	case f := <-p.in:
		return copy(buf, f), nil
	case <-p.done:
		return 0, ErrClosed
	}
}

// WriteFrame implements Link.
func (p *pipeEnd) WriteFrame(frame []byte) error {
	select {
	case <-p.done:
		return ErrClosed
	default:
	}
	select {
	case p.peer.in <- append([]byte(nil), frame...):
	default:
		p.dropped.Add(1)
	}
	return nil
}

// Close implements Link.
func (p *pipeEnd) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}
