package radius

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"layeh.com/radius"
)

// LIAction is the value of ERX-LI-Action (26-58).
type LIAction uint32

// LI actions.
const (
	LIOff  LIAction = 0 // stop mirroring
	LIOn   LIAction = 1 // start mirroring
	LINoop LIAction = 2 // decoy: do nothing
)

// String returns the FreeRADIUS value name of a.
func (a LIAction) String() string {
	switch a {
	case LIOff:
		return "off"
	case LIOn:
		return "on"
	case LINoop:
		return "noop"
	}
	return fmt.Sprintf("LIAction(%d)", uint32(a))
}

// Mirror is the set of lawful-intercept VSAs (26-58..61) carried by an
// Access-Accept or a CoA-Request, decrypted. A field is meaningful only
// when its Has flag is set.
type Mirror struct {
	HasAction bool
	Action    LIAction

	HasDevHandle bool
	DevHandle    []byte // raw Med-Dev-Handle as sent (octets or hex text)

	HasAnalyzer bool
	Analyzer    netip.Addr // Med-Ip-Address

	HasPort bool
	Port    uint16 // Med-Port-Number

	// Err is set (as DecodeMirror's error, wrapping ErrBadMirror) when a
	// VSA is present but unusable; the fields before it hold what was
	// decoded. The mirroring engine answers such a CoA with a NAK
	// (Error-Cause 404) and logs it, and a login carrying one proceeds
	// unmirrored with a secure log entry.
	Err error
}

// Present reports whether any lawful-intercept VSA was found, usable or
// not.
func (m Mirror) Present() bool {
	return m.HasAction || m.HasDevHandle || m.HasAnalyzer || m.HasPort || m.Err != nil
}

// ErrBadMirror reports a lawful-intercept VSA that is present but unusable;
// a CoA carrying one is answered with Error-Cause 404 (Invalid Request).
var ErrBadMirror = errors.New("radius: bad mirroring attribute")

// ZeroAuthenticator is the authenticator salt-encrypted attributes of
// Accounting-Request, CoA-Request and Disconnect-Request are encrypted
// with.
var ZeroAuthenticator [16]byte

// DecodeMirror extracts and decrypts the lawful-intercept VSAs of p.
// authenticator is the Request Authenticator of the Access-Request when p is
// its reply, and ZeroAuthenticator when p is a CoA-Request. Values that are
// not salt-encrypted (a plain 4-byte integer or address) are accepted too.
// A malformed value yields an error wrapping ErrBadMirror.
func DecodeMirror(p *radius.Packet, secret []byte, authenticator [16]byte) (Mirror, error) {
	m, err := decodeMirror(p, secret, authenticator)
	m.Err = err
	return m, err
}

func decodeMirror(p *radius.Packet, secret []byte, authenticator [16]byte) (Mirror, error) {
	var m Mirror
	get := func(t ERXType) ([]byte, bool, error) {
		vs := ERXValues(p, t)
		if len(vs) == 0 {
			return nil, false, nil
		}
		if len(vs) > 1 {
			return nil, true, fmt.Errorf("%w: %v appears %d times", ErrBadMirror, t, len(vs))
		}
		v := vs[0]
		if len(v) >= 18 && (len(v)-2)%16 == 0 && v[0]&0x80 != 0 {
			plain, err := SaltDecrypt(v, secret, authenticator)
			if err != nil {
				return nil, true, fmt.Errorf("%w: %v: %w", ErrBadMirror, t, err)
			}
			return plain, true, nil
		}
		return v, true, nil // sent in clear
	}
	v, ok, err := get(ERXLIAction)
	if err != nil {
		return m, err
	}
	if ok {
		if len(v) != 4 {
			return m, fmt.Errorf("%w: %v of %d bytes", ErrBadMirror, ERXLIAction, len(v))
		}
		m.HasAction, m.Action = true, LIAction(binary.BigEndian.Uint32(v))
		if m.Action > LINoop {
			return m, fmt.Errorf("%w: %v %d", ErrBadMirror, ERXLIAction, m.Action)
		}
	}
	if v, ok, err = get(ERXMedDevHandle); err != nil {
		return m, err
	} else if ok {
		m.HasDevHandle, m.DevHandle = true, v
	}
	if v, ok, err = get(ERXMedIPAddress); err != nil {
		return m, err
	} else if ok {
		if len(v) != 4 {
			return m, fmt.Errorf("%w: %v of %d bytes", ErrBadMirror, ERXMedIPAddress, len(v))
		}
		m.HasAnalyzer, m.Analyzer = true, netip.AddrFrom4([4]byte(v))
	}
	if v, ok, err = get(ERXMedPortNumber); err != nil {
		return m, err
	} else if ok {
		if len(v) != 4 {
			return m, fmt.Errorf("%w: %v of %d bytes", ErrBadMirror, ERXMedPortNumber, len(v))
		}
		port := binary.BigEndian.Uint32(v)
		if port > 0xffff {
			return m, fmt.Errorf("%w: %v %d", ErrBadMirror, ERXMedPortNumber, port)
		}
		m.HasPort, m.Port = true, uint16(port)
	}
	return m, nil
}

// AddTo appends m's attributes to p, salt-encrypted with secret and
// authenticator (see DecodeMirror for which authenticator).
func (m Mirror) AddTo(p *radius.Packet, secret []byte, authenticator [16]byte) error {
	add := func(t ERXType, plain []byte) error {
		enc, err := SaltEncrypt(plain, secret, authenticator, [2]byte{})
		if err != nil {
			return fmt.Errorf("%v: %w", t, err)
		}
		return ERXAdd(p, t, enc)
	}
	if m.HasAction {
		if err := add(ERXLIAction, binary.BigEndian.AppendUint32(nil, uint32(m.Action))); err != nil {
			return err
		}
	}
	if m.HasDevHandle {
		if err := add(ERXMedDevHandle, m.DevHandle); err != nil {
			return err
		}
	}
	if m.HasAnalyzer {
		if !m.Analyzer.Is4() {
			return fmt.Errorf("radius: analyzer %v is not IPv4", m.Analyzer)
		}
		a := m.Analyzer.As4()
		if err := add(ERXMedIPAddress, a[:]); err != nil {
			return err
		}
	}
	if m.HasPort {
		if err := add(ERXMedPortNumber, binary.BigEndian.AppendUint32(nil, uint32(m.Port))); err != nil {
			return err
		}
	}
	return nil
}

// DevHandleBytes normalizes a Med-Dev-Handle value to its 4 or 8 raw bytes:
// the value may be sent as raw octets (FreeRADIUS's dictionary type) or as 8
// or 16 ASCII hex digits, optionally after "0x" (the JunosE documentation's
// form). An 8-byte value made only of hex digits is read as text. Anything
// else is an error wrapping ErrBadMirror.
func DevHandleBytes(v []byte) ([]byte, error) {
	text := v
	if len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
		text = text[2:]
	}
	if (len(text) == 8 || len(text) == 16) && isHex(text) {
		out := make([]byte, len(text)/2)
		if _, err := hex.Decode(out, text); err != nil {
			return nil, fmt.Errorf("%w: Med-Dev-Handle: %w", ErrBadMirror, err)
		}
		return out, nil
	}
	if len(v) == 4 || len(v) == 8 {
		return append([]byte(nil), v...), nil
	}
	return nil, fmt.Errorf("%w: Med-Dev-Handle of %d bytes", ErrBadMirror, len(v))
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
