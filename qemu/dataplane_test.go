//go:build image

package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/internal/netns"
)

// TestDataPlaneTAP boots the qemu-board image with two data ports, each a
// TAP device ending in a neighbour network namespace, configures the ports
// over SSH and pings from one namespace to the other through the guest's
// userspace data plane:
//
//	ns0 10.11.0.2 ─ tap0 ═ virtio gigabitEthernet 2/0/0 10.11.0.1 ┐ routerd
//	ns1 10.12.0.2 ─ tap1 ═ virtio gigabitEthernet 2/0/1 10.12.0.1 ┘ (guest)
//
// How the TAPs get there: QEMU opens a TAP by name in its own namespace
// (TUNSETIFF on /dev/net/tun), so each TAP is created persistent in the root
// namespace, QEMU is started and attaches to it (the TAP gets carrier),
// and only then is the TAP moved into its neighbour namespace with `ip
// link set … netns`. The open file stays bound to the device wherever it
// lives, so QEMU keeps reading and writing it; the neighbour configures
// the TAP like any Ethernet device. No bridge or veth is needed.
func TestDataPlaneTAP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("TAP devices and network namespaces need root")
	}
	nb := newTAPNeighbours(t, "d", 2)
	taps, nss := nb.taps, nb.nss

	c := newCredentials(t)
	cfg := qemuBoardConfig(t, c)
	cfg.DataPorts = nb.dataPorts()
	start := time.Now()
	vm := Boot(t, cfg)
	nb.attach(t, vm)
	for i, tap := range taps {
		ns := nss[i]
		mustRun(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("10.1%d.0.2/24", i+1), "dev", tap)
		mustRun(t, "ip", "-n", ns, "route", "add", "default", "via", fmt.Sprintf("10.1%d.0.1", i+1))
	}

	waitBanner(t, vm, start)
	out := c.loginWithKey(t, vm, "configure terminal\n"+
		"interface gigabitEthernet 2/0/0\n ip address 10.11.0.1 255.255.255.0\n"+
		"interface gigabitEthernet 2/0/1\n ip address 10.12.0.1 255.255.255.0\n")
	if strings.Contains(out, "%") {
		t.Fatal(vm.Errorf("configuration rejected:\n%s", out))
	}

	// The first echoes may go while the guest resolves ARP; wait (bounded)
	// for one to come back, then require a clean run.
	var last string
	if err := waitFor(60*time.Second, func() error {
		o, err := exec.Command("ip", "netns", "exec", nss[0], "ping", "-n", "-c", "1", "-W", "3", "10.12.0.2").CombinedOutput()
		last = string(o)
		return err
	}); err != nil {
		t.Fatal(vm.Errorf("no echo reply from %s through the guest: %v\n%s\n%s\n%s", nss[1], err, last,
			c.loginWithKey(t, vm, "show interfaces"), c.loginWithKey(t, vm, "show arp")))
	}
	o, err := run(t, "", "ip", "netns", "exec", nss[0], "ping", "-n", "-c", "5", "-i", "0.3", "-W", "5", "10.12.0.2")
	if err != nil || !strings.Contains(o, " 0% packet loss") || !strings.Contains(o, "ttl=63") {
		t.Fatal(vm.Errorf("ping through the guest's data plane: %v\n%s", err, o))
	}
	arp := c.loginWithKey(t, vm, "show arp")
	for _, want := range []string{"10.11.0.2", "10.12.0.2"} {
		if !strings.Contains(arp, want) {
			t.Errorf("show arp lacks %s:\n%s", want, arp)
		}
	}
	// And the other way, through the router CLI.
	if o := c.loginWithKey(t, vm, "ping 10.11.0.2 count 3"); !strings.Contains(o, "Success rate = 100%") {
		t.Error(vm.Errorf("ping from the guest CLI to %s:\n%s", nss[0], o))
	}
	t.Logf("power-on to forwarded ping: %s", time.Since(start).Round(100*time.Millisecond))
}

// tapNeighbours are data ports of a VM that are TAP devices, each ending
// in a neighbour network namespace of the test (see TestDataPlaneTAP).
type tapNeighbours struct {
	taps, nss []string
}

// newTAPNeighbours creates n persistent TAP devices in this namespace
// and n empty neighbour namespaces, named after tag (one letter per test,
// so that tests of one process do not collide) and the process id. Both
// are removed when the test ends, after QEMU is killed (cleanups run
// last-first and Boot comes later).
func newTAPNeighbours(t *testing.T, tag string, n int) tapNeighbours {
	t.Helper()
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	var nb tapNeighbours
	for i := 0; i < n; i++ {
		ns, tap := fmt.Sprintf("erxq-%s%d-%s", tag, i, id), fmt.Sprintf("erxq%s%st%d", id, tag, i)
		netns.Add(t, ns)
		mustRun(t, "ip", "tuntap", "add", "dev", tap, "mode", "tap")
		t.Cleanup(func() {
			exec.Command("ip", "-n", ns, "link", "del", tap).Run()
			exec.Command("ip", "link", "del", tap).Run()
		})
		mustRun(t, "ip", "link", "set", tap, "up")
		nb.taps, nb.nss = append(nb.taps, tap), append(nb.nss, ns)
	}
	return nb
}

// dataPorts are the VM's data NICs on the TAPs, in order.
func (nb tapNeighbours) dataPorts() []DataPort {
	var ps []DataPort
	for _, tap := range nb.taps {
		ps = append(ps, DataPort{TAP: tap})
	}
	return ps
}

// attach waits until QEMU holds each TAP (it attaches while it starts,
// before the guest runs, and the TAP gets carrier), then moves the TAP
// into its neighbour namespace and brings it and the loopback up there.
// IPv6 is turned off in the namespaces, so that the neighbours send the
// router only the test's traffic.
func (nb tapNeighbours) attach(t *testing.T, vm *VM) {
	t.Helper()
	for _, tap := range nb.taps {
		if err := waitFor(30*time.Second, func() error {
			b, err := os.ReadFile("/sys/class/net/" + tap + "/carrier")
			if err != nil || strings.TrimSpace(string(b)) != "1" {
				return fmt.Errorf("%s has no carrier (QEMU not attached): %v %q", tap, err, b)
			}
			return nil
		}); err != nil {
			t.Fatal(vm.Errorf("%v", err))
		}
	}
	for i, tap := range nb.taps {
		ns := nb.nss[i]
		mustRun(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		mustRun(t, "ip", "link", "set", tap, "netns", ns)
		mustRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
		mustRun(t, "ip", "-n", ns, "link", "set", tap, "up")
	}
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := run(t, "", name, args...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// waitFor calls f until it returns nil or timeout passes (a bound on a
// wait, not a speed assertion) and returns f's last error.
func waitFor(timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
