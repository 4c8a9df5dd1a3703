package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
	"golang.org/x/crypto/bcrypt"
)

// ConfigModes are the configuration modes the core registers exit, end
// and do/run in.
var ConfigModes = []command.Mode{
	command.Config, command.ConfigIf, command.ConfigSubif, command.ConfigLine,
	command.ConfigRadius, command.ConfigRouter, command.ConfigAAAProfile,
	command.ConfigDomainMap, command.ConfigProfile,
}

var subModes = ConfigModes[1:]

func (in *Interpreter) registerCore() error {
	t := in.tree
	for w, h := range map[string]string{
		"show":      "Display system information",
		"clear":     "Clear or reset functions",
		"terminal":  "Set terminal line parameters",
		"ip":        "Configure IP parameters",
		"interface": "Select an interface to configure",
		"write":     "Write the running configuration",
		"service":   "Configure system services",
		"copy":      "Copy a file",
		"boot":      "Configure what the system boots",
		"aaa":       "Configure authentication, authorization, and accounting characteristics",
	} {
		t.KeywordHelp(w, h)
	}
	for _, m := range ConfigModes {
		t.Redirect(m, "do", "Run an Exec mode command", command.Exec)
		t.Redirect(m, "run", "Run an Exec mode command", command.Exec)
	}
	if err := t.Register(&command.Command{Syntax: "show privilege", Modes: []command.Mode{command.Exec}, Privilege: 1,
		Help: command.Help{"privilege": "Display the current privilege level"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			fmt.Fprintf(ctx.Out, "Current privilege level is %d\n", ctx.Level)
			return nil
		}}); err != nil {
		return err
	}
	cmds := []*command.Command{
		{Syntax: "enable [<level:0-15>]", Modes: []command.Mode{command.Exec}, Privilege: 0,
			Help: command.Help{"enable": "Turn on privileged commands", "level": "Privilege level (default 10)"},
			Run:  in.enable},
		{Syntax: "disable", Modes: []command.Mode{command.Exec}, Privilege: 0,
			Help: command.Help{"disable": "Turn off privileged commands"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.Level = min(ctx.Level, 1)
				return nil
			}},
		{Syntax: "{exit|logout}", Modes: []command.Mode{command.Exec}, Privilege: 0,
			Help: command.Help{"exit": "Exit from the EXEC", "logout": "Exit from the EXEC"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				if s := sessionOf(ctx); s != nil {
					s.done = true
				}
				return nil
			}},
		{Syntax: "exit", Modes: ConfigModes, Privilege: 0, // see also AddMode
			Help: command.Help{"exit": "Exit from the current mode"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.EnterMode(ctx.Mode.Parent(), nil)
				return nil
			}},
		{Syntax: "end", Modes: ConfigModes, Privilege: 0,
			Help: command.Help{"end": "Exit to Privileged Exec mode"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.EnterMode(command.Exec, nil)
				return nil
			}},
		{Syntax: "configure [terminal]", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"configure": "Enter configuration mode", "terminal": "Configure from the terminal"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.EnterMode(command.Config, nil)
				return nil
			}},
		{Syntax: "terminal length <lines:0-512>", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"length": "Set number of lines on a screen", "lines": "Lines per screen (0 = no paging)"},
			Run: func(ctx *command.Context, req *command.Request) error {
				if s := sessionOf(ctx); s != nil {
					s.length = req.Int("lines")
				}
				return nil
			}},
		{Syntax: "terminal width <cols:0-512>", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"width": "Set width of the display terminal", "cols": "Characters per line"},
			Run: func(ctx *command.Context, req *command.Request) error {
				if s := sessionOf(ctx); s != nil {
					s.SetWindow(req.Int("cols"))
				}
				return nil
			}},
		{Syntax: "show history", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"history": "Display the session command history"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				if s := sessionOf(ctx); s != nil && s.ed != nil {
					for _, l := range s.ed.History() {
						fmt.Fprintf(ctx.Out, "  %s\n", l)
					}
				}
				return nil
			}},
		{Syntax: "show version", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"version": "Display system software and hardware versions"},
			Run:  func(ctx *command.Context, _ *command.Request) error { return in.showVersion(ctx.Out) }},
		{Syntax: "show users", Modes: []command.Mode{command.Exec}, Privilege: 1,
			Help: command.Help{"users": "Display information about terminal lines"},
			Run:  in.showUsers},
		{Syntax: "clear line vty <n:0-29>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"line": "Reset a terminal line", "vty": "Virtual terminal", "n": "Line number"},
			Run: func(ctx *command.Context, req *command.Request) error {
				l := in.getLines()
				if l == nil {
					return errors.New("no lines")
				}
				return l.ClearLine(req.Int("n"))
			}},
		{Syntax: "write memory", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"memory": "Commit the running configuration to nonvolatile storage"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				in.cfgMu.Lock()
				defer in.cfgMu.Unlock()
				return in.commitLocked()
			}},
		{Syntax: "reload", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"reload": "Halt and perform a cold restart"},
			Run:  in.reload},
		{Syntax: "hostname <name:word>", Modes: []command.Mode{command.Config}, Privilege: 10,
			Help: command.Help{"hostname": "Set the system's network name", "name": "This system's network name"},
			Run: func(ctx *command.Context, req *command.Request) error {
				name := req.String("name")
				if !validHostname(name) {
					return fmt.Errorf("invalid host name %q", name)
				}
				in.setHostname(name)
				return nil
			},
			NoSyntax: "hostname [<name:word>]",
			No: func(*command.Context, *command.Request) error {
				in.setHostname(DefaultHostname)
				return nil
			}},
		{Syntax: "service manual-commit", Modes: []command.Mode{command.Config}, Privilege: 10,
			Help: command.Help{"manual-commit": "Keep configuration changes volatile until write memory"},
			Run: func(*command.Context, *command.Request) error {
				in.manualCommit = true
				return nil
			},
			No: func(*command.Context, *command.Request) error {
				in.manualCommit = false
				return nil
			}},
		{Syntax: "enable secret [level <level:0-15>] {<secret:word>|0 <secret:word>|5 <hash:word>}",
			Modes: []command.Mode{command.Config}, Privilege: 15,
			Help: command.Help{"secret": "Set the enable secret", "level": "Privilege level the secret is for (default 10)",
				"0": "Clear-text secret follows", "5": "Hashed secret follows", "hash": "bcrypt hash"},
			Run:      in.enableSecretCmd,
			NoSyntax: "enable secret [level <level:0-15>]",
			No: func(_ *command.Context, req *command.Request) error {
				in.enableSecret[req.IntOr("level", 10)] = ""
				return nil
			}},
	}
	for _, c := range cmds {
		if err := t.Register(c); err != nil {
			return err
		}
	}
	if err := in.registerHardware(); err != nil {
		return err
	}
	if err := in.registerLines(); err != nil {
		return err
	}
	if err := in.registerPrivilege(); err != nil {
		return err
	}
	for _, reg := range []func() error{in.registerShowConfiguration, in.registerFiles, in.registerSystem,
		in.registerAccessLists, in.registerMethodLists} {
		if err := reg(); err != nil {
			return err
		}
	}
	return t.AddConfig(command.ConfigSection{Order: command.OrderSystem, Name: "cli", Write: in.writeSystemConfig})
}

