package mirrorcli

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/mirror"
	"github.com/erxos/erx/services/linecard"
)

// interp is a minimal Interpreter: a tree plus exit for added modes.
type interp struct{ tree *command.Tree }

func (i *interp) Tree() *command.Tree { return i.tree }

func (i *interp) AddMode(m command.Mode) error {
	return i.tree.Register(&command.Command{Syntax: "exit", Modes: []command.Mode{m},
		Run: func(ctx *command.Context, _ *command.Request) error { ctx.EnterMode(command.Config, nil); return nil }})
}

type routes struct{}

func (routes) LookupRoute(vr string, dst netip.Addr) (mirror.Route, error) {
	return mirror.Route{Interface: "gigabitEthernet 2/0/2", Source: netip.MustParseAddr("192.0.2.1"), NextHop: dst}, nil
}

type dp struct{ *linecard.Engine }

func (dp) SetTap(string, linecard.Direction, *linecard.Tap) error { return nil }
func (dp) SendIPv4(string, []byte) error                          { return nil }
func (dp) Interface(name string) (linecard.InterfaceInfo, error) {
	return linecard.InterfaceInfo{Name: name, Index: 3}, nil
}

// neighbours registers ordinary commands that share first words with the
// mirroring ones, as the real CLI has.
func neighbours(t *testing.T, tr *command.Tree) {
	ok := func(*command.Context, *command.Request) error { return nil }
	for _, c := range []*command.Command{
		{Syntax: "show version", Modes: []command.Mode{command.Exec}, Help: command.Help{"show": "Display system information", "version": "Show version"}, Run: ok},
		{Syntax: "clear line vty <n:0-29>", Modes: []command.Mode{command.Exec}, Privilege: 15, Help: command.Help{"clear": "Reset functions", "line": "Line"}, Run: ok},
		{Syntax: "configure [terminal]", Modes: []command.Mode{command.Exec}, Privilege: 10, Run: func(ctx *command.Context, _ *command.Request) error {
			ctx.EnterMode(command.Config, nil)
			return nil
		}},
		{Syntax: "interface <if:interface>", Modes: []command.Mode{command.Config}, Privilege: 10, Run: func(ctx *command.Context, req *command.Request) error {
			ctx.EnterMode(command.ConfigIf, req.Interface("if"))
			return nil
		}},
		{Syntax: "ip address <a:A.B.C.D> <m:mask>", Modes: []command.Mode{command.ConfigIf, command.ConfigSubif}, Privilege: 10, Run: ok, No: ok},
		{Syntax: "ip route <p:A.B.C.D> <m:mask> <n:A.B.C.D>", Modes: []command.Mode{command.Config}, Privilege: 10, Run: ok, No: ok},
		{Syntax: "hostname <name:word>", Modes: []command.Mode{command.Config}, Privilege: 10, Run: ok},
	} {
		if err := tr.Register(c); err != nil {
			t.Fatal(err)
		}
	}
}

