package mirrorcli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/mirror"
)

// newInterp is a real interpreter with an interface command, the
// mirroring commands over e, and a fixed clock.
func newInterp(t *testing.T, e *mirror.Engine) *cli.Interpreter {
	t.Helper()
	return newInterpOptions(t, e, cli.Options{System: system{}, Committer: &committer{}, Now: func() time.Time { return time.Unix(0, 0) }})
}

// newInterpOptions is a real interpreter with options opts, an interface
// command and the mirroring commands over e.
func newInterpOptions(t *testing.T, e *mirror.Engine, opts cli.Options) *cli.Interpreter {
	t.Helper()
	in, err := cli.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = in.Tree().Register(&command.Command{Syntax: "interface <if:interface>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Run: func(ctx *command.Context, req *command.Request) error {
			ctx.EnterMode(command.ConfigIf, req.Interface("if"))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(in, e); err != nil {
		t.Fatal(err)
	}
	return in
}

// exec runs lines in s and returns the output; want says whether every
// line must succeed.
func exec(t *testing.T, s *cli.Session, lines string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := s.Exec(lines, &out)
	return out.String(), err
}

func mustExec(t *testing.T, s *cli.Session, lines string) string {
	t.Helper()
	out, err := exec(t, s, lines)
	if err != nil {
		t.Fatalf("%q: %v\n%s", lines, err, out)
	}
	return out
}

// TestShowConfiguration: with mirror-enable, show configuration (and its
// scoped forms) carries the static secure configuration where JunosE
// puts it; without it the output is byte for byte what it would be with
// no mirroring configured at all.
func TestShowConfiguration(t *testing.T) {
	_, e := setup(t)
	in := newInterp(t, e)
	in.Tree().SetVirtualRouters(func() []string { return []string{"vr1"} })
	op := in.NewSession(cli.SessionOptions{User: "li-operator", Privilege: 15})
	plainBefore := map[string]string{}
	scoped := []string{"show configuration", "show configuration interface gigabitEthernet 2/0/2",
		"show configuration interface gigabitEthernet 2/0/0", "show configuration category interfaces",
		"show configuration category routing", "show configuration virtual-router vr1", "show configuration virtual-router default"}
	admin := in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
	mustExec(t, admin, "configure terminal\nhostname lab1\nend")
	for _, c := range scoped {
		plainBefore[c] = mustExec(t, admin, c)
	}
	mustExec(t, op, strings.Join([]string{
		"mirror-enable", "configure terminal",
		"interface gigabitEthernet 2/0/2", "ip analyzer", "exit",
		"secure ip policy-list LI-1", "mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16", "exit",
		"secure ip policy-list LI-2", "exit",
		"interface gigabitEthernet 2/0/0.100", "ip policy secure-input LI-1", "ip policy secure-output LI-2", "exit",
		"mirror username sub1@erx.test ip secure-policy-list LI-1",
		"mirror calling-station-id 00:11:22 ip secure-policy-list LI-2",
		"mirror disable nas-port-id eth2",
		"end"}, "\n"))
	if err := e.AddTrigger("vr1", mirror.TriggerUsername, "sub2", "LI-1", false, mirror.CLI("li-operator")); err != nil {
		t.Fatal(err)
	}
	const head = "! Configuration script being generated on THU JAN 1 1970 00:00:00 UTC\n! \n!\n"
	const tail = "!\n! end of generated configuration script\n"
	want := map[string]string{
		"show configuration": head + "hostname lab1\n" +
			"secure ip policy-list LI-1\n mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\n" +
			"secure ip policy-list LI-2\n" +
			"interface gigabitEthernet 2/0/0.100\n ip policy secure-input LI-1\n ip policy secure-output LI-2\n" +
			"interface gigabitEthernet 2/0/2\n ip analyzer\n" +
			"mirror calling-station-id 00:11:22 ip secure-policy-list LI-2\n" +
			"mirror username sub1@erx.test ip secure-policy-list LI-1\n" +
			"mirror disable nas-port-id eth2\n" +
			"virtual-router vr1\nmirror username sub2 ip secure-policy-list LI-1\n" + tail,
		"show configuration interface gigabitEthernet 2/0/2": head + "interface gigabitEthernet 2/0/2\n ip analyzer\n" + tail,
		"show configuration interface gigabitEthernet 2/0/0": head + "interface gigabitEthernet 2/0/0.100\n ip policy secure-input LI-1\n ip policy secure-output LI-2\n" + tail,
		"show configuration category interfaces": head +
			"secure ip policy-list LI-1\n mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\n" +
			"secure ip policy-list LI-2\n" +
			"interface gigabitEthernet 2/0/0.100\n ip policy secure-input LI-1\n ip policy secure-output LI-2\n" +
			"interface gigabitEthernet 2/0/2\n ip analyzer\n" + tail,
		"show configuration category routing": head +
			"mirror calling-station-id 00:11:22 ip secure-policy-list LI-2\n" +
			"mirror username sub1@erx.test ip secure-policy-list LI-1\n" +
			"mirror disable nas-port-id eth2\n" +
			"virtual-router vr1\nmirror username sub2 ip secure-policy-list LI-1\n" + tail,
		"show configuration virtual-router vr1": head + "virtual-router vr1\nmirror username sub2 ip secure-policy-list LI-1\n" + tail,
		"show configuration virtual-router default": head +
			"secure ip policy-list LI-1\n mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\n" +
			"secure ip policy-list LI-2\n" +
			"mirror calling-station-id 00:11:22 ip secure-policy-list LI-2\n" +
			"mirror username sub1@erx.test ip secure-policy-list LI-1\n" +
			"mirror disable nas-port-id eth2\n" + tail,
	}
	for _, c := range scoped {
		if got := mustExec(t, op, c); got != want[c] {
			t.Errorf("%s with mirror-enable:\n%s\nwant:\n%s", c, got, want[c])
		}
		// Another session, and the operator after no mirror-enable, see
		// exactly what they saw before anything was configured.
		if got := mustExec(t, admin, c); got != plainBefore[c] {
			t.Errorf("%s without mirror-enable:\n%s\nwant (as before any mirroring):\n%s", c, got, plainBefore[c])
		}
	}
	mustExec(t, op, "no mirror-enable")
	for _, c := range scoped {
		if got := mustExec(t, op, c); got != plainBefore[c] {
			t.Errorf("%s after no mirror-enable:\n%s\nwant:\n%s", c, got, plainBefore[c])
		}
	}
	rc, err := in.RunningConfig()
	if err != nil {
		t.Fatal(err)
	}
	if string(rc) != "hostname lab1\nvirtual-router vr1\n" {
		t.Errorf("running configuration (committed) carries more than the ordinary lines:\n%s", rc)
	}
}

// refusedEntries returns the secure log's MirrorCommandRefused causes.
func refusedEntries(e *mirror.Engine) []string {
	var out []string
	for _, en := range e.Log() {
		if en.Event == mirror.EventCommandRefused {
			out = append(out, en.Source.Who+": "+en.Cause)
		}
	}
	return out
}

// TestRefusedCommands: a mirroring command typed without the right to use
// it is answered as an unknown command and written to the secure log;
// mirror-enable follows `privilege` re-mapping and the vty line's access
// class.
func TestRefusedCommands(t *testing.T) {
	_, e := setup(t)
	in := newInterp(t, e)
	s := in.NewSession(cli.SessionOptions{User: "ops", Privilege: 15, VTY: 0, Remote: "192.0.2.7"})
	hidden, err1 := exec(t, s, "show mirror log")
	unknown, err2 := exec(t, s, "show xyzzy log")
	if err1 == nil || err2 == nil || strings.ReplaceAll(hidden, "mirror", "xyzzy") != unknown {
		t.Errorf("hidden command answered %q, unknown word %q", hidden, unknown)
	}
	exec(t, s, "configure terminal\nsecure ip policy-list X")
	exec(t, s, "end")
	exec(t, s, "show secure policy-list | include LI")
	want := []string{"ops: refused without mirror-enable: show mirror log", "ops: refused without mirror-enable: secure ip policy-list X",
		"ops: refused without mirror-enable: show secure policy-list"}
	if got := refusedEntries(e); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("secure log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// privilege re-maps mirror-enable; a session below the level gets the
	// invalid-input error, as for a word that does not exist.
	mustExec(t, s, "configure terminal\nprivilege exec level 12 mirror-enable\nend")
	low := in.NewSession(cli.SessionOptions{User: "low", Privilege: 10})
	hidden, err1 = exec(t, low, "mirror-enable")
	unknown, err2 = exec(t, low, "xyzzyx-enable")
	if err1 == nil || err2 == nil || hidden != unknown || !strings.HasPrefix(hidden, "%") {
		t.Errorf("mirror-enable below its level: %q (%v), unknown word %q", hidden, err1, unknown)
	}
	if got := refusedEntries(e); len(got) != 4 || got[3] != "low: refused at privilege level 10 (needs 12): mirror-enable" {
		t.Errorf("secure log after a refused mirror-enable: %q", got)
	}
	mid := in.NewSession(cli.SessionOptions{User: "mid", Privilege: 12})
	mustExec(t, mid, "mirror-enable\nshow mirror log")

	// The line's access class: once it no longer admits the session's
	// address, mirror-enable is gone for that session (not for sessions on
	// other lines).
	mustExec(t, s, "mirror-enable\nno mirror-enable")
	mustExec(t, s, "configure terminal\naccess-list MIRROR-OPS permit host 192.0.2.99\nline vty 0\naccess-class MIRROR-OPS in\nend")
	hidden, err1 = exec(t, s, "mirror-enable")
	unknown, err2 = exec(t, s, "xyzzyx-enable")
	if err1 == nil || err2 == nil || hidden != unknown {
		t.Errorf("mirror-enable on a line whose access class refuses the session: %q (%v), unknown word %q", hidden, err1, unknown)
	}
	if got := refusedEntries(e); got[len(got)-1] != "ops: refused by the vty line's access class: mirror-enable" {
		t.Errorf("secure log after mirror-enable refused by the line: %q", got)
	}
	other := in.NewSession(cli.SessionOptions{User: "ops2", Privilege: 15, VTY: 1, Remote: "192.0.2.7"})
	mustExec(t, other, "mirror-enable")
	okLine := in.NewSession(cli.SessionOptions{User: "ops3", Privilege: 15, VTY: 0, Remote: "192.0.2.99"})
	mustExec(t, okLine, "mirror-enable\nshow mirror log")
	// A typo by a session with access is no refusal.
	n := len(refusedEntries(e))
	exec(t, okLine, "show mirror lg")
	if len(refusedEntries(e)) != n {
		t.Errorf("a typo was logged as a refused command: %q", refusedEntries(e))
	}
}
