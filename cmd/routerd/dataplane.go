package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

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
		// docs/PERFORMANCE.md). Receive fans out over one queue per core.
		ap, err := afpacket.Open(p.NIC, afpacket.Config{TxRing: true, ShadowMAC: true})
		if err != nil {
			log.Error(fmt.Sprintf("port %s: %v", p.Name, err))
			continue
		}
		ports = append(ports, ap)
		cfgs = append(cfgs, linecard.PortConfig{Port: ap, Interface: p.Name})
	}
	e, err := linecard.New(linecard.Config{}, cfgs...)
	if err != nil {
		for _, p := range ports {
			p.Close()
		}
		return nil, nil, fmt.Errorf("line card: %w", err)
	}
	return e, ports, nil
}

// runDataPlane forwards until ctx ends.
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
