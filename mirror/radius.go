package mirror

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"github.com/erxos/erx/mirror/jmirror"
)

// LIAction is the value of ERX-LI-Action (VSA 4874-58).
type LIAction uint32

// LI actions.
const (
	LIOff  LIAction = 0 // stop mirroring
	LIOn   LIAction = 1 // start mirroring
	LINoop LIAction = 2 // decoy: do nothing
)

// LIRequest is the set of decrypted mirroring VSAs of an Access-Accept or
// CoA-Request (ERX-LI-Action 58, ERX-Med-Dev-Handle 59, ERX-Med-Ip-Address
// 60, ERX-Med-Port-Number 61). A field counts only when its Has flag is set.
type LIRequest struct {
	HasAction    bool
	Action       LIAction
	HasDevHandle bool
	DevHandle    []byte // raw value: 4 or 8 octets, or 8 or 16 hex digits
	HasAnalyzer  bool
	Analyzer     netip.Addr
	HasPort      bool
	Port         uint16
	// Malformed, if not empty, says why a VSA that was present could not
	// be decoded (wrong length, repeated, out of range, not decryptable):
	// the request fails with Error-Cause 404.
	Malformed string
}

// Present reports whether any mirroring VSA was given, usable or not.
func (r LIRequest) Present() bool {
	return r.HasAction || r.HasDevHandle || r.HasAnalyzer || r.HasPort || r.Malformed != ""
}

// DevHandle is a decoded ERX-Med-Dev-Handle.
type DevHandle struct {
	// MHV is the mirror header version from the top 2 bits (0 for the
	// 8-byte form, 1 for the 4-byte form as JunosE documents them).
	MHV uint8
	// MirrorID is the 30-bit Mirror-ID.
	MirrorID uint32
	// SessionID is set by the 8-byte form (HasSessionID); the 4-byte form
	// takes it from the Acct-Session-Id.
	SessionID    uint32
	HasSessionID bool
}

// ErrBadDevHandle reports an unusable ERX-Med-Dev-Handle.
var ErrBadDevHandle = errors.New("bad Mirror Identifier (Med-Dev-Handle)")

// ParseDevHandle decodes a Med-Dev-Handle: 4 or 8 raw octets (FreeRADIUS
// sends `octets`), or 8 or 16 hex digits optionally after "0x" (the JunosE
// documentation's form). An 8-byte value made only of hex digits is read
// as text.
func ParseDevHandle(v []byte) (DevHandle, error) {
	text := v
	if len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
		text = text[2:]
	}
	var raw [8]byte
	var b []byte
	switch {
	case (len(text) == 8 || len(text) == 16) && isHex(text):
		n, err := hex.Decode(raw[:], text)
		if err != nil {
			return DevHandle{}, fmt.Errorf("%w: %v", ErrBadDevHandle, err)
		}
		b = raw[:n]
	case len(v) == 4 || len(v) == 8:
		b = raw[:copy(raw[:], v)]
	default:
		return DevHandle{}, fmt.Errorf("%w: %d bytes", ErrBadDevHandle, len(v))
	}
	w := binary.BigEndian.Uint32(b[0:4])
	h := DevHandle{MHV: uint8(w >> 30), MirrorID: w & jmirror.MaxMirrorID}
	if len(b) == 8 {
		h.SessionID, h.HasSessionID = binary.BigEndian.Uint32(b[4:8]), true
	}
	return h, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// ErrorCause is an RFC 5176 Error-Cause value of a CoA-NAK.
type ErrorCause uint32

// Error-Cause values used by mirroring CoA answers.
const (
	CauseUnsupportedAttribute ErrorCause = 401
	CauseMissingAttribute     ErrorCause = 402
	CauseInvalidRequest       ErrorCause = 404
	CauseSessionNotFound      ErrorCause = 503
	CauseSessionNotRemovable  ErrorCause = 504
	CauseResourcesUnavailable ErrorCause = 506
)

// liError is a failed LI request with its Error-Cause.
type liError struct {
	cause ErrorCause
	mib   string // the MIB's error cause name
	msg   string
}

