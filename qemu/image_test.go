//go:build image

package qemu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/image"
)

// These tests boot the real image built by `erx image` under QEMU (TCG when
// KVM does not work). Run with:
//
//	go run ./cmd/erx image && go test -tags image -timeout 20m ./qemu/...
//
// ERX_BUILD names the build directory (default ../build). A missing image
// is a failure, not a skip.

// bootTimeout bounds power-on to SSH banner (TCG: ~5 s kernel, ~10–20 s ISO).
const bootTimeout = 120 * time.Second

// uinitMarker is printed by the u-root init just before it starts the uinit.
const uinitMarker = "Welcome to u-root!"

func buildDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ERX_BUILD")
	if dir == "" {
		dir = filepath.Join("..", "build")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// need fails the test when an image file is missing.
func need(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("image file missing (build it with `go run ./cmd/erx image`, or set ERX_BUILD): %v", err)
	}
	return path
}

// credentials is a test administrator: an ed25519 key made by ssh-keygen
// and a random password, seeded on a fresh flash.
type credentials struct {
	dir, key, knownHosts, password, flash string
}

func newCredentials(t *testing.T) credentials {
	t.Helper()
	dir := t.TempDir()
	c := credentials{dir: dir, key: filepath.Join(dir, "id_ed25519"), knownHosts: filepath.Join(dir, "known_hosts"), flash: filepath.Join(dir, "flash.img")}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "erx-test", "-f", c.key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(c.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if c.password, err = image.RandomPassword(); err != nil {
		t.Fatal(err)
	}
	if _, err := image.CreateFlash(context.Background(), c.flash, 64, image.FlashSeed{
		Password:   c.password,
		PublicKeys: []string{strings.TrimSpace(string(pub))},
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// sshArgs are the OpenSSH options every login uses.
func (c credentials) sshArgs(port int) []string {
	return []string{
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=" + c.knownHosts,
		"-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "-o", "ServerAliveInterval=5",
		"-p", strconv.Itoa(port),
	}
}

// run runs a host command with a bounded time and returns its combined output.
func run(t *testing.T, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("$ %s %s\n%s", name, strings.Join(args, " "), out.String())
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w", name, err)
	}
	return out.String(), nil
}

// loginWithKey runs one CLI command over SSH with the test key.
func (c credentials) loginWithKey(t *testing.T, vm *VM, command string) string {
	t.Helper()
	args := append(c.sshArgs(vm.Config.SSHPort), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", c.key, "admin@127.0.0.1", command)
	out, err := run(t, "", "ssh", args...)
	if err != nil {
		t.Fatal(vm.Errorf("ssh with key, %q: %v\n%s", command, err, out))
	}
	return out
}

// loginWithPassword runs one CLI command over SSH with the password (sshpass).
func (c credentials) loginWithPassword(t *testing.T, vm *VM, command string) string {
	t.Helper()
	args := append([]string{"-p", c.password, "ssh"}, c.sshArgs(vm.Config.SSHPort)...)
	args = append(args, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive",
		"admin@127.0.0.1", command)
	out, err := run(t, "", "sshpass", args...)
	if err != nil {
		t.Fatal(vm.Errorf("ssh with password, %q: %v\n%s", command, err, out))
	}
	return out
}

// hostKeys returns the guest's host keys by type, as ssh-keyscan prints
// them. Each type is scanned on its own and retried (bounded by
// bootTimeout), so that one slow handshake under TCG is not mistaken for a
// missing key, and so that the RSA key, which a fresh flash's routerd
// generates in the background while it already serves with Ed25519, is
// waited for.
func hostKeys(t *testing.T, vm *VM) map[string]string {
	t.Helper()
	keys := map[string]string{}
	deadline := time.Now().Add(bootTimeout)
	for _, typ := range []string{"ed25519", "rsa"} {
		var line string
		for attempt := 0; line == "" && (attempt < 3 || time.Now().Before(deadline)); attempt++ {
			if attempt > 0 {
				time.Sleep(time.Second)
			}
			out, _ := exec.Command("ssh-keyscan", "-T", "20", "-t", typ, "-p", strconv.Itoa(vm.Config.SSHPort), "127.0.0.1").Output()
			for _, l := range strings.Split(string(out), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					line = l
				}
			}
		}
		if line == "" {
			t.Fatal(vm.Errorf("ssh-keyscan -t %s: no key", typ))
		}
		keys[typ] = line
	}
	return keys
}

// reload logs in interactively (expect drives OpenSSH on a pty), runs
// `reload` and confirms it. The exec-channel form (`ssh host reload`) is
// not used: routerd does not prompt on exec channels.
func (c credentials) reload(t *testing.T, vm *VM) {
	t.Helper()
	ssh := append([]string{"ssh", "-tt"}, c.sshArgs(vm.Config.SSHPort)...)
	ssh = append(ssh, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", c.key, "admin@127.0.0.1")
	script := `set timeout 60
spawn ` + strings.Join(ssh, " ") + `
expect {
	-re {[>#] ?$} {}
	timeout { puts "no CLI prompt"; exit 2 }
	eof { puts "connection closed before the prompt"; exit 2 }
}
send "reload\r"
expect {
	-re {(?i)(confirm|proceed|\[y)} {}
	timeout { puts "no confirmation prompt"; exit 3 }
	eof { puts "connection closed before the confirmation prompt"; exit 3 }
}
send "y\r"
expect {
	eof {}
	timeout { puts "session still open after confirming reload"; exit 4 }
}
`
	// The connection drops when the router reboots; expect exits 0 on EOF.
	if out, err := run(t, "", "expect", "-c", script); err != nil {
		t.Fatal(vm.Errorf("reload through the CLI: %v\n%s", err, out))
	}
}

func waitBanner(t *testing.T, vm *VM, since time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	banner, err := vm.WaitSSHBanner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SSH banner %q after %s", banner, time.Since(since).Round(100*time.Millisecond))
}

func qemuBoardConfig(t *testing.T, c credentials) Config {
	dir := filepath.Join(buildDir(t), "qemu")
	return Config{
		Kernel:    need(t, filepath.Join(dir, "vmlinuz")),
		Initrd:    need(t, filepath.Join(dir, "initramfs.cpio.gz")),
		Append:    image.QEMUBoard.Cmdline(),
		MemoryMiB: 512,
		Flash:     c.flash,
	}
}

// TestBootToUinit boots the qemu-board image and waits for the u-root init
// to hand over to routerd. It checks the image alone, whatever routerd does.
func TestBootToUinit(t *testing.T) {
	c := newCredentials(t)
	cfg := qemuBoardConfig(t, c)
	cfg.NoReboot = true
	start := time.Now()
	vm := Boot(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	if err := vm.WaitConsole(ctx, uinitMarker, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("power-on to uinit: %s", time.Since(start).Round(100*time.Millisecond))
}

// TestSSHLoginAndReload boots the qemu board with a fresh flash, logs in
// with key and with password, runs `show version`, configures a hostname
// and an interface address, reloads, and checks that after the reboot the
// router answers again with the same host key and shows the configuration
// (committed to flash automatically). QEMU runs without -no-reboot, so the
// guest reboots inside the same QEMU.
func TestSSHLoginAndReload(t *testing.T) {
	c := newCredentials(t)
	start := time.Now()
	vm := Boot(t, qemuBoardConfig(t, c))
	waitBanner(t, vm, start)
	keysBefore := hostKeys(t, vm)

	for name, out := range map[string]string{
		"key":      c.loginWithKey(t, vm, "show version"),
		"password": c.loginWithPassword(t, vm, "show version"),
	} {
		if !strings.Contains(out, "Version") {
			t.Errorf("show version (%s login) printed no version:\n%s", name, out)
		}
	}

	configured := []string{"hostname reload7", "interface loopback 7", " ip address 192.168.77.1 255.255.255.255"}
	if out := c.loginWithKey(t, vm, "configure terminal\nhostname reload7\ninterface loopback 7\n ip address 192.168.77.1 255.255.255.255\n"); strings.Contains(out, "%") {
		t.Fatal(vm.Errorf("configuration rejected:\n%s", out))
	}
	if out := c.loginWithKey(t, vm, "show configuration"); !containsAll(out, configured) {
		t.Fatal(vm.Errorf("show configuration before reload lacks %q:\n%s", configured, out))
	}

	offset := len(vm.Console())
	reloaded := time.Now()
	c.reload(t, vm)
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	if err := vm.WaitConsole(ctx, uinitMarker, offset); err != nil {
		t.Fatalf("no reboot after reload: %v", err)
	}
	waitBanner(t, vm, reloaded)
	keysAfter := hostKeys(t, vm)
	for typ, before := range keysBefore {
		if keysAfter[typ] != before {
			t.Errorf("%s host key changed across reload:\nbefore: %s\nafter:  %s", typ, before, keysAfter[typ])
		}
	}
	if out := c.loginWithKey(t, vm, "show version"); !strings.Contains(out, "Version") {
		t.Errorf("show version after reload printed no version:\n%s", out)
	}
	if out := c.loginWithKey(t, vm, "show configuration"); !containsAll(out, configured) {
		t.Error(vm.Errorf("show configuration after reload lacks %q:\n%s", configured, out))
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestBootISO boots the x86 ISO with SeaBIOS and with OVMF to the SSH banner.
func TestBootISO(t *testing.T) {
	iso := need(t, filepath.Join(buildDir(t), "x86", "erx.iso"))
	for _, fw := range []struct {
		name string
		fw   Firmware
	}{{"SeaBIOS", BIOS}, {"OVMF", UEFI}} {
		t.Run(fw.name, func(t *testing.T) {
			if fw.fw == UEFI {
				need(t, OVMF)
			}
			c := newCredentials(t)
			start := time.Now()
			vm := Boot(t, Config{ISO: iso, Firmware: fw.fw, MemoryMiB: 512, Flash: c.flash, NoReboot: true})
			ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
			defer cancel()
			if err := vm.WaitConsole(ctx, uinitMarker, 0); err != nil {
				t.Fatal(err)
			}
			t.Logf("power-on to uinit: %s", time.Since(start).Round(100*time.Millisecond))
			waitBanner(t, vm, start)
		})
	}
}
