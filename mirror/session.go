package mirror

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// Session is a subscriber session as the mirroring engine sees it.
type Session struct {
	Identity
	// Interface is the data-plane interface carrying the session (its
	// dynamic interface); both directions are mirrored there.
	Interface string
}

// SessionEventType says what happened to a subscriber session.
type SessionEventType int

// Session events.
const (
	SessionLogin           SessionEventType = iota // authenticated; interface exists
	SessionAddressAssigned                         // Address now known (or changed)
	SessionLogout                                  // ended
)

// SessionEvent is one event from the subscriber/AAA side.
type SessionEvent struct {
	Type    SessionEventType
	Session Session
	// LI holds the mirroring VSAs of the Access-Accept at login (nil when none).
	LI *LIRequest
	// From names the RADIUS server that sent the Access-Accept.
	From string
	// Cause is why the session ended (Logout), e.g. "user-request".
	Cause string
}

// SessionSource delivers session events; the engine subscribes at Start.
type SessionSource interface {
	SubscribeSessions(func(SessionEvent)) (cancel func())
}

// session is a logged-in subscriber.
type session struct {
	key    string
	id     Identity
	ifname string
	radius *policy // RADIUS-created dynamic policy in force, or nil
	// overridden marks the directions where a manual `ip policy
	// secure-input|secure-output` removed the session's trigger or RADIUS
	// mirror: it does not come back when the manual policy is removed
	// (JunosE 11.0.2), only with newer trigger or RADIUS configuration
	// for the session or at its next login.
	overridden [2]bool // indexed by Direction

	match    *trigger // cached bestTriggerLocked result, valid while matchGen == trigGen+1
	matchGen uint64
}

// triggerLocked returns the trigger rule that applies to s, from a cache
// that trigger changes and identity changes invalidate.
func (e *Engine) triggerLocked(s *session) *trigger {
	if s.matchGen != e.trigGen+1 {
		s.match, s.matchGen = e.bestTriggerLocked(&s.id), e.trigGen+1
	}
	return s.match
}

func sessionKey(s *Session) string {
	if s.AcctSessionID != "" {
		return "a:" + s.AcctSessionID
	}
	return "i:" + s.Interface
}

// SessionIDFromAcct returns the Session-ID for a user mirror: the low 32
// bits of the Acct-Session-Id. An Acct-Session-Id made of decimal digits
// (erx's, JunosE's "decimal" format) is read as a decimal number, so the
// analyzer's SID is the session's number; one made of hex digits (or
// "0x" and hex digits) is read as a hex number; any other string
// contributes its last four bytes.
func SessionIDFromAcct(acct string) uint32 {
	if acct != "" && strings.Trim(acct, "0123456789") == "" {
		var v uint64
		for _, c := range acct {
			v = (v*10 + uint64(c-'0')) & 0xffffffff
		}
		return uint32(v)
	}
	s := strings.TrimPrefix(strings.TrimPrefix(acct, "0x"), "0X")
	if s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == "" {
		if len(s) > 8 {
			s = s[len(s)-8:]
		}
		var b [4]byte
		s = strings.Repeat("0", 8-len(s)) + s
		if _, err := hex.Decode(b[:], []byte(s)); err == nil {
			return binary.BigEndian.Uint32(b[:])
		}
	}
	var b [4]byte
	n := len(acct)
	copy(b[4-min(n, 4):], acct[n-min(n, 4):])
	return binary.BigEndian.Uint32(b[:])
}

// HandleSessionEvent consumes one session event: at login the trigger
// rules (or the Access-Accept's mirroring VSAs, which win) decide whether
// the session is mirrored from its first packet; at logout mirroring
// stops and a RADIUS-created policy is deleted.
func (e *Engine) HandleSessionEvent(ev SessionEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := sessionKey(&ev.Session)
	switch ev.Type {
	case SessionLogin:
		s := e.sessions[key]
		if s == nil {
			s = &session{key: key}
			e.sessions[key] = s
		}
		s.id, s.ifname, s.matchGen = ev.Session.Identity, ev.Session.Interface, 0
		// LI-Action off at login with nothing in place is a no-op, like the decoy.
		if ev.LI != nil && ev.LI.Present() && !(ev.LI.HasAction && ev.LI.Action == LIOff && s.radius == nil) {
			src := Source{Kind: SourceRADIUSLogin, Who: ev.From}
			if _, err := e.applyLILocked(s, *ev.LI, src); err != nil {
				e.log.add(Entry{Time: e.now(), Event: EventRADIUSFailure, Source: src, TriggerType: "username",
					Trigger: s.id.Username, Cause: err.Error()})
			}
		}
		e.reconcileLocked("")
	case SessionAddressAssigned:
		s := e.sessions[key]
		if s == nil {
			return
		}
		s.id.Address, s.matchGen = ev.Session.Address, 0
		e.reconcileLocked("trigger no longer matches")
	case SessionLogout:
		s := e.sessions[key]
		if s == nil {
			return
		}
		delete(e.sessions, key)
		cause := ev.Cause
		if cause == "" {
			cause = "user-request"
		}
		e.removeDynamicLocked(s, "session ended: "+cause)
		e.reconcileLocked(cause)
	}
}

// removeDynamicLocked deletes the session's RADIUS-created policy.
func (e *Engine) removeDynamicLocked(s *session, why string) {
	if s.radius == nil {
		return
	}
	e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: Source{Kind: SourceSystem}, Policy: s.radius.name,
		TriggerType: "username", Trigger: s.id.Username, Cause: "dynamic secure policy deleted: " + why})
	delete(e.policies, s.radius.name)
	delete(e.reach, s.radius.name)
	s.radius = nil
}

// Sessions returns the logged-in sessions the engine knows.
func (e *Engine) Sessions() []Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		out = append(out, Session{Identity: s.id, Interface: s.ifname})
	}
	return out
}
