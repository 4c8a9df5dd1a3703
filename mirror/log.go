package mirror

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Event is a secure mirror log event, named after the
// Juniper-PACKET-MIRROR-MIB notifications, plus configuration changes.
type Event int

// Secure log events.
const (
	EventConfig Event = iota
	EventRADIUSFailure
	EventCLITriggerFailure
	EventInterfaceDeleted
	EventAnalyzerUnreachable
	EventAnalyzerReachable
	EventSessionStart
	EventSessionEnd
	EventInterfaceActivated
	EventInterfaceDeactivated
	EventSessionReject
	EventSessionFailed
	EventCommandRefused
)

var eventNames = [...]string{"Configured", "RadiusBasedMirroringFailure", "CliTriggerBasedMirroringFailure",
	"InterfaceDeleted", "AnalyzerUnreachable", "AnalyzerReachable", "SessionStart", "SessionEnd",
	"InterfaceSessionActivated", "InterfaceSessionDeactivated", "SessionReject", "SessionFailed", "MirrorCommandRefused"}

// String returns the event's name.
func (e Event) String() string {
	if e < 0 || int(e) >= len(eventNames) {
		return "Unknown"
	}
	return eventNames[e]
}

// Entry is one secure mirror log entry.
type Entry struct {
	Time         time.Time
	Event        Event
	Source       Source
	TriggerType  string // MIB trigger type, e.g. "username"
	Trigger      string // trigger value or interface
	MirrorID     uint32
	SessionID    uint32
	HasSessionID bool
	Policy       string
	Direction    string
	Analyzer     string
	Cause        string // error cause, termination reason or the change made
	// Count is how many times the same refused command was typed by the
	// same user (EventCommandRefused only; Time is the latest, First the
	// earliest). 0 and 1 both mean once.
	Count int
	First time.Time
}

// maxRefusals bounds the refused-command entries, kept apart from the
// main ring.
const maxRefusals = 32

// refusalKey identifies repeats of one refused command.
type refusalKey struct {
	source Source
	cause  string
}

// secureLog is the bounded, volatile secure mirror log. Refused commands
// (which any CLI user can cause at will) live in their own small ring,
// repeats collapsed into one entry with a count, so they can never evict
// the audit trail of the main ring.
type secureLog struct {
	mu       sync.Mutex
	entries  []Entry // ring
	next     int
	full     bool
	refusals []Entry // oldest (by latest repeat) first, at most maxRefusals
}

func newSecureLog(n int) *secureLog { return &secureLog{entries: make([]Entry, n)} }

// refuse records a refused command: a repeat of one already kept (same
// source and text) updates its count and time and becomes the newest;
// a new one evicts the oldest refusal when the ring is full.
func (l *secureLog) refuse(e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := refusalKey{e.Source, e.Cause}
	for i, r := range l.refusals {
		if (refusalKey{r.Source, r.Cause}) == k {
			r.Count = max(r.Count, 1) + 1
			r.Time = e.Time
			l.refusals = append(append(l.refusals[:i:i], l.refusals[i+1:]...), r)
			return
		}
	}
	e.Count, e.First = 1, e.Time
	if len(l.refusals) >= maxRefusals {
		l.refusals = append(l.refusals[:0:0], l.refusals[1:]...)
	}
	l.refusals = append(l.refusals, e)
}

func (l *secureLog) add(e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries[l.next] = e
	l.next++
	if l.next == len(l.entries) {
		l.next, l.full = 0, true
	}
}

// snapshot returns both rings merged, oldest first (refusals by their
// latest repeat).
func (l *secureLog) snapshot() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	if !l.full {
		out = append(out, l.entries[:l.next]...)
	} else {
		out = append(append(out, l.entries[l.next:]...), l.entries[:l.next]...)
	}
	if len(l.refusals) == 0 {
		return out
	}
	out = append(out, l.refusals...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func (l *secureLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.entries)
	l.next, l.full = 0, false
	l.refusals = nil
}

// logConfig records a configuration change.
func (e *Engine) logConfig(who Source, what, policy string) {
	e.log.add(Entry{Time: e.now(), Event: EventConfig, Source: who, Policy: policy, Cause: what})
}

// Log returns the secure mirror log, oldest first.
func (e *Engine) Log() []Entry { return e.log.snapshot() }

// ClearLog empties the secure mirror log (`clear mirror log`).
func (e *Engine) ClearLog() { e.log.clear() }

// WriteLog prints the secure mirror log as `show mirror log` does: one
// line per entry, oldest first.
func (e *Engine) WriteLog(w io.Writer) error {
	entries := e.log.snapshot()
	if len(entries) == 0 {
		_, err := io.WriteString(w, "Secure mirror log is empty\n")
		return err
	}
	var b strings.Builder
	for _, en := range entries {
		b.Reset()
		b.WriteString(en.Time.UTC().Format("Mon Jan 02 2006 15:04:05 UTC"))
		b.WriteString("  " + en.Event.String())
		src := en.Source.Kind.String()
		if en.Source.Who != "" {
			src += " (" + en.Source.Who + ")"
		}
		b.WriteString("  source " + src)
		if en.TriggerType != "" || en.Trigger != "" {
			fmt.Fprintf(&b, "  trigger %s %s", en.TriggerType, en.Trigger)
		}
		if en.MirrorID != 0 || en.Event == EventSessionStart || en.Event == EventInterfaceActivated {
			fmt.Fprintf(&b, "  mirror-id %d", en.MirrorID)
		}
		if en.HasSessionID {
			fmt.Fprintf(&b, "  session-id 0x%08x", en.SessionID)
		}
		if en.Policy != "" {
			b.WriteString("  policy " + en.Policy)
		}
		if en.Direction != "" {
			b.WriteString("  direction " + en.Direction)
		}
		if en.Analyzer != "" {
			b.WriteString("  analyzer " + en.Analyzer)
		}
		if en.Cause != "" {
			b.WriteString("  : " + en.Cause)
		}
		if en.Count > 1 {
			fmt.Fprintf(&b, "  (%d times since %s)", en.Count, en.First.UTC().Format("Mon Jan 02 2006 15:04:05 UTC"))
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// LogAccess records `mirror-enable` (on) and `no mirror-enable` (off).
func (e *Engine) LogAccess(who Source, on bool) {
	what := "mirror-enable"
	if !on {
		what = "no mirror-enable"
	}
	e.logConfig(who, what, "")
}

// LogRefused records a mirroring command a CLI session typed but could
// not use (no mirror access, or mirror-enable itself above its privilege
// or refused on its line); the session was answered as for any unknown
// command. Refusals are kept apart from the other entries, at most
// maxRefusals of them, and the same user typing the same line again
// only raises the entry's count: refusals can never push configuration
// and session events out of the log.
func (e *Engine) LogRefused(who Source, line, reason string) {
	e.log.refuse(Entry{Time: e.now(), Event: EventCommandRefused, Source: who, Cause: reason + ": " + line})
}
