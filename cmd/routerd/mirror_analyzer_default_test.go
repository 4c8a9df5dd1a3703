package main

import (
	"strings"
	"testing"
)

// TestMirrorDefaultAnalyzer: `ip analyzer default`. The router has no
// route to the analyzer; the default analyzer interface (2/0/2) carries
// the copies to its static ARP entry, the analyzer's next hop, and they
// reach the analyzer as jmirror exactly as through a route. The role is
// shown only with mirror-enable, survives a restart through the secure
// store, and `ip analyzer` (no default) takes it away: the analyzer is
// unreachable again.
func TestMirrorDefaultAnalyzer(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ssh("configure terminal\nno ip route 172.16.9.0 255.255.255.0 " + mirNextHop)
	m.ssh(strings.Replace(secureSetup, " ip analyzer\n", " ip analyzer default\n", 1))

	checkPolicy := func(m *mirrorLab, wants ...string) {
		m.t.Helper()
		pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy)
		for _, want := range wants {
			if !strings.Contains(pol, want) {
				m.fatalf("show secure policy-list lacks %q:\n%s", want, pol)
			}
		}
	}
	reachable := []string{"Analyzer: reachable via gigabitEthernet 2/0/2 (default analyzer), source " + mirAnaIfIP + ", next hop " + mirNextHop,
		"Mirror action: enabled"}
	checkPolicy(m, reachable...)
	sid := m.logSessionID("gigabitEthernet 2/0/0")

	t.Run("copies", func(t *testing.T) {
		m := *m
		m.t = t
		m.checkTraffic(3, "f1", sid)
	})

	t.Run("shown with mirror-enable only", func(t *testing.T) {
		m := *m
		m.t = t
		out := m.ssh("mirror-enable\nshow ip interface gigabitEthernet 2/0/2\nshow configuration interface gigabitEthernet 2/0/2")
		for _, want := range []string{"Default analyzer of virtual router default", " ip analyzer default"} {
			if !strings.Contains(out, want) {
				m.errorf("with mirror-enable, the output lacks %q:\n%s", want, out)
			}
		}
		for _, cmd := range []string{"show ip interface gigabitEthernet 2/0/2", "show configuration interface gigabitEthernet 2/0/2"} {
			m.assertHidden(cmd, m.ssh(cmd))
		}
	})

	t.Run("restart", func(t *testing.T) {
		m := *m
		m.t = t
		m.Restart()
		m.WaitForwarding(m.src, mirDst)
		checkPolicy(&m, reachable...)
		m.checkTraffic(2, "f2", sid)
	})

	t.Run("ip analyzer without default", func(t *testing.T) {
		m := *m
		m.t = t
		m.ssh("mirror-enable\nconfigure terminal\ninterface gigabitEthernet 2/0/2\nip analyzer")
		checkPolicy(&m, "Analyzer: unreachable: no route", "Mirror action: disabled (analyzer unreachable)")
	})
}
