//go:build image

package qemu

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/mirror/jmirror"
)

// Addresses and settings of the image's interface-mirroring test (inside
// the test's own namespaces).
const (
	mqSrc      = "10.1.0.2"   // src namespace, behind gigabitEthernet 2/0/0
	mqDst      = "10.2.0.2"   // dst namespace, behind gigabitEthernet 2/0/1
	mqNextHop  = "10.9.0.2"   // analyzer namespace on the analyzer link (2/0/2)
	mqAnaIfIP  = "10.9.0.1"   // the router's analyzer interface: the copies' source
	mqAnalyzer = "172.16.9.9" // the mediation device, routed via mqNextHop
	mqPort     = 30030        // jmirror UDP port (analyzer-udp-port)
	mqMirrorID = 16           // mirror-identifier
	mqPolicy   = "LI-Q"       // secure policy list
	mqPings    = 5            // echo requests per traffic check
	// mqWait bounds each wait for packets (TCG is slow; not a speed check).
	mqWait = 60 * time.Second
)

// mqSecret are words a session without mirror-enable must never see.
var mqSecret = []string{mqPolicy, mqAnalyzer, strconv.Itoa(mqPort), "analyzer", "secure", "policy-list", "mirror", "Mirror"}

// mqActivated finds the Session-ID of the interface mirror in `show
// mirror log`.
var mqActivated = regexp.MustCompile(`InterfaceSessionActivated .*trigger interfaceString gigabitEthernet 2/0/0 .*session-id 0x([0-9a-f]{8})`)

// mqRejected finds the router's error lines ("% Invalid input ...").
var mqRejected = regexp.MustCompile(`(?m)^\s*% `)

// mirrorBed is the image booted with three TAP data ports:
//
//	src 10.1.0.2 ─ gigabitEthernet 2/0/0 10.1.0.1  (ip policy secure-input LI-Q)
//	dst 10.2.0.2 ─ gigabitEthernet 2/0/1 10.2.0.1
//	ana 10.9.0.2 ─ gigabitEthernet 2/0/2 10.9.0.1  (ip analyzer), 172.16.9.9 on ana
type mirrorBed struct {
	t            *testing.T
	vm           *VM
	c            credentials
	nb           tapNeighbours
	src, dst, an string // namespaces
	anaMAC       string // the analyzer next hop's MAC
}

// TestMirrorInterfaceImage is issue #7's image test: one boot of the
// qemu-board image with three TAP data ports, configured over SSH with
// the OpenSSH client (addresses, mirror-enable, ip analyzer, static ARP
// and route to the analyzer, a secure policy list with a jmirror rule,
// ip policy secure-input on the src-facing port). Pings src → dst are
// forwarded, and the analyzer namespace receives one jmirror copy of
// each request (ingress on 2/0/0) that tshark decodes with the configured
// Mirror-ID and the interface's Session-ID, carrying byte for byte the
// packet src sent (and dst received, but for one hop's TTL). Then, in the
// same QEMU, `reload`: the secure configuration comes back from its own
// store on flash (spec mirroring.md 11.3), show secure policy-list still
// lists it with mirror-enable, copies flow again, and a session without
// mirror-enable sees nothing of it in show configuration, nor does the
// ordinary configuration file on flash.
func TestMirrorInterfaceImage(t *testing.T) {
	for _, tool := range []string{"ip", "ssh", "expect", "tcpdump", "tshark", "ping", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs it): %v", tool, err)
		}
	}
	start := time.Now()
	b := bootMirrorBed(t)

	b.configureForwarding()
	b.waitForwarding()
	b.login("mirror-enable\nconfigure terminal\n" +
		"interface gigabitEthernet 2/0/2\n ip analyzer\n exit\n" +
		"secure ip policy-list " + mqPolicy + "\n mirror analyzer-ip-address " + mqAnalyzer +
		" analyzer-udp-port " + strconv.Itoa(mqPort) + " mirror-identifier " + strconv.Itoa(mqMirrorID) + "\n exit\n" +
		"interface gigabitEthernet 2/0/0\n ip policy secure-input " + mqPolicy + "\n exit\n")
	sid := b.checkPolicy(false)
	b.checkCopies("c1", sid)
	b.checkHidden()
	t.Logf("power-on to the first checked copies: %s", time.Since(start).Round(100*time.Millisecond))

	reloaded := time.Now()
	offset := len(b.vm.Console())
	b.c.reload(t, b.vm)
	ctx, cancel := context.WithTimeout(t.Context(), bootTimeout)
	defer cancel()
	if err := b.vm.WaitConsole(ctx, uinitMarker, offset); err != nil {
		t.Fatalf("no reboot after reload: %v", err)
	}
	waitBanner(t, b.vm, reloaded)
	b.waitForwarding()
	if after := b.checkPolicy(true); after != sid {
		t.Errorf("Session-ID of the interface mirror changed across reload: %#x, then %#x", sid, after)
	}
	b.checkCopies("c2", sid)
	b.checkHidden()
	t.Logf("reload to checked copies: %s; whole test: %s", time.Since(reloaded).Round(100*time.Millisecond),
		time.Since(start).Round(100*time.Millisecond))

	// The flash as the guest left it: the secure store has the policy
	// list, the ordinary configuration none of it.
	b.vm.Kill()
	if store := debugfsCat(t, b.c.flash, "/secure/mirror.json"); !strings.Contains(store, mqPolicy) {
		t.Errorf("secure store on flash lacks %s:\n%s", mqPolicy, store)
	}
	cnf := debugfsCat(t, b.c.flash, "/system.cnf")
	if !strings.Contains(cnf, "ip address 10.1.0.1") {
		t.Errorf("system.cnf on flash lacks the interface addresses:\n%s", cnf)
	}
	assertHiddenWords(t, "system.cnf on flash", cnf)
}

