package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
)

// HardwareReporter is implemented by a System that can describe its
// hardware for show hardware; without it the command says so.
type HardwareReporter interface {
	Hardware() Hardware
}

// Hardware is the chassis inventory shown by show hardware.
type Hardware struct {
	Chassis  string // chassis type, e.g. "E320-QEMU"
	Modules  []Module
	Adapters []Adapter
}

// Module is a line module or SRP in a slot.
type Module struct {
	Slot     int
	Type     string
	Serial   string
	Assembly string // assembly number
	Rev      string // assembly revision
	RAMMB    int
}

// Adapter is an I/O adapter (IOA) at slot/adapter.
type Adapter struct {
	Slot, Adapter int
	Type          string
	Serial        string
	Assembly      string
	Rev           string
	MACs          int // number of MAC addresses
}

func (in *Interpreter) registerHardware() error {
	return in.tree.Register(&command.Command{
		Syntax: "show hardware", Modes: []command.Mode{command.Exec}, Privilege: 1,
		Help: command.Help{"hardware": "Display the hardware inventory"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			hr, ok := in.opts.System.(HardwareReporter)
			if !ok {
				return errors.New("hardware inventory not available")
			}
			return writeHardware(ctx.Out, hr.Hardware())
		},
	})
}

func writeHardware(w io.Writer, hw Hardware) error {
	fmt.Fprintf(w, "Chassis: %s\n\n", hw.Chassis)
	var rows [][]string
	for _, m := range hw.Modules {
		rows = append(rows, []string{fmt.Sprint(m.Slot), dash(m.Type), dash(m.Serial), dash(m.Assembly), dash(m.Rev), fmt.Sprint(m.RAMMB)})
	}
	if err := table.Render(w, []string{"slot", "type", "serial number", "assembly number", "assembly rev", "ram (MB)"}, rows); err != nil {
		return err
	}
	if len(hw.Adapters) == 0 {
		return nil
	}
	fmt.Fprint(w, "\nAdapters\n\n")
	rows = nil
	for _, a := range hw.Adapters {
		rows = append(rows, []string{fmt.Sprintf("%d/%d", a.Slot, a.Adapter), dash(a.Type), dash(a.Serial), dash(a.Assembly), dash(a.Rev), fmt.Sprint(a.MACs)})
	}
	return table.Render(w, []string{"s/a", "type", "serial number", "assembly number", "assembly rev", "mac addresses"}, rows)
}
