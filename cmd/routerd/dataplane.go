package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/jsimonetti/rtnetlink/v2/rtnl"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port/afpacket"
)

// openDataPlane brings the board's data ports up (link only: they carry no
// kernel addresses) and opens them as line-card ports. A port that cannot
// be opened is reported on the console and left out; the box still boots.
func openDataPlane(b *board.Board, log *slog.Logger) (*linecard.Engine, []*afpacket.Port, error) {
	var (
		cfgs  []linecard.PortConfig
		ports []*afpacket.Port
	)
	lcfg, queues, err := dataPlaneTuning(runtime.NumCPU(), os.Getenv(dataPlaneCPUsEnv))
	if err != nil {
		return nil, nil, err
	}
	for _, p := range b.Ports {
		if p.NIC == "" {
			continue
		}
		if err := linkUp(p.NIC); err != nil {
			log.Error(fmt.Sprintf("port %s: %v", p.Name, err))
			continue
		}
		if err := disableGRO(p.NIC); err != nil {
			log.Warn(fmt.Sprintf("port %s: %v", p.Name, err))
		}
		// The TX ring batches transmit into one send(2) per batch; the
		// shadow MAC lets the host stack drop the data plane's frames as
		// "other host" instead of routing each one (see
		// docs/PERFORMANCE.md). Receive has one queue per data-plane
		// core (fanned out when more than one).
		ap, err := afpacket.Open(p.NIC, afpacket.Config{Queues: queues, TxRing: true, ShadowMAC: true})
		if err != nil {
			log.Error(fmt.Sprintf("port %s: %v", p.Name, err))
			continue
		}
		ports = append(ports, ap)
		cfgs = append(cfgs, linecard.PortConfig{Port: ap, Interface: p.Name})
	}
	e, err := linecard.New(lcfg, cfgs...)
	if err != nil {
		for _, p := range ports {
			p.Close()
		}
		return nil, nil, fmt.Errorf("line card: %w", err)
	}
	return e, ports, nil
}

// dataPlaneCPUsEnv overrides where the forwarding workers run: a
// comma-separated list of CPUs, or "none" for no pinning (one receive
// queue per CPU, placement left to the Go scheduler). For measurements
// (docs/PERFORMANCE.md, BenchmarkRouterdForward) and unusual boxes.
const dataPlaneCPUsEnv = "ERX_DATAPLANE_CPUS"

// dataPlaneNice is the nice value of pinned forwarding workers: the
// kernel forwards in softirq, ahead of every process, and a data-plane
// core should not be shared evenly with whatever else runs there.
const dataPlaneNice = -19

// dataPlaneTuning decides the forwarding workers' placement on a box with
// ncpu CPUs: with two or more, CPU 0 is left to the control plane (SSH,
// AAA, timers, the kernel's own housekeeping and interrupts) and every
// other CPU gets pinned workers at nice -19, one receive queue per port
// per data-plane CPU; with one CPU nothing is pinned. docs/PERFORMANCE.md
// ("Data plane") has the measurements behind it. override is the value of
// ERX_DATAPLANE_CPUS ("" for the default). It returns the engine's
// configuration and the receive queues per port.
func dataPlaneTuning(ncpu int, override string) (linecard.Config, int, error) {
	var cpus []int
	switch override = strings.TrimSpace(override); override {
	case "":
		for c := 1; c < ncpu; c++ {
			cpus = append(cpus, c)
		}
	case "none":
	default:
		for _, f := range strings.Split(override, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || c < 0 || c >= ncpu {
				return linecard.Config{}, 0, fmt.Errorf("%s=%q: want CPUs 0..%d separated by commas, or none", dataPlaneCPUsEnv, override, ncpu-1)
			}
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return linecard.Config{}, max(1, ncpu), nil
	}
	return linecard.Config{WorkerCPUs: cpus, WorkerNice: dataPlaneNice}, len(cpus), nil
}

// runDataPlane forwards until ctx ends, then stops the workers; the ports
// stay open for the control lane until every service has stopped
// (router.run closes them).
func runDataPlane(ctx context.Context, e *linecard.Engine) error {
	if err := e.Start(); err != nil && !errors.Is(err, linecard.ErrRunning) {
		return fmt.Errorf("line card: %w", err)
	}
	<-ctx.Done()
	e.Stop()
	return ctx.Err()
}

// linkUp sets a NIC administratively up.
func linkUp(nic string) error {
	ifc, err := net.InterfaceByName(nic)
	if err != nil {
		return fmt.Errorf("NIC %s: %w", nic, err)
	}
	if ifc.Flags&net.FlagUp != 0 {
		return nil
	}
	c, err := rtnl.Dial(nil)
	if err != nil {
		return fmt.Errorf("rtnetlink: %w", err)
	}
	defer c.Close()
	if err := c.LinkUp(ifc); err != nil {
		return fmt.Errorf("link %s up: %w", nic, err)
	}
	return nil
}
