package mirrorcli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/services/linecard"
)

// TestDefaultAnalyzerTranscript: `ip analyzer default` through the real
// interpreter: it shows in the secure configuration, in show secure
// policy-list and in show ip interface's mirroring section (with
// mirror-enable only); `ip analyzer` drops the default role, `no ip
// analyzer default` analyzer mode; a loopback is refused with a % error.
func TestDefaultAnalyzerTranscript(t *testing.T) {
	_, e := setup(t)
	in := newInterp(t, e)
	op := in.NewSession(cli.SessionOptions{User: "li-operator", Privilege: 15})
	const head = "! Configuration script being generated on THU JAN 1 1970 00:00:00 UTC\n! \n!\n"
	const tail = "!\n! end of generated configuration script\n"
	mustExec(t, op, strings.Join([]string{
		"mirror-enable", "configure terminal",
		"interface gigabitEthernet 2/0/2", "ip analyzer default", "exit",
		"secure ip policy-list LI-1", "mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030", "exit",
		"end"}, "\n"))
	if got, want := mustExec(t, op, "show configuration interface gigabitEthernet 2/0/2"),
		head+"interface gigabitEthernet 2/0/2\n ip analyzer default\n"+tail; got != want {
		t.Errorf("show configuration:\n%s\nwant:\n%s", got, want)
	}
	if got := mustExec(t, op, "show secure policy-list LI-1"); !strings.Contains(got,
		"  Analyzer: reachable via gigabitEthernet 2/0/2 (default analyzer), source 192.0.2.1, next hop 192.0.2.9\n") {
		t.Errorf("show secure policy-list:\n%s", got)
	}
	var b bytes.Buffer
	ctx := op.Context()
	if err := ShowIPInterface(e)(ctx, &b, "gigabitEthernet 2/0/2", linecard.Counters{}); err != nil {
		t.Fatal(err)
	}
	if want := "  Packet mirroring:\n    Analyzer interface (send only)\n    Default analyzer of virtual router default\n" +
		"    Analyzer received and dropped 0, copies sent 0, bytes 0, send errors 0\n"; b.String() != want {
		t.Errorf("show ip interface mirroring section:\n%s\nwant:\n%s", b.String(), want)
	}

	// Another session sees none of it.
	other := in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
	if got := mustExec(t, other, "show configuration"); strings.Contains(got, "analyzer") {
		t.Errorf("show configuration without mirror-enable:\n%s", got)
	}

	out, err := exec(t, op, "configure terminal\ninterface loopback 0\nip analyzer default")
	if err == nil || !strings.Contains(out, "% SRP, null and loopback interfaces cannot be analyzers") {
		t.Errorf("ip analyzer default on a loopback (%v):\n%s", err, out)
	}
	mustExec(t, op, "end\nconfigure terminal\ninterface gigabitEthernet 2/0/2\nip analyzer")
	if e.IsDefaultAnalyzer("gigabitEthernet 2/0/2") || !e.IsAnalyzer("gigabitEthernet 2/0/2") {
		t.Error("ip analyzer should keep analyzer mode and drop the default role")
	}
	mustExec(t, op, "end\nconfigure terminal\ninterface gigabitEthernet 2/0/2\nip analyzer default\nno ip analyzer default")
	if e.IsAnalyzer("gigabitEthernet 2/0/2") || e.IsDefaultAnalyzer("gigabitEthernet 2/0/2") {
		t.Error("no ip analyzer default should leave analyzer mode")
	}
}
