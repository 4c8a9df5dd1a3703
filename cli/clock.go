package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/erxos/erx/cli/command"
)

// clockZone is the configured time zone (clock timezone).
type clockZone struct {
	name  string
	hours int
	mins  int
	loc   *time.Location
}

// now is the current time in the configured time zone.
func (in *Interpreter) now() time.Time { return in.opts.Now().In(in.clock.Load().loc) }

func validZoneName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '_') {
			return false
		}
	}
	return true
}

func (in *Interpreter) registerClock() error {
	for _, c := range []*command.Command{
		{Syntax: "show clock", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"clock": "Display the system clock"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				t := in.now()
				_, err := fmt.Fprintf(ctx.Out, "%s %s %s\n", t.Format("15:04:05.000"), in.clock.Load().name, t.Format("Mon Jan 2 2006"))
				return err
			}},
		{Syntax: "clock timezone <zone:word> <hours:-23-23> [<minutes:0-59>]", Modes: []command.Mode{command.Config}, Privilege: 10,
			Help: command.Help{"clock": "Configure the system clock", "timezone": "Set the time zone",
				"zone": "Name of the time zone shown with the time", "hours": "Hours offset from UTC", "minutes": "Minutes offset from UTC"},
			Run: func(_ *command.Context, req *command.Request) error {
				name := req.String("zone")
				if !validZoneName(name) {
					return fmt.Errorf("invalid time zone name %q", name)
				}
				h, m := req.Int("hours"), req.IntOr("minutes", 0)
				off := h*3600 + m*60
				if h < 0 {
					off = h*3600 - m*60
				}
				in.clock.Store(&clockZone{name: name, hours: h, mins: m, loc: time.FixedZone(name, off)})
				return nil
			},
			NoSyntax: "clock timezone",
			No: func(*command.Context, *command.Request) error {
				in.clock.Store(&clockZone{name: "UTC", loc: time.UTC})
				return nil
			}},
	} {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (in *Interpreter) writeClock(w io.Writer) {
	z := in.clock.Load()
	if z.loc == time.UTC {
		return
	}
	if z.mins != 0 {
		fmt.Fprintf(w, "clock timezone %s %d %d\n", z.name, z.hours, z.mins)
		return
	}
	fmt.Fprintf(w, "clock timezone %s %d\n", z.name, z.hours)
}
