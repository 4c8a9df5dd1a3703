package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

const (
	subCLI     = "sub1@erx.test" // mirrored by a CLI trigger
	subRADIUS  = "sub2@erx.test" // mirrored by the VSAs of its Access-Accept
	subPolicy  = "LI-U"
	subMirID   = 17
	radSecret  = "testing123"
	coaSecret  = "coasecret"
	coaPort    = 1700
	udpSink    = 9 // discard port at dst; nobody listens, the capture sees it
	loginLimit = 60 * time.Second
)

// pppoeIPv4 returns the IPv4 packet of a PPPoE session frame (PPP
// protocol 0x0021), or nil.
func pppoeIPv4(frame []byte) []byte {
	if len(frame) < 14+6+2+20 || frame[12] != 0x88 || frame[13] != 0x64 {
		return nil
	}
	if binary.BigEndian.Uint16(frame[20:22]) != 0x0021 {
		return nil
	}
	p := frame[22:]
	tot := int(binary.BigEndian.Uint16(p[2:4]))
	if tot < 20 || tot > len(p) {
		return nil
	}
	return p[:tot]
}

// copyWith matches analyzer frames whose mirrored packet carries marker.
func copyWith(marker string) func([]byte) bool {
	return func(f []byte) bool {
		c, ok := parseJmirror(f)
		return ok && bytes.Contains(c.inner, []byte(marker))
	}
}

// subLab is the mirroring bed with PPPoE subscribers on 2/0/0, FreeRADIUS
// (reached through the management network) and the emulator.
type subLab struct {
	*mirrorLab
	fr  *radiustest.FreeRADIUS
	emu *pppoetest.Emulator
	ctx context.Context
	// seen are the Acct-Session-Ids of earlier logins (their Start
	// records stay in the detail file).
	seen map[string]bool
}

// newSubLab builds the bed (routerd not started yet); extraUsers are more
// FreeRADIUS users-file entries.
func newSubLab(t *testing.T, extraUsers ...string) *subLab {
	m := newMirrorLab(t)
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Secret: radSecret, Users: `
sub1@erx.test Cleartext-Password := "pw1"

sub2@erx.test Cleartext-Password := "pw2"
	ERX-LI-Action = on,
	ERX-Med-Dev-Handle = 0x40000123,
	ERX-Med-Ip-Address = 172.16.9.9,
	ERX-Med-Port-Number = 30030
` + strings.Join(extraUsers, "\n")})
	m.relayRADIUS(fr)
	emu := pppoetest.NewEmulator(openPacket(t, m.src))
	t.Cleanup(func() { emu.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return &subLab{mirrorLab: m, fr: fr, emu: emu, ctx: ctx, seen: map[string]bool{}}
}

func (s *subLab) configure() {
	s.configureForwarding()
	s.ssh("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n encapsulation pppoe\n ppp authentication pap\n exit\n" +
		"ip local pool SUBS 100.64.0.10 100.64.0.50\n" +
		"radius authentication server " + lab.ClientAddr + "\n key " + radSecret + "\n exit\n" +
		"radius accounting server " + lab.ClientAddr + "\n key " + radSecret + "\n exit\n" +
		"radius dynamic-request server " + lab.ClientAddr + "\n key " + coaSecret + "\n exit\n" +
		"aaa authentication ppp default radius\n" +
		"aaa accounting ppp default radius\n")
	s.configureSubPolicy()
}

// relayRADIUS relays the RADIUS authentication and accounting requests
// that the router sends over its management port to the client
// namespace's address on to fr, on this process's loopback.
func (m *mirrorLab) relayRADIUS(fr *radiustest.FreeRADIUS) {
	lab.UDPRelay(m.t, m.Client, netip.AddrPortFrom(netip.MustParseAddr(lab.ClientAddr), 1812), fr.AuthAddr)
	lab.UDPRelay(m.t, m.Client, netip.AddrPortFrom(netip.MustParseAddr(lab.ClientAddr), 1813), fr.AcctAddr)
}

// configureSubPolicy makes 2/0/2 an analyzer port and configures the
// secure policy list subPolicy that RADIUS attaches to subscribers
// (mirroring to mirAnalyzer port 30030, mirror identifier 17).
func (m *mirrorLab) configureSubPolicy() {
	m.ssh("mirror-enable\nconfigure terminal\n" +
		"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
		"secure ip policy-list " + subPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 17\n exit\n")
}

// login logs user in with the emulator and returns the session and its
// Acct-Session-Id, read from the Acct-Start FreeRADIUS recorded.
func (s *subLab) login(user, pw string, mac byte) (*pppoetest.PPPoESession, string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, loginLimit)
	defer cancel()
	sess, err := s.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, mac}, User: user, Password: pw,
		Accept: []ppp.AuthProtocol{ppp.AuthPAP}, Retries: 5, RetryInterval: 500 * time.Millisecond})
	if err != nil {
		s.fatalf("PPPoE login of %s: %v\nFreeRADIUS:\n%s", user, err, s.fr.Log())
	}
	start, err := s.fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Start" && r.Get("User-Name") == user &&
			r.Get("Framed-IP-Address") == sess.Address().String() && !s.seen[r.Get("Acct-Session-Id")]
	})
	if err != nil {
		s.fatalf("Acct-Start of %s: %v", user, err)
	}
	acct := start.Get("Acct-Session-Id")
	s.seen[acct] = true
	return sess, acct
}

