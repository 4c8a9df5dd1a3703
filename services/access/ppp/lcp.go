package ppp

import (
	"crypto/rand"
	"encoding/binary"
)

// LCP option types (RFC 1661 §6, RFC 1994).
const (
	LCPOptMRU          uint8 = 1
	LCPOptACCM         uint8 = 2
	LCPOptAuthProtocol uint8 = 3
	LCPOptQuality      uint8 = 4
	LCPOptMagicNumber  uint8 = 5
	LCPOptPFC          uint8 = 7
	LCPOptACFC         uint8 = 8
)

// CHAPAlgorithmMD5 is the CHAP algorithm number for MD5 (RFC 1994).
const CHAPAlgorithmMD5 = 5

// AuthProtocol is an authentication protocol LCP can negotiate.
type AuthProtocol int

// Authentication protocols.
const (
	AuthNone AuthProtocol = iota
	AuthPAP
	AuthCHAP // CHAP with MD5
)

// String names the protocol as the CLI does.
func (a AuthProtocol) String() string {
	switch a {
	case AuthPAP:
		return "pap"
	case AuthCHAP:
		return "chap"
	}
	return "none"
}

func (a AuthProtocol) appendValue(b []byte) []byte {
	switch a {
	case AuthPAP:
		return append(b, 0xc0, 0x23) // ProtoPAP
	case AuthCHAP:
		return append(b, 0xc2, 0x23, CHAPAlgorithmMD5) // ProtoCHAP
	}
	return b
}

func parseAuth(v []byte) AuthProtocol {
	if len(v) < 2 {
		return AuthNone
	}
	switch binary.BigEndian.Uint16(v) {
	case ProtoPAP:
		if len(v) == 2 {
			return AuthPAP
		}
	case ProtoCHAP:
		if len(v) == 3 && v[2] == CHAPAlgorithmMD5 {
			return AuthCHAP
		}
	}
	return AuthNone
}

// LCPConfig configures the LCP option handler.
type LCPConfig struct {
	// MRU is the largest MRU we accept from and request of the peer
	// (default 1492, the PPPoE maximum).
	MRU uint16
	// Auth lists, in preference order, the protocols we require the peer
	// to authenticate with (authenticator role). Empty: no authentication.
	Auth []AuthProtocol
	// Accept lists the protocols we agree to authenticate with when the
	// peer asks (client role). Empty: reject any Auth-Protocol.
	Accept []AuthProtocol
}

// LCP is the LCP option handler. Its this-layer actions are forwarded to
// the hooks the owner sets.
type LCP struct {
	cfg LCPConfig

	// Negotiated values.
	PeerMRU   uint16
	PeerMagic uint32
	Magic     uint32
	// Auth is the protocol the peer agreed to authenticate with (our
	// request, authenticator role) and PeerAuth the one we agreed to
	// (client role).
	Auth, PeerAuth AuthProtocol

	reqMRU, reqMagic bool
	authIdx          int
	authRejected     bool
	loopback         int

	// OnUp, OnDown, OnStarted, OnFinished are tlu/tld/tls/tlf hooks.
	OnUp, OnDown, OnStarted, OnFinished func()
}

// NewLCP returns an LCP handler.
func NewLCP(cfg LCPConfig) *LCP {
	if cfg.MRU == 0 {
		cfg.MRU = 1492
	}
	l := &LCP{cfg: cfg, reqMRU: true, reqMagic: true}
	l.Magic = newMagic()
	l.PeerMRU = 1492
	return l
}

func newMagic() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		if m := binary.BigEndian.Uint32(b[:]); m != 0 {
			return m
		}
	}
}

// AuthRejected reports that the peer refused every authentication protocol
// we offered; the owner should close the link.
func (l *LCP) AuthRejected() bool { return l.authRejected }

// LoopedBack reports that the peer echoed our magic number repeatedly.
func (l *LCP) LoopedBack() bool { return l.loopback >= 3 }

func (l *LCP) wantAuth() AuthProtocol {
	if l.authIdx < len(l.cfg.Auth) {
		return l.cfg.Auth[l.authIdx]
	}
	return AuthNone
}

// AppendRequest implements OptionHandler.
func (l *LCP) AppendRequest(b []byte) []byte {
	if l.reqMRU {
		b = appendOption16(b, LCPOptMRU, l.cfg.MRU)
	}
	if a := l.wantAuth(); a != AuthNone {
		b = append(b, LCPOptAuthProtocol, 0)
		start := len(b) - 2
		b = a.appendValue(b)
		b[start+1] = byte(len(b) - start)
	}
	if l.reqMagic {
		b = appendOption32(b, LCPOptMagicNumber, l.Magic)
	}
	return b
}