func validHostname(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (in *Interpreter) writeSystemConfig(w io.Writer) error {
	fmt.Fprintf(w, "hostname %s\n", in.Hostname())
	if in.manualCommit {
		fmt.Fprintln(w, "service manual-commit")
	}
	for lvl, h := range in.enableSecret {
		if h != "" {
			fmt.Fprintf(w, "enable secret level %d 5 %s\n", lvl, h)
		}
	}
	in.writeClock(w)
	in.writeBanners(w)
	return nil
}

func (in *Interpreter) enableSecretCmd(_ *command.Context, req *command.Request) error {
	lvl := req.IntOr("level", 10)
	if req.Has("hash") {
		h := req.String("hash")
		if _, err := bcrypt.Cost([]byte(h)); err != nil {
			return errors.New("invalid hashed secret")
		}
		in.enableSecret[lvl] = h
		return nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(req.String("secret")), 10)
	if err != nil {
		return fmt.Errorf("hash secret: %w", err)
	}
	in.enableSecret[lvl] = string(h)
	return nil
}

func (in *Interpreter) enable(ctx *command.Context, req *command.Request) error {
	lvl := req.IntOr("level", 10)
	s := sessionOf(ctx)
	if lvl <= ctx.Level || (s != nil && lvl <= s.opts.Privilege) {
		ctx.Level = lvl
		return nil
	}
	in.cfgMu.Lock()
	hash := in.enableSecret[lvl]
	in.cfgMu.Unlock()
	if hash == "" {
		return errors.New("No password set")
	}
	if s == nil || s.ed == nil {
		return errors.New("Access denied")
	}
	pw, err := s.ed.ReadSecret("Password: ")
	if err != nil {
		return errors.New("Access denied")
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
		return errors.New("Access denied")
	}
	ctx.Level = lvl
	return nil
}

func (in *Interpreter) reload(ctx *command.Context, _ *command.Request) error {
	if ctx.Ask == nil {
		return command.ErrCannotAsk
	}
	ans, err := ctx.Ask("Proceed with reload? [confirm]")
	if err != nil {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "", "y", "yes":
	default:
		return nil
	}
	return in.opts.System.Reload()
}

func (in *Interpreter) showVersion(w io.Writer) error {
	sys := in.opts.System
	id := sys.Identity()
	boot := sys.BootTime()
	up := in.opts.Now().Sub(boot)
	boot = boot.In(in.clock.Load().loc)
	fmt.Fprintf(w, "%s\n%s\nSystem Release: %s\n", id.Product, id.Copyright, id.ReleaseFile)
	fmt.Fprintf(w, "\tVersion: %s [BuildId %d]   (%s)\n", id.Version, id.BuildID, id.BuildTime.Format("January 2, 2006  15:04"))
	fmt.Fprintf(w, "System running for: %s\n", longDuration(up))
	fmt.Fprintf(w, "\t(since %s)\n\n", strings.ToUpper(boot.Format("Mon Jan 2 2006 15:04:05 MST")))
	var rows [][]string
	for _, sl := range sys.Slots() {
		row := []string{fmt.Sprint(sl.Number)}
		if sl.Empty {
			row = append(row, "---", "---", "---", "---", "---", "---")
		} else {
			up := table.Placeholder
			if sl.Uptime >= 0 {
				up = slotUptime(sl.Uptime)
			}
			row = append(row, dash(sl.State), dash(sl.Type), dash(sl.Admin), dash(sl.Spare), dash(sl.Release), up)
		}
		rows = append(rows, row)
	}
	return table.Render(w, []string{"slot", "state", "type", "admin", "spare", "running release", "slot uptime"}, rows)
}

func dash(s string) string {
	if s == "" {
		return table.Placeholder
	}
	return s
}

// longDuration formats "373 days, 17 hours, 22 minutes, 16 seconds".
func longDuration(d time.Duration) string {
	d = max(d, 0)
	s := int64(d / time.Second)
	return fmt.Sprintf("%d days, %d hours, %d minutes, %d seconds", s/86400, s/3600%24, s/60%60, s%60)
}

// slotUptime formats "373d17h:19m:28s".
func slotUptime(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	return fmt.Sprintf("%dd%02dh:%02dm:%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

func (in *Interpreter) showUsers(ctx *command.Context, _ *command.Request) error {
	l := in.getLines()
	if l == nil {
		return nil
	}
	me := -1
	if s := sessionOf(ctx); s != nil {
		me = s.opts.VTY
	}
	var rows [][]string
	for _, u := range l.Users() {
		mark := "  "
		if u.VTY == me {
			mark = "* "
		}
		idle := int64(u.Idle / time.Second)
		rows = append(rows, []string{fmt.Sprintf("%svty %d", mark, u.VTY), u.User, "idle",
			fmt.Sprintf("%02d:%02d:%02d", idle/3600, idle/60%60, idle%60), u.Remote})
	}
	return table.Render(ctx.Out, []string{"Line", "User", "Host(s)", "Idle", "Location"}, rows)
}

// AddMode gives a configuration sub-mode defined by a feature (one not in
// ConfigModes) the commands every configuration mode has: exit, end, do
// and run. Its prompt is "(<mode>)"; exit returns to Global Configuration.
func (in *Interpreter) AddMode(m command.Mode) error {
	if !m.IsConfig() {
		return fmt.Errorf("mode %q is not a configuration mode", m)
	}
	for _, x := range ConfigModes {
		if x == m {
			return nil
		}
	}
	t := in.tree
	t.Redirect(m, "do", "Run an Exec mode command", command.Exec)
	t.Redirect(m, "run", "Run an Exec mode command", command.Exec)
	for _, c := range []*command.Command{
		{Syntax: "exit", Modes: []command.Mode{m}, Help: command.Help{"exit": "Exit from the current mode"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.EnterMode(ctx.Mode.Parent(), nil)
				return nil
			}},
		{Syntax: "end", Modes: []command.Mode{m}, Help: command.Help{"end": "Exit to Privileged Exec mode"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				ctx.EnterMode(command.Exec, nil)
				return nil
			}},
	} {
		if err := t.Register(c); err != nil {
			return err
		}
	}
	return nil
}
