package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/erxos/erx/cli/command"
)

// MaxVTY is the number of vty lines (0-29).
const MaxVTY = 30

// vtyRange is the ModeValue of Line Configuration: the lines being
// configured.
type vtyRange struct{ first, last int }

func (in *Interpreter) registerLines() error {
	for _, c := range []*command.Command{
		{Syntax: "line vty <first:0-29> [<last:0-29>]", Modes: []command.Mode{command.Config}, Privilege: 10,
			Help: command.Help{"line": "Configure a terminal line", "vty": "Virtual terminal lines",
				"first": "First line number", "last": "Last line number"},
			Run: func(ctx *command.Context, req *command.Request) error {
				r := vtyRange{req.Int("first"), req.IntOr("last", req.Int("first"))}
				if r.last < r.first {
					return errors.New("last line number is below the first")
				}
				ctx.EnterMode(command.ConfigLine, r)
				return nil
			}},
		{Syntax: "exec-timeout <minutes:0-35791> [<seconds:0-2147483>]", Modes: []command.Mode{command.ConfigLine}, Privilege: 10,
			Help: command.Help{"exec-timeout": "Set the idle time after which a session is closed",
				"minutes": "Minutes (0 0 = never)", "seconds": "Seconds"},
			Run: func(ctx *command.Context, req *command.Request) error {
				d := time.Duration(req.Int("minutes"))*time.Minute + time.Duration(req.IntOr("seconds", 0))*time.Second
				return in.setExecTimeout(ctx, d)
			},
			NoSyntax: "exec-timeout",
			No: func(ctx *command.Context, _ *command.Request) error {
				return in.setExecTimeout(ctx, 0)
			}},
	} {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return in.tree.AddConfig(command.ConfigSection{Order: command.OrderLines, Name: "cli/lines", Write: in.writeLines})
}

func (in *Interpreter) setExecTimeout(ctx *command.Context, d time.Duration) error {
	r, ok := ctx.ModeValue.(vtyRange)
	if !ok {
		return errors.New("no line selected")
	}
	in.linesMu.Lock()
	defer in.linesMu.Unlock()
	for i := r.first; i <= r.last && i < MaxVTY; i++ {
		in.execTimeout[i] = d
	}
	return nil
}

// ExecTimeout is the configured idle timeout of vty n (0: never).
func (in *Interpreter) ExecTimeout(n int) time.Duration {
	if n < 0 || n >= MaxVTY {
		return 0
	}
	in.linesMu.RLock()
	defer in.linesMu.RUnlock()
	return in.execTimeout[n]
}

// writeLines writes runs of lines with the same non-default exec-timeout.
func (in *Interpreter) writeLines(w io.Writer) error {
	in.linesMu.RLock()
	t := in.execTimeout
	in.linesMu.RUnlock()
	for i := 0; i < MaxVTY; {
		j := i
		for j+1 < MaxVTY && t[j+1] == t[i] {
			j++
		}
		if t[i] != 0 {
			if i == j {
				fmt.Fprintf(w, "line vty %d\n", i)
			} else {
				fmt.Fprintf(w, "line vty %d %d\n", i, j)
			}
			s := int64(t[i] / time.Second)
			fmt.Fprintf(w, " exec-timeout %d %d\n", s/60, s%60)
		}
		i = j + 1
	}
	return nil
}
