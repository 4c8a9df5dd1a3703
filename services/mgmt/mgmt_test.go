package mgmt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"go.uber.org/goleak"
)

// The namespace tests run this test binary again inside a namespace; the
// helper tests below do the work there and are skipped otherwise.
const helperEnv = "ERX_MGMT_HELPER"

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// netnsPair makes two namespaces joined by a veth pair and returns their
// names and the NIC name inside each; everything is removed at cleanup.
func netnsPair(t *testing.T) (srvNS, cliNS, srvNIC, cliNIC string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("requires root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("requires root and iproute2")
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	srvNS, cliNS = "erxmgmt-s"+id, "erxmgmt-c"+id
	srvNIC, cliNIC = "ems"+id, "emc"+id
	for _, ns := range []string{srvNS, cliNS} {
		if err := exec.Command("ip", "netns", "add", ns).Run(); err != nil {
			t.Skipf("requires root with network namespaces: %v", err)
		}
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	run(t, "ip", "link", "add", srvNIC, "netns", srvNS, "type", "veth", "peer", "name", cliNIC, "netns", cliNS)
	run(t, "ip", "-n", srvNS, "addr", "add", "192.0.2.1/24", "dev", srvNIC)
	run(t, "ip", "-n", srvNS, "link", "set", srvNIC, "up")
	run(t, "ip", "-n", cliNS, "link", "set", "lo", "up")
	return
}

// helper prepares this test binary to run in ns the named helper test.
func helper(ctx context.Context, ns, name string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(append(os.Environ(), helperEnv+"=1"), env...)
	return cmd
}

func TestManagementPortInNamespaces(t *testing.T) {
	srvNS, cliNS, srvNIC, cliNIC := netnsPair(t)

	srv := helper(context.Background(), srvNS, "TestHelperDHCPServer", "ERX_NIC="+srvNIC)
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	// Wait for the server to listen.
	sc := bufio.NewScanner(stdout)
	ready := false
	for !ready && sc.Scan() {
		ready = strings.Contains(sc.Text(), "dhcp server ready")
	}
	if !ready {
		t.Fatal("DHCP server helper did not start")
	}
	go io.Copy(io.Discard, stdout)

	// A guard against a hang, not a performance limit.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := helper(ctx, cliNS, "TestHelperClient", "ERX_NIC="+cliNIC).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHelperClient") {
		t.Fatalf("client in namespace: %v\n%s", err, out)
	}
}

// TestHelperDHCPServer serves leases of 2 seconds for 192.0.2.50.
func TestHelperDHCPServer(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for TestManagementPortInNamespaces")
	}
	handler := func(conn net.PacketConn, peer net.Addr, m *dhcpv4.DHCPv4) {
		var typ dhcpv4.MessageType
		switch m.MessageType() {
		case dhcpv4.MessageTypeDiscover:
			typ = dhcpv4.MessageTypeOffer
		case dhcpv4.MessageTypeRequest:
			typ = dhcpv4.MessageTypeAck
		default:
			return
		}
		reply, err := dhcpv4.NewReplyFromRequest(m,
			dhcpv4.WithMessageType(typ),
			dhcpv4.WithYourIP(net.IPv4(192, 0, 2, 50)),
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(net.IPv4(192, 0, 2, 1)),
			dhcpv4.WithDNS(net.IPv4(192, 0, 2, 53)),
			dhcpv4.WithServerIP(net.IPv4(192, 0, 2, 1)),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(192, 0, 2, 1))),
			dhcpv4.WithLeaseTime(2),
		)
		if err != nil {
			return
		}
		conn.WriteTo(reply.ToBytes(), peer)
	}
	s, err := server4.NewServer(os.Getenv("ERX_NIC"), &net.UDPAddr{IP: net.IPv4zero, Port: 67}, handler)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("dhcp server ready")
	s.Serve() // until the parent kills us
}

// kernelState reads the NIC's IPv4 addresses and the default gateway.
func kernelState(t *testing.T, nic string) (addrs []string, gw string) {
	t.Helper()
	ifc, err := net.InterfaceByName(nic)
	if err != nil {
		t.Fatal(err)
	}
	as, _ := ifc.Addrs()
	for _, a := range as {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			addrs = append(addrs, ipn.String())
		}
	}
	out, _ := exec.Command("ip", "-4", "route", "show", "default").Output()
	if f := strings.Fields(string(out)); len(f) >= 3 && f[1] == "via" {
		gw = f[2]
	}
	return addrs, gw
}

// waitState polls p until cond holds; the test binary's own timeout is
// the only limit.
func waitState(p *Port, cond func(State) bool) State {
	for {
		if s := p.State(); cond(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHelperClient runs in the client namespace: DHCP with renewals, a
// switch to a static address, and cleanup on cancel.
func TestHelperClient(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for TestManagementPortInNamespaces")
	}
	defer goleak.VerifyNone(t)
	nic := os.Getenv("ERX_NIC")
	p := New(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	p.retryMin = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, Config{NIC: nic, DHCP: true}) }()

	s := waitState(p, func(s State) bool { return s.Lease != nil && s.Lease.Renewals >= 1 })
	if s.Mode != ModeDHCP || !s.Up || s.Address != netip.MustParsePrefix("192.0.2.50/24") || s.Gateway != netip.MustParseAddr("192.0.2.1") ||
		s.Lease.Server != netip.MustParseAddr("192.0.2.1") || len(s.Lease.DNS) != 1 || s.Lease.Duration != 2*time.Second {
		t.Fatalf("DHCP state = %+v lease %+v", s, s.Lease)
	}
	if addrs, gw := kernelState(t, nic); strings.Join(addrs, ",") != "192.0.2.50/24" || gw != "192.0.2.1" {
		t.Fatalf("kernel after DHCP: %v via %q", addrs, gw)
	}

	p.Set(Config{NIC: nic, Address: netip.MustParsePrefix("198.51.100.5/24"), Gateway: netip.MustParseAddr("198.51.100.1")})
	s = waitState(p, func(s State) bool { return s.Mode == ModeStatic && s.Up })
	if s.Address != netip.MustParsePrefix("198.51.100.5/24") || s.Lease != nil {
		t.Fatalf("static state = %+v", s)
	}
	if addrs, gw := kernelState(t, nic); strings.Join(addrs, ",") != "198.51.100.5/24" || gw != "198.51.100.1" {
		t.Fatalf("kernel after static: %v via %q", addrs, gw)
	}

	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run = %v", err)
	}
	if addrs, gw := kernelState(t, nic); len(addrs) != 0 || gw != "" {
		t.Fatalf("kernel after stop: %v via %q", addrs, gw)
	}
}

func TestNoNIC(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Set(Config{}) // Set before Run wins over Run's argument
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, Config{NIC: "doesnotexist0", DHCP: true}) }()
	waitState(p, func(s State) bool { return s.Mode == ModeNone })
	p.Set(Config{NIC: "doesnotexist0", Address: netip.MustParsePrefix("192.0.2.9/24")})
	s := waitState(p, func(s State) bool { return s.Err != "" })
	if s.Up || !strings.Contains(s.Err, "doesnotexist0") {
		t.Fatalf("state = %+v", s)
	}
	cancel()
	<-done
}
