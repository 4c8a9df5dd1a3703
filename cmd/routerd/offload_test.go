package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/erxos/erx/internal/ethtool"
	"github.com/erxos/erx/internal/netns"
)

// A data port comes up with GRO off, so the data plane sees wire frames.
func TestDisableGRO(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root (network namespace)")
	}
	ns := fmt.Sprintf("erxgro%d", os.Getpid())
	netns.Add(t, ns)
	if out, err := exec.Command("ip", "-n", ns, "link", "add", "ge0", "type", "veth", "peer", "name", "ge1").CombinedOutput(); err != nil {
		t.Fatalf("veth: %v\n%s", err, out)
	}
	err := netns.Do(ns, func() error {
		if _, err := ethtool.Value("ge0", ethtool.SetGRO, 1); err != nil {
			return err
		}
		if on, err := ethtool.Value("ge0", ethtool.GetGRO, 0); err != nil || on == 0 {
			t.Errorf("GRO before: on=%v err=%v; want on", on, err)
		}
		if err := disableGRO("ge0"); err != nil {
			return err
		}
		if on, err := ethtool.Value("ge0", ethtool.GetGRO, 0); err != nil || on != 0 {
			t.Errorf("GRO after disableGRO: on=%v err=%v; want off", on, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
