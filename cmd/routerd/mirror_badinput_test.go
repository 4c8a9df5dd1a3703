package main

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/mirror"
)

// logCount counts the secure log lines of an event.
func (m *mirrorLab) logCount(event string) int {
	m.t.Helper()
	return strings.Count(m.ssh("mirror-enable\nshow mirror log"), "  "+event+"  ")
}

// copiesFlow checks that the analyzer still receives jmirror copies of
// traffic through gigabitEthernet 2/0/0 (and that the traffic itself is
// forwarded: ping fails the test when a reply is missing).
func (m *mirrorLab) copiesFlow(count int, pattern string) {
	m.t.Helper()
	ana := lab.StartCapture(m.t, m.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
	m.ping(count, pattern)
	if _, err := ana.WaitFrames(2*count, mirWait, hasPattern(pattern)); err != nil {
		m.fatalf("mirroring of the %s pings: %v", pattern, err)
	}
	ana.Stop()
}

// TestMirrorBadInputCLI: bad mirroring input typed at the CLI of routerd
// over SSH — the 101st trigger rule, mirroring commands without
// mirror-enable, a secure policy list deleted while in use. Each gets its
// error (JunosE's invalid-input answer for the hidden commands), a secure
// log entry, and changes nothing: the interface mirror keeps copying and
// traffic keeps flowing (ping counts).
func TestMirrorBadInputCLI(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ssh(secureSetup)
	m.copiesFlow(2, "f0")

	t.Run("101st trigger rule", func(t *testing.T) {
		m := *m
		m.t = t
		var b strings.Builder
		b.WriteString("mirror-enable\nconfigure terminal\n")
		for i := range mirror.DefaultMaxTriggers {
			fmt.Fprintf(&b, "mirror username user%d@erx.test ip secure-policy-list %s\n", i, mirPolicy)
		}
		m.ssh(b.String())
		failures := m.logCount("CliTriggerBasedMirroringFailure")
		out, err := m.SSH("mirror-enable\nconfigure terminal\nmirror username user100@erx.test ip secure-policy-list " + mirPolicy)
		if want := "% " + mirror.ErrTooManyTriggers.Error() + "\n"; err == nil || out != want {
			m.errorf("101st trigger rule (%v): %q, want %q", err, out, want)
		}
		if n := m.logCount("CliTriggerBasedMirroringFailure"); n != failures+1 {
			m.errorf("secure log: %d CliTriggerBasedMirroringFailure entries after the 101st rule, want %d", n, failures+1)
		}
		log := m.ssh("mirror-enable\nshow mirror log")
		if !strings.Contains(log, "CliTriggerBasedMirroringFailure  source cliTrigger (admin)  trigger username user100@erx.test  policy "+mirPolicy+"  : noResourcesAvailable") {
			m.errorf("secure log lacks the refused 101st rule:\n%s", log)
		}
		// The first 100 are all there; replacing one is not a new rule; with
		// one removed, the next one fits.
		cfg := m.ssh("mirror-enable\nshow configuration category routing")
		if n := strings.Count(cfg, "\nmirror username user"); n != mirror.DefaultMaxTriggers || strings.Contains(cfg, "user100@") {
			m.errorf("show configuration lists %d trigger rules, want the first %d:\n%s", n, mirror.DefaultMaxTriggers, cfg)
		}
		m.ssh("mirror-enable\nconfigure terminal\nmirror username user7@erx.test ip secure-policy-list " + mirPolicy +
			"\nno mirror username user0@erx.test\nmirror username user100@erx.test ip secure-policy-list " + mirPolicy)
		m.copiesFlow(3, "f1")
	})

	t.Run("commands without mirror-enable", func(t *testing.T) {
		m := *m
		m.t = t
		refused := m.logCount("MirrorCommandRefused")
		cases := [][2]string{
			{"show secure policy-list", "secure"},
			{"show mirror log", "mirror"},
			{"clear mirror log", "mirror"},
			{"configure terminal\nno secure ip policy-list " + mirPolicy, "secure"},
			{"configure terminal\nsecure ip policy-list X2", "secure"},
			{"configure terminal\nmirror username someone ip secure-policy-list " + mirPolicy, "mirror"},
			{"configure terminal\ninterface gigabitEthernet 2/0/0\nno ip policy secure-input", "secure-input"},
			{"configure terminal\ninterface gigabitEthernet 2/0/2\nno ip analyzer", "analyzer"},
		}
		for _, c := range cases {
			hidden, err1 := m.SSH(c[0])
			unknown, err2 := m.SSH(strings.Replace(c[0], c[1], strings.Repeat("z", len(c[1])), 1))
			if err1 == nil || err2 == nil || strings.Replace(hidden, c[1], strings.Repeat("z", len(c[1])), 1) != unknown {
				m.errorf("%q without mirror-enable is not answered like an unknown word (%v, %v):\n%s\nunknown word:\n%s", c[0], err1, err2, hidden, unknown)
			}
			m.assertHidden(c[0], hidden)
		}
		log := m.ssh("mirror-enable\nshow mirror log")
		if n := strings.Count(log, "  MirrorCommandRefused  "); n != refused+len(cases) {
			m.errorf("%d MirrorCommandRefused entries, want %d (clear mirror log must not have run):\n%s", n, refused+len(cases), log)
		}
		for _, want := range []string{": refused without mirror-enable: clear mirror log", ": refused without mirror-enable: no secure ip policy-list " + mirPolicy,
			": refused without mirror-enable: no ip analyzer"} {
			if !strings.Contains(log, want) {
				m.errorf("secure log lacks %q:\n%s", want, log)
			}
		}
		// Nothing changed: the list, the attachment and the analyzer stay.
		pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy)
		for _, want := range []string{"Mirror action: enabled", "gigabitEthernet 2/0/0 secure-input"} {
			if !strings.Contains(pol, want) {
				m.errorf("show secure policy-list lacks %q:\n%s", want, pol)
			}
		}
		m.copiesFlow(3, "f2")
	})

	t.Run("policy list deleted while in use", func(t *testing.T) {
		m := *m
		m.t = t
		failures := m.logCount("CliTriggerBasedMirroringFailure")
		out, err := m.SSH("mirror-enable\nconfigure terminal\nno secure ip policy-list " + mirPolicy)
		if err == nil || !regexp.MustCompile(`^% `+regexp.QuoteMeta(mirror.ErrPolicyInUse.Error())+`: (attached to gigabitEthernet 2/0/0 secure-(input|output)|referenced by mirror username \S+)\n$`).MatchString(out) {
			m.errorf("deleting a secure policy list in use (%v): %q", err, out)
		}
		if n := m.logCount("CliTriggerBasedMirroringFailure"); n != failures+1 {
			m.errorf("secure log: %d CliTriggerBasedMirroringFailure entries, want %d", n, failures+1)
		}
		if log := m.ssh("mirror-enable\nshow mirror log"); !strings.Contains(log, "no secure ip policy-list "+mirPolicy+" refused: ") {
			m.errorf("secure log lacks the refused delete:\n%s", log)
		}
		m.copiesFlow(3, "f3")
	})
}