// bootMirrorBed creates the neighbours, boots the image on them and
// waits for SSH. The analyzer namespace listens on the jmirror port.
func bootMirrorBed(t *testing.T) *mirrorBed {
	nb := newTAPNeighbours(t, "m", 3)
	c := newCredentials(t)
	cfg := qemuBoardConfig(t, c)
	cfg.DataPorts = nb.dataPorts()
	start := time.Now()
	vm := Boot(t, cfg)
	nb.attach(t, vm)
	b := &mirrorBed{t: t, vm: vm, c: c, nb: nb, src: nb.nss[0], dst: nb.nss[1], an: nb.nss[2]}
	for i, a := range [][2]string{{mqSrc + "/24", "10.1.0.1"}, {mqDst + "/24", "10.2.0.1"}} {
		mustRun(t, "ip", "-n", nb.nss[i], "addr", "add", a[0], "dev", nb.taps[i])
		mustRun(t, "ip", "-n", nb.nss[i], "route", "add", "default", "via", a[1])
	}
	mustRun(t, "ip", "-n", b.an, "addr", "add", mqNextHop+"/24", "dev", nb.taps[2])
	mustRun(t, "ip", "-n", b.an, "addr", "add", mqAnalyzer+"/32", "dev", nb.taps[2])
	b.anaMAC = lab.MAC(t, b.an, nb.taps[2])
	lab.UDPSink(t, b.an, netip.AddrPortFrom(netip.MustParseAddr(mqAnalyzer), mqPort))
	waitBanner(t, vm, start)
	return b
}

// login runs lines in one SSH session and fails the test when the router
// rejects one.
func (b *mirrorBed) login(lines string) string {
	b.t.Helper()
	out := b.c.loginWithKey(b.t, b.vm, lines)
	if mqRejected.MatchString(out) {
		b.t.Fatal(b.vm.Errorf("router rejected part of %q:\n%s", lines, out))
	}
	return out
}

// configureForwarding is the ordinary configuration: addresses, and the
// static ARP entry and route toward the analyzer (an analyzer interface
// learns no ARP).
func (b *mirrorBed) configureForwarding() {
	b.login("configure terminal\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/1\n ip address 10.2.0.1 255.255.255.0\n exit\n" +
		"interface gigabitEthernet 2/0/2\n ip address " + mqAnaIfIP + " 255.255.255.0\n exit\n" +
		"arp " + mqNextHop + " " + lab.DottedMAC(b.anaMAC) + "\n" +
		"ip route 172.16.9.0 255.255.255.0 " + mqNextHop + "\n")
}

// waitForwarding waits (bounded) until one echo from src to dst comes
// back: the first ones may go while the guest resolves ARP.
func (b *mirrorBed) waitForwarding() {
	b.t.Helper()
	var last string
	if err := waitFor(mqWait, func() error {
		o, err := exec.Command("ip", "netns", "exec", b.src, "ping", "-n", "-c", "1", "-W", "3", mqDst).CombinedOutput()
		last = string(o)
		return err
	}); err != nil {
		b.t.Fatal(b.vm.Errorf("no echo reply from %s through the guest: %v\n%s\n%s", mqDst, err, last,
			b.c.loginWithKey(b.t, b.vm, "show interfaces\nshow arp\nshow ip route")))
	}
}

