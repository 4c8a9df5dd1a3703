package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/internal/netns"
)

// The IPoE subscriber of the mirroring bed: src's eth0 leases from this
// pool on gigabitEthernet 2/0/0.
const (
	ipoePool  = "IPOE"
	ipoeFirst = "10.1.0.100"
)

// ipoeLab is the mirroring bed with an IPoE subscriber (the real udhcpc in
// src) on 2/0/0, authenticated by MAC address through FreeRADIUS.
type ipoeLab struct {
	*mirrorLab
	fr   *radiustest.FreeRADIUS
	user string // the subscriber's User-Name: src's MAC address, E Series dotted
	ctx  context.Context
	seen map[string]bool // Acct-Session-Ids of earlier leases
	dir  string
}

func newIPoELab(t *testing.T) *ipoeLab {
	m := newMirrorLab(t)
	user := lab.DottedMAC(lab.MAC(t, m.src, "eth0"))
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Secret: radSecret,
		Users: fmt.Sprintf("%s Cleartext-Password := %q\n", user, user)})
	m.relayRADIUS(fr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	// The subscriber has no address until DHCP gives it one.
	lab.Run(t, "ip", "-n", m.src, "addr", "flush", "dev", "eth0")
	return &ipoeLab{mirrorLab: m, fr: fr, user: user, ctx: ctx, seen: map[string]bool{}, dir: t.TempDir()}
}

func (s *ipoeLab) configure() {
	s.configureForwarding()
	s.ssh("configure terminal\n" +
		"ip local pool " + ipoePool + " " + ipoeFirst + " 10.1.0.120\n" +
		"interface gigabitEthernet 2/0/0\n ip auto-configure ip-subscriber pool " + ipoePool + "\n exit\n" +
		"radius authentication server " + lab.ClientAddr + "\n key " + radSecret + "\n exit\n" +
		"radius accounting server " + lab.ClientAddr + "\n key " + radSecret + "\n exit\n" +
		"aaa authentication ip default radius\n" +
		"aaa accounting ppp default radius\n")
	s.configureSubPolicy()
}

// udhcpc starts the real udhcpc on src's eth0 (foreground, releasing on
// exit, pid file for the release/renew signals) and waits for its lease.
func (s *ipoeLab) udhcpc() *lab.Proc {
	s.t.Helper()
	script := netns.UdhcpcScript(s.t, s.dir)
	p := s.Background(s.src, "udhcpc", "-i", "eth0", "-f", "-R", "-t", "10", "-T", "2", "-A", "2",
		"-p", filepath.Join(s.dir, "udhcpc.pid"), "-s", script)
	s.waitLeases(p, 1)
	return p
}