// logout ends the session from the subscriber's side and waits until the
// router no longer lists it.
func (s *subLab) logout(sess *pppoetest.PPPoESession, user string) {
	s.t.Helper()
	if err := sess.Close(); err != nil {
		s.t.Logf("close: %v", err)
	}
	deadline := time.Now().Add(loginLimit)
	for {
		out := s.ssh("show subscribers username " + user)
		if strings.Contains(out, "No subscribers found") {
			return
		}
		if time.Now().After(deadline) {
			s.fatalf("%s still listed after logout:\n%s", user, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sessionIDOf is the Session-ID the analyzer must see for a session: the
// low 32 bits of its Acct-Session-Id (ten decimal digits on erx).
func sessionIDOf(t *testing.T, acct string) uint32 {
	v, err := strconv.ParseUint(acct, 10, 64)
	if err != nil {
		t.Fatalf("Acct-Session-Id %q is not decimal", acct)
	}
	return uint32(v)
}

// sendTraffic sends, through the subscriber's session, a UDP datagram
// carrying marker to dst's discard port, then count pings to dst; it
// fails the test when a ping is not answered.
func (s *subLab) sendTraffic(sess *pppoetest.PPPoESession, marker string, count int) {
	s.t.Helper()
	if err := sess.SendUDP(netip.AddrPortFrom(netip.MustParseAddr(mirDst), udpSink), []byte(marker)); err != nil {
		s.fatalf("send: %v", err)
	}
	for i := range count {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		err := sess.Ping(ctx, netip.MustParseAddr(mirDst), uint16(100+i))
		cancel()
		if err != nil {
			s.fatalf("ping through the session: %v", err)
		}
	}
}

// exchange sends, through the subscriber's session, a UDP datagram
// carrying marker first, then count pings to dst; it checks from the
// captures that the originals reached dst and that the analyzer received a
// copy of the datagram and of every echo request and reply, with the
// header wanted, byte for byte the packets on the access link.
func (s *subLab) exchange(sess *pppoetest.PPPoESession, marker string, count int, wantMID, wantSID uint32) {
	s.t.Helper()
	t := s.t
	ana := lab.StartCapture(t, s.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
	acc := lab.StartCapture(t, s.src, "eth0", "pppoes")
	dstCap := lab.StartCapture(t, s.dst, "eth0", "")
	s.sendTraffic(sess, marker, count)
	// The datagram and the pings reached dst: the original traffic.
	if _, err := dstCap.WaitFrames(1, mirWait, func(f []byte) bool { return bytes.Contains(f, []byte(marker)) }); err != nil {
		s.fatalf("dst never received the subscriber's first packet: %v", err)
	}
	frames, err := ana.WaitFrames(1+2*count, mirWait, func(f []byte) bool {
		c, ok := parseJmirror(f)
		return ok && c.sid == wantSID && c.mid == wantMID
	})
	if err != nil {
		s.fatalf("analyzer copies (Mirror-ID %#x, Session-ID %#x): %v", wantMID, wantSID, err)
	}
	accFrames, err := acc.WaitFrames(1+2*count, mirWait, func(f []byte) bool { return pppoeIPv4(f) != nil })
	if err != nil {
		s.fatalf("access capture: %v", err)
	}
	ana.Stop()
	acc.Stop()
	dstCap.Stop()
	onLink := map[string]bool{}
	for _, f := range accFrames {
		onLink[string(pppoeIPv4(f.Data))] = true
	}
	first := false
	for _, f := range frames {
		c, _ := parseJmirror(f.Data)
		if !onLink[string(c.inner)] {
			t.Errorf("copy is not byte for byte a packet of the session:\n% x", c.inner)
		}
		if bytes.Contains(c.inner, []byte(marker)) {
			first = true
		}
	}
	if !first {
		t.Errorf("the session's first packet (%q) was not mirrored", marker)
	}
	fields := lab.Tshark(t, ana.File, "-d", fmt.Sprintf("udp.port==%d,jmirror", mirPort), "-T", "fields",
		"-E", "separator=|", "-e", "jmirror.mid", "-e", "jmirror.sid", "-Y", "jmirror")
	want := fmt.Sprintf("0x%08x|0x%08x", wantMID, wantSID)
	n := strings.Count(fields, want)
	t.Logf("analyzer: %d copies with %s (tshark)", n, want)
	if n < 1+2*count {
		t.Errorf("tshark decodes %d copies with mid|sid %s, want %d:\n%s", n, want, 1+2*count, fields)
	}
}

// noCopies checks that traffic through sess is not mirrored: it sends a
// datagram with marker (to be left out), then makes mirroring visible
// again with resume and sends a second datagram; once the second one's
// copy has arrived, none of the first may be in the capture.
func (s *subLab) noCopies(sess *pppoetest.PPPoESession, marker string, resume func(), after string) {
	s.t.Helper()
	ana := lab.StartCapture(s.t, s.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
	dstCap := lab.StartCapture(s.t, s.dst, "eth0", "udp")
	dst := netip.AddrPortFrom(netip.MustParseAddr(mirDst), udpSink)
	if err := sess.SendUDP(dst, []byte(marker)); err != nil {
		s.fatalf("send: %v", err)
	}
	if _, err := dstCap.WaitFrames(1, mirWait, func(f []byte) bool { return bytes.Contains(f, []byte(marker)) }); err != nil {
		s.fatalf("dst did not receive %q: %v", marker, err)
	}
	resume()
	if err := sess.SendUDP(dst, []byte(after)); err != nil {
		s.fatalf("send: %v", err)
	}
	if _, err := ana.WaitFrames(1, mirWait, copyWith(after)); err != nil {
		s.fatalf("no copy of %q after mirroring resumed: %v", after, err)
	}
	ana.Stop()
	dstCap.Stop()
	fs, err := ana.Frames()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, f := range fs {
		if copyWith(marker)(f.Data) {
			s.errorf("%q was mirrored while mirroring was off", marker)
		}
	}
}

var sessionLogRE = regexp.MustCompile(`(?m)^.*Session(Start|End) .*$`)

// TestMirrorSubscriberCLITrigger: seed Table 2. The trigger `mirror
// username` is configured before the subscriber exists; the emulator logs
// in over PPPoE (authenticated by the real FreeRADIUS) and the session's
// first packet and all its traffic both ways are mirrored with the
// Session-ID from its Acct-Session-Id; logout stops it; a new login
// mirrors again; removing and re-adding the trigger while logged in stops
// and restarts it at once (Table 3, user case).
func TestMirrorSubscriberCLITrigger(t *testing.T) {
	s := newSubLab(t)
	s.Start()
	s.configure()
	s.ssh("mirror-enable\nconfigure terminal\nmirror username " + subCLI + " ip secure-policy-list " + subPolicy)

	sess, acct := s.login(subCLI, "pw1", 1)
	s.exchange(sess, "first-packet-1", 3, subMirID, sessionIDOf(t, acct))
	out := s.ssh("mirror-enable\nshow secure policy-list " + subPolicy + "\nshow mirror log")
	if !strings.Contains(out, "subscriber "+subCLI+" on ") || !strings.Contains(out, "SessionStart  source cliTrigger  trigger username "+subCLI) {
		s.fatalf("policy list / secure log after login:\n%s", out)
	}

	s.logout(sess, subCLI)
	out = s.ssh("mirror-enable\nshow secure policy-list " + subPolicy + "\nshow mirror log")
	if strings.Contains(out, "subscriber "+subCLI) || !strings.Contains(out, "SessionEnd  source cliTrigger  trigger username "+subCLI) {
		s.fatalf("policy list / secure log after logout:\n%s", out)
	}

	sess2, acct2 := s.login(subCLI, "pw1", 2)
	if acct2 == acct {
		t.Fatalf("same Acct-Session-Id %s for two sessions", acct)
	}
	s.exchange(sess2, "first-packet-2", 2, subMirID, sessionIDOf(t, acct2))

	// Table 3, user case: the trigger changes while the user is logged in.
	s.ssh("mirror-enable\nconfigure terminal\nno mirror username " + subCLI + " ip secure-policy-list " + subPolicy)
	s.noCopies(sess2, "while-untriggered", func() {
		s.ssh("mirror-enable\nconfigure terminal\nmirror username " + subCLI + " ip secure-policy-list " + subPolicy)
	}, "after-retrigger")
	s.exchange(sess2, "after-retrigger-2", 1, subMirID, sessionIDOf(t, acct2))
	log := s.ssh("mirror-enable\nshow mirror log")
	t.Logf("secure log, sessions:\n%s", strings.Join(sessionLogRE.FindAllString(log, -1), "\n"))
	s.logout(sess2, subCLI)

	// The trigger is static secure configuration: after a restart of
	// routerd the next login is mirrored again.
	s.Restart()
	sess3, acct3 := s.login(subCLI, "pw1", 3)
	s.exchange(sess3, "after-restart", 1, subMirID, sessionIDOf(t, acct3))
	s.logout(sess3, subCLI)

	// None of it shows to a session without mirror-enable.
	for _, cmd := range []string{"show configuration", "show log", "show subscribers", "show interfaces"} {
		out := s.ssh(cmd)
		for _, w := range []string{subPolicy, "analyzer", "secure", "Mirror", mirAnalyzer} {
			if strings.Contains(out, w) {
				t.Errorf("%s shows %q without mirror-enable:\n%s", cmd, w, out)
			}
		}
	}
}

// TestMirrorSubscriberRADIUS: RADIUS-based mirroring with the real
// FreeRADIUS. The Access-Accept's ERX VSAs start mirroring at login with
// the Mirror-ID of ERX-Med-Dev-Handle; CoA-Requests (radclient) to the
// dynamic-request server stop it and start it again with another handle,
// and bad CoAs are NAKed with the Error-Cause of the spec.
func TestMirrorSubscriberRADIUS(t *testing.T) {
	s := newSubLab(t)
	s.Start()
	s.configure()

	sess, acct := s.login(subRADIUS, "pw2", 3)
	sid := sessionIDOf(t, acct)
	s.exchange(sess, "radius-first", 2, 0x123, sid)
	pol := s.ssh("mirror-enable\nshow secure policy-list")
	if !regexp.MustCompile(`Secure policy list spl_[0-9a-f]{8}\n  Origin: RADIUS`).MatchString(pol) {
		s.fatalf("no RADIUS spl_ policy:\n%s", pol)
	}

	coa := func(attrs ...string) radiustest.RadclientResult {
		t.Helper()
		res, err := s.Radclient(coaPort, "coa", coaSecret, attrs...)
		if err != nil {
			s.fatalf("%v", err)
		}
		return res
	}
	asid := fmt.Sprintf(`Acct-Session-Id = "%s"`, acct)
	vsas := func(action, handle string) []string {
		return []string{asid, "ERX-LI-Action = " + action, "ERX-Med-Dev-Handle = " + handle,
			"ERX-Med-Ip-Address = " + mirAnalyzer, fmt.Sprintf("ERX-Med-Port-Number = %d", mirPort)}
	}

	// Bad requests: NAKed, nothing changes.
	for _, c := range []struct {
		name  string
		attrs []string
		cause string
	}{
		{"unknown session", append([]string{`Acct-Session-Id = "0000000000"`}, vsas("on", "0x40000999")[1:]...), "Session-Context-Not-Found"},
		{"bad Med-Dev-Handle", vsas("on", "0x010203"), "Invalid-Request"},
		{"LI-Action off not matching", vsas("off", "0x40000999"), "Invalid-Request"},
		{"Med-Dev-Handle without Med-Port-Number", vsas("on", "0x40000999")[:4], "Invalid-Request"},
	} {
		res := coa(c.attrs...)
		if res.Code != "CoA-NAK" || res.Get("Error-Cause") != c.cause {
			s.errorf("%s: %s Error-Cause %q, want CoA-NAK %s\n%s", c.name, res.Code, res.Get("Error-Cause"), c.cause, res.Output)
		}
	}

	// Stop with LI-Action off and the values in place.
	if res := coa(vsas("off", "0x40000123")...); res.Code != "CoA-ACK" {
		s.fatalf("CoA off: %s\n%s", res.Code, res.Output)
	}
	if pol := s.ssh("mirror-enable\nshow secure policy-list"); strings.Contains(pol, "spl_") {
		s.fatalf("spl_ policy still there after LI-Action off:\n%s", pol)
	}
	// Start again with an 8-byte handle: Mirror-ID 0x300, Session-ID 0x90.
	s.noCopies(sess, "after-coa-off", func() {
		if res := coa(vsas("on", "0x0000030000000090")...); res.Code != "CoA-ACK" {
			s.fatalf("CoA on: %s\n%s", res.Code, res.Output)
		}
	}, "after-coa-on")
	s.exchange(sess, "coa-started", 2, 0x300, 0x90)
	pol = s.ssh("mirror-enable\nshow secure policy-list\nshow mirror log")
	for _, want := range []string{"Origin: CoA", "SessionStart  source radiusLogin", "SessionStart  source radiusCoa", "RadiusBasedMirroringFailure"} {
		if !strings.Contains(pol, want) {
			s.errorf("secure policy list / log lacks %q:\n%s", want, pol)
		}
	}
	s.logout(sess, subRADIUS)
	if pol := s.ssh("mirror-enable\nshow secure policy-list"); strings.Contains(pol, "spl_") {
		s.errorf("spl_ policy still there after logout:\n%s", pol)
	}
	// Secrecy: nothing for an ordinary session.
	for _, cmd := range []string{"show configuration", "show log", "show radius statistics"} {
		out := s.ssh(cmd)
		for _, w := range []string{"spl_", "analyzer", "secure", "Mirror", mirAnalyzer} {
			if strings.Contains(out, w) {
				t.Errorf("%s shows %q without mirror-enable:\n%s", cmd, w, out)
			}
		}
	}
}
