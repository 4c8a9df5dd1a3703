package image

import (
	"strings"
	"testing"
)

func TestCmdline(t *testing.T) {
	for _, tt := range []struct {
		board, want string
	}{
		{"qemu", "console=ttyS0 panic=-1 quiet erx.board=qemu"},
		{"x86", "console=tty0 console=ttyS0 panic=-1 quiet erx.board=x86"},
	} {
		b, err := BoardByName(tt.board)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Cmdline(); got != tt.want {
			t.Errorf("%s cmdline = %q, want %q", tt.board, got, tt.want)
		}
	}
	if _, err := BoardByName("e320"); err == nil {
		t.Error("BoardByName(e320) succeeded")
	}
}

func TestGrubConfig(t *testing.T) {
	cfg := GrubConfig("console=tty0 console=ttyS0 erx.board=x86")
	for _, want := range []string{
		"serial --unit=0 --speed=115200\n",
		"terminal_output serial console\n",
		"\tlinux /boot/vmlinuz console=tty0 console=ttyS0 erx.board=x86\n",
		"\tinitrd /boot/initramfs.cpio.gz\n",
		"set timeout=1\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
}
