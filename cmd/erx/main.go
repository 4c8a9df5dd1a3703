// Command erx is the host tool that builds and runs the erx firmware:
//
//	erx [-build DIR] build [-board qemu|x86]   build one board's kernel+initramfs (x86: also the ISO)
//	erx [-build DIR] image                     build both boards (qemu kernel+initramfs and the ISO)
//	erx [-build DIR] flash [-size MiB]         create build/flash.img with a seeded administrator
//	erx [-build DIR] run [-port 2222]          build if needed, create the flash, boot under QEMU
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/erxos/erx/image"
	"github.com/erxos/erx/qemu"
)

const modulePath = "github.com/erxos/erx"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "erx:", err)
		os.Exit(1)
	}
}

func usage(fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "usage: erx [-build DIR] build [-board qemu|x86] | image | flash [-size MiB] | run [-port N]\n")
		fs.PrintDefaults()
	}
}

func run(args []string) error {
	top := flag.NewFlagSet("erx", flag.ContinueOnError)
	top.Usage = usage(top)
	buildDir := top.String("build", "", "build directory (default: build/ at the repository root)")
	if err := top.Parse(args); err != nil {
		return err
	}
	if top.NArg() == 0 {
		top.Usage()
		return errors.New("missing command")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if *buildDir == "" {
		*buildDir = filepath.Join(root, "build")
	}
	if *buildDir, err = filepath.Abs(*buildDir); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &image.Builder{RepoRoot: root, BuildDir: *buildDir, Progress: os.Stdout}

	cmd, rest := top.Arg(0), top.Args()[1:]
	switch cmd {
	case "build":
		fs := flag.NewFlagSet("build", flag.ContinueOnError)
		board := fs.String("board", "qemu", "board to build: qemu or x86")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		bd, err := image.BoardByName(*board)
		if err != nil {
			return err
		}
		_, err = b.Build(ctx, bd)
		return err
	case "image":
		if len(rest) > 0 {
			return fmt.Errorf("image takes no arguments (global flags such as -build go before the subcommand), got %q", rest)
		}
		for _, bd := range []image.Board{image.QEMUBoard, image.X86Board} {
			if _, err := b.Build(ctx, bd); err != nil {
				return err
			}
		}
		return nil
	case "flash":
		fs := flag.NewFlagSet("flash", flag.ContinueOnError)
		size := fs.Int("size", defaultFlashMiB, "flash size in MiB")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		_, err := createFlash(ctx, *buildDir, *size)
		return err
	case "run":
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		port := fs.Int("port", 2222, "host port forwarded to the router's SSH")
		mem := fs.Int("m", 512, "guest memory in MiB")
		rebuild := fs.Bool("rebuild", false, "rebuild the image even when it exists")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return runVM(ctx, b, *port, *mem, *rebuild)
	}
	top.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

const defaultFlashMiB = 128

// createFlash creates build/flash.img when it does not exist and prints
// the seeded password once. It returns whether a flash was created.
func createFlash(ctx context.Context, buildDir string, sizeMiB int) (bool, error) {
	path := filepath.Join(buildDir, "flash.img")
	if _, err := os.Stat(path); err == nil {
		fmt.Printf("flash %s already exists; not touching it\n", path)
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	var keys []string
	if home, err := os.UserHomeDir(); err == nil {
		if keys, err = image.UserPublicKeys(filepath.Join(home, ".ssh")); err != nil {
			return false, err
		}
	}
	fmt.Printf("creating flash %s (%d MiB, %d SSH public key(s) from ~/.ssh)…\n", path, sizeMiB, len(keys))
	pw, err := image.CreateFlash(ctx, path, sizeMiB, image.FlashSeed{
		PublicKeys:   keys,
		PasswordFile: filepath.Join(buildDir, "admin-password"),
	})
	if err != nil {
		return false, err
	}
	fmt.Printf("\n  administrator: admin   password: %s   (saved in %s)\n", pw, filepath.Join(buildDir, "admin-password"))
	return true, nil
}

func runVM(ctx context.Context, b *image.Builder, port, mem int, rebuild bool) error {
	dir := b.BoardDir(image.QEMUBoard)
	kernel := filepath.Join(dir, "vmlinuz")
	initrd := filepath.Join(dir, "initramfs.cpio.gz")
	if rebuild || !exists(kernel) || !exists(initrd) {
		if _, err := b.Build(ctx, image.QEMUBoard); err != nil {
			return err
		}
	}
	if _, err := createFlash(ctx, b.BuildDir, defaultFlashMiB); err != nil {
		return err
	}
	fmt.Printf("\n  log in with:  ssh -p %d admin@127.0.0.1\n  quit QEMU with Ctrl-A X\n\n", port)
	cfg := qemu.Config{
		Kernel:    kernel,
		Initrd:    initrd,
		Append:    image.QEMUBoard.Cmdline(),
		MemoryMiB: mem,
		Flash:     filepath.Join(b.BuildDir, "flash.img"),
		SSHPort:   port,
	}
	// QEMU owns the terminal (raw mode): Ctrl-C reaches the guest, and
	// Ctrl-A X quits. SIGTERM or SIGHUP to erx stop QEMU cleanly.
	signal.Ignore(os.Interrupt)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	cmd, err := cfg.Command(ctx)
	if err != nil {
		return err
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	fmt.Printf("booting: %s %s\n", cmd.Path, strings.Join(cmd.Args[1:], " "))
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			fmt.Println("erx: stopped QEMU on a signal")
			return nil
		}
		return fmt.Errorf("qemu: %w", err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// repoRoot walks up from the working directory to the go.mod of the erx module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the " + modulePath + " source tree")
		}
		dir = parent
	}
}
