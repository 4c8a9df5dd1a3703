package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/services/access/pppoetest"
)

// trigger runs mirroring configuration lines in a new CLI session with
// mirror-enable.
func (s *subLab) trigger(lines string) {
	s.t.Helper()
	s.ssh("mirror-enable\nconfigure terminal\n" + lines)
}

// policyBlock returns the part of `show secure policy-list` output about
// list name ("" when it is not listed).
func policyBlock(out, name string) string {
	for _, b := range strings.Split(out, "Secure policy list ")[1:] {
		if strings.HasPrefix(b, name+"\n") {
			return b
		}
	}
	return ""
}

var splRE = regexp.MustCompile(`Secure policy list (spl_[0-9a-f]{8})\n`)

// dynamicPolicy returns the name of the one spl_ list shown, or "".
func (s *subLab) dynamicPolicy() (name, block string) {
	s.t.Helper()
	out := s.ssh("mirror-enable\nshow secure policy-list")
	m := splRE.FindAllStringSubmatch(out, -1)
	switch len(m) {
	case 0:
		return "", ""
	case 1:
		return m[0][1], policyBlock(out, m[0][1])
	}
	s.fatalf("more than one dynamic policy:\n%s", out)
	return "", ""
}

// consoleHidden fails the test when routerd's console (its standard
// output and error, across restarts) says anything about mirroring: its
// messages go to the secure log only.
func (s *subLab) consoleHidden() {
	s.t.Helper()
	con := s.Console()
	s.assertHidden("routerd console", con)
	for _, w := range []string{subPolicy, "mirror", "LI-Action", "Med-Dev", "Med-Ip", "Med-Port", "intercept"} {
		if strings.Contains(con, w) {
			s.t.Errorf("routerd console shows %q:\n%s", w, con)
		}
	}
	s.t.Logf("routerd console: %d lines, none about mirroring", strings.Count(con, "\n"))
}

// coa sends a CoA-Request with radclient to routerd's dynamic-request
// server and fails the test unless the answer is want.
func (s *subLab) coa(want string, attrs ...string) radiustest.RadclientResult {
	s.t.Helper()
	res, err := s.Radclient(coaPort, "coa", coaSecret, attrs...)
	if err != nil {
		s.fatalf("%v", err)
	}
	if res.Code != want {
		s.fatalf("CoA %q: %s (Error-Cause %q), want %s\n%s", attrs, res.Code, res.Get("Error-Cause"), want, res.Output)
	}
	return res
}

// plainExchange is exchange for a mirror without the jmirror header: the
// analyzer's next hop receives each packet of the session (the UDP
// datagram with marker and count echo requests and replies), as the
// plain IP packet, byte for byte the one on the access link.
func (s *subLab) plainExchange(sess *pppoetest.PPPoESession, marker string, count int) {
	s.t.Helper()
	t := s.t
	sub := sess.Address().As4()
	ofSession := func(f []byte) bool {
		ip := lab.IPv4(f)
		return ip != nil && (bytes.Equal(ip[12:16], sub[:]) || bytes.Equal(ip[16:20], sub[:]))
	}
	ana := lab.StartCapture(t, s.analyzer, "eth0", fmt.Sprintf("ip and not udp port %d", mirPort))
	acc := lab.StartCapture(t, s.src, "eth0", "pppoes")
	s.sendTraffic(sess, marker, count)
	copies, err := ana.WaitFrames(1+2*count, mirWait, ofSession)
	if err != nil {
		s.fatalf("plain copies at the analyzer: %v", err)
	}
	accFrames, err := acc.WaitFrames(1+2*count, mirWait, func(f []byte) bool { return pppoeIPv4(f) != nil })
	if err != nil {
		s.fatalf("access capture: %v", err)
	}
	ana.Stop()
	acc.Stop()
	onLink := map[string]bool{}
	for _, f := range accFrames {
		onLink[string(pppoeIPv4(f.Data))] = true
	}
	anaMAC := lab.MAC(t, s.analyzer, "eth0")
	first := false
	for _, f := range copies {
		ip := lab.IPv4(f.Data)
		if !onLink[string(ip)] {
			t.Errorf("plain copy is not byte for byte a packet of the session:\n% x", ip)
		}
		if got := net.HardwareAddr(f.Data[0:6]).String(); got != anaMAC {
			t.Errorf("plain copy sent to MAC %s, want the analyzer next hop's %s", got, anaMAC)
		}
		first = first || bytes.Contains(ip, []byte(marker))
	}
	if !first {
		t.Errorf("the datagram %q was not mirrored", marker)
	}
}

