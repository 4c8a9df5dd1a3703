package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/cli/command"
)

// registerRoutes adds a per-virtual-router feature: ip route in the
// session's VR, written with WriteVR.
func registerRoutes(t *testing.T, in *Interpreter) {
	t.Helper()
	routes := map[string][]string{}
	tr := in.Tree()
	if err := tr.Register(&command.Command{Syntax: "ip route <p:A.B.C.D> <m:mask> <nh:A.B.C.D>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Run: func(ctx *command.Context, req *command.Request) error {
			routes[ctx.VR] = append(routes[ctx.VR], fmt.Sprintf("ip route %s %s %s", req.Addr("p"), req.Addr("m"), req.Addr("nh")))
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	tr.SetVirtualRouters(func() []string {
		var vrs []string
		for vr := range routes {
			vrs = append(vrs, vr)
		}
		sort.Strings(vrs)
		return vrs
	})
	if err := tr.AddConfig(command.ConfigSection{Order: command.OrderRouting, Name: "routes", WriteVR: func(w io.Writer, vr string) error {
		for _, r := range routes[vr] {
			fmt.Fprintln(w, r)
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
}

func TestShowConfigurationScopes(t *testing.T) {
	in, _, _ := newTestInterp(t)
	registerInterfaces(t, in)
	registerRoutes(t, in)
	s := in.NewSession(SessionOptions{Privilege: 15})
	transcript(s, "configure terminal", "interface gigabitEthernet 2/0/1", "ip address 10.0.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/1.5", "ip address 10.0.5.1 255.255.255.0", "interface gigabitEthernet 2/0/10",
		"ip route 0.0.0.0 0.0.0.0 10.0.0.2", "privilege exec level 5 show clock",
		"virtual-router vr1", "ip route 10.9.0.0 255.255.0.0 10.0.5.2", "virtual-router default", "end")
	for _, tc := range []struct{ cmd, want string }{
		{"show configuration", "hostname host1\nprivilege exec level 5 show clock\n" +
			"interface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\ninterface gigabitEthernet 2/0/1.5\n ip address 10.0.5.1 255.255.255.0\n" +
			"interface gigabitEthernet 2/0/10\nip route 0.0.0.0 0.0.0.0 10.0.0.2\nvirtual-router vr1\nip route 10.9.0.0 255.255.0.0 10.0.5.2\n"},
		{"show configuration interface gigabitEthernet 2/0/1", "interface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\n" +
			"interface gigabitEthernet 2/0/1.5\n ip address 10.0.5.1 255.255.255.0\n"},
		{"show conf int gi 2/0/1.5", "interface gigabitEthernet 2/0/1.5\n ip address 10.0.5.1 255.255.255.0\n"},
		{"show configuration interface fastEthernet 1/1", ""},
		{"show configuration category management cli command-privileges", "privilege exec level 5 show clock\n"},
		{"show configuration category management", "privilege exec level 5 show clock\n"},
		{"show configuration category system", "hostname host1\n"},
		{"show configuration category routing", "ip route 0.0.0.0 0.0.0.0 10.0.0.2\nvirtual-router vr1\nip route 10.9.0.0 255.255.0.0 10.0.5.2\n"},
		{"show configuration category interfaces", "interface gigabitEthernet 2/0/1\n ip address 10.0.0.1 255.255.255.0\n" +
			"interface gigabitEthernet 2/0/1.5\n ip address 10.0.5.1 255.255.255.0\ninterface gigabitEthernet 2/0/10\n"},
		{"show configuration virtual-router vr1", "virtual-router vr1\nip route 10.9.0.0 255.255.0.0 10.0.5.2\n"},
		{"show configuration virtual-router default", "ip route 0.0.0.0 0.0.0.0 10.0.0.2\n"},
		{"show configuration virtual-router nope", "virtual-router nope\n"},
	} {
		var out bytes.Buffer
		if err := s.Exec(tc.cmd, &out); err != nil {
			t.Errorf("%s: %v", tc.cmd, err)
		}
		if want := header + tc.want + trailer; out.String() != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.cmd, out.String(), want)
		}
	}
	// The whole configuration replays to the same state, VRs included.
	cfg, _ := in.RunningConfig()
	in2, _, _ := newTestInterp(t)
	registerInterfaces(t, in2)
	registerRoutes(t, in2)
	if err := in2.Replay(bytes.NewReader(cfg), func(n int, l string, err error) { t.Errorf("replay %d %q: %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
	if cfg2, _ := in2.RunningConfig(); string(cfg2) != string(cfg) {
		t.Errorf("round trip:\n%s\n!=\n%s", cfg2, cfg)
	}
	if h, _ := in.Tree().Help(s.Context(), "show configuration category management "); h != "  cli    CLI settings\n  lines  vty lines\n  <cr>\n" {
		t.Errorf("category help %q", h)
	}
}

func TestBannersAndClock(t *testing.T) {
	in, _, com := newTestInterp(t)
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "configure terminal", "banner motd # Authorized use only.\\nAll access is logged. #", "banner exec %Welcome%",
		"banner motd #no end", "banner motd", "clock timezone EST -5", "do show clock", "clock timezone IST 5 30", "do show clock",
		"clock timezone bad! 1", "end")
	want := "host1#configure terminal\n" +
		"host1(config)#banner motd # Authorized use only.\\nAll access is logged. #\n" +
		"host1(config)#banner exec %Welcome%\n" +
		"host1(config)#banner motd #no end\n% banner text must end with the delimiter # (enter it on one line; \\n starts a new line)\n" +
		"host1(config)#banner motd\n% Incomplete command.\n" +
		"host1(config)#clock timezone EST -5\n" +
		"host1(config)#do show clock\n20:22:16.000 EST Sun Nov 28 2027\n" +
		"host1(config)#clock timezone IST 5 30\n" +
		"host1(config)#do show clock\n06:52:16.000 IST Mon Nov 29 2027\n" +
		"host1(config)#clock timezone bad! 1\n% invalid time zone name \"bad!\"\n" +
		"host1(config)#end\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	wantCfg := "hostname host1\nclock timezone IST 5 30\nbanner motd # Authorized use only.\\nAll access is logged. #\nbanner exec %Welcome%\n"
	if com.last() != wantCfg {
		t.Errorf("config %q want %q", com.last(), wantCfg)
	}
	out := runInteractive(in, 15, "exit\r")
	if want := "Logged in on vty 3 via SSH.\r\nCopyright (c) 2026 erx authors.  All rights reserved.\r\n\r\n Authorized use only.\r\nAll access is logged. \r\nWelcome\r\nhost1#"; !strings.HasPrefix(out, want) {
		t.Errorf("login:\n%q\nwant prefix\n%q", out, want)
	}
	// Lines can switch the banners off.
	transcript(s, "configure terminal", "line vty 3", "no motd-banner", "end")
	if out := runInteractive(in, 15, "exit\r"); !strings.Contains(out, "\r\n\r\nWelcome\r\nhost1#") {
		t.Errorf("no motd-banner: %q", out)
	}
	transcript(s, "configure terminal", "line vty 3", "no exec-banner", "motd-banner", "exit", "no banner motd", "no clock timezone", "end")
	if out := runInteractive(in, 15, "exit\r"); !strings.Contains(out, "reserved.\r\n\r\nhost1#") {
		t.Errorf("banners off: %q", out)
	}
	if !strings.Contains(com.last(), "line vty 3\n no exec-banner\n") || strings.Contains(com.last(), "banner motd") || strings.Contains(com.last(), "clock") {
		t.Errorf("config %q", com.last())
	}
}

type fakeLog struct {
	data string
	err  error
}

func (f fakeLog) SystemLog() ([]byte, error) { return []byte(f.data), f.err }

func TestShowLog(t *testing.T) {
	logText := "2026-11-27 20:01:02 INFO sshd: listening on :22\n2026-11-27 20:01:03 WARN cli: commit slow\n2026-11-27 20:01:04 ERROR flash: full"
	in, err := New(Options{System: &fakeSystem{}, Log: fakeLog{data: logText}})
	if err != nil {
		t.Fatal(err)
	}
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "show log data", "show log data severity warn", "show log sev error")
	want := "host1#show log data\n" + logText + "\n" +
		"host1#show log data severity warn\n2026-11-27 20:01:03 WARN cli: commit slow\n2026-11-27 20:01:04 ERROR flash: full\n" +
		"host1#show log sev error\n2026-11-27 20:01:04 ERROR flash: full\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	in2, _ := New(Options{System: &fakeSystem{}, Log: fakeLog{err: errors.New("io error")}})
	in3, _ := New(Options{System: &fakeSystem{}})
	for i, x := range []*Interpreter{in2, in3} {
		got := transcript(x.NewSession(SessionOptions{Privilege: 15}), "show log")
		want := []string{"host1#show log\n% read system log: io error\nhost1#", "host1#show log\n% system log not available\nhost1#"}[i]
		if got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
}

type envSystem struct{ *fakeSystem }

func (envSystem) Environment() Environment {
	return Environment{Chassis: "E320", Power: []Sensor{{"A", "ok"}, {"B", ""}}, Fans: []Sensor{{"tray 0", "ok"}},
		Slots: []SlotEnvironment{{Slot: 0, Type: "SRP-320", HasTemp: true, Celsius: 41, Status: "normal"}, {Slot: 2, Type: "GE-4"}}}
}

func TestShowEnvironment(t *testing.T) {
	for _, tc := range []struct {
		sys  System
		want string
	}{
		{&fakeSystem{}, "Chassis: E320-QEMU\nNote: no environmental sensors are reported by this system\n\n" +
			"Power\n  not available\n\nFans\n  not available\n\nTemperature\n" +
			"slot  type   temperature (C)    status    \n" +
			"---- ------- --------------- -------------\n" +
			"0    SRP-320       ---       not available\n"},
		{envSystem{&fakeSystem{}}, "Chassis: E320\n\nPower\n" +
			"element    status    \n------- -------------\nA       ok           \nB       not available\n\n" +
			"Fans\nelement status\n------- ------\ntray 0  ok    \n\nTemperature\n" +
			"slot  type   temperature (C)    status    \n" +
			"---- ------- --------------- -------------\n" +
			"0    SRP-320 41              normal       \n" +
			"2    GE-4          ---       not available\n"},
	} {
		in, err := New(Options{System: tc.sys})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := in.NewSession(SessionOptions{Privilege: 1}).Exec("show environment", &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("got:\n%q\nwant:\n%q", out.String(), tc.want)
		}
	}
}

func TestLinesAccessClassAndMethods(t *testing.T) {
	in, _, com := newTestInterp(t)
	in.SetLines(&fakeLines{})
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "configure terminal",
		"access-list mgmt permit 192.0.2.0 0.0.0.255", "access-list mgmt deny host 192.0.2.7", "access-list mgmt permit host 198.51.100.1",
		"access-list mgmt permit 10.0.0.0 255.0.0.0", "no access-list mgmt permit 10.0.0.0 255.0.0.0",
		"access-list bad! permit any",
		"aaa authentication login vtys radius local", "aaa authentication login twice local local",
		"line vty 0 4", "access-class mgmt in", "login authentication vtys", "exec-timeout 5",
		"line vty 5 29", "access-class nolist in",
		"no line vty 3", "no line vty 20", "end",
		"show line vty 0", "show line vty 5", "show line vty 20", "show access-list")
	want := "host1#configure terminal\n" +
		"host1(config)#access-list mgmt permit 192.0.2.0 0.0.0.255\n" +
		"host1(config)#access-list mgmt deny host 192.0.2.7\n" +
		"host1(config)#access-list mgmt permit host 198.51.100.1\n" +
		"host1(config)#access-list mgmt permit 10.0.0.0 255.0.0.0\n" +
		"host1(config)#no access-list mgmt permit 10.0.0.0 255.0.0.0\n" +
		"host1(config)#access-list bad! permit any\n% invalid access list name \"bad!\"\n" +
		"host1(config)#aaa authentication login vtys radius local\n" +
		"host1(config)#aaa authentication login twice local local\n% method local given twice\n" +
		"host1(config)#line vty 0 4\n" +
		"host1(config-line)#access-class mgmt in\n" +
		"host1(config-line)#login authentication vtys\n" +
		"host1(config-line)#exec-timeout 5\n" +
		"host1(config-line)#line vty 5 29\n" +
		"host1(config-line)#access-class nolist in\n" +
		"host1(config-line)#no line vty 3\n% lines 0-4 cannot be removed\n" +
		"host1(config)#no line vty 20\n" +
		"host1(config)#end\n" +
		"host1#show line vty 0\nvty 0: in use by admin from 192.0.2.9\n  access-class: mgmt in\n  data-character-bits: 8\n" +
		"  exec-timeout: 5 minutes, 0 seconds\n  exec-banner: enabled\n  motd-banner: enabled\n  login authentication: vtys (radius local)\n" +
		"host1#show line vty 5\nvty 5: not in use\n  access-class: nolist in (not defined: every address permitted)\n  data-character-bits: 8\n" +
		"  exec-timeout: Never\n  exec-banner: enabled\n  motd-banner: enabled\n  login authentication: default (local)\n" +
		"host1#show line vty 20\n% line vty 20 does not exist (no line vty)\n" +
		"host1#show access-list\naccess-list mgmt permit 192.0.2.0 0.0.0.255\naccess-list mgmt deny host 192.0.2.7\naccess-list mgmt permit host 198.51.100.1\n" +
		"host1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	wantCfg := "hostname host1\naaa authentication login vtys radius local\n" +
		"access-list mgmt permit 192.0.2.0 0.0.0.255\naccess-list mgmt deny host 192.0.2.7\naccess-list mgmt permit host 198.51.100.1\n" +
		"line vty 0 4\n access-class mgmt in\n exec-timeout 5 0\n login authentication vtys\n" +
		"line vty 5 19\n access-class nolist in\nno line vty 20\n"
	if com.last() != wantCfg {
		t.Errorf("config:\n%s\nwant:\n%s", com.last(), wantCfg)
	}
	a := netip.MustParseAddr
	for _, tc := range []struct {
		vty  int
		addr string
		want bool
	}{
		{0, "192.0.2.1", true}, {0, "192.0.2.7", true}, {4, "198.51.100.1", true}, {0, "203.0.113.1", false},
		{5, "203.0.113.1", true}, {19, "203.0.113.1", true}, {20, "192.0.2.1", false}, {30, "192.0.2.1", false},
	} {
		if got := in.VTYAccess(tc.vty, a(tc.addr)); got != tc.want {
			t.Errorf("VTYAccess(%d, %s) = %v", tc.vty, tc.addr, got)
		}
	}
	if m := in.LoginMethods(2); strings.Join(m, " ") != "radius local" {
		t.Errorf("methods vty 2: %q", m)
	}
	if m := in.LoginMethods(7); strings.Join(m, " ") != "local" {
		t.Errorf("methods vty 7: %q", m)
	}
	if in.ExecTimeout(4) != 5*time.Minute {
		t.Errorf("exec-timeout %v", in.ExecTimeout(4))
	}
	// Round trip, and reopening lines.
	in2, _, _ := newTestInterp(t)
	if err := in2.Replay(strings.NewReader(wantCfg), func(n int, l string, err error) { t.Errorf("%d %q %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := in2.RunningConfig(); string(cfg) != wantCfg {
		t.Errorf("round trip:\n%s", cfg)
	}
	transcript(s, "configure terminal", "line vty 25", "no access-list mgmt", "no aaa authentication login vtys", "end")
	if !in.VTYAccess(24, a("203.0.113.1")) || in.VTYAccess(26, a("203.0.113.1")) || !in.VTYAccess(0, a("203.0.113.1")) {
		t.Error("line vty 25 did not reopen 20-25 only, or no access-list left a filter")
	}
	if m := in.LoginMethods(2); strings.Join(m, " ") != "local" {
		t.Errorf("methods after no aaa: %q", m)
	}
}

func FuzzBanner(f *testing.F) {
	f.Add("# hello\\nworld #")
	f.Add("éxé")
	f.Add("##")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBanner(s)
		if err != nil {
			return
		}
		// What the configuration writes parses back to the same banner.
		b2, err := parseBanner(b.delim + b.text + b.delim)
		if err != nil || b2 != b {
			t.Fatalf("%q -> %+v -> %+v %v", s, b, b2, err)
		}
	})
}
