package netns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip not installed (make deps installs iproute2)")
	}
	id := fmt.Sprint(os.Getpid() % 100000)
	a, b := "erxnsa"+id, "erxnsb"+id
	t.Run("pair", func(t *testing.T) {
		Add(t, a)
		Add(t, b)
		Veth(t, a, "va"+id, b, "vb"+id)
		Exec(t, a, "ip", "addr", "add", "192.0.2.1/24", "dev", "va"+id)
		Exec(t, a, "ip", "link", "set", "va"+id, "up")
		Exec(t, b, "ip", "addr", "add", "192.0.2.2/24", "dev", "vb"+id)
		Exec(t, b, "ip", "link", "set", "vb"+id, "up")
		if out := Exec(t, a, "ip", "-o", "link", "show"); !strings.Contains(out, "va"+id) || strings.Contains(out, "vb"+id) {
			t.Fatalf("namespace %s links:\n%s", a, out)
		}
		// A socket opened in b stays there: a reaches it over the veth.
		var ln net.Listener
		if err := Do(b, func() (err error) {
			ln, err = net.Listen("tcp4", "192.0.2.2:0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if _, err := net.InterfaceByName("vb" + id); err == nil {
			t.Fatal("Do did not switch back: vb" + id + " is visible")
		}
		port := ln.Addr().(*net.TCPAddr).Port
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		var dialErr error
		if err := Do(a, func() error {
			c, err := net.Dial("tcp4", fmt.Sprintf("192.0.2.2:%d", port))
			if err == nil {
				c.Close()
			}
			dialErr = err
			return nil
		}); err != nil || dialErr != nil {
			t.Fatalf("dial from %s: %v %v", a, err, dialErr)
		}
		if err := Do("erx-no-such-namespace", func() error { return nil }); err == nil {
			t.Fatal("Do in a missing namespace succeeded")
		}
	})
	for _, ns := range []string{a, b} {
		if exec.Command("ip", "netns", "pids", ns).Run() == nil {
			t.Errorf("namespace %s left behind", ns)
		}
	}

	t.Run("host end", func(t *testing.T) {
		Add(t, a)
		Veth(t, "", "vh"+id, a, "vn"+id)
		Run(t, "ip", "link", "show", "vh"+id)
	})
	if exec.Command("ip", "link", "show", "vh"+id).Run() == nil {
		t.Error("host end of the veth left behind")
	}
}