// TestMirrorFlowRunningSession: seed Table 3, user case. The subscriber
// (PPPoE emulator, authenticated by FreeRADIUS) is logged in with no
// mirroring in place; `mirror username` configured then starts mirroring
// of its traffic at once, both directions, byte for byte (tshark decodes
// the copies as jmirror). `no mirror-enable` hides mirroring from that
// CLI session while the copies keep arriving. `no mirror username` stops
// it at once; an ip-address trigger starts it again; a `mirror disable`
// rule of higher precedence (acct-session-id) stops it until removed.
func TestMirrorFlowRunningSession(t *testing.T) {
	s := newSubLab(t)
	s.Start()
	s.configure()
	sess, acct := s.login(subCLI, "pw1", 0x31)
	sid := sessionIDOf(t, acct)
	addr := sess.Address().String()

	s.noCopies(sess, "t3-before", func() {
		s.trigger("mirror username " + subCLI + " ip secure-policy-list " + subPolicy)
	}, "t3-started")
	s.exchange(sess, "t3-user", 3, subMirID, sid)
	out := s.ssh("mirror-enable\nshow secure policy-list " + subPolicy + "\nshow mirror log")
	for _, want := range []string{"    subscriber " + subCLI + " on ",
		fmt.Sprintf("SessionStart  source cliTrigger  trigger username %s  mirror-id %d  session-id 0x%08x  policy %s  direction ingress+egress  analyzer %s:%d",
			subCLI, subMirID, sid, subPolicy, mirAnalyzer, mirPort)} {
		if !strings.Contains(out, want) {
			s.fatalf("after the trigger for the running session, the output lacks %q:\n%s", want, out)
		}
	}

	t.Run("no mirror-enable", func(t *testing.T) {
		s, m := *s, *s.mirrorLab
		m.t, s.mirrorLab = t, &m
		out, err := s.SSH("mirror-enable\nshow secure policy-list " + subPolicy + "\nno mirror-enable\nshow secure policy-list " + subPolicy)
		if err == nil || strings.Count(out, "Secure policy list "+subPolicy) != 1 ||
			!strings.Contains(out[strings.Index(out, "Secure policy list"):], "% Invalid input") {
			s.errorf("after no mirror-enable the session still sees the secure policy list (err %v):\n%s", err, out)
		}
		s.exchange(sess, "t3-hidden", 2, subMirID, sid) // running mirrors continue
	})

	// no mirror stops at once; an ip-address trigger starts it again.
	s.trigger("no mirror username " + subCLI)
	s.noCopies(sess, "t3-stopped", func() {
		s.trigger("mirror ip-address " + addr + " ip secure-policy-list " + subPolicy)
	}, "t3-by-ip")
	s.exchange(sess, "t3-ip", 1, subMirID, sid)
	if log := s.ssh("mirror-enable\nshow mirror log"); !strings.Contains(log, "SessionStart  source cliTrigger  trigger ipAddress "+addr+"  ") ||
		!strings.Contains(log, "SessionEnd  source cliTrigger  trigger username "+subCLI+"  ") {
		s.fatalf("secure log lacks the stop by `no mirror username` or the start by ip-address:\n%s", log)
	}
	// mirror disable by acct-session-id outranks the ip-address rule.
	s.trigger("mirror disable acct-session-id " + acct)
	s.noCopies(sess, "t3-disabled", func() { s.trigger("no mirror disable acct-session-id " + acct) }, "t3-enabled")
	s.trigger("no mirror ip-address " + addr)
	if pol := s.ssh("mirror-enable\nshow secure policy-list " + subPolicy); !strings.Contains(pol, "Referenced by: none") {
		s.errorf("with every trigger removed the list is still referenced:\n%s", pol)
	}
	s.logout(sess, subCLI)
}

