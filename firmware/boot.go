package firmware

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// basicMount is one file system MountBasics makes sure is mounted.
type basicMount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

var basicMounts = []basicMount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "ptmxmode=0666,mode=0620"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
}

// mounter is the system call MountBasics makes; tests replace it.
type mounter func(source, target, fstype string, flags uintptr, data string) error

// MountBasics mounts proc, sysfs, devtmpfs, devpts, /tmp and /run unless
// they are mounted already (u-root's init mounts some). It is idempotent
// and does nothing outside the image.
func MountBasics() error {
	if !InImage() {
		return nil
	}
	mounted := func(target string) bool {
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return false // /proc itself is not mounted yet
		}
		return mountPoints(string(b))[target]
	}
	return mountBasics(mounted, unix.Mount)
}

func mountBasics(mounted func(string) bool, mount mounter) error {
	var errs []error
	for _, m := range basicMounts {
		if mounted(m.target) {
			continue
		}
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("firmware: mkdir %s: %w", m.target, err))
			continue
		}
		if err := mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("firmware: mount %s on %s: %w", m.fstype, m.target, err))
		}
	}
	return errors.Join(errs...)
}

// mountPoints returns the mount points listed in a mountinfo file.
func mountPoints(mountinfo string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 {
			out[unescapeMountinfo(f[4])] = true
		}
	}
	return out
}

// unescapeMountinfo decodes the octal escapes (\040) mountinfo uses.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return s[0] <= '3'
}

// moduleLoader loads one kernel module from an open file; tests replace it.
type moduleLoader func(f *os.File) error

func finitModule(f *os.File) error { return unix.FinitModule(int(f.Fd()), "", 0) }

// LoadModules loads the kernel modules listed in listFile (one absolute
// .ko path a line, dependencies first; blank lines and # comments are
// skipped) with finit_module. A module that is already loaded is fine. A
// module that fails is logged and the rest are still tried; the failures
// are returned joined. Outside the image it does nothing.
func LoadModules(listFile string, log *slog.Logger) error {
	if !InImage() {
		return nil
	}
	return loadModules(listFile, log, finitModule)
}

func loadModules(listFile string, log *slog.Logger, load moduleLoader) error {
	f, err := os.Open(listFile)
	if err != nil {
		return fmt.Errorf("firmware: modules: %w", err)
	}
	defer f.Close()
	var errs []error
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path := strings.TrimSpace(sc.Text())
		if path == "" || strings.HasPrefix(path, "#") {
			continue
		}
		if err := loadModule(path, load); err != nil {
			log.Error("module load failed", "module", filepath.Base(path), "err", err)
			errs = append(errs, fmt.Errorf("firmware: module %s: %w", path, err))
			continue
		}
		log.Debug("module loaded", "module", filepath.Base(path))
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("firmware: modules: reading %s: %w", listFile, err))
	}
	return errors.Join(errs...)
}

func loadModule(path string, load moduleLoader) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := load(f); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

// SetHostname sets the kernel host name. Outside the image it does nothing
// (the router's name is then only the CLI's).
func SetHostname(name string) error {
	if !InImage() {
		return nil
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("firmware: sethostname %q: %w", name, err)
	}
	return nil
}

// Sysctl is one kernel parameter, named as in sysctl(8).
type Sysctl struct{ Key, Value string }

// RouterSysctls are the kernel settings of the image. Forwarding is off:
// the data plane is erx's own, in user space, and the kernel stack only
// serves the management port. The kernel must not answer ARP for the
// management address on data ports, nor accept redirects or source routes.
var RouterSysctls = []Sysctl{
	{"net.ipv4.ip_forward", "0"},
	{"net.ipv6.conf.all.forwarding", "0"},
	{"net.ipv4.conf.all.arp_ignore", "1"},
	{"net.ipv4.conf.all.arp_announce", "2"},
	{"net.ipv4.conf.all.accept_redirects", "0"},
	{"net.ipv4.conf.all.send_redirects", "0"},
	{"net.ipv4.conf.all.accept_source_route", "0"},
	{"net.ipv4.conf.all.rp_filter", "1"},
	{"net.ipv4.icmp_echo_ignore_broadcasts", "1"},
	{"net.ipv4.tcp_syncookies", "1"},
	{"net.ipv6.conf.all.accept_redirects", "0"},
	{"net.core.rmem_max", "8388608"},
	{"net.core.wmem_max", "8388608"},
	{"net.core.netdev_max_backlog", "4096"},
}

// DataPortSysctls are the settings for a NIC owned by the data plane: the
// kernel stack stays silent on it (no IPv6 autoconfiguration, DAD or
// router solicitations).
func DataPortSysctls(nic string) []Sysctl {
	nic = strings.ReplaceAll(nic, ".", "/")
	return []Sysctl{
		{"net.ipv6.conf." + nic + ".disable_ipv6", "1"},
		{"net.ipv4.conf." + nic + ".arp_ignore", "8"},
	}
}

// ApplySysctls writes settings under /proc/sys, logging and skipping any
// the kernel does not have. Outside the image it does nothing.
func ApplySysctls(settings []Sysctl, log *slog.Logger) error {
	if !InImage() {
		return nil
	}
	return applySysctls("/proc/sys", settings, log)
}

func applySysctls(root string, settings []Sysctl, log *slog.Logger) error {
	var errs []error
	for _, s := range settings {
		p, err := sysctlPath(root, s.Key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.WriteFile(p, []byte(s.Value+"\n"), 0); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				log.Warn("sysctl not in this kernel", "key", s.Key)
				continue
			}
			errs = append(errs, fmt.Errorf("firmware: sysctl %s=%s: %w", s.Key, s.Value, err))
		}
	}
	return errors.Join(errs...)
}

// sysctlPath maps a key to its file as sysctl(8) does: dots separate the
// path, and a slash stands for a dot inside one element (eth0/100 is the
// interface eth0.100).
func sysctlPath(root, key string) (string, error) {
	elems := strings.Split(key, ".")
	for i, e := range elems {
		e = strings.ReplaceAll(e, "/", ".")
		if e == "" || e == "." || e == ".." || strings.ContainsRune(e, 0) {
			return "", fmt.Errorf("firmware: sysctl %q: invalid key", key)
		}
		elems[i] = e
	}
	return filepath.Join(append([]string{root}, elems...)...), nil
}

// Reboot syncs the file systems and restarts the machine. Outside the
// image it returns ErrNotInImage and does nothing.
func Reboot() error {
	if !InImage() {
		return ErrNotInImage
	}
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART); err != nil {
		return fmt.Errorf("firmware: reboot: %w", err)
	}
	return nil
}

// syncer is a log handler that can flush to the flash (LogHandler).
type syncer interface {
	Sync(ctx context.Context) error
}

// Fatal logs err to the console and the flash, syncs, and reboots: routerd
// never exits inside the image. Outside the image it exits with status 1.
// The flash log is flushed when log's handler has a Sync(ctx) error
// method, as LogHandler and the handlers derived from it do.
func Fatal(log *slog.Logger, err error) {
	log.Error("fatal error; rebooting", "err", err)
	if s, ok := log.Handler().(syncer); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.Sync(ctx)
		cancel()
	}
	if !InImage() {
		os.Exit(1)
	}
	if rerr := Reboot(); rerr != nil {
		log.Error("reboot failed", "err", rerr)
	}
	// Reboot failed: exiting ends init, and the kernel (panic=-1) restarts.
	os.Exit(1)
}
