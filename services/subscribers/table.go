package subscribers

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/services/access/subscriber"
)

// Type is the access protocol of a subscriber.
type Type int

// Subscriber types.
const (
	TypePPPoE Type = iota + 1 // PPP over Ethernet
	TypeIPoE                  // DHCP (IP subscriber)
)

// String names the type as `show subscribers` does.
func (t Type) String() string {
	switch t {
	case TypePPPoE:
		return "ppp"
	case TypeIPoE:
		return "ip"
	}
	return "unknown"
}

// State is where a session is in its life.
type State int

// Session states.
const (
	StateAuthenticating State = iota + 1 // discovery done, AAA running
	StateActive                          // address assigned, installed in the data plane
	StateTerminating                     // logout in progress
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateAuthenticating:
		return "authenticating"
	case StateActive:
		return "active"
	case StateTerminating:
		return "terminating"
	}
	return "unknown"
}

// Session is a snapshot of one subscriber session.
type Session struct {
	ID   uint64 // unique for the life of the process
	Type Type
	// Username is the full user name (domain included). For IPoE it is
	// the user name AAA used (the MAC address unless RADIUS said
	// otherwise).
	Username string
	// AccessInterface is the interface the subscriber arrived on
	// (physical or VLAN subinterface), VLAN its VLAN ID (0 untagged).
	AccessInterface string
	VLAN            uint16
	// Interface is the data-plane interface carrying the session, with
	// the session's own counters and mirror taps: the PPPoE subscriber
	// interface, or the IP subscriber interface of an IPoE session
	// (IPoEInterfaceName).
	Interface string
	// PPPoESessionID is the PPPoE SESSION_ID (PPPoE only).
	PPPoESessionID uint16
	MAC            [6]byte
	// CallingStationID, NASPortID and AcctSessionID are sent in every
	// RADIUS request of the session.
	CallingStationID string
	NASPortID        string
	AcctSessionID    string
	Address          netip.Addr
	VirtualRouter    string
	LoginTime        time.Time
	// CircuitID and RemoteID are the DHCP option 82 sub-options 1 and 2
	// (IPoE only).
	CircuitID, RemoteID []byte
	// Class holds the Class attributes of the Access-Accept, echoed in
	// accounting.
	Class [][]byte
	// AuthServer names the RADIUS server that accepted the subscriber
	// ("" for local or none).
	AuthServer string
	// InterimInterval is the accounting interim interval from RADIUS
	// (0: the configured one).
	InterimInterval time.Duration
	State           State
}

// Query selects sessions; zero fields match everything, set fields must
// all match.
type Query struct {
	AcctSessionID string
	Username      string
	Address       netip.Addr
	Interface     string // matches Interface or AccessInterface
	VirtualRouter string
}

func (q Query) match(s *Session) bool {
	switch {
	case q.AcctSessionID != "" && s.AcctSessionID != q.AcctSessionID,
		q.Username != "" && s.Username != q.Username,
		q.Address.IsValid() && s.Address != q.Address,
		q.Interface != "" && s.Interface != q.Interface && s.AccessInterface != q.Interface,
		q.VirtualRouter != "" && vrName(s.VirtualRouter) != vrName(q.VirtualRouter):
		return false
	}
	return true
}

func vrName(vr string) string {
	if vr == "" {
		return "default"
	}
	return vr
}

// Table is the subscriber session table. It is safe for concurrent use;
// readers get copies.
type Table struct {
	mu       sync.Mutex
	byID     map[uint64]*Session
	byAcct   map[string]uint64
	nextID   uint64
	acctNext *sessionIDs // issues Acct-Session-Ids (accounting.go)
}

// NewTable returns an empty table whose Acct-Session-Ids (JunosE's
// "decimal" format, ten digits) follow the wall clock from boot on, so
// they do not repeat across restarts (see sessionIDs).
func NewTable(boot time.Time) *Table { return newTable(boot, time.Now) }

// newTable is NewTable with the clock of the engine (Config.Clock).
func newTable(boot time.Time, now func() time.Time) *Table {
	return &Table{byID: map[uint64]*Session{}, byAcct: map[string]uint64{},
		acctNext: newSessionIDs(boot, now)}
}

// add inserts s, assigning its ID and Acct-Session-Id.
func (t *Table) add(s *Session) Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		t.nextID++
		id := t.acctNext.next()
		if _, dup := t.byAcct[id]; dup {
			continue
		}
		s.ID, s.AcctSessionID = t.nextID, id
		break
	}
	t.byID[s.ID] = s
	t.byAcct[s.AcctSessionID] = s.ID
	return *s
}

// update applies fn to session id under the table lock and returns the
// result; ok is false when the session is gone.
func (t *Table) update(id uint64, fn func(*Session)) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	if s == nil {
		return Session{}, false
	}
	fn(s)
	return *s, true
}

// remove deletes session id and returns its last state.
func (t *Table) remove(id uint64) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	if s == nil {
		return Session{}, false
	}
	delete(t.byID, id)
	delete(t.byAcct, s.AcctSessionID)
	return *s, true
}

// Get returns session id.
func (t *Table) Get(id uint64) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	if s == nil {
		return Session{}, false
	}
	return *s, true
}

// ByAcctSessionID returns the session with Acct-Session-Id id.
func (t *Table) ByAcctSessionID(id string) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.byAcct[id]; ok {
		return *t.byID[n], true
	}
	return Session{}, false
}

// Find returns the sessions matching q, in login order.
func (t *Table) Find(q Query) []Session {
	t.mu.Lock()
	out := make([]Session, 0, len(t.byID))
	for _, s := range t.byID {
		if q.match(s) {
			out = append(out, *s)
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Session) int { return int(a.ID - b.ID) })
	return out
}

// Len returns the number of sessions.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

// Counters are a session's traffic counters as accounting reports them:
// In is from the subscriber, Out toward it.
type Counters struct {
	InOctets, OutOctets, InPackets, OutPackets uint64
}

// EventType says what happened to a session.
type EventType int

// Session events, each published once per session, in this order.
const (
	EventLogin           EventType = iota + 1 // AAA accepted; the dynamic interface exists
	EventAddressAssigned                      // the address is known and routed
	EventLogout                               // the session ended and is gone from the data plane
)

// String names the event.
func (t EventType) String() string {
	switch t {
	case EventLogin:
		return "login"
	case EventAddressAssigned:
		return "address-assigned"
	case EventLogout:
		return "logout"
	}
	return "unknown"
}

// Event is one session event. Session is a snapshot taken when the event
// was published.
type Event struct {
	Type    EventType
	Session Session
	// Mirror holds the lawful-intercept VSAs of the Access-Accept (Login
	// only; nil when none).
	Mirror *radius.Mirror
	// Cause and Counters are set on Logout: why it ended and the final
	// counters.
	Cause    subscriber.Cause
	Counters Counters
}

// Option82 re-encodes the relay agent information the session arrived
// with (sub-options 1 Agent-Circuit-ID and 2 Agent-Remote-ID, RFC 3046),
// or nil when there was none.
func (s Session) Option82() []byte {
	var b []byte
	for i, v := range [][]byte{s.CircuitID, s.RemoteID} {
		if len(v) > 0 && len(v) <= 255 {
			b = append(append(b, byte(i+1), byte(len(v))), v...)
		}
	}
	return b
}