func (l *LCP) accepts(a AuthProtocol) bool {
	for _, x := range l.cfg.Accept {
		if x == a {
			return true
		}
	}
	return false
}

// ReceiveRequest implements OptionHandler.
func (l *LCP) ReceiveRequest(opts Options, out []byte, rejectOnly bool) (uint8, []byte) {
	var nak, rej []byte
	var nakBuf, rejBuf [128]byte
	nak, rej = nakBuf[:0], rejBuf[:0]
	mru := l.cfg.MRU // RFC 2516: never above 1492 on PPPoE
	var magic uint32
	auth := AuthNone
	opts.Each(func(typ uint8, v []byte) bool {
		switch {
		case typ == LCPOptMRU && len(v) == 2:
			m := binary.BigEndian.Uint16(v)
			if m < 64 || m > l.cfg.MRU {
				nak = appendOption16(nak, LCPOptMRU, l.cfg.MRU)
			} else {
				mru = m
			}
		case typ == LCPOptMagicNumber && len(v) == 4:
			m := binary.BigEndian.Uint32(v)
			if m == 0 || (l.reqMagic && m == l.Magic) {
				if m != 0 {
					l.loopback++
				}
				nak = appendOption32(nak, LCPOptMagicNumber, newMagic())
			} else {
				magic = m
			}
		case typ == LCPOptAuthProtocol && len(l.cfg.Accept) > 0:
			a := parseAuth(v)
			if a != AuthNone && l.accepts(a) {
				auth = a
			} else {
				nak = append(nak, LCPOptAuthProtocol, 0)
				start := len(nak) - 2
				nak = l.cfg.Accept[0].appendValue(nak)
				nak[start+1] = byte(len(nak) - start)
			}
		default:
			rej = AppendOption(rej, typ, v)
		}
		return true
	})
	code, out := configureReply(out, nak, rej, rejectOnly)
	if code == CodeConfigureAck {
		l.PeerMRU, l.PeerMagic, l.PeerAuth = mru, magic, auth
	}
	return code, out
}

// ReceiveAck implements OptionHandler.
func (l *LCP) ReceiveAck(opts Options) bool {
	var ob [64]byte
	want := l.AppendRequest(ob[:0])
	if string(want) != string(opts) {
		return false
	}
	l.Auth = l.wantAuth()
	return true
}

// ReceiveNak implements OptionHandler.
func (l *LCP) ReceiveNak(opts Options) {
	opts.Each(func(typ uint8, v []byte) bool {
		switch typ {
		case LCPOptMRU:
			if len(v) == 2 {
				if m := binary.BigEndian.Uint16(v); m >= 64 && m <= l.cfg.MRU {
					l.cfg.MRU = m
				} else {
					l.reqMRU = false
				}
			}
		case LCPOptMagicNumber:
			l.Magic = newMagic()
		case LCPOptAuthProtocol:
			// Switch to the peer's suggestion if we allow it, else to our
			// next preference.
			sug := parseAuth(v)
			for i, a := range l.cfg.Auth {
				if a == sug && sug != AuthNone {
					l.authIdx = i
					return true
				}
			}
			l.authIdx++
			if l.authIdx >= len(l.cfg.Auth) {
				l.authRejected = true
			}
		}
		return true
	})
}

// ReceiveReject implements OptionHandler.
func (l *LCP) ReceiveReject(opts Options) {
	opts.Each(func(typ uint8, v []byte) bool {
		switch typ {
		case LCPOptMRU:
			l.reqMRU = false
		case LCPOptMagicNumber:
			l.reqMagic = false
		case LCPOptAuthProtocol:
			l.authRejected = true
			l.authIdx = len(l.cfg.Auth)
		}
		return true
	})
}

// Up implements OptionHandler.
func (l *LCP) Up() { call(l.OnUp) }

// Down implements OptionHandler.
func (l *LCP) Down() { call(l.OnDown) }

// Started implements OptionHandler.
func (l *LCP) Started() { call(l.OnStarted) }

// Finished implements OptionHandler.
func (l *LCP) Finished() { call(l.OnFinished) }

func call(f func()) {
	if f != nil {
		f()
	}
}
