package lccli

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzLines types arbitrary lines into a router with the package's
// commands registered, starting in Global Configuration. Nothing may
// panic or hang, and whatever configuration results must replay into a
// fresh router as the same configuration.
func FuzzLines(f *testing.F) {
	for _, seed := range []string{
		strings.Join(everyCommand, "\n"),
		"interface gigabitEthernet 2/0/0\nip address 10.0.0.1 255.255.255.0\nshutdown\nend\nshow interfaces\nshow ip interface\nshow ip interface brief",
		"interface gigabitEthernet 2/0/1\nencapsulation vlan\ninterface gigabitEthernet 2/0/1.5\nvlan id 5\nip address 1.1.1.1 255.255.255.252\nno interface gigabitEthernet 2/0/1.5",
		"virtual-router a\ninterface loopback 1\nip address 9.9.9.9 255.255.255.255\nip route 0.0.0.0 0.0.0.0 loopback 1\ndo show ip route\nno virtual-router a",
		"arp 10.0.0.1 0200.0000.0001\nip route 1.0.0.0 255.0.0.0 1.2.3.4 7\ndo ping 1.2.3.4 count 3\ndo traceroute 1.2.3.4 max-ttl 2 timeout 1",
		"interface fastEthernet 6/0/0\nip address 192.168.0.2 255.255.255.0\ndescription \"x y\"\nno ip address\ndo clear interfaces\ndo clear arp-cache",
		"interface gigabitEthernet 2/0/0\nip address 10.0.0.1 255.255.255.0\nmtu 100\nip mtu 90\ndescription !x\nexit\nvirtual-router default\ndo show virtual-router",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		lines := strings.Split(input, "\n")
		if len(lines) > 64 {
			lines = lines[:64]
		}
		r := newRig(t)
		s := r.session()
		var out bytes.Buffer
		s.Exec("configure terminal", &out)
		for _, l := range lines {
			if len(l) > 512 {
				l = l[:512]
			}
			out.Reset()
			s.Exec(l, &out)
		}
		cfg := r.config(t)
		r2 := newRig(t)
		if err := r2.in.Replay(strings.NewReader(cfg), func(n int, line string, err error) {
			t.Errorf("replay line %d %q: %v", n, line, err)
		}); err != nil {
			t.Fatal(err)
		}
		if got := r2.config(t); got != cfg {
			t.Errorf("replayed configuration:\n%s\nwant:\n%s", got, cfg)
		}
	})
}
