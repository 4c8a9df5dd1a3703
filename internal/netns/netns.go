// Package netns holds the network-namespace helpers of the host tests:
// namespaces and veth pairs that are removed when the test ends, commands
// run in a namespace, and Go code run on an OS thread switched into one.
// They drive iproute2 (ip) and need root.
package netns

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Run runs a command and fails the test with its output if it fails; it
// returns the combined output.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Exec runs a command inside namespace ns (ip netns exec) like Run.
func Exec(t testing.TB, ns, name string, args ...string) string {
	t.Helper()
	return Run(t, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Add creates the network namespace name (a name under /var/run/netns)
// and deletes it, with the devices in it, when the test ends.
func Add(t testing.TB, name string) {
	t.Helper()
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
}

// Veth creates a veth pair: name in namespace ns and peer in namespace
// peerNS, either "" for this process's namespace. An end created here is
// deleted when the test ends; an end in a namespace goes with it.
func Veth(t testing.TB, ns, name, peerNS, peer string) {
	t.Helper()
	args := []string{"link", "add", name}
	if ns != "" {
		args = append(args, "netns", ns)
	}
	args = append(args, "type", "veth", "peer", "name", peer)
	if peerNS != "" {
		args = append(args, "netns", peerNS)
	}
	Run(t, "ip", args...)
	if ns == "" || peerNS == "" {
		host := name
		if ns != "" {
			host = peer
		}
		t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	}
}

// Do runs f on an OS thread switched into network namespace ns and
// returns its error. Sockets and devices f opens stay in ns. f runs on a
// goroutine of its own, so it reports failures by its error, not with
// t.Fatal. The thread is switched back afterwards; if that fails it is
// never reused (it stays locked and ends with the goroutine).
func Do(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := f()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}
