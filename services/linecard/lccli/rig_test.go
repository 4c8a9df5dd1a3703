package lccli

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port/memport"
	"github.com/erxos/erx/services/mgmt"
)

type fakeSystem struct{}

func (fakeSystem) Identity() cli.Identity {
	return cli.Identity{Product: "erx test", Copyright: "Copyright (c) 2026 erx authors.  All rights reserved."}
}
func (fakeSystem) Slots() []cli.Slot   { return nil }
func (fakeSystem) BootTime() time.Time { return time.Time{} }
func (fakeSystem) Reload() error       { return nil }

// fakeMgmt stands in for the management port: Set's configuration shows
// in State as if the kernel applied it at once.
type fakeMgmt struct {
	mu   sync.Mutex
	sets []mgmt.Config
}

func (f *fakeMgmt) Set(cfg mgmt.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, cfg)
}

func (f *fakeMgmt) State() mgmt.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg := testManagement.Config()
	if len(f.sets) > 0 {
		cfg = f.sets[len(f.sets)-1]
	}
	if cfg.DHCP {
		return mgmt.State{NIC: cfg.NIC, Mode: mgmt.ModeDHCP, Up: true, Address: netip.MustParsePrefix("198.51.100.7/24")}
	}
	return mgmt.State{NIC: cfg.NIC, Mode: mgmt.ModeStatic, Up: true, Address: cfg.Address, Gateway: cfg.Gateway}
}

// fakeProber answers probes from a script keyed by destination.
type fakeProber struct {
	mu     sync.Mutex
	probes []Probe
	answer func(p Probe) (Answer, error)
}

func (f *fakeProber) Probe(ctx context.Context, p Probe) (Answer, error) {
	f.mu.Lock()
	f.probes = append(f.probes, p)
	ans := f.answer
	f.mu.Unlock()
	if ans == nil {
		return Answer{}, ErrNoAnswer
	}
	return ans(p)
}

type testMgmt board.Management

func (m testMgmt) Config() mgmt.Config {
	return mgmt.Config{NIC: m.NIC, DHCP: m.DHCP, Address: m.Address, Gateway: m.Gateway}
}

var testManagement = testMgmt{Port: "fastEthernet 6/0/0", Display: "FastEthernet6/0/0", NIC: "mgmt0", DHCP: true,
	MAC: []byte{0x02, 0x00, 0x00, 0x00, 0x06, 0x00}}

var testPorts = []board.Port{
	{Name: "gigabitEthernet 2/0/0", Display: "GigabitEthernet2/0/0", Slot: 2, Adapter: 0, Port: 0},
	{Name: "gigabitEthernet 2/0/1", Display: "GigabitEthernet2/0/1", Slot: 2, Adapter: 0, Port: 1},
	{Name: "gigabitEthernet 3/0/0", Display: "GigabitEthernet3/0/0", Slot: 3, Adapter: 0, Port: 0},
}

// testClock is the fixed time of every rig.
var testClock = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// rig is a real interpreter with the package's commands over a real
// engine whose ports are in-memory links.
type rig struct {
	in     *cli.Interpreter
	eng    *linecard.Engine
	mgmt   *fakeMgmt
	prober *fakeProber
	peers  []*memport.Port
}

func newRig(t testing.TB) *rig { return buildRig(t, nil) }

// buildRig makes a rig; with a PuntProber the engine punts to it, it
// answers ping and traceroute, and the engine runs.
func buildRig(t testing.TB, live *PuntProber) *rig {
	t.Helper()
	r := &rig{mgmt: &fakeMgmt{}, prober: &fakeProber{}}
	var pcs []linecard.PortConfig
	for i, p := range testPorts {
		a, b := memport.Pair("dp"+string(rune('0'+i)), [6]byte{0x02, 0, 0, 0, byte(p.Slot), byte(p.Port)},
			"peer"+string(rune('0'+i)), [6]byte{0x02, 0xee, 0, 0, byte(p.Slot), byte(p.Port)})
		pcs = append(pcs, linecard.PortConfig{Port: a, Interface: p.Name})
		r.peers = append(r.peers, b)
	}
	cfg := linecard.Config{Clock: func() time.Time { return testClock }}
	var prober Prober = r.prober
	if live != nil {
		cfg.Control, cfg.Clock, prober = live, nil, live
	}
	eng, err := linecard.New(cfg, pcs...)
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	if live != nil {
		live.Attach(eng)
		if err := eng.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(eng.Stop)
	}
	in, err := cli.New(cli.Options{System: fakeSystem{}, Now: func() time.Time { return testClock }})
	if err != nil {
		t.Fatal(err)
	}
	r.in = in
	err = Register(in.Tree(), Deps{Engine: eng, Ports: testPorts, Management: board.Management(testManagement),
		Mgmt: r.mgmt, Prober: prober, Clock: func() time.Time { return testClock.Add(3 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) session() *cli.Session {
	return r.in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
}

// transcript runs lines in s and returns what a terminal would show:
// prompt, line, output, ending with the final prompt.
func transcript(s *cli.Session, lines ...string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(s.Prompt() + l + "\n")
		s.Exec(l, &b)
	}
	b.WriteString(s.Prompt())
	return b.String()
}

func (r *rig) config(t testing.TB) string {
	t.Helper()
	cfg, err := r.in.RunningConfig()
	if err != nil {
		t.Fatal(err)
	}
	return string(cfg)
}

// configure runs configuration lines and fails the test on any error.
func (r *rig) configure(t testing.TB, lines ...string) {
	t.Helper()
	s := r.session()
	var out bytes.Buffer
	for _, l := range append([]string{"configure terminal"}, lines...) {
		if err := s.Exec(l, &out); err != nil {
			t.Fatalf("%q: %v\n%s", l, err, out.String())
		}
	}
	if out.Len() != 0 {
		t.Fatalf("configuration printed output:\n%s", out.String())
	}
}
