package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/internal/syncbuf"
)

// consoleTailBytes is how much of the console a failure message quotes.
const consoleTailBytes = 4000

// VM is a running QEMU started by Start or Boot.
type VM struct {
	// Config is the configuration the VM was started with (SSHPort and
	// ConsoleLog filled in).
	Config Config

	cmd     *exec.Cmd
	stderr  syncbuf.Buffer
	done    chan struct{}
	waitErr error
	stop    sync.Once

	mu        sync.Mutex
	tailShown bool // a returned error already quoted the console
}

// Start starts QEMU for cfg. cfg.ConsoleLog must be set (the harness reads
// the console from it); a zero cfg.SSHPort is replaced by a free port.
func Start(ctx context.Context, cfg Config) (*VM, error) {
	if cfg.ConsoleLog == "" {
		return nil, errors.New("start vm: ConsoleLog must be set")
	}
	if cfg.SSHPort == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("start vm: %w", err)
		}
		cfg.SSHPort = p
	}
	vm := &VM{Config: cfg, done: make(chan struct{})}
	cmd, err := vm.Config.Command(ctx)
	if err != nil {
		return nil, fmt.Errorf("start vm: %w", err)
	}
	cmd.Stdin = nil
	cmd.Stdout = io.Discard
	cmd.Stderr = &vm.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	vm.cmd = cmd
	go func() {
		vm.waitErr = cmd.Wait()
		close(vm.done)
	}()
	return vm, nil
}

// Boot starts a VM for a test: the console goes to a file under
// t.TempDir(), a free host port is forwarded to the guest's SSH, and QEMU
// is killed when the test ends.
func Boot(t testing.TB, cfg Config) *VM {
	t.Helper()
	if cfg.ConsoleLog == "" {
		cfg.ConsoleLog = filepath.Join(t.TempDir(), "console.log")
	}
	vm, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	t.Cleanup(func() {
		vm.Kill()
		vm.mu.Lock()
		shown := vm.tailShown
		vm.mu.Unlock()
		if t.Failed() && !shown {
			t.Logf("console of the VM (%s):\n%s", vm.Config.ConsoleLog, vm.ConsoleTail(consoleTailBytes))
		}
	})
	t.Logf("qemu %s", strings.Join(vm.cmd.Args[1:], " "))
	return vm
}

// SSHAddr is the host address forwarded to the guest's SSH port.
func (vm *VM) SSHAddr() string {
	return fmt.Sprintf("127.0.0.1:%d", vm.Config.SSHPort)
}

// Done is closed when QEMU has exited.
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Kill stops QEMU and waits for it. It is safe to call more than once.
func (vm *VM) Kill() {
	vm.stop.Do(func() {
		if vm.cmd.Process != nil {
			vm.cmd.Process.Kill()
		}
	})
	<-vm.done
}

// Wait waits for QEMU to exit on its own (a guest reboot with NoReboot,
// or a panic) and returns its exit error.
func (vm *VM) Wait(ctx context.Context) error {
	select {
	case <-vm.done:
		return vm.waitErr
	case <-ctx.Done():
		return vm.Errorf("waiting for qemu to exit: %w", ctx.Err())
	}
}

// Console returns the whole console log so far.
func (vm *VM) Console() string {
	b, _ := os.ReadFile(vm.Config.ConsoleLog)
	return string(b)
}

// ConsoleTail returns the last n bytes of the console log, plus QEMU's
// own stderr when it wrote any.
func (vm *VM) ConsoleTail(n int) string {
	return consoleTail(vm.Console(), n) + vm.qemuStderr()
}

func (vm *VM) qemuStderr() string {
	s := vm.stderr.String()
	if s == "" {
		return ""
	}
	return "\n[qemu stderr]\n" + s
}

// consoleTail returns the last n bytes of s, starting at a line boundary
// when one is near.
func consoleTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < 200 {
		s = s[i+1:]
	}
	return "…\n" + s
}

// Errorf returns an error whose message ends with the tail of the console
// log (and QEMU's stderr), so a test failure shows what the guest did.
func (vm *VM) Errorf(format string, args ...any) error {
	vm.mu.Lock()
	vm.tailShown = true
	vm.mu.Unlock()
	return fmt.Errorf(format+"\n--- console tail ---\n%s", append(args, vm.ConsoleTail(consoleTailBytes))...)
}

// WaitConsole waits until the console log contains s (after offset bytes
// of it). It fails early when QEMU exits.
func (vm *VM) WaitConsole(ctx context.Context, s string, offset int) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if c := vm.Console(); len(c) > offset && strings.Contains(c[offset:], s) {
			return nil
		}
		select {
		case <-vm.done:
			if c := vm.Console(); len(c) > offset && strings.Contains(c[offset:], s) {
				return nil
			}
			return vm.Errorf("qemu exited (%v) before the console showed %q", vm.waitErr, s)
		case <-ctx.Done():
			return vm.Errorf("console did not show %q: %w", s, ctx.Err())
		case <-tick.C:
		}
	}
}

// WaitSSHBanner dials the forwarded SSH port until the guest answers with
// an SSH-2.0- banner, and returns the banner line. QEMU's user network
// accepts the connection even when nothing listens in the guest, so a
// connection closed without a banner is retried.
func (vm *VM) WaitSSHBanner(ctx context.Context) (string, error) {
	for {
		if banner, err := readBanner(ctx, vm.SSHAddr()); err == nil {
			return banner, nil
		}
		select {
		case <-vm.done:
			return "", vm.Errorf("qemu exited (%v) before SSH answered on %s", vm.waitErr, vm.SSHAddr())
		case <-ctx.Done():
			return "", vm.Errorf("no SSH banner on %s: %w", vm.SSHAddr(), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// readBanner connects once and reads the server's identification line.
func readBanner(ctx context.Context, addr string) (string, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	var buf bytes.Buffer
	b := make([]byte, 256)
	for buf.Len() < 1024 {
		n, err := c.Read(b)
		buf.Write(b[:n])
		for _, line := range strings.Split(buf.String(), "\n") {
			if strings.HasPrefix(line, "SSH-2.0-") && strings.HasSuffix(line, "\r") {
				return strings.TrimSpace(line), nil
			}
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("no SSH banner in the first KiB")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
