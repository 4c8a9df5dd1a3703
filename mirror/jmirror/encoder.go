package jmirror

import (
	"net/netip"
	"sync/atomic"
)

// Encoder encapsulates mirrored packets for one analyzer. It is safe for
// concurrent use: the data-plane workers encode copies with it while the
// mirror engine changes the source address. It implements the line card's
// linecard.CopyEncoder.
type Encoder struct {
	analyzer netip.Addr
	port     uint16
	source   atomic.Pointer[netip.Addr]
	id       atomic.Uint32 // IPv4 identification: the low 16 bits
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
// length. It does not allocate, not even for an error (ErrShort when buf
// cannot hold the result).
func (e *Encoder) Encode(buf []byte, mirrorID, sessionID uint32, pkt []byte) (int, error) {
	if len(buf) < PrependLen+len(pkt) {
		return 0, ErrShort
	}
	h := Prepend{Source: *e.source.Load(), Analyzer: e.analyzer, Port: e.port, ID: uint16(e.id.Add(1)), MirrorID: mirrorID & MaxMirrorID, SessionID: sessionID}
	if _, err := h.Marshal(buf, len(pkt)); err != nil {
		return 0, err
	}
	return PrependLen + copy(buf[PrependLen:], pkt), nil
}
