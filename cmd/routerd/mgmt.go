package main

import (
	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/mgmt"
)

// registerManagement adds the management port's commands.
func registerManagement(tree *command.Tree, b *board.Board, p *mgmt.Port) error {
	m := b.Management
	if m.NIC == "" {
		return nil
	}
	return mgmt.Register(tree, p, m.Port, mgmt.Config{NIC: m.NIC, DHCP: m.DHCP, Address: m.Address, Gateway: m.Gateway})
}
