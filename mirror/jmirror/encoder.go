package jmirror

import (
	"net/netip"
	"sync/atomic"
)

// Encoder encapsulates mirrored packets for one analyzer. It is safe for
// concurrent use by different lanes: the data-plane workers encode copies
// with it while the mirror engine changes the source address. It
// implements the line card's linecard.CopyEncoder.
//
// IPv4 identification: every copy of an analyzer has the same source,
// destination and protocol, so copies fragmented on the way need IDs
// that differ across workers, or the analyzer's reassembly mixes their
// fragments. One counter shared by every worker would bounce its cache
// line between cores on every copy; instead each lane takes a block of
// idBlock consecutive IDs from the shared counter and hands them out
// from its own cache line. IDs stay distinct across lanes exactly as
// with a single counter (until the 16-bit space wraps), and the shared
// counter is written once per idBlock copies.
type Encoder struct {
	analyzer netip.Addr
	port     uint16
	source   atomic.Pointer[netip.Addr]
	id       atomic.Uint32 // next free block (and lanes beyond idLanes: next ID); the low 16 bits are the ID
	lanes    [idLanes]idLane
}

const (
	// idBlock is the number of IDs a lane takes from the shared counter at
	// once.
	idBlock = 64
	// idLanes is the number of lanes with their own block; copies of
	// higher lanes take their IDs one by one from the shared counter.
	idLanes = 64
)

// idLane is one lane's block of IPv4 IDs, [next, end). Only its lane
// writes it (calls with the same lane never overlap), so it needs no
// atomics; it fills a cache line.
type idLane struct {
	next, end uint32
	_         [56]byte
}

// nextID returns the IPv4 identification of lane's next copy: the
// counter value plus one (the first copy has ID 1).
func (e *Encoder) nextID(lane int) uint16 {
	if uint(lane) >= idLanes {
		return uint16(e.id.Add(1))
	}
	l := &e.lanes[lane]
	if l.next == l.end {
		l.end = e.id.Add(idBlock)
		l.next = l.end - idBlock
	}
	l.next++
	return uint16(l.next)
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
// length. lane is the calling data-plane lane: calls with the same lane
// must not overlap (the line card's lanes each have one writer); calls
// with different lanes may. It does not allocate, not even for an error
// (ErrShort when buf cannot hold the result).
func (e *Encoder) Encode(buf []byte, lane int, mirrorID, sessionID uint32, pkt []byte) (int, error) {
	if len(buf) < PrependLen+len(pkt) {
		return 0, ErrShort
	}
	h := Prepend{Source: *e.source.Load(), Analyzer: e.analyzer, Port: e.port, ID: e.nextID(lane), MirrorID: mirrorID & MaxMirrorID, SessionID: sessionID}
	if _, err := h.Marshal(buf, len(pkt)); err != nil {
		return 0, err
	}
	return PrependLen + copy(buf[PrependLen:], pkt), nil
}
