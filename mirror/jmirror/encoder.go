package jmirror

import (
	"fmt"
	"net/netip"
	"sync/atomic"
)

// Encoder encapsulates mirrored packets for one analyzer. It is safe for
// one encoding goroutine while another changes the source address.
type Encoder struct {
	analyzer netip.Addr
	port     uint16
	source   atomic.Pointer[netip.Addr]
	id       uint16
}

// NewEncoder returns an encoder for the analyzer at analyzer:port (port 0
// means DefaultPort), sending from source (set later with SetSource when
// not yet known).
func NewEncoder(source, analyzer netip.Addr, port uint16) *Encoder {
	if port == 0 {
		port = DefaultPort
	}
	e := &Encoder{analyzer: analyzer, port: port}
	e.SetSource(source)
	return e
}

// SetSource changes the prepend's source address (the analyzer interface's
// address, which follows the route to the analyzer).
func (e *Encoder) SetSource(a netip.Addr) { e.source.Store(&a) }

// Source returns the current source address.
func (e *Encoder) Source() netip.Addr { return *e.source.Load() }

// Encode writes the analyzer packet carrying pkt into buf and returns its
// length. It does not allocate.
func (e *Encoder) Encode(buf []byte, mirrorID, sessionID uint32, pkt []byte) (int, error) {
	if len(buf) < PrependLen+len(pkt) {
		return 0, fmt.Errorf("%w: %d-byte copy into %d-byte buffer", ErrShort, len(pkt), len(buf))
	}
	e.id++
	h := Prepend{Source: *e.source.Load(), Analyzer: e.analyzer, Port: e.port, ID: e.id, MirrorID: mirrorID & MaxMirrorID, SessionID: sessionID}
	if _, err := h.Marshal(buf, len(pkt)); err != nil {
		return 0, err
	}
	return PrependLen + copy(buf[PrependLen:], pkt), nil
}
