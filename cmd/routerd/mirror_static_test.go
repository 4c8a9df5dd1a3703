package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
)

// Addresses of the mirroring lab (inside the test's namespaces).
const (
	mirSrc      = "10.1.0.2"   // src namespace, behind gigabitEthernet 2/0/0
	mirDst      = "10.2.0.2"   // dst namespace, behind gigabitEthernet 2/0/1
	mirNextHop  = "10.9.0.2"   // analyzer namespace's address on the analyzer link (2/0/2)
	mirAnalyzer = "172.16.9.9" // the analyzer (mediation device) itself, routed via mirNextHop
	mirPort     = 30030        // jmirror's UDP port
	mirID       = 16           // Mirror-ID configured with mirror-identifier
	mirPolicy   = "LI-1"       // secure policy list
	mirAnaIfIP  = "10.9.0.1"   // router's address on the analyzer interface: the copies' source
	mirWait     = 30 * time.Second
)

// mirrorLab is the static-interface mirroring bed: src — router — dst,
// and the analyzer behind the third data port.
type mirrorLab struct {
	*lab.Lab
	t                  *testing.T
	src, dst, analyzer string
}

func newMirrorLab(t *testing.T) *mirrorLab {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0", "gigabitEthernet 2/0/1", "gigabitEthernet 2/0/2"}})
	m := &mirrorLab{Lab: l, t: t, src: l.Neighbours[0], dst: l.Neighbours[1], analyzer: l.Neighbours[2]}
	for _, ns := range l.Neighbours {
		lab.Run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	}
	lab.Run(t, "ip", "-n", m.src, "addr", "add", mirSrc+"/24", "dev", "eth0")
	lab.Run(t, "ip", "-n", m.src, "route", "add", "default", "via", "10.1.0.1")
	lab.Run(t, "ip", "-n", m.dst, "addr", "add", mirDst+"/24", "dev", "eth0")
	lab.Run(t, "ip", "-n", m.dst, "route", "add", "default", "via", "10.2.0.1")
	lab.Run(t, "ip", "-n", m.analyzer, "addr", "add", mirNextHop+"/24", "dev", "eth0")
	lab.Run(t, "ip", "-n", m.analyzer, "addr", "add", mirAnalyzer+"/32", "dev", "eth0")
	lab.Run(t, "ip", "netns", "exec", l.Router, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	// The mediation device's application listens on the jmirror port.
	lab.UDPSink(t, m.analyzer, netip.AddrPortFrom(netip.MustParseAddr(mirAnalyzer), mirPort))
	return m
}

// fatalf fails the test with routerd's console.
func (m *mirrorLab) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nrouterd console:\n%s", fmt.Sprintf(format, args...), m.Console())
}

func (m *mirrorLab) errorf(format string, args ...any) {
	m.t.Helper()
	m.t.Errorf("%s\nrouterd console:\n%s", fmt.Sprintf(format, args...), m.Console())
}

// ssh runs lines in one new CLI session and fails the test when one fails.
func (m *mirrorLab) ssh(lines string) string {
	m.t.Helper()
	out, err := m.SSH(lines)
	if err != nil {
		m.fatalf("ssh %q: %v\n%s", lines, err, out)
	}
	return out
}

// configureForwarding gives the three data ports their addresses and the
// route and static ARP entry toward the analyzer (ordinary configuration).
func (m *mirrorLab) configureForwarding() {
	m.ssh("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/2\n ip address " + mirAnaIfIP + " 255.255.255.0\n exit\n" +
		"arp " + mirNextHop + " " + lab.DottedMAC(lab.MAC(m.t, m.analyzer, "eth0")) + "\n" +
		"ip route 172.16.9.0 255.255.255.0 " + mirNextHop + "\n")
}

