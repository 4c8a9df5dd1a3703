package mirror

import (
	"bytes"
	"io/fs"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/linecard"
)

// fakeDP is a data plane that records taps; deliveries come from a real
// (portless) linecard engine.
type fakeDP struct {
	lc *linecard.Engine

	mu      sync.Mutex
	taps    map[tapKey]*linecard.Tap
	missing map[string]bool // interfaces that do not exist
	index   map[string]uint32
	info    map[string]linecard.InterfaceInfo // kind, virtual router, addresses
	arps    []linecard.ARPEntry
	arpGets int // ARPEntries calls
}

// fakeLoopback is the interface of the fake's line card whose connected
// routes (1.0.0.0/1, 128.0.0.0/1) resolve every analyzer next hop but its
// own addresses (unresolvedNextHop), so deliveries resolve.
const fakeLoopback = "loopback 99"

// unresolvedNextHop is a next hop the fake's line card cannot resolve (a
// local address).
var unresolvedNextHop = netip.MustParseAddr("128.0.0.1")

func newFakeDP(t *testing.T) *fakeDP {
	lc, err := linecard.New(linecard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.AddLoopback(fakeLoopback); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"1.0.0.1/1", "128.0.0.1/1"} {
		if err := lc.AddAddress(fakeLoopback, netip.MustParsePrefix(a)); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeDP{lc: lc, taps: map[tapKey]*linecard.Tap{}, missing: map[string]bool{}, index: map[string]uint32{},
		info: map[string]linecard.InterfaceInfo{}}
}

func (f *fakeDP) NewDelivery(vr string, enc linecard.CopyEncoder) (*linecard.Delivery, error) {
	return f.lc.NewDelivery(linecard.DefaultVirtualRouter, enc)
}

func (f *fakeDP) SetTap(ifname string, dir linecard.Direction, t *linecard.Tap) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.missing[ifname] {
		return linecard.ErrNoSuchInterface
	}
	if t == nil {
		delete(f.taps, tapKey{ifname, dir})
	} else {
		f.taps[tapKey{ifname, dir}] = t
	}
	return nil
}

func (f *fakeDP) Interface(name string) (linecard.InterfaceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.missing[name] {
		return linecard.InterfaceInfo{}, linecard.ErrNoSuchInterface
	}
	info := f.info[name]
	info.Name, info.Index = name, f.index[name]
	return info, nil
}

// ARPEntries implements Neighbors.
func (f *fakeDP) ARPEntries(vr string) ([]linecard.ARPEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arpGets++
	var out []linecard.ARPEntry
	for _, a := range f.arps {
		if vrOrDefault(f.info[a.Interface].VirtualRouter) == vrOrDefault(vr) {
			out = append(out, a)
		}
	}
	return out, nil
}

// setInterface describes an interface (kind, virtual router, addresses).
func (f *fakeDP) setInterface(info linecard.InterfaceInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info[info.Name] = info
}

// setUp sets an interface's administrative and link state.
func (f *fakeDP) setUp(name string, adminUp, linkUp bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info := f.info[name]
	info.AdminUp, info.LinkUp = adminUp, linkUp
	f.info[name] = info
}

func (f *fakeDP) tap(ifname string, dir Direction) *linecard.Tap {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.taps[tapKey{ifname, dir}]
}

func (f *fakeDP) numTaps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.taps)
}

// fakeRoutes is a route table with a change callback.
type fakeRoutes struct {
	mu      sync.Mutex
	routes  map[netip.Addr]Route
	watcher func()
}

func (r *fakeRoutes) LookupRoute(vr string, dst netip.Addr) (Route, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rt, ok := r.routes[dst]; ok {
		return rt, nil
	}
	return Route{}, ErrNoRoute
}

func (r *fakeRoutes) WatchRoutes(f func()) func() {
	r.mu.Lock()
	r.watcher = f
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.watcher = nil
		r.mu.Unlock()
	}
}

func (r *fakeRoutes) set(dst netip.Addr, rt *Route) {
	r.mu.Lock()
	if rt == nil {
		delete(r.routes, dst)
	} else {
		r.routes[dst] = *rt
	}
	w := r.watcher
	r.mu.Unlock()
	if w != nil {
		w()
	}
}

// memStore is an in-memory Store.
type memStore struct {
	mu    sync.Mutex
	files map[string][]byte
	fail  error
}

func (m *memStore) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (m *memStore) WriteFile(name string, data []byte, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = append([]byte(nil), data...)
	return nil
}

var (
	analyzerIP = netip.MustParseAddr("192.0.2.9")
	analyzerRT = Route{Interface: "gigabitEthernet 2/0/2", Source: netip.MustParseAddr("192.0.2.1"), NextHop: netip.MustParseAddr("192.0.2.9")}
	admin      = CLI("admin")
)

type rig struct {
	t      *testing.T
	e      *Engine
	dp     *fakeDP
	routes *fakeRoutes
	store  *memStore
}

func newRig(t *testing.T, store *memStore) *rig {
	t.Helper()
	if store == nil {
		store = &memStore{}
	}
	r := &rig{t: t, dp: newFakeDP(t), routes: &fakeRoutes{routes: map[netip.Addr]Route{analyzerIP: analyzerRT}}, store: store}
	e, err := New(Config{DataPlane: r.dp, Routes: r.routes, Store: store, MaxTriggers: 0,
		Clock: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	if err := e.Load(); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return r
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// setupLI1 configures the spec's worked example: analyzer interface and
// policy LI-1 with Mirror-ID 16.
func (r *rig) setupLI1() {
	r.t.Helper()
	r.must(r.e.SetAnalyzerInterface("gigabitEthernet 2/0/2", true, admin))
	r.must(r.e.CreatePolicy("default", "LI-1", admin))
	r.must(r.e.SetRule("LI-1", Rule{Analyzer: analyzerIP, Port: 30030, MirrorID: 16, HasMirrorID: true}, admin))
}

func (r *rig) show(name string) string {
	r.t.Helper()
	var b bytes.Buffer
	r.must(r.e.WritePolicies(&b, name))
	return b.String()
}

func (r *rig) logText() string {
	var b bytes.Buffer
	r.must(r.e.WriteLog(&b))
	return b.String()
}

func (r *rig) hasEvent(ev Event, policy string) bool {
	for _, en := range r.e.Log() {
		if en.Event == ev && (policy == "" || en.Policy == policy) {
			return true
		}
	}
	return false
}

func contains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("missing %q in:\n%s", sub, s)
		}
	}
}
