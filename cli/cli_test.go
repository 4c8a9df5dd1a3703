package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeSystem struct {
	mu       sync.Mutex
	reloaded int
}

var testBoot = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
var testNow = testBoot.Add(373*24*time.Hour + 17*time.Hour + 22*time.Minute + 16*time.Second)

func (f *fakeSystem) Identity() Identity {
	return Identity{
		Product:     "erx Edge Routing Switch E320-QEMU",
		Copyright:   "Copyright (c) 2026 erx authors.  All rights reserved.",
		ReleaseFile: "erx_0-1-0.rel",
		Version:     "0.1.0 release-0.0",
		BuildID:     7,
		BuildTime:   time.Date(2026, 10, 16, 12, 14, 0, 0, time.UTC),
	}
}

func (f *fakeSystem) Slots() []Slot {
	return []Slot{
		{Number: 0, State: "online", Type: "SRP-320", Admin: "enabled", Release: "erx_0-1-0.rel", Uptime: 373*24*time.Hour + 17*time.Hour + 19*time.Minute + 28*time.Second},
		{Number: 1, Empty: true},
		{Number: 2, State: "online", Type: "GE-4", Admin: "enabled", Release: "erx_0-1-0.rel", Uptime: time.Hour},
	}
}

func (f *fakeSystem) BootTime() time.Time { return testBoot }

func (f *fakeSystem) Reload() error {
	f.mu.Lock()
	f.reloaded++
	f.mu.Unlock()
	return nil
}

type fakeCommitter struct {
	mu      sync.Mutex
	commits [][]byte
}

func (c *fakeCommitter) Commit(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits = append(c.commits, append([]byte(nil), b...))
	return nil
}

func (c *fakeCommitter) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.commits) == 0 {
		return ""
	}
	return string(c.commits[len(c.commits)-1])
}

func newTestInterp(t *testing.T) (*Interpreter, *fakeSystem, *fakeCommitter) {
	t.Helper()
	sys, com := &fakeSystem{}, &fakeCommitter{}
	in, err := New(Options{System: sys, Committer: com, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return in, sys, com
}

// transcript runs lines through an interactive-style session (no editor)
// and returns prompt+line+output for each, like a terminal would show.
func transcript(s *Session, lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		p := s.Prompt()
		b.WriteString(p + l + "\n")
		out, _ := s.run(l, len(p))
		b.WriteString(out)
	}
	b.WriteString(s.Prompt())
	return b.String()
}

func TestShowVersion(t *testing.T) {
	in, _, _ := newTestInterp(t)
	s := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	var out bytes.Buffer
	if err := s.Exec("show version", &out); err != nil {
		t.Fatal(err)
	}
	want := "erx Edge Routing Switch E320-QEMU\n" +
		"Copyright (c) 2026 erx authors.  All rights reserved.\n" +
		"System Release: erx_0-1-0.rel\n" +
		"\tVersion: 0.1.0 release-0.0 [BuildId 7]   (October 16, 2026  12:14)\n" +
		"System running for: 373 days, 17 hours, 22 minutes, 16 seconds\n" +
		"\t(since FRI NOV 20 2026 08:00:00 UTC)\n" +
		"\n" +
		"slot state   type    admin  spare running release   slot uptime  \n" +
		"---- ------ ------- ------- ----- --------------- ---------------\n" +
		"0    online SRP-320 enabled  ---  erx_0-1-0.rel   373d17h:19m:28s\n" +
		"1     ---     ---     ---    ---        ---             ---      \n" +
		"2    online GE-4    enabled  ---  erx_0-1-0.rel   0d01h:00m:00s  \n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s\n%q", out.String(), want, out.String())
	}
}

func (f *fakeSystem) Hardware() Hardware {
	return Hardware{Chassis: "E320-QEMU",
		Modules:  []Module{{Slot: 0, Type: "SRP-320", Serial: "Q0001", Assembly: "4500-0001", Rev: "A01", RAMMB: 2048}},
		Adapters: []Adapter{{Slot: 2, Adapter: 0, Type: "GE-4 IOA", Serial: "Q0002", Assembly: "4500-0002", Rev: "A01", MACs: 4}}}
}

func TestShowHardware(t *testing.T) {
	in, _, _ := newTestInterp(t)
	var out bytes.Buffer
	if err := in.NewSession(SessionOptions{Privilege: 15}).Exec("show hardware", &out); err != nil {
		t.Fatal(err)
	}
	want := "Chassis: E320-QEMU\n\n" +
		"slot  type   serial number assembly number assembly rev ram (MB)\n" +
		"---- ------- ------------- --------------- ------------ --------\n" +
		"0    SRP-320 Q0001         4500-0001       A01          2048    \n" +
		"\nAdapters\n\n" +
		"s/a   type   serial number assembly number assembly rev mac addresses\n" +
		"--- -------- ------------- --------------- ------------ -------------\n" +
		"2/0 GE-4 IOA Q0002         4500-0002       A01          4            \n"
	if out.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", out.String(), want)
	}
}
