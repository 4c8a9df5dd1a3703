package cli

import (
	"strings"
	"testing"

	"github.com/erxos/erx/cli/command"
)

type mirrorKey struct{}

// TestHiddenCommands registers commands the way the mirroring feature
// will: a command that grants access for the session, and commands that
// are invisible until then.
func TestHiddenCommands(t *testing.T) {
	in, _, _ := newTestInterp(t)
	tr := in.Tree()
	hasMirror := func(ctx *command.Context) bool { return ctx.Value(mirrorKey{}) != nil }
	for _, c := range []*command.Command{
		{Syntax: "mirror-enable", Modes: []command.Mode{command.Exec}, Privilege: 15,
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.SetValue(mirrorKey{}, true)
				return nil
			}},
		{Syntax: "show mirror rules", Modes: []command.Mode{command.Exec}, Privilege: 15, Visible: hasMirror,
			Help: command.Help{"mirror": "Display mirroring state", "rules": "Display rules"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.Out.Write([]byte("no rules\n"))
				return nil
			}},
	} {
		if err := tr.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	s := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	before := transcript(s, "show mirror rules")
	if want := "host1#show mirror rules\n           ^\n% Invalid input detected at '^' marker.\nhost1#"; before != want {
		t.Errorf("before: %q", before)
	}
	if h := s.help("show "); strings.Contains(h, "mirror") {
		t.Errorf("hidden command in help:\n%s", h)
	}
	if l, c := in.Tree().Complete(s.Context(), "show mi"); l != "show mi" || len(c) != 0 {
		t.Errorf("hidden command completes: %q %v", l, c)
	}
	after := transcript(s, "mirror-enable", "sh mi r")
	if want := "host1#mirror-enable\nhost1#sh mi r\nno rules\nhost1#"; after != want {
		t.Errorf("after: %q", after)
	}
	// Another session still cannot see it.
	other := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	if h := other.help("show "); strings.Contains(h, "mirror") {
		t.Errorf("other session sees hidden command")
	}
}

func TestTabCompletionInSession(t *testing.T) {
	in, _, _ := newTestInterp(t)
	out := runInteractive(in, 15, "sh\tver\t\r")
	if !strings.Contains(out, "host1#show version \x1b[K\r\nerx Edge Routing Switch") {
		t.Errorf("completion:\n%q", out)
	}
}

func TestExecHelpLevels(t *testing.T) {
	in, _, _ := newTestInterp(t)
	s := in.NewSession(SessionOptions{User: "u", Privilege: 1})
	want := "" +
		"  disable   Turn off privileged commands\n" +
		"  enable    Turn on privileged commands\n" +
		"  exit      Exit from the EXEC\n" +
		"  logout    Exit from the EXEC\n" +
		"  show      Display system information\n" +
		"  terminal  Set terminal line parameters\n"
	if got := s.help(""); got != want {
		t.Errorf("level 1 help:\n%s\nwant:\n%s", got, want)
	}
	s = in.NewSession(SessionOptions{User: "u", Privilege: 15})
	s.run("configure terminal", 0)
	got := s.help("")
	for _, w := range []string{"  do ", "  end ", "  exit ", "  hostname ", "  no ", "  run ", "  service "} {
		if !strings.Contains(got, w) {
			t.Errorf("config help lacks %q:\n%s", w, got)
		}
	}
	if got := s.help("do show v"); got != "version\n" {
		t.Errorf("do show v?: %q", got)
	}
	if got := s.help("show version | "); !strings.Contains(got, "include") {
		t.Errorf("filter help: %q", got)
	}
	if got := s.help("do show foo "); got != strings.Repeat(" ", 22)+"^\n% Invalid input detected at '^' marker.\n" {
		t.Errorf("bad help: %q", got)
	}
}

func TestAddMode(t *testing.T) {
	in, _, _ := newTestInterp(t)
	const mode command.Mode = "config-mirror"
	if err := in.AddMode(mode); err != nil {
		t.Fatal(err)
	}
	if err := in.AddMode(mode); err == nil {
		t.Error("second AddMode succeeded")
	}
	if err := in.AddMode(command.ConfigIf); err != nil {
		t.Errorf("built-in mode: %v", err)
	}
	err := in.Tree().Register(&command.Command{Syntax: "mirror policy <name:word>", Modes: []command.Mode{command.Config}, Privilege: 15,
		Run: func(ctx *command.Context, _ *command.Request) error {
			ctx.EnterMode(mode, nil)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "configure terminal", "mirror policy p", "do show privilege", "exit", "mirror policy p", "end")
	want := "host1#configure terminal\nhost1(config)#mirror policy p\nhost1(config-mirror)#do show privilege\nCurrent privilege level is 15\n" +
		"host1(config-mirror)#exit\nhost1(config)#mirror policy p\nhost1(config-mirror)#end\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