// TestMirrorFlowRADIUSAndCLI: RADIUS-based mirroring meeting CLI triggers
// on one PPPoE subscriber (spec 9.7), with the real FreeRADIUS and
// radclient. At login the Access-Accept's VSAs win over a matching CLI
// trigger; for the running session the newest configuration wins: a CLI
// trigger replaces the RADIUS mirror, then a CoA (8-byte Med-Dev-Handle)
// replaces the CLI one; LI-Action noop changes nothing; LI-Action off
// stops the RADIUS mirror (the CLI trigger, still configured, applies
// again). A CoA with Med-Ip-Address alone mirrors plain IP packets. `show
// radius dynamic-request statistics` counts the CoAs. Dynamic policies
// are never stored: after a restart they are gone, and the next login's
// Access-Accept mirrors again.
func TestMirrorFlowRADIUSAndCLI(t *testing.T) {
	s := newSubLab(t)
	s.Start()
	s.configure()
	s.trigger("mirror username " + subRADIUS + " ip secure-policy-list " + subPolicy)
	sess, acct := s.login(subRADIUS, "pw2", 0x41)
	sid := sessionIDOf(t, acct)
	asid := fmt.Sprintf(`Acct-Session-Id = "%s"`, acct)
	vsas := func(action, handle string) []string {
		return []string{asid, "ERX-LI-Action = " + action, "ERX-Med-Dev-Handle = " + handle,
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}
	}
	// referenced checks which list carries the subscriber.
	referenced := func(when, dyn string) {
		t.Helper()
		out := s.ssh("mirror-enable\nshow secure policy-list")
		for _, name := range []string{subPolicy, dyn} {
			if name == "" {
				continue
			}
			b := policyBlock(out, name)
			want := name == dyn || dyn == ""
			if strings.Contains(b, "    subscriber "+subRADIUS+" on ") != want {
				s.fatalf("%s: list %s carries the subscriber: %v, want %v:\n%s", when, name, !want, want, out)
			}
		}
	}

	// At login, RADIUS wins (4-byte handle 0x40000123: Session-ID from
	// the Acct-Session-Id).
	s.exchange(sess, "c-login", 2, 0x123, sid)
	dyn, block := s.dynamicPolicy()
	if dyn == "" || !strings.Contains(block, "  Origin: RADIUS,") {
		s.fatalf("no RADIUS spl_ list after login:\n%s", block)
	}
	referenced("at login", dyn)

	// Newest wins: a CLI trigger for the running session.
	s.trigger("mirror acct-session-id " + acct + " ip secure-policy-list " + subPolicy)
	s.exchange(sess, "c-cli", 2, subMirID, sid)
	if d, _ := s.dynamicPolicy(); d != "" {
		s.fatalf("dynamic list %s left after the CLI trigger replaced it", d)
	}
	referenced("after the CLI trigger", "")

	// Newest wins: a CoA with the 8-byte handle.
	s.coa("CoA-ACK", vsas("on", "0x0000030000000090")...)
	s.exchange(sess, "c-coa", 2, 0x300, 0x90)
	dyn, block = s.dynamicPolicy()
	if dyn == "" || !strings.Contains(block, "  Origin: CoA,") || !strings.Contains(block, "mirror-identifier 768") {
		s.fatalf("no CoA spl_ list:\n%s", block)
	}
	referenced("after the CoA", dyn)

	// LI-Action noop (the decoy): acknowledged, nothing changes.
	s.coa("CoA-ACK", vsas("noop", "0x40000777")...)
	if d, _ := s.dynamicPolicy(); d != dyn {
		s.fatalf("LI-Action noop changed the dynamic list: %q, was %q", d, dyn)
	}
	s.exchange(sess, "c-noop", 1, 0x300, 0x90)

	// LI-Action off stops the RADIUS mirror; the CLI trigger applies again.
	s.coa("CoA-ACK", vsas("off", "0x0000030000000090")...)
	if d, _ := s.dynamicPolicy(); d != "" {
		s.fatalf("dynamic list %s left after LI-Action off", d)
	}
	s.exchange(sess, "c-off", 1, subMirID, sid)
	referenced("after LI-Action off", "")

	// Without Med-Dev-Handle and Med-Port-Number: plain IP mirroring.
	s.trigger("no mirror acct-session-id " + acct + "\nno mirror username " + subRADIUS)
	s.coa("CoA-ACK", asid, "ERX-LI-Action = on", "ERX-Med-Ip-Address = "+mirAnalyzer)
	s.plainExchange(sess, "c-plain", 2)
	dyn, block = s.dynamicPolicy()
	if !strings.Contains(block, "plain IP mirroring, no header") {
		s.fatalf("CoA without handle and port is not a plain mirror:\n%s", block)
	}
	s.coa("CoA-NAK", `Acct-Session-Id = "0000000000"`, "ERX-LI-Action = on", "ERX-Med-Ip-Address = "+mirAnalyzer)

	// The dynamic-request server's counters: an ordinary operator sees
	// none of the mirroring CoAs; with mirror-enable, 5 mirroring CoAs
	// (the decoy included), one NAK.
	stats := s.ssh("show radius dynamic-request statistics")
	for name, want := range map[string]int{"CoA requests": 0, "CoA ACKs": 0, "CoA NAKs": 0,
		"Disconnect requests": 0, "Dropped, bad authenticator": 0, "Dropped, malformed": 0} {
		if got := counter(t, stats, name); got != want {
			s.errorf("show radius dynamic-request statistics: %s %d, want %d:\n%s", name, got, want, stats)
		}
	}
	s.assertHidden("show radius dynamic-request statistics", stats)
	secret := s.ssh("mirror-enable\nshow radius dynamic-request statistics")
	for name, want := range map[string]int{"Mirroring CoA requests": 5, "Mirroring CoA ACKs": 4, "Mirroring CoA NAKs": 1} {
		if got := counter(t, secret, name); got != want {
			s.errorf("with mirror-enable, show radius dynamic-request statistics: %s %d, want %d:\n%s", name, got, want, secret)
		}
	}

	// Dynamic lists are not persisted: not in the secure store, gone
	// after a restart; the static list stays.
	secure, err := os.ReadFile(filepath.Join(s.FlashDir(), "secure", "mirror.json"))
	if err != nil || !strings.Contains(string(secure), subPolicy) || strings.Contains(string(secure), "spl_") {
		s.fatalf("secure store (%v) with %s live:\n%s", err, dyn, secure)
	}
	s.Restart()
	pol := s.ssh("mirror-enable\nshow secure policy-list")
	if strings.Contains(pol, "spl_") || policyBlock(pol, subPolicy) == "" {
		s.fatalf("after a restart:\n%s", pol)
	}
	// The user logs in again: the Access-Accept starts mirroring again.
	sess2, acct2 := s.login(subRADIUS, "pw2", 0x42)
	s.exchange(sess2, "c-relogin", 1, 0x123, sessionIDOf(t, acct2))
	if d, block := s.dynamicPolicy(); d == "" || !strings.Contains(block, "  Origin: RADIUS,") {
		s.fatalf("no RADIUS spl_ list after the new login:\n%s", block)
	}
	s.logout(sess2, subRADIUS)
	if d, _ := s.dynamicPolicy(); d != "" {
		s.errorf("dynamic list %s left after logout", d)
	}
	s.consoleHidden()
}

