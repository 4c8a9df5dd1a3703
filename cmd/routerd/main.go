// Command routerd is erx's router daemon: the image's uinit on the qemu and
// x86 boards, or an ordinary process on the host board. It boots the box
// (mounts, kernel modules, flash), replays the saved configuration through
// the CLI, and supervises the services — the management port and the SSH
// server — for ever.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/firmware"
	"github.com/erxos/erx/firmware/flash"
)

// The flash layout (docs/CONTRACTS.md).
const (
	flashMount = "/flash"
	moduleList = "/lib/modules/erx.load"
)

func main() {
	var (
		boardName = flag.String("board", "", "board: qemu, x86 or host (default: erx.board= on the kernel command line, else qemu)")
		boardFile = flag.String("board-file", "", "host board: the JSON file describing the management port and data ports")
		flashDir  = flag.String("flash", "", "host board: the directory that stands in for the flash")
		sshAddr   = flag.String("ssh-addr", ":22", "address the SSH server listens on")
	)
	flag.Parse()

	logs := firmware.NewLogHandler(os.Stdout, firmware.LogOptions{})
	log := slog.New(logs)
	slog.SetDefault(log)

	cfg := bootConfig{boardName: *boardName, boardFile: *boardFile, flashDir: *flashDir, sshAddr: *sshAddr}
	r, err := boot(cfg, logs, log)
	if err != nil {
		firmware.Fatal(log, err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := r.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		firmware.Fatal(log, err)
	}
	if firmware.InImage() {
		// routerd never exits in the image: if init's child returned, the
		// kernel would panic. Only a signal can get here; reboot cleanly.
		firmware.Fatal(log, errors.New("routerd stopped"))
	}
	logs.Sync(context.Background())
}

// bootConfig is what the command line says.
type bootConfig struct {
	boardName, boardFile, flashDir, sshAddr string
}

// boot brings the box up to the point where services can start: board,
// modules, flash, log on flash.
func boot(cfg bootConfig, logs *firmware.LogHandler, log *slog.Logger) (*router, error) {
	started := time.Now()
	name := cfg.boardName
	if name == "" {
		cl, err := firmware.KernelCmdline()
		if err != nil {
			return nil, fmt.Errorf("read kernel command line: %w", err)
		}
		name = cl.Board()
	}
	if name != board.Host {
		if os.Getppid() != 1 {
			return nil, fmt.Errorf("board %s runs only as the image's uinit; use -board host to run routerd as a process", name)
		}
		firmware.SetInImage(true)
		if err := firmware.MountBasics(); err != nil {
			log.Error("mount", "err", err)
		}
		if err := firmware.LoadModules(moduleList, log); err != nil {
			log.Error("kernel modules", "err", err)
		}
	}
	b, err := board.Load(name, cfg.boardFile)
	if err != nil {
		var missing *board.MissingNICError
		if !errors.As(err, &missing) || b == nil {
			return nil, fmt.Errorf("board %s: %w", name, err)
		}
		log.Error(err.Error())
	}
	firmware.SetInImage(b.InImage)
	if err := firmware.ApplySysctls(firmware.RouterSysctls, log); err != nil {
		log.Warn("sysctls", "err", err)
	}
	for _, p := range b.Ports {
		if p.NIC != "" {
			if err := firmware.ApplySysctls(firmware.DataPortSysctls(p.NIC), log); err != nil {
				log.Warn("sysctls", "port", p.Name, "err", err)
			}
		}
	}
	if b.Management.NIC == "" {
		log.Warn("no management port: SSH is reachable only on addresses configured elsewhere")
	}

	store, err := openFlash(b, cfg.flashDir, log)
	if err != nil {
		// No usable flash: boot on without one, so the box still serves SSH.
		log.Error("flash unusable; configuration will not be saved", "err", err)
		store = nil
	} else if err := logs.AttachFlash(store); err != nil {
		log.Warn("flash log", "err", err)
	}
	r, err := newRouter(b, store, cfg.sshAddr, logs, log, started)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// openFlash mounts the flash device (image) or opens the flash directory
// (host board).
func openFlash(b *board.Board, dir string, log *slog.Logger) (*flash.Dir, error) {
	if !b.InImage {
		if dir == "" {
			return nil, errors.New("the host board needs -flash DIR")
		}
		return flash.Open(dir)
	}
	if b.FlashDevice == "" {
		return nil, errors.New("no flash device found")
	}
	d, rep, err := flash.MountDevice(b.FlashDevice, flashMount, log)
	if err != nil {
		return nil, err
	}
	if rep.Outcome == flash.OK {
		log.Info(rep.String())
	} else {
		log.Warn(rep.String())
	}
	return d, nil
}
