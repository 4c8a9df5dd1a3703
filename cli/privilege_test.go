package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrivilegeCommand(t *testing.T) {
	in, _, com := newTestInterp(t)
	registerInterfaces(t, in)
	admin := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	got := transcript(admin, "configure terminal",
		"privilege exec level 5 show configuration",
		"privilege exec level 3 sh run",
		"privilege configure all level 12 interface",
		"privilege exec level 5 show nosuch",
		"privilege exec level 5 show")
	want := "host1#configure terminal\n" +
		"host1(config)#privilege exec level 5 show configuration\n" +
		"host1(config)#privilege exec level 3 sh run\n" +
		"host1(config)#privilege configure all level 12 interface\n" +
		"host1(config)#privilege exec level 5 show nosuch\n% no command \"show nosuch\"\n" +
		"host1(config)#privilege exec level 5 show\n% \"show\" is not a complete command\n" +
		"host1(config)#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	wantCfg := "hostname host1\nprivilege exec level 5 show configuration\nprivilege exec level 3 show running-configuration\nprivilege configure all level 12 interface\n"
	if com.last() != wantCfg {
		t.Errorf("config %q want %q", com.last(), wantCfg)
	}
	oper := in.NewSession(SessionOptions{User: "oper", Privilege: 5})
	var out bytes.Buffer
	if err := oper.Exec("show configuration | include privilege", &out); err != nil {
		t.Errorf("level 5 show configuration: %v %q", err, out.String())
	}
	ten := in.NewSession(SessionOptions{User: "ten", Privilege: 10})
	got = transcript(ten, "enable", "configure terminal", "interface gigabitEthernet 1/0/0")
	if !strings.Contains(got, "host1(config)#interface gigabitEthernet 1/0/0\n% Unrecognized command") {
		t.Errorf("level 10 may still configure interfaces:\n%s", got)
	}
	transcript(admin, "no privilege configure all level 12 interface")
	got = transcript(ten, "interface gigabitEthernet 1/0/0")
	if strings.Contains(got, "%") {
		t.Errorf("after no privilege:\n%s", got)
	}
	// The overrides replay.
	in2, _, _ := newTestInterp(t)
	registerInterfaces(t, in2)
	cfg, _ := in.RunningConfig()
	if err := in2.Replay(bytes.NewReader(cfg), func(n int, l string, err error) { t.Errorf("%d %q %v", n, l, err) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := in2.RunningConfig(); string(got) != string(cfg) {
		t.Errorf("replayed %q want %q", got, cfg)
	}
}