// TestMirrorFlowLoginVariants: the login side of seed Table 2 beyond the
// plain RADIUS login. An Access-Accept whose mirroring VSAs are bad (a
// 5-byte Med-Dev-Handle; a Med-Dev-Handle without Med-Port-Number) still
// logs the subscriber in and its traffic flows; the failure goes to the
// secure log (RadiusBasedMirroringFailure, source radiusLogin), no
// dynamic list is made, and a CLI trigger for the user applies instead.
// Then with `aaa authentication ppp default local` (another AAA method) a
// CLI trigger set before login mirrors the session from its first packet.
func TestMirrorFlowLoginVariants(t *testing.T) {
	const (
		badHandle = "sub3@erx.test"
		noPort    = "sub4@erx.test"
		local     = "sub5@erx.test"
	)
	s := newSubLab(t, badHandle+` Cleartext-Password := "pw3"
	ERX-LI-Action = on,
	ERX-Med-Dev-Handle = 0x4000001011,
	ERX-Med-Ip-Address = 172.16.9.9,
	ERX-Med-Port-Number = 30030
`, noPort+` Cleartext-Password := "pw4"
	ERX-LI-Action = on,
	ERX-Med-Dev-Handle = 0x40000124,
	ERX-Med-Ip-Address = 172.16.9.9
`)
	s.Start()
	s.configure()
	s.trigger("mirror username " + noPort + " ip secure-policy-list " + subPolicy)

	for i, c := range []struct {
		user, pw, cause string
		triggered       bool
	}{
		{badHandle, "pw3", "bad Mirror Identifier (Med-Dev-Handle)", false},
		{noPort, "pw4", "Med-Dev-Handle and Med-Port-Number must be given together", true},
	} {
		failures := s.logCount("RadiusBasedMirroringFailure")
		sess, acct := s.login(c.user, c.pw, byte(0x51+i))
		if c.triggered {
			s.exchange(sess, "bad-vsa-"+c.user, 1, subMirID, sessionIDOf(t, acct))
		} else {
			ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
			err := sess.Ping(ctx, netip.MustParseAddr(mirDst), 1)
			cancel()
			if err != nil {
				s.fatalf("%s: ping through the session: %v", c.user, err)
			}
		}
		if d, block := s.dynamicPolicy(); d != "" {
			s.errorf("%s: a dynamic list was made from bad VSAs:\n%s", c.user, block)
		}
		log := s.ssh("mirror-enable\nshow mirror log")
		if n := strings.Count(log, "  RadiusBasedMirroringFailure  "); n != failures+1 ||
			!strings.Contains(log, "RadiusBasedMirroringFailure  source radiusLogin (") ||
			!strings.Contains(log, "  trigger username "+c.user+"  : missingOrInvalidAttribute: ") || !strings.Contains(log, c.cause) {
			s.errorf("%s: secure log (%d failures, want %d):\n%s", c.user, n, failures+1, log)
		}
		s.logout(sess, c.user)
	}

	// Another AAA method: local authentication.
	s.ssh("configure terminal\naaa local database default\naaa local username " + local + " password pw5\naaa authentication ppp default local")
	s.trigger("mirror username " + local + " ip secure-policy-list " + subPolicy)
	sess, acct := s.login(local, "pw5", 0x55)
	s.exchange(sess, "local-first", 2, subMirID, sessionIDOf(t, acct))
	s.logout(sess, local)
	s.consoleHidden()
}