// ping sends count echo requests from src to dst with a payload pattern
// and fails the test when they are not answered (the original traffic is
// forwarded).
func (m *mirrorLab) ping(count int, pattern string) {
	m.t.Helper()
	out, err := m.In(m.src, "ping", "-n", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "5", "-p", pattern, mirDst)
	if err != nil {
		m.fatalf("ping %s → %s through the router: %v\n%s", mirSrc, mirDst, err, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d received", count)) {
		m.fatalf("ping lost packets:\n%s", out)
	}
}

// jmCopy is one jmirror packet received by the analyzer.
type jmCopy struct {
	outer        []byte // outer IPv4 packet
	mid, sid     uint32
	inner        []byte // the mirrored IPv4 packet
	sport, dport uint16
	udpCsum      uint16
}

// parseJmirror decodes an Ethernet frame carrying IPv4/UDP/jmirror.
func parseJmirror(frame []byte) (jmCopy, bool) {
	ip := lab.IPv4(frame)
	if ip == nil || ip[9] != 17 {
		return jmCopy{}, false
	}
	ihl := int(ip[0]&0x0f) * 4
	if len(ip) < ihl+8+8+20 {
		return jmCopy{}, false
	}
	udp := ip[ihl:]
	c := jmCopy{outer: ip, sport: binary.BigEndian.Uint16(udp[0:2]), dport: binary.BigEndian.Uint16(udp[2:4]),
		udpCsum: binary.BigEndian.Uint16(udp[6:8])}
	if c.dport != mirPort {
		return jmCopy{}, false
	}
	h := udp[8:]
	c.mid, c.sid, c.inner = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8]), h[8:]
	return c, true
}

func isJmirror(f []byte) bool { _, ok := parseJmirror(f); return ok }

// ICMP echo helpers, shared with the image tier (internal/lab/packets.go).
var (
	icmpKey    = lab.ICMPEchoKey
	icmpHas    = lab.ICMPHasPattern
	withoutTTL = lab.WithoutTTL
	byKey      = lab.ICMPEchoByKey
)

func hasPattern(pattern string) func([]byte) bool {
	return func(f []byte) bool {
		c, ok := parseJmirror(f)
		return ok && icmpHas(c.inner, pattern)
	}
}

// logSessionID returns the Session-ID the secure log gives the
// activation of interface mirroring on ifname.
var activatedRE = regexp.MustCompile(`InterfaceSessionActivated .*trigger interfaceString (\S+ \S+) .*session-id 0x([0-9a-f]{8})`)

func (m *mirrorLab) logSessionID(ifname string) uint32 {
	m.t.Helper()
	out := m.ssh("mirror-enable\nshow mirror log")
	for _, mm := range activatedRE.FindAllStringSubmatch(out, -1) {
		if mm[1] == ifname {
			v, _ := strconv.ParseUint(mm[2], 16, 32)
			return uint32(v)
		}
	}
	m.fatalf("no InterfaceSessionActivated for %s in the secure log:\n%s", ifname, out)
	return 0
}

