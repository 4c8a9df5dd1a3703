package pppoetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/netns"
	"github.com/erxos/erx/services/access/ppp"
)

// TestOverVeth runs the emulator in a network namespace against the access
// engines on the host end of a veth pair, both over AF_PACKET.
func TestOverVeth(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip not installed (make deps installs iproute2)")
	}
	pid := os.Getpid() % 100000
	ns := fmt.Sprintf("erxacc%d", pid)
	hostIf, nsIf := fmt.Sprintf("erxa%d", pid), fmt.Sprintf("erxb%d", pid)
	netns.Add(t, ns)
	netns.Veth(t, "", hostIf, ns, nsIf)
	for _, sysctl := range []string{"net.ipv6.conf." + hostIf + ".disable_ipv6=1"} {
		exec.Command("sysctl", "-qw", sysctl).Run()
	}
	netns.Run(t, "ip", "link", "set", hostIf, "up")
	netns.Run(t, "ip", "-n", ns, "link", "set", nsIf, "up")

	serverLink, err := OpenPacket(hostIf)
	if err != nil {
		t.Fatal(err)
	}
	var clientLink Link
	if err := netns.Do(ns, func() (err error) { clientLink, err = OpenPacket(nsIf); return err }); err != nil {
		serverLink.Close()
		t.Fatal(err)
	}
	r := newPPPoERig(t, ppp.AuthCHAP, clientLink, serverLink)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard only
	defer cancel()

	res := RunLoad(ctx, r.emu, LoadConfig{
		Sessions:    20,
		Rate:        200,
		BaseMAC:     MAC{0x02, 0x77, 0, 0, 0, 1},
		Credentials: creds,
		PingTarget:  mp("10.100.0.1"),
		Pings:       1,
	})
	if len(res.Up) != 20 || len(res.Failures) != 0 || res.PingsAnswered != 20 {
		t.Fatalf("up %d failures %v pings %d/%d", len(res.Up), res.Failures, res.PingsAnswered, res.PingsSent)
	}
	res.LogoutAll()
	r.log.waitDown(20)
	if u := r.pool.Usage("subs"); u[0].InUse != 0 {
		t.Fatalf("pool in use after logout: %d", u[0].InUse)
	}

	lease, err := r.emu.DHCP(ctx, DHCPConfig{MAC: MAC{0x02, 0x77, 0, 0, 1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Address != mp("10.200.0.100") {
		t.Fatalf("dhcp lease %v", lease.Address)
	}

	// A stock DHCP client (busybox udhcpc) in the namespace gets a lease too.
	if _, err := exec.LookPath("udhcpc"); err == nil {
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns,
			"udhcpc", "-i", nsIf, "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", "/bin/true").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "10.200.0.101") {
			t.Fatalf("udhcpc: %v\n%s\nserver stats %+v", err, out, r.srv.DHCP().Stats())
		}
	}
}