func (e *liError) Error() string { return e.mib + ": " + e.msg }

func liErr(cause ErrorCause, mib, format string, args ...any) error {
	return &liError{cause: cause, mib: mib, msg: fmt.Sprintf(format, args...)}
}

// CoAResult is the answer to a mirroring CoA-Request.
type CoAResult struct {
	// ACK is true for CoA-ACK; otherwise Cause is the NAK's Error-Cause.
	ACK   bool
	Cause ErrorCause
	// Err explains a NAK (for the secure log, never for the wire).
	Err error
}

// HandleCoA acts on the mirroring VSAs of a CoA-Request for the session
// identified by id (its trigger attributes: every one given must match
// the session, User-Name and Framed-IP-Address in id.VirtualRouter). from
// names the CoA client. LI-Action 1 creates or replaces the session's
// dynamic policy, 0 deletes it (the values given must match it), 2 does
// nothing. Session not found: NAK 503; no identifying attribute or a
// missing VSA: NAK 402; a bad VSA: NAK 404.
func (e *Engine) HandleCoA(id Identity, li LIRequest, from string) CoAResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	src := Source{Kind: SourceRADIUSCoA, Who: from}
	res := e.coaLocked(id, li, src)
	if !res.ACK {
		en := Entry{Time: e.now(), Event: EventRADIUSFailure, Source: src, Cause: res.Err.Error()}
		if k, ok := id.firstKey(); ok {
			en.TriggerType, en.Trigger = k.typ.MIBName(), k.value
		}
		e.log.add(en)
	}
	return res
}

// firstKey returns the session-identifying attribute of id that comes
// first in trigger precedence: the one a CoA-Request is logged under.
func (id *Identity) firstKey() (triggerKey, bool) {
	for t := TriggerType(0); t < numTriggerTypes; t++ {
		if k, ok := id.key(t); ok {
			return k, true
		}
	}
	return triggerKey{}, false
}

// keys returns the session-identifying attributes of id in trigger
// precedence order (User-Name and Framed-IP-Address with the virtual
// router: ERX-Virtual-Router-Name, else the default one).
func (id *Identity) keys() []triggerKey {
	var out []triggerKey
	for t := TriggerType(0); t < numTriggerTypes; t++ {
		if k, ok := id.key(t); ok {
			out = append(out, k)
		}
	}
	return out
}

// findSessionLocked returns the session that matches every one of keys
// (RFC 5176 section 3: all the identification attributes of a request
// must match the session), the one with the lowest key when several do.
func (e *Engine) findSessionLocked(keys []triggerKey) *session {
	var found *session
	for _, x := range e.sessions {
		if found != nil && found.key < x.key {
			continue
		}
		match := true
		for _, k := range keys {
			if xk, ok := x.id.key(k.typ); !ok || xk != k {
				match = false
				break
			}
		}
		if match {
			found = x
		}
	}
	return found
}

func nak(err error) CoAResult {
	var le *liError
	if errors.As(err, &le) {
		return CoAResult{Cause: le.cause, Err: err}
	}
	return CoAResult{Cause: CauseInvalidRequest, Err: err}
}

func (e *Engine) coaLocked(id Identity, li LIRequest, src Source) CoAResult {
	keys := id.keys()
	if len(keys) == 0 {
		return nak(liErr(CauseMissingAttribute, "missingOrInvalidAttribute", "no session-identifying attribute"))
	}
	s := e.findSessionLocked(keys)
	if s == nil {
		return nak(liErr(CauseSessionNotFound, "noSuchUserOrInterface", "session not found"))
	}
	if !li.Present() {
		return nak(liErr(CauseMissingAttribute, "missingOrInvalidAttribute", "no mirroring attribute"))
	}
	changed, err := e.applyLILocked(s, li, src)
	if err != nil {
		return nak(err)
	}
	if changed {
		why := "replaced by RADIUS"
		if li.Action == LIOff {
			why = "stopped by RADIUS"
		}
		e.reconcileLocked(why)
	}
	return CoAResult{ACK: true}
}