// checkTraffic sends count pings with pattern and checks, from captures in
// src, dst and the analyzer, that the originals are forwarded and that
// the analyzer gets one jmirror copy of each request (ingress on 2/0/0)
// and of each reply (egress on 2/0/0), with the right header, byte for
// byte the packets src sent and received (and dst received, but for the
// hop's TTL and checksum).
func (m *mirrorLab) checkTraffic(count int, pattern string, wantSID uint32) {
	m.t.Helper()
	t := m.t
	ana := lab.StartCapture(t, m.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
	srcCap := lab.StartCapture(t, m.src, "eth0", "icmp")
	dstCap := lab.StartCapture(t, m.dst, "eth0", "icmp")
	// What an operator without mirror-enable sees of the analyzer port.
	anaIf := m.ssh("show interfaces gigabitEthernet 2/0/2")
	m.ping(count, pattern)
	frames, err := ana.WaitFrames(2*count, mirWait, hasPattern(pattern))
	if err != nil {
		m.fatalf("analyzer copies of the %s pings: %v", pattern, err)
	}
	srcFrames, err := srcCap.WaitFrames(2*count, mirWait, nil)
	if err != nil {
		m.fatalf("src capture: %v", err)
	}
	dstFrames, err := dstCap.WaitFrames(2*count, mirWait, nil)
	if err != nil {
		m.fatalf("dst capture: %v", err)
	}
	ana.Stop()
	srcCap.Stop()
	dstCap.Stop()
	if after := m.ssh("show interfaces gigabitEthernet 2/0/2"); after != anaIf {
		t.Errorf("the analyzer port's counters show the copies to a session without mirror-enable:\nbefore:\n%s\nafter:\n%s", anaIf, after)
	}
	sent, atDst := byKey(srcFrames, pattern), byKey(dstFrames, pattern)

	// The analyzer's own decoder agrees: Wireshark's jmirror dissector.
	fields := lab.Tshark(t, ana.File, "-d", fmt.Sprintf("udp.port==%d,jmirror", mirPort), "-T", "fields",
		"-E", "separator=|", "-e", "jmirror.mid", "-e", "jmirror.sid", "-e", "icmp.type", "-Y", "jmirror")
	lines := strings.Fields(fields)
	t.Logf("analyzer: %d jmirror copies of the %q pings; tshark (mid|sid|icmp type): %s", len(frames), pattern, strings.Join(lines, " "))
	if len(lines) < 2*count {
		m.fatalf("tshark decoded %d jmirror packets, want at least %d:\n%s", len(lines), 2*count, fields)
	}
	for _, ln := range lines {
		p := strings.Split(ln, "|")
		if len(p) < 2 {
			m.fatalf("tshark line %q", ln)
		}
		mid, err1 := strconv.ParseUint(strings.TrimPrefix(p[0], "0x"), 16, 32)
		sid, err2 := strconv.ParseUint(strings.TrimPrefix(p[1], "0x"), 16, 32)
		if err1 != nil || err2 != nil || mid != mirID || uint32(sid) != wantSID {
			m.errorf("tshark: jmirror.mid %s jmirror.sid %s, want Mirror-ID %d and Session-ID %#x", p[0], p[1], mirID, wantSID)
		}
	}

	seen := map[string]bool{}
	for _, f := range frames {
		c, _ := parseJmirror(f.Data)
		if got := fmt.Sprintf("%d.%d.%d.%d→%d.%d.%d.%d ttl %d", c.outer[12], c.outer[13], c.outer[14], c.outer[15],
			c.outer[16], c.outer[17], c.outer[18], c.outer[19], c.outer[8]); got != mirAnaIfIP+"→"+mirAnalyzer+" ttl 255" {
			t.Errorf("outer IPv4 header %s, want %s→%s ttl 255", got, mirAnaIfIP, mirAnalyzer)
		}
		if c.sport != mirPort || c.udpCsum != 0 {
			t.Errorf("outer UDP: source port %d checksum %#x, want %d and 0", c.sport, c.udpCsum, mirPort)
		}
		if c.mid != mirID || c.sid != wantSID {
			t.Errorf("header: Mirror-ID %d Session-ID %#x, want %d and %#x", c.mid, c.sid, mirID, wantSID)
		}
		k, ok := icmpKey(c.inner)
		if !ok {
			t.Errorf("mirrored packet is not an ICMP echo: % x", c.inner)
			continue
		}
		if seen[k] {
			t.Errorf("packet %s mirrored twice", k)
		}
		seen[k] = true
		orig, ok := sent[k]
		if !ok {
			m.errorf("mirrored packet %s was never seen in src's capture", k)
			continue
		}
		if !bytes.Equal(c.inner, orig) {
			t.Errorf("mirrored packet %s differs from the one on the src link:\nmirror % x\nsrc    % x", k, c.inner, orig)
		}
		if strings.HasPrefix(k, "8/") {
			d, ok := atDst[k]
			switch {
			case !ok:
				t.Errorf("request %s was mirrored but never reached dst", k)
			case !bytes.Equal(withoutTTL(c.inner), withoutTTL(d)) || c.inner[8] != d[8]+1:
				t.Errorf("request %s: the copy (received by the router) is not what dst received but for one hop's TTL:\nmirror % x\ndst    % x", k, c.inner, d)
			}
		}
	}
	for k := range sent {
		if !seen[k] {
			t.Errorf("packet %s crossed 2/0/0 but no copy reached the analyzer", k)
		}
	}
}

// secureSetup is the operator's mirroring configuration (seed Table 1 B,
// Table 3 static interface).
const secureSetup = "mirror-enable\nconfigure terminal\n" +
	"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
	"secure ip policy-list " + mirPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 16\n exit\n" +
	"interface gigabitEthernet 2/0/0\n ip policy secure-input " + mirPolicy + "\n ip policy secure-output " + mirPolicy + "\n exit\n"

// secretWords are what a session without mirror-enable must never see.
var secretWords = []string{mirPolicy, mirAnalyzer, "30030", "analyzer", "secure", "policy-list", "Mirror", "jmirror", "spl_"}

func (m *mirrorLab) assertHidden(what, out string) {
	m.t.Helper()
	for _, w := range secretWords {
		if strings.Contains(out, w) {
			m.t.Errorf("%s shows %q to a session without mirror-enable:\n%s", what, w, out)
		}
	}
}

// TestMirrorStaticInterface: seed Table 3, static interface. The operator
// mirrors gigabitEthernet 2/0/0 over SSH; traffic src → dst is forwarded
// unchanged and the analyzer receives jmirror copies (Mirror-ID from
// mirror-identifier, Session-ID the interface's index) that are the
// packets themselves. Then secrecy, restart from the secure store, and
// analyzer route tracking.
func TestMirrorStaticInterface(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ping(2, "a0") // forwarding works before any mirroring
	m.ssh(secureSetup)

	pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy)
	for _, want := range []string{"Secure policy list " + mirPolicy, "analyzer-udp-port 30030 mirror-identifier 16",
		"Analyzer: reachable via gigabitEthernet 2/0/2", "Mirror action: enabled", "gigabitEthernet 2/0/0 secure-input", "gigabitEthernet 2/0/0 secure-output"} {
		if !strings.Contains(pol, want) {
			m.fatalf("show secure policy-list lacks %q:\n%s", want, pol)
		}
	}
	sid := m.logSessionID("gigabitEthernet 2/0/0")
	if sid == 0 {
		m.fatalf("interface Session-ID 0")
	}

	t.Run("copies", func(t *testing.T) {
		m := *m
		m.t = t
		m.checkTraffic(5, "c1", sid)
	})

	t.Run("secrecy", func(t *testing.T) {
		m := *m
		m.t = t
		m.checkSecrecy()
	})

	t.Run("no mirror-enable", func(t *testing.T) {
		m := *m
		m.t = t
		out, err := m.SSH("mirror-enable\nshow secure policy-list\nno mirror-enable\nshow secure policy-list")
		if err == nil || !strings.Contains(out, "Secure policy list "+mirPolicy) || strings.Count(out, "Secure policy list "+mirPolicy) != 1 ||
			!strings.Contains(out, "% Invalid input") {
			m.errorf("after no mirror-enable the session still sees secure policies (err %v):\n%s", err, out)
		}
		// Mirroring goes on.
		m.checkTraffic(3, "c2", sid)
	})

	t.Run("restart", func(t *testing.T) {
		m := *m
		m.t = t
		m.Restart()
		m.WaitForwarding(m.src, mirDst)
		// The secure log is volatile: what was logged before is gone.
		if log := m.ssh("mirror-enable\nshow mirror log"); strings.Contains(log, "ip policy secure-input "+mirPolicy) ||
			!strings.Contains(log, "secure configuration restored") {
			m.errorf("secure log after a restart:\n%s", log)
		}
		pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy)
		for _, want := range []string{"Mirror action: enabled", "gigabitEthernet 2/0/0 secure-input", "gigabitEthernet 2/0/0 secure-output"} {
			if !strings.Contains(pol, want) {
				m.fatalf("after a restart, show secure policy-list lacks %q:\n%s", want, pol)
			}
		}
		m.checkTraffic(3, "c3", sid)
		m.checkSecrecy()
	})

	t.Run("analyzer route", func(t *testing.T) {
		m := *m
		m.t = t
		m.ssh("configure terminal\nno ip route 172.16.9.0 255.255.255.0 " + mirNextHop)
		pol := m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy)
		for _, want := range []string{"Analyzer: unreachable: no route", "Mirror action: disabled (analyzer unreachable)"} {
			if !strings.Contains(pol, want) {
				m.fatalf("without a route to the analyzer, show secure policy-list lacks %q:\n%s", want, pol)
			}
		}
		ana := lab.StartCapture(t, m.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
		m.ping(3, "d0") // forwarded, not mirrored
		m.ssh("configure terminal\nip route 172.16.9.0 255.255.255.0 " + mirNextHop)
		pol = m.ssh("mirror-enable\nshow secure policy-list " + mirPolicy + "\nshow mirror log")
		for _, want := range []string{"Mirror action: enabled", "AnalyzerUnreachable", "AnalyzerReachable"} {
			if !strings.Contains(pol, want) {
				m.fatalf("after the route came back, show secure policy-list / mirror log lacks %q:\n%s", want, pol)
			}
		}
		m.ping(3, "d1")
		got, err := ana.WaitFrames(6, mirWait, hasPattern("d1"))
		if err != nil {
			m.fatalf("after the route came back: %v", err)
		}
		_ = got
		ana.Stop()
		fs, err := ana.Frames()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if hasPattern("d0")(f.Data) {
				m.errorf("a packet sent while the analyzer was unreachable was mirrored")
				break
			}
		}
	})
}

