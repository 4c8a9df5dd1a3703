package cli

import (
	"fmt"
	"io"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
)

// EnvironmentReporter is implemented by a System that knows its power,
// fans and temperatures for show environment. Without it, show
// environment lists the slots with every reading "not available".
type EnvironmentReporter interface {
	Environment() Environment
}

// Environment is what show environment prints. Unknown readings stay
// empty (printed as "---" or "not available"): never invent one.
type Environment struct {
	// Chassis is the chassis type, e.g. "E320-QEMU".
	Chassis string
	// Note says what is emulated, e.g. "emulated by QEMU: there are no
	// power, fan or temperature sensors". Printed when not empty.
	Note string
	// Power lists the power elements (e.g. "A", "B").
	Power []Sensor
	// Fans lists the fan trays.
	Fans []Sensor
	// Slots lists per-slot temperature and status.
	Slots []SlotEnvironment
}

// Sensor is one power element or fan: its name and status ("ok",
// "failed"); "" means not available.
type Sensor struct {
	Name   string
	Status string
}

// SlotEnvironment is the temperature of the module in a slot.
type SlotEnvironment struct {
	Slot    int
	Type    string
	HasTemp bool
	Celsius int
	Status  string // "normal", "hot", ...; "" when not known
}

func (in *Interpreter) environment() Environment {
	sys := in.opts.System
	if er, ok := sys.(EnvironmentReporter); ok {
		return er.Environment()
	}
	env := Environment{Note: "no environmental sensors are reported by this system"}
	if hr, ok := sys.(HardwareReporter); ok {
		hw := hr.Hardware()
		env.Chassis = hw.Chassis
		for _, m := range hw.Modules {
			env.Slots = append(env.Slots, SlotEnvironment{Slot: m.Slot, Type: m.Type})
		}
		return env
	}
	for _, s := range sys.Slots() {
		if !s.Empty {
			env.Slots = append(env.Slots, SlotEnvironment{Slot: s.Number, Type: s.Type})
		}
	}
	return env
}

func notAvailable(s string) string {
	if s == "" {
		return "not available"
	}
	return s
}

func writeEnvironment(w io.Writer, env Environment) error {
	fmt.Fprintf(w, "Chassis: %s\n", dash(env.Chassis))
	if env.Note != "" {
		fmt.Fprintf(w, "Note: %s\n", env.Note)
	}
	sensors := func(title string, ss []Sensor) error {
		fmt.Fprintf(w, "\n%s\n", title)
		if len(ss) == 0 {
			_, err := fmt.Fprintln(w, "  not available")
			return err
		}
		var rows [][]string
		for _, s := range ss {
			rows = append(rows, []string{dash(s.Name), notAvailable(s.Status)})
		}
		return table.Render(w, []string{"element", "status"}, rows)
	}
	if err := sensors("Power", env.Power); err != nil {
		return err
	}
	if err := sensors("Fans", env.Fans); err != nil {
		return err
	}
	fmt.Fprint(w, "\nTemperature\n")
	var rows [][]string
	for _, s := range env.Slots {
		t := table.Placeholder
		if s.HasTemp {
			t = fmt.Sprint(s.Celsius)
		}
		rows = append(rows, []string{fmt.Sprint(s.Slot), dash(s.Type), t, notAvailable(s.Status)})
	}
	return table.Render(w, []string{"slot", "type", "temperature (C)", "status"}, rows)
}

func (in *Interpreter) registerSystem() error {
	for _, reg := range []func() error{in.registerBanners, in.registerClock, in.registerLog} {
		if err := reg(); err != nil {
			return err
		}
	}
	return in.tree.Register(&command.Command{
		Syntax: "show environment [all]", Modes: []command.Mode{command.Exec}, Privilege: 1,
		Help: command.Help{"environment": "Display power, fan and temperature status", "all": "Display everything"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			return writeEnvironment(ctx.Out, in.environment())
		},
	})
}
