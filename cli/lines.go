package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/erxos/erx/cli/command"
)

// MaxVTY is the number of vty lines (0-29), as on JunosE.
const MaxVTY = 30

// minVTY is the number of lines that cannot be removed (0-4).
const minVTY = 5

// vtyRange is the ModeValue of Line Configuration: the lines being
// configured.
type vtyRange struct{ first, last int }

// lineConfig is the configuration of one vty line.
type lineConfig struct {
	execTimeout time.Duration // 0: never
	accessClass string        // access list checked against the source address
	loginList   string        // login method list; "": default
	motdBanner  bool
	execBanner  bool
}

func defaultLineConfig() lineConfig { return lineConfig{motdBanner: true, execBanner: true} }

// lineCmd is a Line Configuration command that changes the selected lines.
func (in *Interpreter) lineCmd(syntax string, help command.Help, set, unset func(*lineConfig, *command.Request) error, noSyntax string) *command.Command {
	apply := func(f func(*lineConfig, *command.Request) error) command.Handler {
		return func(ctx *command.Context, req *command.Request) error {
			r, ok := ctx.ModeValue.(vtyRange)
			if !ok {
				return errors.New("no line selected")
			}
			in.linesMu.Lock()
			defer in.linesMu.Unlock()
			for i := r.first; i <= r.last && i < MaxVTY; i++ {
				if err := f(&in.vty[i], req); err != nil {
					return err
				}
			}
			return nil
		}
	}
	c := &command.Command{Syntax: syntax, Modes: []command.Mode{command.ConfigLine}, Privilege: 10, Help: help, Run: apply(set), NoSyntax: noSyntax}
	if unset != nil {
		c.No = apply(unset)
	}
	return c
}

