package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Paths of the kernel and initramfs inside the ISO.
const (
	isoKernel    = "/boot/vmlinuz"
	isoInitramfs = "/boot/initramfs.cpio.gz"
)

// GrubConfig returns the grub.cfg of the ISO: menus on both the serial
// port and the screen, one entry booting the kernel with cmdline.
func GrubConfig(cmdline string) string {
	var b strings.Builder
	b.WriteString("serial --unit=0 --speed=115200\n")
	b.WriteString("terminal_input serial console\n")
	b.WriteString("terminal_output serial console\n")
	b.WriteString("set timeout=1\n")
	b.WriteString("set default=0\n\n")
	b.WriteString("menuentry \"erx\" {\n")
	fmt.Fprintf(&b, "\tlinux %s %s\n", isoKernel, cmdline)
	fmt.Fprintf(&b, "\tinitrd %s\n", isoInitramfs)
	b.WriteString("}\n")
	return b.String()
}

// BuildISO writes a hybrid BIOS/UEFI ISO at output with grub-mkrescue,
// holding kernel and initramfs and booting them with cmdline.
func BuildISO(ctx context.Context, kernel, initramfs, cmdline, output string) error {
	root, err := os.MkdirTemp("", "erx-iso-")
	if err != nil {
		return fmt.Errorf("build iso: %w", err)
	}
	defer os.RemoveAll(root)
	if err := os.MkdirAll(filepath.Join(root, "boot", "grub"), 0o755); err != nil {
		return fmt.Errorf("build iso: %w", err)
	}
	for src, dst := range map[string]string{kernel: isoKernel, initramfs: isoInitramfs} {
		if err := copyFile(src, filepath.Join(root, filepath.FromSlash(dst))); err != nil {
			return fmt.Errorf("build iso: %w", err)
		}
	}
	cfg := filepath.Join(root, "boot", "grub", "grub.cfg")
	if err := os.WriteFile(cfg, []byte(GrubConfig(cmdline)), 0o644); err != nil {
		return fmt.Errorf("build iso: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(output), 0o755); err != nil {
		return fmt.Errorf("build iso: %w", err)
	}
	cmd := exec.CommandContext(ctx, "grub-mkrescue", "-o", output, root)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("grub-mkrescue: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// copyFile copies src to dst with mode 0644.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
