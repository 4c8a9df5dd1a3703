package image

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"
)

// RouterdPackage is the Go package built as the uinit.
const RouterdPackage = "github.com/erxos/erx/cmd/routerd"

// CoreCommands are the u-root commands built into the busybox binary next
// to routerd, for debugging from the gosh shell.
var CoreCommands = []string{
	"init", "gosh", "ls", "cat", "dmesg", "ps", "ip", "mount", "umount",
	"cp", "mv", "rm", "mkdir", "ln", "echo", "grep", "hexdump", "lsmod",
	"insmod", "rmmod", "free", "df", "uname", "sync", "kill", "poweroff",
	"shutdown", "netstat", "ping", "pci", "date", "tail", "more", "find",
}

// InitramfsSpec says what goes into one initramfs.
type InitramfsSpec struct {
	// ModuleDir is the root of the module tree to copy into the image
	// (it holds lib/modules/…); empty for none.
	ModuleDir string
	// Output is the path of the gzip-compressed CPIO archive to write.
	Output string
	// ExtraFiles are host:image pairs (mkuimage syntax) added with their
	// shared libraries.
	ExtraFiles []string
}

// BuildInitramfs builds routerd and the u-root core commands in busybox
// mode (CGO_ENABLED=0, GOAMD64=v1) from the module rooted at repoRoot,
// adds the staged modules and extra files, and writes a gzip CPIO.
func BuildInitramfs(ctx context.Context, repoRoot string, spec InitramfsSpec, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	tmp, err := os.MkdirTemp("", "erx-initramfs-")
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	defer os.RemoveAll(tmp)

	// The Go toolchain invoked by gobusybox inherits this process's
	// environment; GOAMD64 is not part of golang.Environ, so set it here.
	// v1 keeps the binaries runnable on QEMU's TCG CPU models.
	if err := os.Setenv("GOAMD64", "v1"); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	env := golang.Default(
		golang.DisableCGO(),
		golang.WithGOOS("linux"),
		golang.WithGOARCH("amd64"),
		golang.WithWorkingDir(repoRoot),
	)
	pkgs := make([]string, 0, len(CoreCommands)+1)
	for _, c := range CoreCommands {
		pkgs = append(pkgs, "github.com/u-root/u-root/cmds/core/"+c)
	}
	pkgs = append(pkgs, RouterdPackage)

	cpioPath := filepath.Join(tmp, "initramfs.cpio")
	files := append([]string(nil), spec.ExtraFiles...)
	if spec.ModuleDir != "" {
		files = append(files, filepath.Join(spec.ModuleDir, "lib", "modules")+":lib/modules")
	}
	logger := llog.New(slog.LevelWarn, llog.WritePrintf(progress))
	if err := uimage.Create(logger,
		uimage.WithReplaceEnv(env),
		uimage.WithTempDir(tmp),
		uimage.WithBusyboxCommands(pkgs...),
		uimage.WithInit("init"),
		uimage.WithUinitCommand("routerd"),
		uimage.WithShell("gosh"),
		uimage.WithFiles(files...),
		uimage.WithCPIOOutput(cpioPath),
	); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := gzipFile(cpioPath, spec.Output); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	return nil
}

// gzipFile compresses src into dst (written atomically).
func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".initramfs-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw, err := gzip.NewWriterLevel(tmp, gzip.BestCompression)
	if err != nil {
		tmp.Close()
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		tmp.Close()
		return fmt.Errorf("compress %s: %w", src, err)
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return fmt.Errorf("compress %s: %w", src, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