// validLI checks the VSA combination and builds the rule it asks for.
func validLI(li LIRequest) (Rule, *DevHandle, error) {
	if li.Malformed != "" {
		return Rule{}, nil, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "malformed attribute: %s", li.Malformed)
	}
	if !li.HasAction {
		return Rule{}, nil, liErr(CauseMissingAttribute, "missingOrInvalidAttribute", "LI-Action missing")
	}
	if li.Action > LINoop {
		return Rule{}, nil, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "LI-Action %d", li.Action)
	}
	if li.HasDevHandle != li.HasPort {
		return Rule{}, nil, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "Med-Dev-Handle and Med-Port-Number must be given together")
	}
	var r Rule
	var h *DevHandle
	if li.HasDevHandle {
		dh, err := ParseDevHandle(li.DevHandle)
		if err != nil {
			return Rule{}, nil, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "%v", err)
		}
		if li.Port == 0 {
			return Rule{}, nil, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "Med-Port-Number 0")
		}
		h = &dh
		r.Port, r.MirrorID, r.HasMirrorID = li.Port, dh.MirrorID, true
	}
	if li.HasAnalyzer {
		r.Analyzer = li.Analyzer
		if err := r.validate(); err != nil {
			return Rule{}, nil, liErr(CauseInvalidRequest, "invalidAnalyzerAddress", "Med-Ip-Address %v", li.Analyzer)
		}
	} else if li.Action == LIOn {
		return Rule{}, nil, liErr(CauseMissingAttribute, "missingOrInvalidAttribute", "Med-Ip-Address missing")
	}
	return r, h, nil
}

// applyLILocked applies a validated LI request to session s and reports
// whether anything changed.
func (e *Engine) applyLILocked(s *session, li LIRequest, src Source) (bool, error) {
	r, h, err := validLI(li)
	if err != nil {
		return false, err
	}
	switch li.Action {
	case LINoop:
		return false, nil
	case LIOff:
		p := s.radius
		if p == nil {
			return false, liErr(CauseInvalidRequest, "noSuchName", "no RADIUS mirroring in place")
		}
		if (li.HasAnalyzer && p.rule.Analyzer != r.Analyzer) || (li.HasPort && p.rule.Port != r.Port) ||
			(h != nil && (p.rule.MirrorID != h.MirrorID || h.HasSessionID != p.hasSID || (h.HasSessionID && h.SessionID != p.sid))) {
			return false, liErr(CauseInvalidRequest, "missingOrInvalidAttribute", "LI-Action off does not match the mirroring in place")
		}
		e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: src, Policy: p.name, TriggerType: "username", Trigger: s.id.Username,
			Cause: "LI-Action off: dynamic secure policy deleted"})
		delete(e.policies, p.name)
		delete(e.reach, p.name)
		s.radius = nil
		return true, nil
	}
	// LIOn: create or replace the dynamic policy.
	if s.radius != nil {
		delete(e.policies, s.radius.name)
		delete(e.reach, s.radius.name)
	}
	e.dynSeq++
	origin := OriginRADIUS
	if src.Kind == SourceRADIUSCoA {
		origin = OriginCoA
	}
	p := &policy{name: fmt.Sprintf("spl_%08x", 0x88000000|e.dynSeq&0x00ffffff), vr: s.id.vr(), origin: origin, rule: &r, owner: s.key}
	if h != nil && h.HasSessionID {
		p.sid, p.hasSID = h.SessionID, true
	}
	e.policies[p.name] = p
	s.radius = p
	s.overridden = [2]bool{} // newest configuration
	e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: src, Policy: p.name, TriggerType: "username", Trigger: s.id.Username,
		MirrorID: p.mirrorID(), Analyzer: analyzerText(r), Cause: "dynamic secure policy created"})
	return true, nil
}

func analyzerText(r Rule) string {
	if r.Port == 0 {
		return r.Analyzer.String()
	}
	return fmt.Sprintf("%v:%d", r.Analyzer, r.Port)
}
