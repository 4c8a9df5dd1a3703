package command

import (
	"fmt"
	"strings"
	"testing"
)

func testTree(t *testing.T) *Tree {
	t.Helper()
	tr := NewTree()
	tr.KeywordHelp("show", "Display system information")
	tr.KeywordHelp("ip", "Configure IP parameters")
	echo := func(ctx *Context, req *Request) error {
		var keys []string
		for _, k := range []string{"prefix", "mask", "nexthop", "distance", "if", "name", "text", "secret", "level", "hash"} {
			if req.Has(k) {
				keys = append(keys, fmt.Sprintf("%s=%v", k, req.Value(k)))
			}
		}
		fmt.Fprintf(ctx.Out, "%s form=%d %s\n", req.Command.Syntax, req.Form, strings.Join(keys, " "))
		return nil
	}
	for _, c := range []*Command{
		{Syntax: "show version", Modes: []Mode{Exec}, Privilege: 1, Help: Help{"version": "Display version"}, Run: echo},
		{Syntax: "show vrf", Modes: []Mode{Exec}, Privilege: 1, Help: Help{"vrf": "Display VRFs"}, Run: echo},
		{Syntax: "show configuration", Modes: []Mode{Exec}, Privilege: 10, Help: Help{"configuration": "Display config"}, Run: echo},
		{Syntax: "show secret", Modes: []Mode{Exec}, Privilege: 1, Visible: func(ctx *Context) bool { return ctx.Value("mirror") != nil }, Run: echo},
		{Syntax: "configure [terminal]", Modes: []Mode{Exec}, Privilege: 10, Run: func(ctx *Context, req *Request) error {
			ctx.EnterMode(Config, nil)
			return nil
		}},
		{Syntax: "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>]", Modes: []Mode{Config}, Privilege: 10,
			Help: Help{"route": "Establish static routes", "prefix": "Destination prefix", "mask": "Destination mask", "nexthop": "Next hop", "distance": "Distance"},
			Run:  echo, NoSyntax: "ip route <prefix:A.B.C.D> <mask:mask> [<nexthop:A.B.C.D>]", No: echo},
		{Syntax: "interface <if:interface>", Modes: []Mode{Config}, Privilege: 10, Help: Help{"interface": "Select an interface"},
			Run: func(ctx *Context, req *Request) error {
				m := ConfigIf
				if req.Interface("if").IsSubinterface() {
					m = ConfigSubif
				}
				ctx.EnterMode(m, req.Interface("if"))
				return echo(ctx, req)
			}},
		{Syntax: "ip address <addr:A.B.C.D> <mask:mask>", Modes: []Mode{ConfigIf, ConfigSubif}, Privilege: 10, Run: echo, No: echo, NoSyntax: "ip address"},
		{Syntax: "hostname <name:word>", Modes: []Mode{Config}, Privilege: 10, Run: echo},
		{Syntax: "banner motd <text:line>", Modes: []Mode{Config}, Privilege: 10, Run: echo},
		{Syntax: "enable secret [level <level:0-15>] {<secret:word>|5 <hash:word>}", Modes: []Mode{Config}, Privilege: 15, Run: echo},
	} {
		if err := tr.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	tr.Redirect(Config, "do", "Run an Exec command", Exec)
	tr.Redirect(ConfigIf, "do", "Run an Exec command", Exec)
	return tr
}

func run(tr *Tree, ctx *Context, line string) string {
	req, err := tr.Parse(ctx, line)
	if err != nil {
		return err.(*ParseError).Render(0)
	}
	if req == nil {
		return ""
	}
	var b strings.Builder
	ctx.Out = &b
	if err := tr.Execute(ctx, req); err != nil {
		return "error " + err.Error()
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tr := testTree(t)
	for _, tc := range []struct {
		mode  Mode
		level int
		line  string
		want  string
	}{
		{Exec, 15, "show version", "show version form=0 \n"},
		{Exec, 15, "sh ver", "show version form=0 \n"},
		{Exec, 15, "SH VER", "show version form=0 \n"},
		{Exec, 15, "sh v", "% Ambiguous command\n"},
		{Exec, 15, "show", "% Incomplete command.\n"},
		{Exec, 15, "show bogus", "     ^\n% Invalid input detected at '^' marker.\n"},
		{Exec, 15, "show version extra", "             ^\n% Invalid input detected at '^' marker.\n"},
		{Exec, 15, "bogus", "% Unrecognized command\n"},
		{Exec, 15, "", ""},
		{Exec, 15, "! comment", ""},
		{Exec, 1, "show configuration", "     ^\n% Invalid input detected at '^' marker.\n"},
		{Exec, 1, "configure", "% Unrecognized command\n"},
		{Exec, 1, "show c", "     ^\n% Invalid input detected at '^' marker.\n"},
		{Exec, 15, "show secret", "     ^\n% Invalid input detected at '^' marker.\n"},
		{Config, 15, "ip route 10.0.0.0 255.0.0.0 192.0.2.1", "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>] form=0 prefix=10.0.0.0 mask=255.0.0.0 nexthop=192.0.2.1\n"},
		{Config, 15, "ip ro 10.0.0.0 255.0.0.0 192.0.2.1 200", "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>] form=0 prefix=10.0.0.0 mask=255.0.0.0 nexthop=192.0.2.1 distance=200\n"},
		{Config, 15, "ip route 10.0.0.0 255.0.0.0 192.0.2.1 256", "                                      ^\n% Invalid input detected at '^' marker.\n"},
		{Config, 15, "ip route 10.0.0.0 255.0.255.0 192.0.2.1", "                  ^\n% Invalid input detected at '^' marker.\n"},
		{Config, 15, "no ip route 10.0.0.0 255.0.0.0", "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>] form=1 prefix=10.0.0.0 mask=255.0.0.0\n"},
		{Config, 15, "default ip route 10.0.0.0 255.0.0.0", "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>] form=2 prefix=10.0.0.0 mask=255.0.0.0\n"},
		{Config, 15, "int gi 2/0/1", "interface <if:interface> form=0 if=gigabitEthernet 2/0/1\n"},
		{Config, 15, "interface fastEthernet 4/0.3", "interface <if:interface> form=0 if=fastEthernet 4/0.3\n"},
		{Config, 15, "interface loopback 0", "interface <if:interface> form=0 if=loopback 0\n"},
		{Config, 15, "interface gigabitEthernet 2/x", "                          ^\n% Invalid input detected at '^' marker.\n"},
		{Config, 15, "hostname ip", "hostname <name:word> form=0 name=ip\n"},
		{Config, 15, "hostname \"a b\"", "hostname <name:word> form=0 name=a b\n"},
		{Config, 15, "banner motd Hello | there  ", "banner motd <text:line> form=0 text=Hello | there\n"},
		{Config, 15, "enable secret 5 $2a$xyz", "enable secret [level <level:0-15>] {<secret:word>|5 <hash:word>} form=0 hash=$2a$xyz\n"},
		{Config, 15, "enable secret 6", "enable secret [level <level:0-15>] {<secret:word>|5 <hash:word>} form=0 secret=6\n"},
		{Config, 15, "enable secret lev", "enable secret [level <level:0-15>] {<secret:word>|5 <hash:word>} form=0 secret=lev\n"},
		{Config, 10, "enable secret x", "% Unrecognized command\n"},
		{Config, 15, "do show version", "show version form=0 \n"},
		{Config, 15, "do", "% Incomplete command.\n"},
		{ConfigIf, 15, "ip address 192.0.2.1 255.255.255.0", "ip address <addr:A.B.C.D> <mask:mask> form=0 mask=255.255.255.0\n"},
		{ConfigIf, 15, "no ip address", "ip address <addr:A.B.C.D> <mask:mask> form=1 \n"},
		{ConfigIf, 15, "hostname r1", "hostname <name:word> form=0 name=r1\n"},
	} {
		ctx := &Context{Level: tc.level, Mode: tc.mode}
		if got := run(tr, ctx, tc.line); got != tc.want {
			t.Errorf("%s@%d %q:\n got %q\nwant %q", tc.mode, tc.level, tc.line, got, tc.want)
		}
	}
}

func TestFallbackChangesMode(t *testing.T) {
	tr := testTree(t)
	ctx := &Context{Level: 15, Mode: ConfigIf}
	run(tr, ctx, "interface atm 5/0.1")
	if ctx.Mode != ConfigSubif || ctx.ModeValue.(InterfaceName).String() != "atm 5/0.1" {
		t.Errorf("mode %s value %v", ctx.Mode, ctx.ModeValue)
	}
	run(tr, ctx, "hostname r1")
	if ctx.Mode != Config {
		t.Errorf("after global command in sub-mode: mode %s", ctx.Mode)
	}
}

func TestHelp(t *testing.T) {
	tr := testTree(t)
	for _, tc := range []struct {
		mode  Mode
		level int
		line  string
		want  string
	}{
		{Exec, 1, "", "  show  Display system information\n"},
		{Exec, 15, "", "  configure\n  show       Display system information\n"},
		{Exec, 1, "show ", "  version  Display version\n  vrf      Display VRFs\n"},
		{Exec, 15, "show ", "  configuration  Display config\n  version        Display version\n  vrf            Display VRFs\n"},
		{Exec, 15, "show v", "version  vrf\n"},
		{Exec, 15, "sh", "show\n"},
		{Exec, 15, "show version ", "  <cr>\n"},
		{Exec, 15, "configure ", "  terminal\n  <cr>\n"},
		{Config, 15, "ip route ", "  A.B.C.D  Destination prefix\n"},
		{Config, 15, "ip route 1.0.0.0 255.0.0.0 1.1.1.1 ", "  <1-255>  Distance\n  <cr>\n"},
		{Config, 15, "ip route 1", "A.B.C.D\n"},
		{Config, 15, "interface g", "gigabitEthernet\n"},
		{Config, 15, "interface gigabitEthernet ", "  S/A/P[.N]  Slot/adapter/port[.subinterface]\n"},
		{Config, 15, "banner motd hi ", "  LINE  Text to end of line\n  <cr>\n"},
		{Exec, 15, "show bogus ", "     ^\n% Invalid input detected at '^' marker.\n"},
		{Config, 15, "do show v", "version  vrf\n"},
	} {
		ctx := &Context{Level: tc.level, Mode: tc.mode}
		got, err := tr.Help(ctx, tc.line)
		if err != nil {
			got = err.(*ParseError).Render(0)
		}
		if got != tc.want {
			t.Errorf("%s@%d %q:\n got %q\nwant %q", tc.mode, tc.level, tc.line, got, tc.want)
		}
	}
}

func TestComplete(t *testing.T) {
	tr := testTree(t)
	for _, tc := range []struct {
		level      int
		line, want string
		cands      int
	}{
		{15, "sh", "show ", 1},
		{15, "show ver", "show version ", 1},
		{15, "show v", "show v", 2},
		{15, "show c", "show configuration ", 1},
		{1, "show c", "show c", 0},
		{15, "show ", "show ", 0},
		{15, "xyz", "xyz", 0},
	} {
		ctx := &Context{Level: tc.level, Mode: Exec}
		got, c := tr.Complete(ctx, tc.line)
		if got != tc.want || len(c) != tc.cands {
			t.Errorf("%q: got %q %v, want %q (%d candidates)", tc.line, got, c, tc.want, tc.cands)
		}
	}
}

func TestRegisterErrors(t *testing.T) {
	tr := testTree(t)
	nop := func(*Context, *Request) error { return nil }
	for _, c := range []*Command{
		{Syntax: "show version", Modes: []Mode{Exec}, Run: nop},
		{Syntax: "show [", Modes: []Mode{Exec}, Run: nop},
		{Syntax: "show <x:nosuchtype>", Modes: []Mode{Exec}, Run: nop},
		{Syntax: "show x", Modes: []Mode{Exec}},
		{Syntax: "show x", Run: nop},
		{Syntax: "[x]", Modes: []Mode{Exec}, Run: nop},
		{Syntax: "show x", Modes: []Mode{Exec}, Run: nop, Privilege: 16},
	} {
		if err := tr.Register(c); err == nil {
			t.Errorf("%q registered, want error", c.Syntax)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"show version", "ip route 1.2.3.4 255.0.0.0 1.1.1.1 5", "int gi 2/0/1.5", "\"unterminated", "do sh v", "banner motd x | y", "no ip"} {
		f.Add(s)
	}
	tr := NewTree()
	nop := func(*Context, *Request) error { return nil }
	for _, c := range []*Command{
		{Syntax: "show version", Modes: []Mode{Exec}, Run: nop},
		{Syntax: "ip route <p:A.B.C.D> <m:mask> <n:A.B.C.D> [<d:1-255>]", Modes: []Mode{Config}, Run: nop, No: nop},
		{Syntax: "interface <if:interface>", Modes: []Mode{Config}, Run: nop},
		{Syntax: "banner motd <t:line>", Modes: []Mode{Config}, Run: nop},
		{Syntax: "key <k:hex> [<p:A.B.C.D/N>] {a|b|<w:word>}", Modes: []Mode{Config}, Run: nop},
	} {
		if err := tr.Register(c); err != nil {
			f.Fatal(err)
		}
	}
	tr.Redirect(Config, "do", "", Exec)
	f.Fuzz(func(t *testing.T, line string) {
		for _, m := range []Mode{Exec, Config, ConfigIf} {
			ctx := &Context{Level: 15, Mode: m}
			tr.Parse(ctx, line)
			tr.Help(ctx, line)
			tr.Complete(ctx, line)
		}
	})
}

func FuzzSyntax(f *testing.F) {
	for _, s := range []string{"a [b {c|<d:1-5>}] <e:line>", "{", "[a|b]", "<x:interface> [y]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr := NewTree()
		tr.Register(&Command{Syntax: s, Modes: []Mode{Config}, Run: func(*Context, *Request) error { return nil }})
	})
}