// TestMirrorAnalyzerDisappears: the analyzer interface (a VLAN
// subinterface) is deleted while an interface is mirrored to it. The
// mirror action is shown disabled (analyzer unreachable), the secure log
// says so, traffic keeps flowing unmirrored; when the subinterface is
// configured again the mirror recovers by itself (the analyzer mode
// belongs to the name) and copies flow again.
func TestMirrorAnalyzerDisappears(t *testing.T) {
	m := newMirrorLab(t)
	const anaIf = "gigabitEthernet 2/0/2.10"
	m.VLAN(m.analyzer, "eth0", "vlan10", 10)
	lab.Run(t, "ip", "-n", m.analyzer, "addr", "add", "10.9.10.2/24", "dev", "vlan10")
	m.Start()
	m.ssh("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/2\n encapsulation vlan\n exit\n")
	subif := "configure terminal\ninterface " + anaIf + "\n vlan id 10\n ip address 10.9.10.1 255.255.255.0\n exit\n" +
		"arp 10.9.10.2 " + lab.DottedMAC(lab.MAC(t, m.analyzer, "eth0")) + "\n" +
		"ip route 172.16.9.0 255.255.255.0 10.9.10.2\n"
	m.ssh(subif)
	m.ssh("mirror-enable\nconfigure terminal\n" +
		"interface " + anaIf + "\n ip analyzer\n exit\n" +
		"secure ip policy-list " + mirPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 16\n exit\n" +
		"interface gigabitEthernet 2/0/0\n ip policy secure-input " + mirPolicy + "\n exit\n")
	copies := func(pattern string, want bool) {
		t.Helper()
		ana := lab.StartCapture(t, m.analyzer, "vlan10", fmt.Sprintf("udp port %d", mirPort))
		m.ping(3, pattern)
		if want {
			if _, err := ana.WaitFrames(3, mirWait, hasPattern(pattern)); err != nil {
				m.fatalf("copies of the %s pings: %v", pattern, err)
			}
		}
		ana.Stop()
		if !want {
			fs, err := ana.Frames()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if hasPattern(pattern)(f.Data) {
					m.errorf("a %s ping was mirrored while the analyzer was gone", pattern)
					break
				}
			}
		}
	}
	copies("a1", true)

	unreachable := m.logCount("AnalyzerUnreachable")
	m.ssh("configure terminal\nno interface " + anaIf)
	pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy + "\nshow ip interface gigabitEthernet 2/0/0")
	for _, want := range []string{"Analyzer: unreachable: ", "Mirror action: disabled (analyzer unreachable)",
		"secure-input policy " + mirPolicy + ", mirror action disabled (analyzer unreachable: "} {
		if !strings.Contains(pol, want) {
			m.fatalf("with the analyzer interface deleted, the output lacks %q:\n%s", want, pol)
		}
	}
	if n := m.logCount("AnalyzerUnreachable"); n != unreachable+1 {
		m.errorf("secure log: %d AnalyzerUnreachable entries, want %d", n, unreachable+1)
	}
	m.assertHidden("show ip interface", m.ssh("show ip interface"))
	copies("a2", false) // forwarded, not mirrored

	m.ssh(subif)
	pol = m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy + "\nshow mirror log")
	for _, want := range []string{"Analyzer: reachable via " + anaIf, "Mirror action: enabled", "AnalyzerReachable"} {
		if !strings.Contains(pol, want) {
			m.fatalf("after the analyzer interface came back, the output lacks %q:\n%s", want, pol)
		}
	}
	copies("a3", true)
}