// checkPolicy checks show secure policy-list with mirror-enable (after a
// reload, also that the secure log says the store was restored) and
// returns the interface mirror's Session-ID from the secure log.
func (b *mirrorBed) checkPolicy(afterReload bool) uint32 {
	b.t.Helper()
	out := b.login("mirror-enable\nshow secure policy-list " + mqPolicy + "\nshow mirror log")
	want := []string{"Secure policy list " + mqPolicy,
		fmt.Sprintf("analyzer-udp-port %d mirror-identifier %d", mqPort, mqMirrorID),
		"Analyzer: reachable via gigabitEthernet 2/0/2", "Mirror action: enabled", "gigabitEthernet 2/0/0 secure-input"}
	if afterReload {
		want = append(want, "secure configuration restored")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			b.t.Fatal(b.vm.Errorf("show secure policy-list / show mirror log (reloaded: %v) lacks %q:\n%s", afterReload, w, out))
		}
	}
	m := mqActivated.FindAllStringSubmatch(out, -1)
	if m == nil {
		b.t.Fatal(b.vm.Errorf("no InterfaceSessionActivated for gigabitEthernet 2/0/0 in the secure log:\n%s", out))
	}
	sid, _ := strconv.ParseUint(m[len(m)-1][1], 16, 32)
	if sid == 0 {
		b.t.Fatalf("interface Session-ID 0 in the secure log:\n%s", out)
	}
	return uint32(sid)
}

// checkCopies pings src → dst mqPings times with payload pattern and
// checks captures in src, dst and the analyzer: all are answered, the
// analyzer gets exactly one jmirror copy of each request and none of the
// replies (secure-input only), with the right outer headers, Mirror-ID
// and Session-ID (by our decoder and by tshark's jmirror dissector), and
// each copy is the request src sent, byte for byte, and what dst received
// but for the hop's TTL and header checksum.
func (b *mirrorBed) checkCopies(pattern string, sid uint32) {
	t := b.t
	t.Helper()
	ana := lab.StartCapture(t, b.an, b.nb.taps[2], fmt.Sprintf("udp port %d", mqPort))
	srcCap := lab.StartCapture(t, b.src, b.nb.taps[0], "icmp")
	dstCap := lab.StartCapture(t, b.dst, b.nb.taps[1], "icmp")
	out, err := run(t, "", "ip", "netns", "exec", b.src, "ping", "-n", "-c", strconv.Itoa(mqPings), "-i", "0.3", "-W", "5", "-p", pattern, mqDst)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d received", mqPings)) {
		t.Fatal(b.vm.Errorf("ping %s → %s through the guest: %v\n%s", mqSrc, mqDst, err, out))
	}
	isCopy := func(f []byte) bool {
		p, err := jmirror.Parse(lab.IPv4(f))
		return err == nil && p.UDP().DestinationPort() == mqPort && lab.ICMPHasPattern(p.Payload(), pattern)
	}
	copies, err := ana.WaitFrames(mqPings, mqWait, isCopy)
	if err != nil {
		t.Fatal(b.vm.Errorf("analyzer copies of the %s pings: %v\n%s", pattern, err,
			b.c.loginWithKey(t, b.vm, "mirror-enable\nshow secure policy-list\nshow mirror log")))
	}
	srcFrames, err := srcCap.WaitFrames(2*mqPings, mqWait, nil)
	if err != nil {
		t.Fatalf("src capture: %v", err)
	}
	dstFrames, err := dstCap.WaitFrames(2*mqPings, mqWait, nil)
	if err != nil {
		t.Fatalf("dst capture: %v", err)
	}
	ana.Stop()
	srcCap.Stop()
	dstCap.Stop()
	if all, err := ana.Frames(); err == nil {
		copies = nil
		for _, f := range all {
			if isCopy(f.Data) {
				copies = append(copies, f)
			}
		}
	}
	sent, atDst := lab.ICMPEchoByKey(srcFrames, pattern), lab.ICMPEchoByKey(dstFrames, pattern)

	seen := map[string]bool{}
	for _, f := range copies {
		p, _ := jmirror.Parse(lab.IPv4(f.Data))
		ip, udp, h := p.IPv4(), p.UDP(), p.Header()
		if got, want := net.HardwareAddr(f.Data[0:6]).String(), b.anaMAC; got != want {
			t.Errorf("copy sent to MAC %s, want the analyzer next hop's %s (static ARP)", got, want)
		}
		if got, want := fmt.Sprintf("%v → %v ttl %d", ip.Source(), ip.Destination(), ip.TTL()),
			fmt.Sprintf("%s → %s ttl 255", mqAnaIfIP, mqAnalyzer); got != want {
			t.Errorf("outer IPv4 header %s, want %s", got, want)
		}
		if udp.SourcePort() != mqPort || udp.Checksum() != 0 {
			t.Errorf("outer UDP source port %d checksum %#x, want %d and 0", udp.SourcePort(), udp.Checksum(), mqPort)
		}
		if h.MHV() != 0 || h.MirrorID() != mqMirrorID || h.SessionID() != sid {
			t.Errorf("mirror header MHV %d Mirror-ID %d Session-ID %#x, want 0, %d and %#x", h.MHV(), h.MirrorID(), h.SessionID(), mqMirrorID, sid)
		}
		inner := p.Payload()
		k, ok := lab.ICMPEchoKey(inner)
		switch {
		case !ok:
			t.Errorf("mirrored packet is not an ICMP echo: % x", inner)
			continue
		case !strings.HasPrefix(k, "8/"):
			t.Errorf("reply %s was mirrored, but only secure-input is attached", k)
			continue
		case seen[k]:
			t.Errorf("request %s mirrored twice", k)
		}
		seen[k] = true
		if orig, ok := sent[k]; !ok {
			t.Errorf("mirrored request %s never appeared on the src link", k)
		} else if !bytes.Equal(inner, orig) {
			t.Errorf("mirrored request %s differs from what src sent:\nmirror % x\nsrc    % x", k, inner, orig)
		}
		if d, ok := atDst[k]; !ok {
			t.Errorf("request %s was mirrored but never reached dst", k)
		} else if !bytes.Equal(lab.WithoutTTL(inner), lab.WithoutTTL(d)) || inner[8] != d[8]+1 {
			t.Errorf("request %s: the copy is not what dst received but for one hop's TTL:\nmirror % x\ndst    % x", k, inner, d)
		}
	}
	for k := range sent {
		if strings.HasPrefix(k, "8/") && !seen[k] {
			t.Errorf("request %s crossed gigabitEthernet 2/0/0 but no copy reached the analyzer", k)
		}
	}

	// Wireshark's jmirror dissector on the analyzer's capture agrees.
	fields := lab.Tshark(t, ana.File, "-d", fmt.Sprintf("udp.port==%d,jmirror", mqPort), "-Y", "jmirror",
		"-T", "fields", "-E", "separator=|", "-e", "jmirror.mid", "-e", "jmirror.sid", "-e", "icmp.type")
	lines := strings.Fields(fields)
	t.Logf("analyzer: %d jmirror copies of the %s pings; tshark (mid|sid|icmp type): %s", len(copies), pattern, strings.Join(lines, " "))
	if len(lines) != mqPings {
		t.Errorf("tshark decoded %d jmirror packets, want %d:\n%s", len(lines), mqPings, fields)
	}
	for _, ln := range lines {
		p := strings.Split(ln, "|")
		if len(p) != 3 {
			t.Errorf("tshark line %q", ln)
			continue
		}
		mid, err1 := strconv.ParseUint(p[0], 0, 32)
		s, err2 := strconv.ParseUint(p[1], 0, 32)
		if err1 != nil || err2 != nil || mid != mqMirrorID || uint32(s) != sid || p[2] != "8" {
			t.Errorf("tshark: jmirror.mid %s jmirror.sid %s icmp.type %s, want Mirror-ID %d, Session-ID %#x, echo request (8)", p[0], p[1], p[2], mqMirrorID, sid)
		}
	}
}