func setup(t *testing.T) (*command.Tree, *mirror.Engine) {
	t.Helper()
	lc, err := linecard.New(linecard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// A connected route to the analyzers' subnet: the engine shows an
	// analyzer whose next hop the line card cannot resolve unreachable.
	if err := lc.AddLoopback("loopback 9"); err != nil {
		t.Fatal(err)
	}
	if err := lc.AddAddress("loopback 9", netip.MustParsePrefix("192.0.2.1/24")); err != nil {
		t.Fatal(err)
	}
	e, err := mirror.New(mirror.Config{DataPlane: dp{lc}, Routes: routes{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	tr := command.NewTree()
	neighbours(t, tr)
	if err := Register(&interp{tr}, e); err != nil {
		t.Fatal(err)
	}
	return tr, e
}

func newCtx() (*command.Context, *bytes.Buffer) {
	var out bytes.Buffer
	return &command.Context{Out: &out, Level: 15, Mode: command.Exec, VR: "default", User: "admin"}, &out
}

func run(t *testing.T, tr *command.Tree, ctx *command.Context, line string) error {
	t.Helper()
	req, err := tr.Parse(ctx, line)
	if err != nil {
		return err
	}
	return tr.Execute(ctx, req)
}

// mirrorLines are every mirroring command line, with the mode it is typed in.
var mirrorLines = []struct {
	mode command.Mode
	line string
}{
	{command.Exec, "show secure policy-list"},
	{command.Exec, "show secure policy-list LI-1"},
	{command.Exec, "show mirror log"},
	{command.Exec, "clear mirror log"},
	{command.Config, "secure ip policy-list LI-1"},
	{command.Config, "no secure ip policy-list LI-1"},
	{command.Config, "mirror username u ip secure-policy-list LI-1"},
	{command.Config, "no mirror username u"},
	{command.Config, "mirror disable acct-session-id 1"},
	{command.Config, "no mirror disable acct-session-id 1"},
	{command.ConfigIf, "ip policy secure-input LI-1"},
	{command.ConfigIf, "ip policy secure-output LI-1"},
	{command.ConfigIf, "no ip policy secure-input"},
	{command.ConfigIf, "ip analyzer"},
	{command.ConfigIf, "no ip analyzer"},
	{command.ConfigIf, "ip analyzer default"},
	{command.ConfigIf, "no ip analyzer default"},
	{command.ConfigSubif, "ip policy secure-input LI-1"},
}

var secretWords = []string{"mirror", "secure", "analyzer", "policy-list", "spl_", "policy"}

// hideMirrorEnable drops the one mirroring line every session may see.
func hideMirrorEnable(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "mirror-enable") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func checkHidden(t *testing.T, tr *command.Tree, ctx *command.Context) {
	t.Helper()
	modes := []command.Mode{command.Exec, command.Config, command.ConfigIf, command.ConfigSubif}
	prefixes := []string{"", "m", "mi", "s", "se", "sh", "show ", "show m", "show s", "show se", "clear ", "clear m", "no ", "no m", "no s",
		"no ip ", "no ip p", "ip ", "ip p", "ip a", "ip policy ", "secure ", "secure ip ", "mirror ", "mirror u", "do show ", "no mirror-enable "}
	for _, m := range modes {
		ctx.EnterMode(m, command.InterfaceName{Type: "gigabitEthernet", Location: "2/0/0"})
		for _, p := range prefixes {
			h, _ := tr.Help(ctx, p)
			h = hideMirrorEnable(h)
			_, cands := tr.Complete(ctx, p)
			all := h + " " + hideMirrorEnable(strings.Join(cands, "\n"))
			for _, w := range secretWords {
				if strings.Contains(strings.ToLower(all), w) {
					t.Errorf("mode %s, %q: %q shows in help/completion:\n%s", m, p, w, all)
				}
			}
		}
	}
	// Every mirroring line fails exactly as the same line with its first
	// mirroring word replaced by a word that does not exist.
	for _, ml := range mirrorLines {
		ctx.EnterMode(ml.mode, command.InterfaceName{Type: "gigabitEthernet", Location: "2/0/0"})
		_, err := tr.Parse(ctx, ml.line)
		if err == nil {
			t.Errorf("%s: %q parses without mirror access", ml.mode, ml.line)
			continue
		}
		fake := ml.line
		for _, w := range []string{"secure-input", "secure-output", "secure", "mirror", "analyzer", "policy"} {
			if i := strings.Index(fake, w); i >= 0 {
				fake = fake[:i] + strings.Repeat("z", len(w)) + fake[i+len(w):]
				break
			}
		}
		_, ferr := tr.Parse(ctx, fake)
		pe, ok1 := err.(*command.ParseError)
		fe, ok2 := ferr.(*command.ParseError)
		if !ok1 || !ok2 || pe.Kind != fe.Kind || pe.Pos != fe.Pos {
			t.Errorf("%s: %q fails as %v, an unknown word as %v", ml.mode, ml.line, err, ferr)
		}
	}
	ctx.EnterMode(command.Exec, nil)
}

func TestSecrecy(t *testing.T) {
	tr, _ := setup(t)
	ctx, _ := newCtx()
	checkHidden(t, tr, ctx)

	// mirror-enable shows everything, for this session only.
	if err := run(t, tr, ctx, "mirror-enable"); err != nil {
		t.Fatal(err)
	}
	if !Visible(ctx) {
		t.Fatal("no access after mirror-enable")
	}
	for _, ml := range mirrorLines {
		ctx.EnterMode(ml.mode, command.InterfaceName{Type: "gigabitEthernet", Location: "2/0/0"})
		if _, err := tr.Parse(ctx, ml.line); err != nil {
			t.Errorf("%q with access: %v", ml.line, err)
		}
	}
	ctx.EnterMode(command.Exec, nil)
	if h, _ := tr.Help(ctx, "show "); !strings.Contains(h, "secure") || !strings.Contains(h, "mirror") {
		t.Errorf("help with access:\n%s", h)
	}
	other, _ := newCtx()
	checkHidden(t, tr, other)

	// no mirror-enable hides it again.
	if err := run(t, tr, ctx, "no mirror-enable"); err != nil {
		t.Fatal(err)
	}
	checkHidden(t, tr, ctx)

	// Below privilege 15, mirror-enable itself is not available.
	low, _ := newCtx()
	low.Level = 10
	if err := run(t, tr, low, "mirror-enable"); err == nil {
		t.Error("mirror-enable at level 10")
	}
}

func TestCommands(t *testing.T) {
	tr, e := setup(t)
	ctx, out := newCtx()
	steps := []struct {
		line string
		err  string
		mode command.Mode
	}{
		{"mirror-enable", "", command.Exec},
		{"configure terminal", "", command.Config},
		{"secure ip policy-list LI-1", "", PolicyListMode},
		{"mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16", "", PolicyListMode},
		{"mirror analyzer-ip-address 192.0.2.9 mirror-identifier 1073741824", "Invalid input", PolicyListMode},
		{"exit", "", command.Config},
		{"interface gigabitEthernet 2/0/2", "", command.ConfigIf},
		{"ip analyzer", "", command.ConfigIf},
		{"ip policy secure-input LI-1", "cannot be mirrored", command.ConfigIf},
		{"interface gigabitEthernet 2/0/0.100", "", command.ConfigIf},
		{"ip policy secure-input LI-1", "", command.ConfigIf},
		{"ip policy secure-output LI-1", "", command.ConfigIf},
		{"no ip policy secure-output", "", command.ConfigIf},
		{"mirror username sub1@erx.test ip secure-policy-list LI-1", "", command.Config},
		{"mirror ip-address 10.0.0.300 ip secure-policy-list LI-1", "invalid mirror trigger value", command.Config},
		{"mirror disable calling-station-id 00:11", "", command.Config},
		{"no secure ip policy-list LI-1", "in use", command.Config},
		{"no mirror username sub1@erx.test", "", command.Config},
		{"no mirror disable calling-station-id 00:11", "", command.Config},
		{"no mirror disable calling-station-id 00:11", "does not exist", command.Config},
	}
	for _, s := range steps {
		err := run(t, tr, ctx, s.line)
		if (s.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), s.err)) {
			t.Fatalf("%q: error %v, want %q", s.line, err, s.err)
		}
		if ctx.Mode != s.mode {
			t.Fatalf("%q: mode %s, want %s", s.line, ctx.Mode, s.mode)
		}
	}
	if n, ok := e.Attachment("gigabitEthernet 2/0/0.100", mirror.Input); !ok || n != "LI-1" {
		t.Errorf("attachment %q %v", n, ok)
	}
	ctx.EnterMode(command.Exec, nil)
	out.Reset()
	if err := run(t, tr, ctx, "show secure policy-list LI-1"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Secure policy list LI-1", "mirror-identifier 16", "gigabitEthernet 2/0/0.100 secure-input", "Mirror action: enabled"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show secure policy-list: missing %q:\n%s", want, out)
		}
	}
	if err := run(t, tr, ctx, "show secure policy-list NOPE"); err == nil {
		t.Error("show of a missing list")
	}
	out.Reset()
	if err := run(t, tr, ctx, "show mirror log"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"source cliStatic (admin)  : mirror-enable", "InterfaceSessionActivated", "mirror username sub1@erx.test ip secure-policy-list LI-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show mirror log: missing %q:\n%s", want, out)
		}
	}
	if err := run(t, tr, ctx, "clear mirror log"); err != nil {
		t.Fatal(err)
	}
	if len(e.Log()) != 0 {
		t.Error("log not cleared")
	}
	ctx.EnterMode(command.Config, nil)
	for _, l := range []string{"interface gigabitEthernet 2/0/0.100", "no ip policy secure-input", "no secure ip policy-list LI-1"} {
		if err := run(t, tr, ctx, l); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	}
	if ps, _ := e.Policies(""); len(ps) != 0 {
		t.Errorf("policies left: %+v", ps)
	}
}
