package qemu

import (
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		accel   Accel
		want    []string // substrings of the joined command line, in order
		absent  []string
		wantErr string
	}{
		{
			name: "kernel boot for tests",
			cfg: Config{Kernel: "/b/vmlinuz", Initrd: "/b/initrd", Append: "console=ttyS0", Flash: "/b/flash.img",
				SSHPort: 2222, ConsoleLog: "/t/console.log", NoReboot: true, MemoryMiB: 256},
			accel: AccelTCG,
			want: []string{"-m 256", "-accel tcg -cpu max", "-kernel /b/vmlinuz -initrd /b/initrd -append console=ttyS0",
				"-drive file=/b/flash.img,if=virtio,format=raw",
				"-netdev user,id=mgmt,hostfwd=tcp:127.0.0.1:2222-:22 -device virtio-net-pci,netdev=mgmt,mac=52:54:08:ae:00:00",
				"-serial file:/t/console.log -monitor none", "-no-reboot"},
			absent: []string{"-cdrom", "-bios"},
		},
		{
			name: "data ports after the management NIC",
			cfg: Config{Kernel: "k", SSHPort: 2222, ConsoleLog: "c", DataPorts: []DataPort{
				{TAP: "erxtap0"}, {Netdev: "socket,listen=127.0.0.1:7000", MAC: "02:00:00:00:00:09"}}},
			accel: AccelKVM,
			want: []string{"-accel kvm -cpu host", "netdev=mgmt,mac=52:54:08:ae:00:00",
				"-netdev tap,id=dp0,ifname=erxtap0,script=no,downscript=no -device virtio-net-pci,netdev=dp0,mac=52:54:08:ae:00:01",
				"-netdev socket,id=dp1,listen=127.0.0.1:7000 -device virtio-net-pci,netdev=dp1,mac=02:00:00:00:00:09"},
			absent: []string{"-no-reboot"},
		},
		{
			name:  "ISO with UEFI on the terminal",
			cfg:   Config{ISO: "/b/erx.iso", Firmware: UEFI},
			accel: AccelTCG,
			want:  []string{"-bios " + OVMF, "-drive file=/b/erx.iso,media=cdrom", "-netdev user,id=mgmt -device", "-serial mon:stdio"},
		},
		{
			name:   "ISO with SeaBIOS",
			cfg:    Config{ISO: "/b/erx.iso", Console: &strings.Builder{}},
			accel:  AccelTCG,
			want:   []string{"-drive file=/b/erx.iso,media=cdrom", "-serial stdio -monitor none"},
			absent: []string{"-bios"},
		},
		{name: "neither kernel nor ISO", cfg: Config{}, accel: AccelTCG, wantErr: "exactly one"},
		{name: "both kernel and ISO", cfg: Config{Kernel: "k", ISO: "i"}, accel: AccelTCG, wantErr: "exactly one"},
		{name: "initrd without kernel", cfg: Config{ISO: "i", Initrd: "r"}, accel: AccelTCG, wantErr: "need Kernel"},
		{name: "unresolved accel", cfg: Config{Kernel: "k"}, accel: AccelAuto, wantErr: "accelerator"},
		{name: "empty data port", cfg: Config{Kernel: "k", DataPorts: []DataPort{{}}}, accel: AccelTCG, wantErr: "neither TAP nor Netdev"},
		{name: "comma in flash", cfg: Config{Kernel: "k", Flash: "a,b"}, accel: AccelTCG, wantErr: "comma"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args, err := tt.cfg.Args(tt.accel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Args error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			line := strings.Join(args, " ")
			pos := 0
			for _, w := range tt.want {
				i := strings.Index(line[pos:], w)
				if i < 0 {
					t.Fatalf("command line lacks %q (in order) after offset %d:\n%s", w, pos, line)
				}
				pos += i + len(w)
			}
			for _, a := range tt.absent {
				if strings.Contains(line, a) {
					t.Errorf("command line has %q:\n%s", a, line)
				}
			}
		})
	}
}

func TestConsoleTail(t *testing.T) {
	if got := consoleTail("short", 100); got != "short" {
		t.Errorf("consoleTail(short) = %q", got)
	}
	long := strings.Repeat("x", 50) + "\nline one\nline two\n"
	if got := consoleTail(long, 20); got != "…\nline one\nline two\n" {
		t.Errorf("consoleTail = %q", got)
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil || p <= 0 || p > 65535 {
		t.Errorf("FreePort = %d, %v", p, err)
	}
}
