package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/cli/command"
)

// registerInterfaces adds a small interface feature the way other packages
// will: a sub-mode command, a sub-mode command, and a config section.
func registerInterfaces(t testing.TB, in *Interpreter) {
	t.Helper()
	addrs := map[string]string{}
	var order []string
	tr := in.Tree()
	err := tr.Register(&command.Command{
		Syntax: "interface <if:interface>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Help: command.Help{"interface": "Select an interface to configure"},
		Run: func(ctx *command.Context, req *command.Request) error {
			n := req.Interface("if")
			if _, ok := addrs[n.String()]; !ok {
				addrs[n.String()] = ""
				order = append(order, n.String())
			}
			m := command.ConfigIf
			if n.IsSubinterface() {
				m = command.ConfigSubif
			}
			ctx.EnterMode(m, n)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Register(&command.Command{
		Syntax: "ip address <addr:A.B.C.D> <mask:mask>", Modes: []command.Mode{command.ConfigIf, command.ConfigSubif}, Privilege: 10,
		Help: command.Help{"address": "Set the IP address of an interface"},
		Run: func(ctx *command.Context, req *command.Request) error {
			addrs[ctx.ModeValue.(command.InterfaceName).String()] = req.Addr("addr").String() + " " + req.Addr("mask").String()
			return nil
		},
		NoSyntax: "ip address",
		No: func(ctx *command.Context, req *command.Request) error {
			addrs[ctx.ModeValue.(command.InterfaceName).String()] = ""
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Register(&command.Command{
		Syntax: "virtual-router <name:word>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Run: func(ctx *command.Context, req *command.Request) error {
			ctx.VR = req.String("name")
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.AddConfig(command.ConfigSection{Order: command.OrderInterfaces, Name: "interfaces", Write: func(w io.Writer) error {
		for _, n := range order {
			fmt.Fprintf(w, "interface %s\n", n)
			if a := addrs[n]; a != "" {
				fmt.Fprintf(w, " ip address %s\n", a)
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTranscripts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		priv  int
		lines []string
		want  string
	}{
		{"user exec and enable", 5, []string{"show version | include Release", "enable", "enable 5", "disable"},
			"host1>show version | include Release\nSystem Release: erx_0-1-0.rel\n" +
				"host1>enable\n% No password set\n" +
				"host1>enable 5\n" +
				"host1#disable\nhost1>"},
		{"privileged hidden", 1, []string{"configure terminal", "show configuration", "sh ver extra"},
			"host1>configure terminal\n% Unrecognized command\n" +
				"host1>show configuration\n           ^\n% Invalid input detected at '^' marker.\n" +
				"host1>sh ver extra\n             ^\n% Invalid input detected at '^' marker.\n" +
				"host1>"},
		{"modes and prompts", 15, []string{"conf t", "interface gigabitEthernet 2/0/1", "ip address 10.0.0.1 255.255.255.0",
			"interface gigabitEthernet 2/0/1.5", "exit", "interface fastEthernet 4/0", "end", "configure", "hostname r1", "virtual-router vr1", "exit", "exit"},
			"host1#conf t\n" +
				"host1(config)#interface gigabitEthernet 2/0/1\n" +
				"host1(config-if)#ip address 10.0.0.1 255.255.255.0\n" +
				"host1(config-if)#interface gigabitEthernet 2/0/1.5\n" +
				"host1(config-subif)#exit\n" +
				"host1(config)#interface fastEthernet 4/0\n" +
				"host1(config-if)#end\n" +
				"host1#configure\n" +
				"host1(config)#hostname r1\n" +
				"r1(config)#virtual-router vr1\n" +
				"r1:vr1(config)#exit\n" +
				"r1:vr1#exit\n" +
				"r1:vr1#"},
		{"do and run", 15, []string{"configure terminal", "do show version | include Release", "run show history", "do configure"},
			"host1#configure terminal\n" +
				"host1(config)#do show version | include Release\nSystem Release: erx_0-1-0.rel\n" +
				"host1(config)#run show history\n" +
				"host1(config)#do configure\n" +
				"host1(config)#"},
		{"errors", 15, []string{"sh", "e", "show", "configure terminal", "ip address 1.1.1.1 255.0.0.0", "hostname bad!name", "no hostname"},
			"host1#sh\n% Incomplete command.\n" +
				"host1#e\n% Ambiguous command\n" +
				"host1#show\n% Incomplete command.\n" +
				"host1#configure terminal\n" +
				"host1(config)#ip address 1.1.1.1 255.0.0.0\n% Unrecognized command\n" +
				"host1(config)#hostname bad!name\n% invalid host name \"bad!name\"\n" +
				"host1(config)#no hostname\n" +
				"host1(config)#"},
		{"filters", 15, []string{"show version | count", "show version | frob x", "show version | include ("},
			"host1#show version | count\nCount: 12 lines\n" +
				"host1#show version | frob x\n% Invalid input detected at '^' marker.\n" +
				"host1#show version | include (\n% Invalid regular expression: error parsing regexp: missing closing ): `(`\n" +
				"host1#"},
	} {
		in, _, _ := newTestInterp(t)
		registerInterfaces(t, in)
		s := in.NewSession(SessionOptions{User: "u", Privilege: tc.priv})
		if got := transcript(s, tc.lines...); got != tc.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}

func TestCommitAndShowConfiguration(t *testing.T) {
	in, _, com := newTestInterp(t)
	registerInterfaces(t, in)
	s := in.NewSession(SessionOptions{User: "u", Privilege: 15})
	transcript(s, "configure terminal", "hostname r1", "interface gigabitEthernet 2/0/1", "ip address 10.0.0.1 255.255.255.0", "end")
	want := "hostname r1\ninterface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\n"
	if got := com.last(); got != want {
		t.Errorf("committed %q want %q", got, want)
	}
	var out bytes.Buffer
	s.Exec("show configuration", &out)
	wantShow := "! Configuration script being generated on MON NOV 29 2027 01:22:16 UTC\n" +
		"! Copyright (c) 2026 erx authors.  All rights reserved.\n!\n" + want + "!\n! end of generated configuration script\n"
	if out.String() != wantShow {
		t.Errorf("show configuration:\n%q\nwant\n%q", out.String(), wantShow)
	}
	out.Reset()
	s.Exec("show running-configuration | include ^hostname", &out)
	if out.String() != "hostname r1\n" {
		t.Errorf("alias: %q", out.String())
	}

	// Manual commit: changes are not written until write memory.
	n := len(com.commits)
	transcript(s, "configure terminal", "service manual-commit", "hostname r2", "end")
	if len(com.commits) != n+1 { // only the service command itself committed
		t.Errorf("commits in manual mode: %d, want %d", len(com.commits), n+1)
	}
	transcript(s, "write memory")
	if !strings.Contains(com.last(), "hostname r2\nservice manual-commit\n") {
		t.Errorf("write memory committed %q", com.last())
	}
}

func TestReplay(t *testing.T) {
	in, _, com := newTestInterp(t)
	registerInterfaces(t, in)
	cfg := "! saved\nhostname r9\ninterface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\nbogus line\n" +
		"interface gigabitEthernet 2/0/2\nip address 10.0.1.1 255.255.255.0\nexit\nip address 1.1.1.1 255.0.0.0\n" +
		"end\nhostname r10\r\n" + strings.Repeat("x", maxReplayLine+10) + "\n"
	var fails []string
	err := in.Replay(strings.NewReader(cfg), func(n int, line string, err error) {
		fails = append(fails, fmt.Sprintf("%d:%v", n, err))
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFails := []string{"5:% Unrecognized command", "9:% Unrecognized command", "12:line longer than 65536 bytes"}
	if strings.Join(fails, "|") != strings.Join(wantFails, "|") {
		t.Errorf("failures %q want %q", fails, wantFails)
	}
	got, _ := in.RunningConfig()
	want := "hostname r10\ninterface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\ninterface gigabitEthernet 2/0/2\n ip address 10.0.1.1 255.255.255.0\n"
	if string(got) != want {
		t.Errorf("running config %q want %q", got, want)
	}
	if len(com.commits) != 0 {
		t.Errorf("replay committed %d times", len(com.commits))
	}
	// Round trip: replaying the running config into a fresh interpreter
	// gives the same running config.
	in2, _, _ := newTestInterp(t)
	registerInterfaces(t, in2)
	if err := in2.Replay(bytes.NewReader(got), func(n int, l string, err error) { t.Errorf("round trip line %d %q: %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
	if got2, _ := in2.RunningConfig(); string(got2) != string(got) {
		t.Errorf("round trip %q != %q", got2, got)
	}
}

func runInteractive(in *Interpreter, priv int, input string) string {
	var out bytes.Buffer
	s := in.NewSession(SessionOptions{User: "u", Privilege: priv, VTY: 3})
	s.Run(struct {
		io.Reader
		io.Writer
	}{strings.NewReader(input), &out})
	return out.String()
}

func TestInteractiveRun(t *testing.T) {
	in, sys, _ := newTestInterp(t)
	in.opts.Banner = "Authorized use only."
	out := runInteractive(in, 15, "configure terminal\r\x1aterminal length 0\rshow history\rreload\rn\rreload\r\rexit\r")
	want := "Logged in on vty 3 via SSH.\r\nCopyright (c) 2026 erx authors.  All rights reserved.\r\n\r\nAuthorized use only.\r\n" +
		"host1#configure terminal\r\n" +
		"host1(config)#^Z\r\n" +
		"host1#terminal length 0\r\n" +
		"host1#show history\r\n  configure terminal\r\n  terminal length 0\r\n  show history\r\n" +
		"host1#reload\r\nProceed with reload? [confirm]n\r\n" +
		"host1#reload\r\nProceed with reload? [confirm]\r\n" +
		"host1#exit\r\n"
	if out != want {
		t.Errorf("got:\n%q\nwant:\n%q", out, want)
	}
	if sys.reloaded != 1 {
		t.Errorf("reloaded %d times, want 1", sys.reloaded)
	}
}

func TestInteractiveHelpAndPaging(t *testing.T) {
	in, _, _ := newTestInterp(t)
	out := runInteractive(in, 1, "show ?\x15terminal length 3\rshow version\r \x03q")
	if !strings.Contains(out, "host1>show ?\r\n  clock        Display the system clock\r\n  environment  Display power, fan and temperature status\r\n  hardware     Display the hardware inventory\r\n  history      Display the session command history\r\n") {
		t.Errorf("help output:\n%q", out)
	}
	if strings.Contains(out, "configuration") {
		t.Errorf("level 1 help lists a level 10 command:\n%q", out)
	}
	if !strings.Contains(out, "erx Edge Routing Switch E320-QEMU\r\nCopyright (c) 2026 erx authors.  All rights reserved.\r\n --More-- ") {
		t.Errorf("no pager:\n%q", out)
	}
}

func TestEnableSecret(t *testing.T) {
	in, _, com := newTestInterp(t)
	admin := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	transcript(admin, "configure terminal", "enable secret level 12 s3cret")
	if !strings.Contains(com.last(), "enable secret level 12 5 $2") {
		t.Fatalf("config %q", com.last())
	}
	out := runInteractive(in, 1, "enable 12\rwrong\renable 12\rs3cret\rshow history\r")
	if !strings.Contains(out, "host1>enable 12\r\nPassword: \r\n% Access denied\r\nhost1>enable 12\r\nPassword: \r\nhost1#") {
		t.Errorf("enable with secret:\n%q", out)
	}
	// A hashed secret replays.
	in2, _, _ := newTestInterp(t)
	cfg, _ := in.RunningConfig()
	if err := in2.Replay(bytes.NewReader(cfg), func(n int, l string, err error) { t.Errorf("%d %q %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := in2.RunningConfig(); string(got) != string(cfg) {
		t.Errorf("replayed %q want %q", got, cfg)
	}
}

type fakeLines struct{ cleared []int }

func (f *fakeLines) Users() []LineInfo {
	return []LineInfo{{VTY: 0, User: "admin", Remote: "192.0.2.9"}}
}
func (f *fakeLines) ClearLine(n int) error {
	if n != 0 {
		return errors.New("line vty 1 is not in use")
	}
	f.cleared = append(f.cleared, n)
	return nil
}

func TestUsersAndClearLine(t *testing.T) {
	in, _, _ := newTestInterp(t)
	fl := &fakeLines{}
	in.SetLines(fl)
	s := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	got := transcript(s, "show users", "clear line vty 0", "clear line vty 1")
	want := "host1#show users\n" +
		" Line   User  Host(s)   Idle   Location \n" +
		"------- ----- ------- -------- ---------\n" +
		"* vty 0 admin idle    00:00:00 192.0.2.9\n" +
		"host1#clear line vty 0\nhost1#clear line vty 1\n% line vty 1 is not in use\nhost1#"
	if got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

func FuzzReplay(f *testing.F) {
	f.Add("hostname a\ninterface gigabitEthernet 1/0/0\n ip address 1.1.1.1 255.255.255.0\nexit\n")
	f.Add("enable secret level 3 5 $2a$10$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nservice manual-commit\n")
	f.Add("banner motd #hi\\nthere#\nclock timezone EST -5\naccess-list a permit 10.0.0.0 0.0.0.255\naaa authentication login x none local\n" +
		"line vty 0 4\n access-class a in\n login authentication x\n no motd-banner\nno line vty 9\n")
	f.Fuzz(func(t *testing.T, cfg string) {
		in, err := New(Options{System: &fakeSystem{}})
		if err != nil {
			t.Fatal(err)
		}
		registerInterfaces(t, in)
		in.Replay(strings.NewReader(cfg), nil)
		in.RunningConfig()
	})
}

func TestLineExecTimeout(t *testing.T) {
	in, _, com := newTestInterp(t)
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "configure terminal", "line vty 0 4", "exec-timeout 10", "line vty 7", "exec-timeout 0 30", "line vty 5 2", "end")
	want := "host1#configure terminal\nhost1(config)#line vty 0 4\nhost1(config-line)#exec-timeout 10\n" +
		"host1(config-line)#line vty 7\nhost1(config-line)#exec-timeout 0 30\nhost1(config-line)#line vty 5 2\n% last line number is below the first\n" +
		"host1(config)#end\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if in.ExecTimeout(4) != 10*time.Minute || in.ExecTimeout(5) != 0 || in.ExecTimeout(7) != 30*time.Second {
		t.Errorf("timeouts %v %v %v", in.ExecTimeout(4), in.ExecTimeout(5), in.ExecTimeout(7))
	}
	wantCfg := "hostname host1\nline vty 0 4\n exec-timeout 10 0\nline vty 7\n exec-timeout 0 30\n"
	if com.last() != wantCfg {
		t.Errorf("config %q want %q", com.last(), wantCfg)
	}
	transcript(s, "configure terminal", "line vty 0 29", "no exec-timeout")
	if com.last() != "hostname host1\n" {
		t.Errorf("after no exec-timeout: %q", com.last())
	}
}