// checkSecrecy: a second operator without mirror-enable sees nothing of
// mirroring anywhere, and the ordinary configuration on flash has none
// of it.
func (m *mirrorLab) checkSecrecy() {
	t := m.t
	for _, cmd := range []string{"show configuration", "show ip interface", "show interfaces", "show log",
		"show ip interface gigabitEthernet 2/0/0", "show interfaces gigabitEthernet 2/0/2"} {
		m.assertHidden(cmd, m.ssh(cmd))
	}
	// Hidden commands are rejected exactly like words that do not exist.
	for _, cmd := range []string{"show secure policy-list", "show mirror log", "clear mirror log"} {
		word := strings.Fields(cmd)[1]
		hidden, err1 := m.SSH(cmd)
		unknown, err2 := m.SSH(strings.Replace(cmd, word, "xyzzy", 1))
		if err1 == nil || err2 == nil || !strings.Contains(hidden, "% Invalid input") ||
			strings.ReplaceAll(hidden, word, "xyzzy") != unknown {
			t.Errorf("%q without mirror-enable is not rejected like an unknown word (%v, %v):\n%s\nunknown word:\n%s", cmd, err1, err2, hidden, unknown)
		}
		m.assertHidden(cmd, hidden)
	}
	// Configuration commands too: the same answer as a word that does not
	// exist in that position.
	for _, c := range [][2]string{
		{"configure terminal\nsecure ip policy-list X2", "secure"},
		{"configure terminal\ninterface gigabitEthernet 2/0/1\nip policy secure-input " + mirPolicy, "policy"},
		{"configure terminal\ninterface gigabitEthernet 2/0/1\nip analyzer", "analyzer"},
		{"configure terminal\nmirror username someone ip secure-policy-list " + mirPolicy, "mirror"},
	} {
		hidden, err1 := m.SSH(c[0])
		unknown, err2 := m.SSH(strings.Replace(c[0], c[1], "xyzzy", 1))
		if err1 == nil || err2 == nil || strings.Replace(hidden, c[1], "xyzzy", 1) != unknown {
			t.Errorf("%q without mirror-enable is not rejected like an unknown word (%v, %v):\n%s\nunknown word:\n%s", c[0], err1, err2, hidden, unknown)
		}
		m.assertHidden(c[0], hidden)
	}
	// Help at several positions, typed in a terminal session.
	help, err := m.Interactive("?\x15show ?\x15clear ?\x15configure terminal\r?\x15interface gigabitEthernet 2/0/0\r?\x15ip ?\x15ip policy ?\x15exit\rend\r")
	if err != nil {
		m.errorf("interactive session: %v\n%s", err, help)
	}
	if !strings.Contains(help, "mirror-enable") {
		t.Errorf("mirror-enable itself should be listed by ? (it is always visible):\n%s", help)
	}
	var rest []string // the help without mirror-enable's own line
	for _, ln := range strings.Split(help, "\n") {
		if !strings.Contains(ln, "mirror-enable") {
			rest = append(rest, ln)
		}
	}
	for _, w := range []string{"secure", "analyzer", "policy-list", "mirror", mirPolicy} {
		if strings.Contains(strings.Join(rest, "\n"), w) {
			t.Errorf("? shows %q without mirror-enable:\n%s", w, help)
		}
	}
	// The same places list them once mirror-enable is on (the check above
	// is not vacuous).
	help, err = m.Interactive("mirror-enable\rshow ?\x15configure terminal\r?\x15interface gigabitEthernet 2/0/0\rip ?\x15exit\rend\r")
	if err != nil {
		m.errorf("interactive session: %v\n%s", err, help)
	}
	for _, w := range []string{"secure", "mirror", "analyzer", "policy"} {
		if !strings.Contains(help, w) {
			t.Errorf("with mirror-enable, ? does not show %q:\n%s", w, help)
		}
	}
	// The ordinary configuration on flash carries none of it (the secure
	// store keeps it).
	cnf, err := os.ReadFile(filepath.Join(m.FlashDir(), "system.cnf"))
	if err != nil {
		t.Fatal(err)
	}
	m.assertHidden("system.cnf", string(cnf))
	if _, err := os.Stat(filepath.Join(m.FlashDir(), "secure", "mirror.json")); err != nil {
		t.Errorf("secure store: %v", err)
	}
}