// waitLeases waits until udhcpc has obtained n leases in all.
func (s *ipoeLab) waitLeases(p *lab.Proc, n int) {
	s.t.Helper()
	deadline := time.Now().Add(loginLimit)
	for strings.Count(p.Output(), "lease of "+ipoeFirst+" obtained") < n {
		if time.Now().After(deadline) {
			s.fatalf("udhcpc lease %d:\n%s\nFreeRADIUS:\n%s", n, p.Output(), s.fr.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signal sends sig (USR1 renew, USR2 release) to udhcpc.
func (s *ipoeLab) signal(sig string) {
	s.t.Helper()
	pid, err := os.ReadFile(filepath.Join(s.dir, "udhcpc.pid"))
	if err != nil {
		s.t.Fatal(err)
	}
	lab.Run(s.t, "kill", "-"+sig, strings.TrimSpace(string(pid)))
}

// session waits for the Acct-Start of a new IPoE session of the
// subscriber and returns its Acct-Session-Id.
func (s *ipoeLab) session() string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, loginLimit)
	defer cancel()
	start, err := s.fr.WaitAccounting(ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Start" && r.Get("User-Name") == s.user &&
			r.Get("Framed-IP-Address") == ipoeFirst && !s.seen[r.Get("Acct-Session-Id")]
	})
	if err != nil {
		s.fatalf("Acct-Start of %s: %v", s.user, err)
	}
	acct := start.Get("Acct-Session-Id")
	s.seen[acct] = true
	return acct
}

// exchange pings dst count times with pattern from the subscriber and
// checks from captures in src, dst and the analyzer that the originals
// went through and that the analyzer got one jmirror copy of every echo
// request (ingress) and reply (egress) with the wanted Mirror-ID and
// Session-ID, whose inner packet is byte for byte what the subscriber
// sent or received (and, but for the hop's TTL and checksum, what dst
// received and sent).
func (s *ipoeLab) exchange(count int, pattern string, wantMID, wantSID uint32) {
	s.t.Helper()
	t := s.t
	ana := lab.StartCapture(t, s.analyzer, "eth0", fmt.Sprintf("udp port %d", mirPort))
	srcCap := lab.StartCapture(t, s.src, "eth0", "icmp")
	dstCap := lab.StartCapture(t, s.dst, "eth0", "icmp")
	out, err := s.In(s.src, "ping", "-n", "-c", fmt.Sprint(count), "-i", "0.2", "-W", "5", "-p", pattern, mirDst)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d received", count)) {
		s.fatalf("ping through the IPoE subscriber: %v\n%s", err, out)
	}
	copies, err := ana.WaitFrames(2*count, mirWait, func(f []byte) bool {
		c, ok := parseJmirror(f)
		return ok && c.mid == wantMID && c.sid == wantSID && icmpHas(c.inner, pattern)
	})
	if err != nil {
		s.fatalf("analyzer copies (Mirror-ID %#x, Session-ID %#x): %v", wantMID, wantSID, err)
	}
	srcFrames, err := srcCap.WaitFrames(2*count, mirWait, nil)
	if err != nil {
		s.fatalf("subscriber capture: %v", err)
	}
	dstFrames, err := dstCap.WaitFrames(2*count, mirWait, nil)
	if err != nil {
		s.fatalf("dst capture: %v", err)
	}
	ana.Stop()
	srcCap.Stop()
	dstCap.Stop()
	onSub := byKey(srcFrames, pattern)
	atDst := byKey(dstFrames, pattern)
	if len(onSub) != 2*count || len(atDst) != 2*count {
		s.fatalf("captured %d packets at the subscriber and %d at dst, want %d each", len(onSub), len(atDst), 2*count)
	}
	for _, f := range copies {
		c, _ := parseJmirror(f.Data)
		k, _ := icmpKey(c.inner)
		if string(onSub[k]) != string(c.inner) {
			t.Errorf("copy %s is not byte for byte the subscriber's packet:\n% x\n% x", k, c.inner, onSub[k])
		}
		if string(withoutTTL(atDst[k])) != string(withoutTTL(c.inner)) {
			t.Errorf("copy %s differs from dst's packet beyond TTL and checksum", k)
		}
	}
	fields := lab.Tshark(t, ana.File, "-d", fmt.Sprintf("udp.port==%d,jmirror", mirPort), "-T", "fields",
		"-E", "separator=|", "-e", "jmirror.mid", "-e", "jmirror.sid", "-Y", "jmirror")
	want := fmt.Sprintf("0x%08x|0x%08x", wantMID, wantSID)
	if n := strings.Count(fields, want); n < 2*count {
		t.Errorf("tshark decodes %d copies with mid|sid %s, want %d:\n%s", n, want, 2*count, fields)
	}
}