// TestMirrorFlowInterfaceDirection: an interface attachment copies the
// direction it names and only that one. secure-output on the port toward
// dst copies the echo requests as they leave (byte for byte what dst
// received), never the replies; secure-input copies the replies as they
// arrive (what dst sent), never the requests.
func TestMirrorFlowInterfaceDirection(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ssh("mirror-enable\nconfigure terminal\n" +
		"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
		"secure ip policy-list " + mirPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 16\n exit\n")
	for _, c := range []struct {
		dir, pattern string
		icmpType     string // the echo type copied
		atDst        string // what dst's capture must hold byte for byte
	}{
		{"secure-output", "0e", "8", "dst " + mirDst},
		{"secure-input", "1e", "0", "src " + mirDst},
	} {
		m.ssh("mirror-enable\nconfigure terminal\ninterface gigabitEthernet 2/0/1\nip policy " + c.dir + " " + mirPolicy)
		ana := lab.StartCapture(t, m.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
		dstCap := lab.StartCapture(t, m.dst, "eth0", "icmp and "+c.atDst)
		m.ping(3, c.pattern)
		if _, err := ana.WaitFrames(3, mirWait, hasPattern(c.pattern)); err != nil {
			m.fatalf("%s: copies: %v", c.dir, err)
		}
		dstFrames, err := dstCap.WaitFrames(3, mirWait, nil)
		if err != nil {
			m.fatalf("%s: dst capture: %v", c.dir, err)
		}
		// A last ping's copy bounds the wait for any stray copy of the
		// other direction (it would have come first).
		m.ping(1, "ff")
		if _, err := ana.WaitFrames(1, mirWait, hasPattern("ff")); err != nil {
			m.fatalf("%s: copy of the last ping: %v", c.dir, err)
		}
		ana.Stop()
		dstCap.Stop()
		fs, err := ana.Frames()
		if err != nil {
			t.Fatal(err)
		}
		want := byKey(dstFrames, c.pattern)
		n := 0
		for _, f := range fs {
			cp, _ := parseJmirror(f.Data)
			k, ok := icmpKey(cp.inner)
			if !ok || !icmpHas(cp.inner, c.pattern) {
				continue
			}
			n++
			if !strings.HasPrefix(k, c.icmpType+"/") {
				t.Errorf("%s copied %s, want only echo type %s", c.dir, k, c.icmpType)
			} else if !bytes.Equal(cp.inner, want[k]) {
				t.Errorf("%s: copy %s is not what dst's link carried:\ncopy % x\ndst  % x", c.dir, k, cp.inner, want[k])
			}
		}
		if n != 3 {
			t.Errorf("%s: %d copies of the %s pings, want 3", c.dir, n, c.pattern)
		}
		m.ssh("mirror-enable\nconfigure terminal\ninterface gigabitEthernet 2/0/1\nno ip policy " + c.dir)
	}
}