// TestMirrorPlainAnalyzer: the analyzer interface is send-only (what
// arrives on it is dropped, even with the router's MAC and address), and
// a mirror rule without analyzer-udp-port sends each copy as the
// original IP packet, unchanged, to the analyzer's next hop.
func TestMirrorPlainAnalyzer(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	// The analyzer knows the router's MAC (the data plane's, as show
	// interfaces gives it: the host kernel may see another one), so only
	// the router's receive side decides whether it answers.
	lab.Run(t, "ip", "-n", m.analyzer, "neigh", "replace", mirAnaIfIP, "lladdr", routerMAC(t, m.Lab, "gigabitEthernet 2/0/2"), "dev", "eth0", "nud", "permanent")
	if out, err := m.In(m.analyzer, "ping", "-n", "-c", "1", "-W", "5", mirAnaIfIP); err != nil {
		m.fatalf("before ip analyzer the port answers: %v\n%s", err, out)
	}
	m.ssh("mirror-enable\nconfigure terminal\n" +
		"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
		"secure ip policy-list LI-P\n mirror analyzer-ip-address " + mirAnalyzer + "\n exit\n" +
		"interface gigabitEthernet 2/0/1\n ip policy secure-input LI-P\n exit\n")
	if out, err := m.In(m.analyzer, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", mirAnaIfIP); err == nil {
		m.errorf("the analyzer interface answered a ping:\n%s", out)
	}
	pol := m.ssh("mirror-enable\nshow secure policy-list LI-P")
	for _, want := range []string{"plain IP mirroring, no header", "Mirror action: enabled", "gigabitEthernet 2/0/1 secure-input"} {
		if !strings.Contains(pol, want) {
			m.fatalf("show secure policy-list lacks %q:\n%s", want, pol)
		}
	}

	ana := lab.StartCapture(t, m.analyzer, "eth0", "icmp and src host "+mirDst)
	dstCap := lab.StartCapture(t, m.dst, "eth0", "icmp and src host "+mirDst)
	m.ping(4, "e1")
	copies, err := ana.WaitFrames(4, mirWait, func(f []byte) bool { return icmpHas(lab.IPv4(f), "e1") })
	if err != nil {
		m.fatalf("plain copies at the analyzer: %v", err)
	}
	replies, err := dstCap.WaitFrames(4, mirWait, func(f []byte) bool { return icmpHas(lab.IPv4(f), "e1") })
	if err != nil {
		m.fatalf("dst capture: %v", err)
	}
	ana.Stop()
	dstCap.Stop()
	sent := byKey(replies, "e1")
	anaMAC := lab.MAC(t, m.analyzer, "eth0")
	for _, f := range copies {
		ip := lab.IPv4(f.Data)
		k, _ := icmpKey(ip)
		if got := net.HardwareAddr(f.Data[0:6]).String(); got != anaMAC {
			t.Errorf("copy %s sent to MAC %s, want the analyzer next hop's %s", k, got, anaMAC)
		}
		if !bytes.Equal(ip, sent[k]) {
			t.Errorf("plain copy %s is not the packet dst sent:\ncopy % x\ndst  % x", k, ip, sent[k])
		}
	}
	m.assertHidden("show interfaces gigabitEthernet 2/0/2", m.ssh("show interfaces gigabitEthernet 2/0/2"))
}
