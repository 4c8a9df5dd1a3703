package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/erxos/erx/firmware"
)

// Artifacts are the files one board build produced.
type Artifacts struct {
	Board     Board
	Kernel    *Kernel
	Vmlinuz   string   // build/<board>/vmlinuz
	Initramfs string   // build/<board>/initramfs.cpio.gz
	ISO       string   // build/x86/erx.iso, x86 board only
	Modules   []string // in-image module paths in load order
	Cmdline   string
}

// Builder builds firmware images from the erx source tree.
type Builder struct {
	// RepoRoot is the root of the github.com/erxos/erx module.
	RepoRoot string
	// BuildDir is the output directory (build/ at the repo root).
	BuildDir string
	// Progress receives one line per stage; nil discards them.
	Progress io.Writer
}

func (b *Builder) progress() io.Writer {
	if b.Progress == nil {
		return io.Discard
	}
	return b.Progress
}

// CacheDir is where kernel packages are downloaded and extracted.
func (b *Builder) CacheDir() string { return filepath.Join(b.BuildDir, "cache") }

// BoardDir is where a board's outputs go (build/qemu, build/x86).
func (b *Builder) BoardDir(board Board) string { return filepath.Join(b.BuildDir, board.Name) }

// Build fetches the kernel, stages the modules and builds the initramfs for
// board; for the x86 board it also builds the ISO.
func (b *Builder) Build(ctx context.Context, board Board) (*Artifacts, error) {
	p := b.progress()
	start := time.Now()
	stage := time.Now()
	done := func() {
		fmt.Fprintf(p, "  done in %s\n", time.Since(stage).Round(100*time.Millisecond))
		stage = time.Now()
	}
	k, err := FetchKernel(ctx, b.CacheDir(), board.KernelPackage, p)
	if err != nil {
		return nil, err
	}
	done()
	dir := b.BoardDir(board)
	staging := filepath.Join(dir, "staging")
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("build %s: %w", board.Name, err)
	}
	fmt.Fprintf(p, "staging %d modules (with dependencies) for %s…\n", len(board.Modules), k.Version)
	load, err := StageModules(k, board.Modules, staging)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p, "  %d modules staged\n", len(load))
	done()
	a := &Artifacts{
		Board:     board,
		Kernel:    k,
		Vmlinuz:   filepath.Join(dir, "vmlinuz"),
		Initramfs: filepath.Join(dir, "initramfs.cpio.gz"),
		Modules:   load,
		Cmdline:   board.Cmdline(),
	}
	if err := copyFile(k.Vmlinuz, a.Vmlinuz); err != nil {
		return nil, fmt.Errorf("build %s: copy kernel: %w", board.Name, err)
	}
	mke2fs, err := hostMke2fs()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p, "building initramfs (Go build of routerd + u-root core)…\n")
	spec := InitramfsSpec{
		ModuleDir:  staging,
		Output:     a.Initramfs,
		ExtraFiles: []string{mke2fs + ":sbin/mke2fs"},
	}
	// mke2fs has built-in defaults, but the host's profile keeps the
	// flash formatted exactly like `erx flash` formats it.
	if _, err := os.Stat("/etc/mke2fs.conf"); err == nil {
		spec.ExtraFiles = append(spec.ExtraFiles, "/etc/mke2fs.conf:etc/mke2fs.conf")
	}
	release, err := b.writeRelease(dir)
	if err != nil {
		return nil, err
	}
	spec.ExtraFiles = append(spec.ExtraFiles, release+":"+strings.TrimPrefix(firmware.ReleaseFile, "/"))
	if err := BuildInitramfs(ctx, b.RepoRoot, spec, p); err != nil {
		return nil, err
	}
	done()
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("build %s: %w", board.Name, err)
	}
	if board.Name == X86Board.Name {
		a.ISO = filepath.Join(dir, "erx.iso")
		fmt.Fprintf(p, "building ISO (grub-mkrescue, BIOS+UEFI)…\n")
		if err := BuildISO(ctx, a.Vmlinuz, a.Initramfs, a.Cmdline, a.ISO); err != nil {
			return nil, err
		}
		done()
	}
	fmt.Fprintf(p, "built %s board in %s:\n", board.Name, time.Since(start).Round(100*time.Millisecond))
	for _, f := range []string{a.Vmlinuz, a.Initramfs, a.ISO} {
		if f == "" {
			continue
		}
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(p, "  %-40s %6.1f MiB\n", f, float64(st.Size())/(1<<20))
		}
	}
	return a, nil
}

// writeRelease records this build in dir/erx-release (firmware.Release
// format) for show version. The build number counts the builds made in
// this build directory.
func (b *Builder) writeRelease(dir string) (string, error) {
	counter := filepath.Join(b.BuildDir, "build-number")
	n := 0
	if data, err := os.ReadFile(counter); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	n++
	if err := os.WriteFile(counter, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("build number: %w", err)
	}
	rel := firmware.Release{Version: firmware.Version, BuildID: n, Built: time.Now().UTC().Truncate(time.Minute)}
	path := filepath.Join(dir, "erx-release")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, rel.Marshal(), 0o644); err != nil {
		return "", fmt.Errorf("release file: %w", err)
	}
	return path, nil
}

// hostMke2fs finds the host's mke2fs binary to stage as /sbin/mke2fs.
func hostMke2fs() (string, error) {
	for _, p := range []string{"/usr/sbin/mke2fs", "/sbin/mke2fs"} {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r, nil
		}
	}
	return "", fmt.Errorf("mke2fs not found on the build host (install e2fsprogs)")
}
