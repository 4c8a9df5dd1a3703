//go:build linux

package afpacket

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/services/linecard/port"
)

// vethPair creates a namespace with a veth pair and runs f in it.
func vethPair(t *testing.T, f func(a, b string)) {
	if os.Geteuid() != 0 {
		t.Skip("requires root (network namespaces)")
	}
	ns := fmt.Sprintf("aftx%d", os.Getpid()%100000)
	exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, c := range [][]string{
		{"ip", "-n", ns, "link", "add", "ta", "type", "veth", "peer", "name", "tb"},
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"},
		{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "-n", ns, "link", "set", "ta", "up"}, {"ip", "-n", ns, "link", "set", "tb", "up"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(orig)
	target, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		t.Fatal(err)
	}
	defer unix.Setns(orig, unix.CLONE_NEWNET)
	f("ta", "tb")
}

// TestTransmitPaths sends batches through both transmit paths over a veth
// pair and receives them on the other end, more than a TX ring holds.
func TestTransmitPaths(t *testing.T) {
	for _, ring := range []bool{false, true} {
		t.Run(fmt.Sprintf("txring=%v", ring), func(t *testing.T) {
			vethPair(t, func(a, b string) {
				tx, err := Open(a, Config{Queues: 1, TxRing: ring, TxFrames: 64})
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Close()
				rx, err := Open(b, Config{Queues: 1, BlockTimeout: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer rx.Close()
				if up, err := tx.Carrier(); err != nil || !up {
					t.Fatalf("Carrier = %v, %v", up, err)
				}
				frames := make([][]byte, 48)
				for i := range frames {
					f := make([]byte, 60+i)
					copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5}) // local experimental EtherType
					f[14] = byte(i)
					frames[i] = f
				}
				const batches = 5 // 240 frames through a 64-frame ring
				b1 := port.NewBatch(64, port.DefaultBufSize)
				got := 0
				seen := map[int]bool{}
				for k := 0; k < batches; k++ {
					n, err := tx.Transmit(0, frames)
					if err != nil || n != len(frames) {
						t.Fatalf("batch %d: Transmit = %d, %v", k, n, err)
					}
					for idle := 0; got < (k+1)*len(frames); {
						m, err := rx.Receive(0, b1)
						if err != nil {
							t.Fatal(err)
						}
						if m == 0 { // a poll timeout: the frames are lost, unless the box is very busy
							if idle++; idle == 40 {
								t.Fatalf("batch %d: received %d of %d", k, got, (k+1)*len(frames))
							}
						}
						for i := 0; i < m; i++ {
							f := b1.Frames[i]
							if len(f) < 15 || f[12] != 0x88 || f[13] != 0xb5 {
								continue // the kernel's own traffic (IPv6 router solicitations, ...)
							}
							if len(f) != 60+int(f[14]) {
								t.Fatalf("frame %d: %d bytes", f[14], len(f))
							}
							seen[int(f[14])] = true
							got++
						}
					}
				}
				if len(seen) != len(frames) {
					t.Fatalf("saw %d distinct frames", len(seen))
				}
				if st := tx.Stats(); st.TxPackets != batches*uint64(len(frames)) || st.TxErrors != 0 {
					t.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

func TestShadowMAC(t *testing.T) {
	vethPair(t, func(a, b string) {
		before := hwaddr(t, a)
		p, err := Open(a, Config{Queues: 1, ShadowMAC: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.HardwareAddr() != before {
			t.Fatalf("port MAC %x, want %x", p.HardwareAddr(), before)
		}
		if got := hwaddr(t, a); got != shadowOf(before) || got == before {
			t.Fatalf("kernel MAC %x while open", got)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if got := hwaddr(t, a); got != before {
			t.Fatalf("kernel MAC %x after Close, want %x", got, before)
		}
	})
}

// TestShadowMACAfterCrash: a port opened while an earlier one still holds
// the shadow (a routerd that died without Close) finds the interface's own
// address through the alias, instead of shadowing the shadow; closing
// restores the address and removes the alias.
func TestShadowMACAfterCrash(t *testing.T) {
	vethPair(t, func(a, b string) {
		before := hwaddr(t, a)
		crashed, err := Open(a, Config{Queues: 1, ShadowMAC: true})
		if err != nil {
			t.Fatal(err)
		}
		defer crashed.Close()
		if alias, err := linkAlias(crashed.ifindex); err != nil || alias == "" {
			t.Fatalf("alias while shadowed: %q, %v", alias, err)
		}
		p, err := Open(a, Config{Queues: 1, ShadowMAC: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.HardwareAddr() != before {
			t.Fatalf("port MAC after a crash %x, want %x", p.HardwareAddr(), before)
		}
		if got := hwaddr(t, a); got != shadowOf(before) {
			t.Fatalf("kernel MAC %x while open, want the shadow %x", got, shadowOf(before))
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if got := hwaddr(t, a); got != before {
			t.Fatalf("kernel MAC %x after Close, want %x", got, before)
		}
		if alias, err := linkAlias(p.ifindex); err != nil || alias != "" {
			t.Fatalf("alias after Close: %q, %v", alias, err)
		}
	})
}

func hwaddr(t *testing.T, name string) [6]byte {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return [6]byte(ifi.HardwareAddr)
}
