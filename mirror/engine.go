package mirror

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/erxos/erx/services/linecard"
)

// DataPlane is what the engine needs from the data plane;
// *linecard.Engine implements it.
type DataPlane interface {
	// NewDelivery returns an analyzer delivery in a virtual router: the
	// data-plane workers build every copy with enc and send it to the
	// delivery's next hop (Delivery.SetNextHop) themselves.
	NewDelivery(vr string, enc linecard.CopyEncoder) (*linecard.Delivery, error)
	// SetTap attaches (or with nil detaches) a mirror tap.
	SetTap(ifname string, dir linecard.Direction, t *linecard.Tap) error
	// Interface describes an interface (its index is the Session-ID of
	// interface mirroring).
	Interface(name string) (linecard.InterfaceInfo, error)
}

// AnalyzerPorts is implemented by a data plane that enforces analyzer
// mode on an interface (receive side dropped, never learns ARP).
type AnalyzerPorts interface {
	SetAnalyzer(ifname string, on bool) error
}

// Store is the secure store; *flash.Dir implements it. The engine writes
// one file, Config.StoreFile.
type Store interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte, perm fs.FileMode) error
}

// Config configures an Engine.
type Config struct {
	// DataPlane is required.
	DataPlane DataPlane
	// Routes resolves the route to an analyzer; required.
	Routes Routes
	// Store keeps the static secure configuration; nil keeps it in memory only.
	Store Store
	// StoreFile is the file name in Store (default "secure/mirror.json").
	StoreFile string
	// Sessions, if set, is subscribed to at Start.
	Sessions SessionSource
	// LogSize bounds the secure mirror log (default 1000).
	LogSize int
	// MaxTriggers bounds the trigger rules (default 100).
	MaxTriggers int
	// Clock stamps secure log entries (default time.Now).
	Clock func() time.Time
}

// Defaults.
const (
	DefaultStoreFile   = "secure/mirror.json"
	DefaultLogSize     = 1000
	DefaultMaxTriggers = 100
	// MaxPolicyName is the longest secure policy list name (the MIB's limit).
	MaxPolicyName = 40
)

// Errors. CLI handlers print them after "% ".
var (
	ErrNoSuchPolicy       = errors.New("secure policy list does not exist")
	ErrPolicyInUse        = errors.New("secure policy list is in use")
	ErrBadPolicyName      = errors.New("invalid secure policy list name")
	ErrTooManyTriggers    = errors.New("maximum number of mirror trigger rules reached")
	ErrNoSuchTrigger      = errors.New("mirror trigger rule does not exist")
	ErrBadTrigger         = errors.New("invalid mirror trigger value")
	ErrAnalyzerMirrored   = errors.New("an analyzer interface cannot be mirrored")
	ErrMirroredAnalyzer   = errors.New("interface has secure policies attached and cannot be an analyzer")
	ErrNoSuchAttachment   = errors.New("no secure policy attached")
	ErrBadMirrorID        = errors.New("mirror identifier out of range")
	ErrBadAnalyzer        = errors.New("invalid analyzer address")
	ErrNotAnalyzerCapable = errors.New("SRP, null and loopback interfaces cannot be analyzers")
)

// Engine is the mirroring engine. All methods are safe for concurrent use.
type Engine struct {
	cfg Config
	dp  DataPlane

	mu          sync.Mutex
	started     bool
	policies    map[string]*policy
	attachments map[tapKey]string // static `ip policy secure-*`: interface direction → policy
	analyzerIfs map[string]bool   // interfaces in analyzer mode
	triggers    map[triggerKey]*trigger
	sessions    map[string]*session
	dynSeq      uint32
	trigGen     uint64 // bumped on every trigger change; invalidates sessions' cached matches

	bindings  map[bindingKey]binding    // mirrors in force (target bound to policy)
	reach     map[string]reachability   // last analyzer state per policy
	taps      map[tapKey]tapState       // taps attached in the data plane
	analyzers map[analyzerKey]*analyzer // running analyzer deliveries
	tapErr    map[tapKey]string         // last SetTap error, to log once
	cancelSub func()

	log *secureLog

	// defaultAnalyzers are the analyzer interfaces that are their
	// virtual router's default analyzer (`ip analyzer default`); nil
	// until one is set.
	defaultAnalyzers map[string]bool
}

// New returns an engine. Call Load to restore the secure store, then
// Start.
func New(cfg Config) (*Engine, error) {
	if cfg.DataPlane == nil || cfg.Routes == nil {
		return nil, errors.New("mirror: data plane and routes are required")
	}
	if cfg.StoreFile == "" {
		cfg.StoreFile = DefaultStoreFile
	}
	if cfg.LogSize <= 0 {
		cfg.LogSize = DefaultLogSize
	}
	if cfg.MaxTriggers <= 0 {
		cfg.MaxTriggers = DefaultMaxTriggers
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Engine{
		cfg: cfg, dp: cfg.DataPlane,
		policies:    map[string]*policy{},
		attachments: map[tapKey]string{},
		analyzerIfs: map[string]bool{},
		triggers:    map[triggerKey]*trigger{},
		sessions:    map[string]*session{},
		bindings:    map[bindingKey]binding{},
		reach:       map[string]reachability{},
		taps:        map[tapKey]tapState{},
		analyzers:   map[analyzerKey]*analyzer{},
		tapErr:      map[tapKey]string{},
		log:         newSecureLog(cfg.LogSize),
	}, nil
}

// Start attaches the taps the configuration asks for, starts the analyzer
// goroutines and subscribes to session events and route changes.
func (e *Engine) Start() error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("mirror: already started")
	}
	e.started = true
	e.reconcileLocked("")
	e.mu.Unlock()
	var cancels []func()
	if w, ok := e.cfg.Routes.(RouteWatcher); ok {
		cancels = append(cancels, w.WatchRoutes(e.RoutesChanged))
	}
	if e.cfg.Sessions != nil {
		cancels = append(cancels, e.cfg.Sessions.SubscribeSessions(e.HandleSessionEvent))
	}
	e.mu.Lock()
	e.cancelSub = func() {
		for _, c := range cancels {
			c()
		}
	}
	e.mu.Unlock()
	return nil
}

// Stop detaches every tap, stops the analyzer goroutines and unsubscribes.
// Configuration stays; Start resumes.
func (e *Engine) Stop() {
	e.mu.Lock()
	cancel := e.cancelSub
	e.cancelSub = nil
	e.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		return
	}
	e.started = false
	e.reconcileLocked("router shutdown")
}

// now returns the engine clock's time.
func (e *Engine) now() time.Time { return e.cfg.Clock() }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("mirror: %s: %w", op, err)
}
