package mirror

import (
	"fmt"
	"io"
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
}

// secureLog is the bounded, volatile secure mirror log.
type secureLog struct {
	mu      sync.Mutex
	entries []Entry // ring
	next    int
	full    bool
}

func newSecureLog(n int) *secureLog { return &secureLog{entries: make([]Entry, n)} }

func (l *secureLog) add(e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries[l.next] = e
	l.next++
	if l.next == len(l.entries) {
		l.next, l.full = 0, true
	}
}

func (l *secureLog) snapshot() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		return append([]Entry(nil), l.entries[:l.next]...)
	}
	return append(append([]Entry(nil), l.entries[l.next:]...), l.entries[:l.next]...)
}

func (l *secureLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.entries)
	l.next, l.full = 0, false
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
// command.
func (e *Engine) LogRefused(who Source, line, reason string) {
	e.log.add(Entry{Time: e.now(), Event: EventCommandRefused, Source: who, Cause: reason + ": " + line})
}