// waitGone waits until the router no longer lists the subscriber.
func (s *ipoeLab) waitGone() {
	s.t.Helper()
	deadline := time.Now().Add(loginLimit)
	for {
		out := s.ssh("show subscribers username " + s.user)
		if strings.Contains(out, "No subscribers found") {
			return
		}
		if time.Now().After(deadline) {
			s.fatalf("%s still listed after the release:\n%s", s.user, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMirrorIPoECLITrigger: seed Table 2 for an IP subscriber. The
// trigger `mirror username` (the subscriber's MAC, its IPoE User-Name) is
// configured before the subscriber exists; the real udhcpc leases an
// address, FreeRADIUS authorizes it, and the session's traffic both ways
// is mirrored from its IP subscriber interface with the Session-ID of its
// Acct-Session-Id; the DHCP release (udhcpc, SIGUSR2) stops the mirror; the
// next lease (SIGUSR1) is a new session, mirrored again while the trigger
// stays. The session's accounting counts the traffic. After a restart of
// routerd the lease kept on flash gets its session (and mirror) back
// without waiting for a renewal.
func TestMirrorIPoECLITrigger(t *testing.T) {
	s := newIPoELab(t)
	s.Start()
	s.configure()
	s.ssh("mirror-enable\nconfigure terminal\nmirror username " + s.user + " ip secure-policy-list " + subPolicy)

	p := s.udhcpc()
	acct := s.session()
	subs := s.ssh("show subscribers username " + s.user)
	if !strings.Contains(subs, ipoeFirst) || !strings.Contains(subs, "GigabitEthernet2/0/0.0.1") || !strings.Contains(subs, " IP ") {
		s.fatalf("show subscribers does not show the IP subscriber interface:\n%s", subs)
	}
	s.exchange(3, "ab01", subMirID, sessionIDOf(t, acct))
	out := s.ssh("mirror-enable\nshow secure policy-list " + subPolicy + "\nshow mirror log")
	if !strings.Contains(out, "subscriber "+s.user+" on ") || !strings.Contains(out, "SessionStart  source cliTrigger  trigger username "+s.user) {
		s.fatalf("policy list / secure log after the lease:\n%s", out)
	}

	// The release ends the session: mirroring stops, Acct-Stop counts the
	// pings (three requests in, three replies out, 84 bytes each).
	s.signal("USR2")
	s.waitGone()
	out = s.ssh("mirror-enable\nshow secure policy-list " + subPolicy + "\nshow mirror log")
	if strings.Contains(out, "subscriber "+s.user) || !strings.Contains(out, "SessionEnd  source cliTrigger  trigger username "+s.user) {
		s.fatalf("policy list / secure log after the release:\n%s", out)
	}
	stop, err := s.fr.WaitAccounting(s.ctx, func(r radiustest.DetailRecord) bool {
		return r.Get("Acct-Status-Type") == "Stop" && r.Get("Acct-Session-Id") == acct
	})
	if err != nil {
		s.fatalf("Acct-Stop: %v", err)
	}
	if stop.Get("Acct-Output-Packets") != "3" || stop.Get("Acct-Output-Octets") != "252" ||
		stop.Get("Acct-Input-Packets") == "0" || stop.Get("Acct-Terminate-Cause") != "User-Request" {
		t.Errorf("Acct-Stop of the IPoE session: %v", stop.Attrs)
	}

	// The next lease is a new session, mirrored again (the trigger stays).
	s.signal("USR1")
	s.waitLeases(p, 2)
	acct2 := s.session()
	if acct2 == acct {
		t.Fatalf("same Acct-Session-Id %s for two leases", acct)
	}
	s.exchange(2, "ab02", subMirID, sessionIDOf(t, acct2))

	// routerd restarts while the client holds its lease: the lease on
	// flash is authorized again and its session comes back at once, not
	// at the next renewal, mirrored from its first packet (the trigger is
	// static secure configuration).
	s.Restart()
	acct3 := s.session()
	if acct3 == acct2 {
		t.Fatalf("same Acct-Session-Id %s after the restart", acct2)
	}
	if strings.Count(p.Output(), "obtained") != 2 {
		t.Fatalf("udhcpc had to lease again:\n%s", p.Output())
	}
	s.exchange(2, "ab03", subMirID, sessionIDOf(t, acct3))

	// None of it shows to a session without mirror-enable.
	for _, cmd := range []string{"show configuration", "show subscribers", "show interfaces"} {
		out := s.ssh(cmd)
		for _, w := range []string{subPolicy, "analyzer", "secure", "Mirror", mirAnalyzer} {
			if strings.Contains(out, w) {
				t.Errorf("%s shows %q without mirror-enable:\n%s", cmd, w, out)
			}
		}
	}
}
