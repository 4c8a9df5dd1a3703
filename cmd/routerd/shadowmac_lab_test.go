package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/erxos/erx/internal/lab"
)

// TestLabShadowMAC: while routerd runs, the kernel holds a shadow of each
// data port's MAC address (afpacket.Config.ShadowMAC); a clean stop gives
// the address back, and a routerd killed without a chance to do so finds
// its own address again at the next start (show interfaces reports the
// same MAC), rather than taking the shadow for it.
func TestLabShadowMAC(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0"}})
	kernelMAC := func() string {
		out := lab.Run(t, "ip", "-n", l.Router, "-br", "link", "show", "ge0")
		f := strings.Fields(out)
		if len(f) < 3 {
			t.Fatalf("ip -br link: %q", out)
		}
		return f[2]
	}
	routerMAC := func() string {
		out := l.MustSSH("show interfaces gigabitEthernet 2/0/0")
		for _, line := range strings.Split(out, "\n") {
			if i := strings.Index(line, "address is "); i >= 0 {
				return strings.TrimSpace(line[i+len("address is "):])
			}
		}
		t.Fatalf("show interfaces has no hardware address line:\n%s", out)
		return ""
	}
	own := kernelMAC()
	l.Start()
	first := routerMAC()
	if shadow := kernelMAC(); shadow == own {
		t.Errorf("kernel MAC %s unchanged while routerd runs", shadow)
	}
	l.Stop()
	if got := kernelMAC(); got != own {
		t.Fatalf("kernel MAC %s after a clean stop, want %s", got, own)
	}

	l.Start()
	if err := syscall.Kill(l.RouterdPID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	l.Stop() // reaps the killed process
	if got := kernelMAC(); got == own {
		t.Fatalf("kernel MAC restored although routerd was killed: the test proves nothing")
	}
	l.Start()
	if got := routerMAC(); got != first {
		t.Errorf("show interfaces MAC %s after a crash, want %s", got, first)
	}
	l.Stop()
	if got := kernelMAC(); got != own {
		t.Errorf("kernel MAC %s after the restart's clean stop, want %s", got, own)
	}
}
