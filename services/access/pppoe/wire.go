package pppoe

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLen is the length of the PPPoE header.
const HeaderLen = 6

// Code is the PPPoE CODE field.
type Code uint8

// PPPoE codes (RFC 2516 §5).
const (
	CodeSession Code = 0x00
	CodePADO    Code = 0x07
	CodePADI    Code = 0x09
	CodePADR    Code = 0x19
	CodePADS    Code = 0x65
	CodePADT    Code = 0xa7
)

// String names the code.
func (c Code) String() string {
	switch c {
	case CodeSession:
		return "session"
	case CodePADO:
		return "PADO"
	case CodePADI:
		return "PADI"
	case CodePADR:
		return "PADR"
	case CodePADS:
		return "PADS"
	case CodePADT:
		return "PADT"
	}
	return fmt.Sprintf("code(%#x)", uint8(c))
}

// TagType is a discovery TAG_TYPE (RFC 2516 Appendix A).
type TagType uint16

// Tag types.
const (
	TagEndOfList        TagType = 0x0000
	TagServiceName      TagType = 0x0101
	TagACName           TagType = 0x0102
	TagHostUniq         TagType = 0x0103
	TagACCookie         TagType = 0x0104
	TagVendorSpecific   TagType = 0x0105
	TagRelaySessionID   TagType = 0x0110
	TagServiceNameError TagType = 0x0201
	TagACSystemError    TagType = 0x0202
	TagGenericError     TagType = 0x0203
)

// Errors returned by the decoders.
var (
	ErrShort      = errors.New("pppoe: packet too short")
	ErrVersion    = errors.New("pppoe: bad version or type")
	ErrLength     = errors.New("pppoe: length exceeds packet")
	ErrTagLength  = errors.New("pppoe: tag length exceeds payload")
	ErrBufferSize = errors.New("pppoe: buffer too small")
)

// Header is a view of a PPPoE packet: header plus payload.
type Header []byte

// Parse validates the header in b (VER=1, TYPE=1, LENGTH within b) and
// returns a view trimmed to header+LENGTH.
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, ErrShort
	}
	if b[0] != 0x11 {
		return nil, ErrVersion
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if HeaderLen+n > len(b) {
		return nil, ErrLength
	}
	return Header(b[:HeaderLen+n]), nil
}

// Version returns VER.
func (h Header) Version() uint8 { return h[0] >> 4 }

// Type returns TYPE.
func (h Header) Type() uint8 { return h[0] & 0x0f }

// Code returns CODE.
func (h Header) Code() Code { return Code(h[1]) }

// SessionID returns SESSION_ID.
func (h Header) SessionID() uint16 { return binary.BigEndian.Uint16(h[2:4]) }

// Length returns LENGTH.
func (h Header) Length() uint16 { return binary.BigEndian.Uint16(h[4:6]) }

// Payload returns the LENGTH bytes after the header.
func (h Header) Payload() []byte { return h[HeaderLen:] }

// PutHeader writes a PPPoE header for a payload of length n into buf[:6].
func PutHeader(buf []byte, code Code, sessionID uint16, n int) {
	buf[0] = 0x11
	buf[1] = byte(code)
	binary.BigEndian.PutUint16(buf[2:4], sessionID)
	binary.BigEndian.PutUint16(buf[4:6], uint16(n))
}

// Tags is a view of a discovery payload: a sequence of TLV tags.
type Tags []byte

// Each calls fn for every tag until fn returns false or End-Of-List is
// seen. It returns ErrTagLength if a tag overruns the payload; tags before
// the bad one have already been visited.
func (t Tags) Each(fn func(typ TagType, value []byte) bool) error {
	b := []byte(t)
	for len(b) > 0 {
		if len(b) < 4 {
			return ErrTagLength
		}
		typ := TagType(binary.BigEndian.Uint16(b[0:2]))
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if 4+n > len(b) {
			return ErrTagLength
		}
		if typ == TagEndOfList {
			return nil
		}
		if !fn(typ, b[4:4+n]) {
			return nil
		}
		b = b[4+n:]
	}
	return nil
}

// Find returns the value of the first tag of type typ.
func (t Tags) Find(typ TagType) ([]byte, bool) {
	var val []byte
	found := false
	_ = t.Each(func(tt TagType, v []byte) bool {
		if tt == typ {
			val, found = v, true
			return false
		}
		return true
	})
	return val, found
}

// Tag is one discovery tag to marshal.
type Tag struct {
	Type  TagType
	Value []byte
}

// Discovery is a discovery packet to marshal.
type Discovery struct {
	Code      Code
	SessionID uint16
	Tags      []Tag
}

// Len returns the marshaled length including the PPPoE header.
func (d *Discovery) Len() int {
	n := HeaderLen
	for _, t := range d.Tags {
		n += 4 + len(t.Value)
	}
	return n
}

// Marshal writes the packet into buf without allocating and returns its
// length.
func (d *Discovery) Marshal(buf []byte) (int, error) {
	n := d.Len()
	if len(buf) < n || n-HeaderLen > 0xffff {
		return 0, ErrBufferSize
	}
	PutHeader(buf, d.Code, d.SessionID, n-HeaderLen)
	off := HeaderLen
	for _, t := range d.Tags {
		if len(t.Value) > 0xffff {
			return 0, ErrBufferSize
		}
		binary.BigEndian.PutUint16(buf[off:], uint16(t.Type))
		binary.BigEndian.PutUint16(buf[off+2:], uint16(len(t.Value)))
		copy(buf[off+4:], t.Value)
		off += 4 + len(t.Value)
	}
	return n, nil
}