func (in *Interpreter) registerLines() error {
	cmds := []*command.Command{
		{Syntax: "line vty <first:0-29> [<last:0-29>]", Modes: []command.Mode{command.Config}, Privilege: 10,
			Help: command.Help{"line": "Configure a terminal line", "vty": "Virtual terminal lines",
				"first": "First line number", "last": "Last line number"},
			Run: func(ctx *command.Context, req *command.Request) error {
				r := vtyRange{req.Int("first"), req.IntOr("last", req.Int("first"))}
				if r.last < r.first {
					return errors.New("last line number is below the first")
				}
				in.linesMu.Lock()
				in.vtyTop = max(in.vtyTop, r.last+1)
				in.linesMu.Unlock()
				ctx.EnterMode(command.ConfigLine, r)
				return nil
			},
			NoSyntax: "line vty <first:0-29>",
			No: func(_ *command.Context, req *command.Request) error {
				n := req.Int("first")
				if n < minVTY {
					return fmt.Errorf("lines 0-%d cannot be removed", minVTY-1)
				}
				in.linesMu.Lock()
				defer in.linesMu.Unlock()
				for i := n; i < MaxVTY; i++ {
					in.vty[i] = defaultLineConfig()
				}
				in.vtyTop = min(in.vtyTop, n)
				return nil
			}},
		in.lineCmd("exec-timeout <minutes:0-35791> [<seconds:0-2147483>]",
			command.Help{"exec-timeout": "Set the idle time after which a session is closed",
				"minutes": "Minutes (0 0 = never)", "seconds": "Seconds"},
			func(lc *lineConfig, req *command.Request) error {
				lc.execTimeout = time.Duration(req.Int("minutes"))*time.Minute + time.Duration(req.IntOr("seconds", 0))*time.Second
				return nil
			},
			func(lc *lineConfig, _ *command.Request) error { lc.execTimeout = 0; return nil }, "exec-timeout"),
		in.lineCmd("access-class <acl:word> in",
			command.Help{"access-class": "Restrict the source addresses that may use the lines", "acl": "Standard IP access list name",
				"in": "Check incoming connections"},
			func(lc *lineConfig, req *command.Request) error { lc.accessClass = req.String("acl"); return nil },
			func(lc *lineConfig, _ *command.Request) error { lc.accessClass = ""; return nil }, "access-class [<acl:word> in]"),
		in.lineCmd("login authentication <list:word>",
			command.Help{"login": "Configure login on the lines", "authentication": "Use an AAA login method list",
				"list": "Method list name (aaa authentication login)"},
			func(lc *lineConfig, req *command.Request) error { lc.loginList = req.String("list"); return nil },
			func(lc *lineConfig, _ *command.Request) error { lc.loginList = ""; return nil }, "login authentication [<list:word>]"),
		in.lineCmd("motd-banner", command.Help{"motd-banner": "Show the message-of-the-day banner at login"},
			func(lc *lineConfig, _ *command.Request) error { lc.motdBanner = true; return nil },
			func(lc *lineConfig, _ *command.Request) error { lc.motdBanner = false; return nil }, ""),
		in.lineCmd("exec-banner", command.Help{"exec-banner": "Show the exec banner at login"},
			func(lc *lineConfig, _ *command.Request) error { lc.execBanner = true; return nil },
			func(lc *lineConfig, _ *command.Request) error { lc.execBanner = false; return nil }, ""),
		{Syntax: "show line vty <n:0-29>", Modes: []command.Mode{command.Exec}, Privilege: 5,
			Help: command.Help{"line": "Display terminal line settings", "vty": "Virtual terminal line", "n": "Line number"},
			Run:  in.showLine},
	}
	for _, c := range cmds {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return in.tree.AddConfig(command.ConfigSection{Order: command.OrderLines, Name: "cli/lines", Category: "management lines", Write: in.writeLines})
}

func (in *Interpreter) lineConfig(n int) lineConfig {
	if n < 0 || n >= MaxVTY {
		return defaultLineConfig()
	}
	in.linesMu.RLock()
	defer in.linesMu.RUnlock()
	return in.vty[n]
}

// ExecTimeout is the configured idle timeout of vty n (0: never).
func (in *Interpreter) ExecTimeout(n int) time.Duration { return in.lineConfig(n).execTimeout }

// VTYAccess reports whether vty n may take a connection from remote: the
// line exists (0-4 always; 5-29 unless removed with no line vty) and its
// access class, if any, permits the address. A line whose access class
// names an access list that does not exist permits every address.
func (in *Interpreter) VTYAccess(n int, remote netip.Addr) bool {
	if n < 0 || n >= MaxVTY {
		return false
	}
	in.linesMu.RLock()
	open, class := n < in.vtyTop, in.vty[n].accessClass
	in.linesMu.RUnlock()
	if !open {
		return false
	}
	if class == "" {
		return true
	}
	return in.acls.permits(class, remote)
}

// LoginMethods is the login method list that applies on vty n: the list
// its `login authentication` names, or "default"; a list that is not
// configured means local authentication. Methods are "local", "none"
// and "radius", in the order to try.
func (in *Interpreter) LoginMethods(n int) []string {
	name := in.lineConfig(n).loginList
	if name == "" {
		name = "default"
	}
	if m := in.methods.get(name); len(m) > 0 {
		return m
	}
	return []string{"local"}
}

func (lc lineConfig) write(w io.Writer) {
	if lc.accessClass != "" {
		fmt.Fprintf(w, " access-class %s in\n", lc.accessClass)
	}
	if lc.execTimeout != 0 {
		s := int64(lc.execTimeout / time.Second)
		fmt.Fprintf(w, " exec-timeout %d %d\n", s/60, s%60)
	}
	if lc.loginList != "" {
		fmt.Fprintf(w, " login authentication %s\n", lc.loginList)
	}
	if !lc.motdBanner {
		fmt.Fprintln(w, " no motd-banner")
	}
	if !lc.execBanner {
		fmt.Fprintln(w, " no exec-banner")
	}
}

// writeLines writes runs of lines with the same non-default settings,
// then `no line vty N` when lines were removed.
func (in *Interpreter) writeLines(w io.Writer) error {
	in.linesMu.RLock()
	t, top := in.vty, in.vtyTop
	in.linesMu.RUnlock()
	for i := 0; i < top; {
		j := i
		for j+1 < top && t[j+1] == t[i] {
			j++
		}
		if t[i] != defaultLineConfig() {
			if i == j {
				fmt.Fprintf(w, "line vty %d\n", i)
			} else {
				fmt.Fprintf(w, "line vty %d %d\n", i, j)
			}
			t[i].write(w)
		}
		i = j + 1
	}
	if top < MaxVTY {
		fmt.Fprintf(w, "no line vty %d\n", top)
	}
	return nil
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func (in *Interpreter) showLine(ctx *command.Context, req *command.Request) error {
	n := req.Int("n")
	in.linesMu.RLock()
	lc, open := in.vty[n], n < in.vtyTop
	in.linesMu.RUnlock()
	if !open {
		return fmt.Errorf("line vty %d does not exist (no line vty)", n)
	}
	state := "not in use"
	if l := in.getLines(); l != nil {
		for _, u := range l.Users() {
			if u.VTY == n {
				state = fmt.Sprintf("in use by %s from %s", u.User, u.Remote)
			}
		}
	}
	w := ctx.Out
	fmt.Fprintf(w, "vty %d: %s\n", n, state)
	class := "none"
	if lc.accessClass != "" {
		class = lc.accessClass + " in"
		if !in.acls.exists(lc.accessClass) {
			class += " (not defined: every address permitted)"
		}
	}
	fmt.Fprintf(w, "  access-class: %s\n", class)
	fmt.Fprintf(w, "  data-character-bits: 8\n")
	timeout := "Never"
	if lc.execTimeout > 0 {
		s := int64(lc.execTimeout / time.Second)
		timeout = fmt.Sprintf("%d minutes, %d seconds", s/60, s%60)
	}
	fmt.Fprintf(w, "  exec-timeout: %s\n", timeout)
	fmt.Fprintf(w, "  exec-banner: %s\n", enabled(lc.execBanner))
	fmt.Fprintf(w, "  motd-banner: %s\n", enabled(lc.motdBanner))
	list := lc.loginList
	if list == "" {
		list = "default"
	}
	methods := in.LoginMethods(n)
	fmt.Fprintf(w, "  login authentication: %s (%s)\n", list, joinWords(methods))
	return nil
}

func joinWords(s []string) string {
	out := ""
	for i, w := range s {
		if i > 0 {
			out += " "
		}
		out += w
	}
	return out
}
