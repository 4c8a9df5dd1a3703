package firmware

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/internal/syncbuf"
	"golang.org/x/sys/unix"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  Cmdline
		board string
	}{
		{"console=ttyS0 panic=-1 erx.board=x86\n", Cmdline{"console": "ttyS0", "panic": "-1", "erx.board": "x86"}, "x86"},
		{"quiet erx.board=", Cmdline{"quiet": "", "erx.board": ""}, "qemu"},
		{`a="b c" erx.board=qemu erx.board=host`, Cmdline{"a": "b c", "erx.board": "host"}, "host"},
		{"", Cmdline{}, "qemu"},
		{`"unterminated x=y`, Cmdline{"unterminated x": "y"}, "qemu"},
	} {
		got := ParseCmdline(tc.in)
		if !reflect.DeepEqual(got, tc.want) || got.Board() != tc.board {
			t.Errorf("ParseCmdline(%q) = %v board %q", tc.in, got, got.Board())
		}
	}
}

func FuzzParseCmdline(f *testing.F) {
	f.Add(`console=ttyS0 erx.board="x86"`)
	f.Fuzz(func(t *testing.T, s string) { ParseCmdline(s).Board() })
}

func TestMountBasics(t *testing.T) {
	info := "22 1 0:21 / /proc rw - proc proc rw\n23 1 0:5 / /dev rw - devtmpfs udev rw\n24 1 0:6 / /my\\040dir rw - tmpfs t rw\n"
	mp := mountPoints(info)
	if !mp["/proc"] || !mp["/dev"] || !mp["/my dir"] || mp["/sys"] {
		t.Fatalf("mountPoints = %v", mp)
	}
	var did []string
	fake := func(src, target, fstype string, _ uintptr, _ string) error {
		did = append(did, fstype+":"+target)
		if target == "/run" {
			return unix.EBUSY // mounted meanwhile: fine
		}
		return nil
	}
	// Only MkdirAll touches the disk and every target exists on this host.
	err := mountBasics(func(t string) bool { return mp[t] }, fake)
	if err != nil {
		t.Fatal(err)
	}
	want := "sysfs:/sys devpts:/dev/pts tmpfs:/tmp tmpfs:/run"
	if strings.Join(did, " ") != want {
		t.Fatalf("mounted %v, want %v", did, want)
	}
	failing := func(string, string, string, uintptr, string) error { return unix.EPERM }
	if err := mountBasics(func(string) bool { return false }, failing); !errors.Is(err, unix.EPERM) {
		t.Fatalf("error not reported: %v", err)
	}
}

func TestHostIsHarmless(t *testing.T) {
	SetInImage(false)
	if err := Reboot(); !errors.Is(err, ErrNotInImage) {
		t.Fatalf("Reboot on host = %v", err)
	}
	for _, err := range []error{MountBasics(), SetHostname("x"), LoadModules("/nonexistent", slog.Default()), ApplySysctls(RouterSysctls, slog.Default())} {
		if err != nil {
			t.Fatalf("host no-op failed: %v", err)
		}
	}
}

func TestLoadModules(t *testing.T) {
	dir := t.TempDir()
	var mods []string
	for _, n := range []string{"virtio.ko", "virtio_ring.ko", "virtio_pci.ko", "virtio_net.ko"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte(n), 0o644)
		mods = append(mods, p)
	}
	list := filepath.Join(dir, "erx.load")
	os.WriteFile(list, []byte("# order matters\n"+strings.Join(mods[:2], "\n")+"\n\n"+filepath.Join(dir, "missing.ko")+"\n"+strings.Join(mods[2:], "\n")+"\n"), 0o644)
	var loaded []string
	fake := func(f *os.File) error {
		b, _ := os.ReadFile(f.Name())
		loaded = append(loaded, string(b))
		switch string(b) {
		case "virtio.ko":
			return unix.EEXIST // built in or already loaded
		case "virtio_pci.ko":
			return unix.ENOEXEC
		}
		return nil
	}
	var logs syncbuf.Buffer
	err := loadModules(list, slog.New(slog.NewTextHandler(&logs, nil)), fake)
	if want := "virtio.ko virtio_ring.ko virtio_pci.ko virtio_net.ko"; strings.Join(loaded, " ") != want {
		t.Fatalf("loaded %v, want %v", loaded, want)
	}
	if err == nil || !strings.Contains(err.Error(), "missing.ko") || !errors.Is(err, unix.ENOEXEC) || strings.Contains(err.Error(), "virtio.ko:") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(logs.String(), "virtio_pci.ko") {
		t.Fatalf("failure not logged: %s", logs.String())
	}
	if err := loadModules(filepath.Join(dir, "none"), slog.Default(), fake); err == nil {
		t.Fatal("missing list accepted")
	}
}

func TestApplySysctls(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "net/ipv4/conf/all"), 0o755)
	os.WriteFile(filepath.Join(root, "net/ipv4/ip_forward"), []byte("1\n"), 0o644)
	os.WriteFile(filepath.Join(root, "net/ipv4/conf/all/arp_ignore"), []byte("0\n"), 0o644)
	var logs syncbuf.Buffer
	err := applySysctls(root, []Sysctl{
		{"net.ipv4.ip_forward", "0"},
		{"net.ipv4.conf.all.arp_ignore", "1"},
		{"net.ipv6.conf.all.forwarding", "0"}, // not in this kernel: skipped
		{"net.....etc", "1"},
		{"net./../x", "1"},
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil || !strings.Contains(err.Error(), "invalid key") {
		t.Fatalf("err = %v", err)
	}
	for p, want := range map[string]string{"net/ipv4/ip_forward": "0\n", "net/ipv4/conf/all/arp_ignore": "1\n"} {
		if b, _ := os.ReadFile(filepath.Join(root, p)); string(b) != want {
			t.Errorf("%s = %q", p, b)
		}
	}
	if !strings.Contains(logs.String(), "net.ipv6.conf.all.forwarding") {
		t.Errorf("missing key not logged: %s", logs.String())
	}
	if got := DataPortSysctls("eth1.100"); got[0].Key != "net.ipv6.conf.eth1/100.disable_ipv6" {
		t.Errorf("DataPortSysctls = %v", got)
	}
	if p, err := sysctlPath("/proc/sys", "net.ipv6.conf.eth1/100.disable_ipv6"); err != nil || p != "/proc/sys/net/ipv6/conf/eth1.100/disable_ipv6" {
		t.Errorf("sysctlPath = %q, %v", p, err)
	}
}

// fatalChild runs Fatal in a child test process (see TestFatalOnHost).
func fatalChild() bool {
	dir := os.Getenv("ERX_FATAL_CHILD_FLASH")
	if dir == "" {
		return false
	}
	h := NewLogHandler(os.Stderr, LogOptions{})
	d, err := flash.Open(dir)
	if err != nil {
		os.Exit(3)
	}
	h.AttachFlash(d)
	Fatal(slog.New(h), errors.New("disk on fire"))
	os.Exit(4) // not reached
	return true
}

func TestFatalOnHost(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ERX_FATAL_CHILD_FLASH="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil || !strings.Contains(string(b), "fatal error; rebooting err=\"disk on fire\"") {
		t.Fatalf("flash log: %q %v", b, err)
	}
	if !strings.Contains(string(out), "disk on fire") {
		t.Fatalf("console: %s", out)
	}
}