// checkHidden: a session without mirror-enable sees nothing of mirroring
// in show configuration (which still has the ordinary configuration),
// and one with mirror-enable sees the secure section there (so the check
// is not vacuous).
func (b *mirrorBed) checkHidden() {
	b.t.Helper()
	plain := b.login("show configuration")
	if !strings.Contains(plain, "ip address 10.1.0.1 255.255.255.0") {
		b.t.Errorf("show configuration lacks the ordinary configuration:\n%s", plain)
	}
	assertHiddenWords(b.t, "show configuration without mirror-enable", plain)
	secure := b.login("mirror-enable\nshow configuration")
	for _, w := range []string{"secure ip policy-list " + mqPolicy, "ip policy secure-input " + mqPolicy, "ip analyzer"} {
		if !strings.Contains(secure, w) {
			b.t.Errorf("show configuration with mirror-enable lacks %q:\n%s", w, secure)
		}
	}
}

// assertHiddenWords fails the test when out shows any mirroring word.
func assertHiddenWords(t *testing.T, what, out string) {
	t.Helper()
	for _, w := range mqSecret {
		if strings.Contains(out, w) {
			t.Errorf("%s shows %q:\n%s", what, w, out)
		}
	}
}

// debugfsCat returns a file of an ext4 flash image (the VM must be off).
func debugfsCat(t *testing.T, img, path string) string {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", "cat "+path, img).Output()
	if err != nil {
		t.Fatalf("debugfs cat %s in %s: %v", path, img, err)
	}
	return string(out)
}