// TestMirrorBadInputCoA: malformed and partial mirroring VSAs in
// CoA-Requests from radclient to routerd's dynamic-request server, and a
// CoA for a session that does not exist, while a PPPoE subscriber is
// logged in. Each is answered CoA-NAK with the Error-Cause of the spec
// (section 8/11.9), written to the secure log, and changes nothing: no
// dynamic policy appears and the subscriber's traffic keeps flowing.
func TestMirrorBadInputCoA(t *testing.T) {
	s := newSubLab(t)
	s.Start()
	s.configure()
	sess, acct := s.login(subCLI, "pw1", 4)
	pings := func(n int) {
		t.Helper()
		for i := range n {
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			err := sess.Ping(ctx, netip.MustParseAddr(mirDst), uint16(300+i))
			cancel()
			if err != nil {
				s.fatalf("ping %d through the subscriber's session: %v", i, err)
			}
		}
	}
	pings(2)
	asid := fmt.Sprintf(`Acct-Session-Id = "%s"`, acct)
	for _, c := range []struct {
		name  string
		attrs []string
		cause string
	}{
		{"LI-Action without Med-Ip-Address", []string{asid, "ERX-LI-Action = on", "ERX-Med-Dev-Handle = 0x40000010",
			fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}, "Missing-Attribute"},
		{"Med-Ip-Address without LI-Action", []string{asid, "ERX-Med-Ip-Address = " + mirAnalyzer}, "Missing-Attribute"},
		{"Med-Dev-Handle not hex", []string{asid, "ERX-LI-Action = on", `ERX-Med-Dev-Handle = "00000300000000zz"`,
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}, "Invalid-Request"},
		{"Med-Dev-Handle of 5 bytes", []string{asid, "ERX-LI-Action = on", "ERX-Med-Dev-Handle = 0x4000001011",
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}, "Invalid-Request"},
		{"Med-Port-Number without Med-Dev-Handle", []string{asid, "ERX-LI-Action = on",
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}, "Invalid-Request"},
		{"LI-Action out of range", []string{asid, "ERX-LI-Action = 7", "ERX-Med-Ip-Address = " + mirAnalyzer}, "Invalid-Request"},
		{"LI-Action off with nothing in place", []string{asid, "ERX-LI-Action = off"}, "Invalid-Request"},
		{"unknown session", []string{`Acct-Session-Id = "0000000000"`, "ERX-LI-Action = on", "ERX-Med-Ip-Address = " + mirAnalyzer}, "Session-Context-Not-Found"},
		{"no session attribute", []string{"ERX-LI-Action = on", "ERX-Med-Ip-Address = " + mirAnalyzer}, "Missing-Attribute"},
	} {
		failures := s.logCount("RadiusBasedMirroringFailure")
		res, err := s.Radclient(coaPort, "coa", coaSecret, c.attrs...)
		if err != nil {
			s.fatalf("%s: %v", c.name, err)
		}
		if res.Code != "CoA-NAK" || res.Get("Error-Cause") != c.cause {
			s.errorf("%s: %s Error-Cause %q, want CoA-NAK %s\n%s", c.name, res.Code, res.Get("Error-Cause"), c.cause, res.Output)
		}
		if n := s.logCount("RadiusBasedMirroringFailure"); n != failures+1 {
			s.errorf("%s: %d RadiusBasedMirroringFailure entries in the secure log, want %d", c.name, n, failures+1)
		}
		if pol := s.ssh("mirror-enable\nshow secure policy-list"); strings.Contains(pol, "spl_") {
			s.errorf("%s: a dynamic policy appeared:\n%s", c.name, pol)
		}
		pings(1)
	}
	s.logout(sess, subCLI)
}
