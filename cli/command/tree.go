package command

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Form is the form a command was entered in.
type Form int

// Command forms.
const (
	Positive Form = iota // the command itself
	No                   // `no <command>`
	Default              // `default <command>`
)

// Help maps a keyword or an argument name of a command's syntax to its
// one-line description shown by `?`.
type Help map[string]string

// Handler runs a parsed command. Output goes to ctx.Out. An error is shown
// to the user as "% <error>".
type Handler func(ctx *Context, req *Request) error

// Command is one CLI command as registered by a feature.
type Command struct {
	// Syntax is the positive form, e.g. "hostname <name:word>".
	Syntax string
	// Modes the command is valid in (at least one).
	Modes []Mode
	// Help describes keywords and arguments by word / argument name.
	Help Help
	// Privilege is the lowest session level allowed to see and run it (0-15).
	Privilege int
	// Visible, if set, hides the command from sessions for which it
	// returns false, exactly as if the command did not exist.
	Visible func(*Context) bool
	// Run handles the positive form.
	Run Handler
	// No, if set, enables the `no` form. NoSyntax is its syntax after
	// "no"; empty means the same as Syntax.
	No       Handler
	NoSyntax string
	// Default, if set, enables the `default` form with DefaultSyntax
	// (empty: NoSyntax, then Syntax). When Default is nil but No is set,
	// `default` runs No.
	Default       Handler
	DefaultSyntax string

	// Privilege overrides set with Tree.SetPrivilege, as level+1 (0: none).
	oneLevel, allLevel atomic.Int32
}

// Level is the privilege level the command currently requires: Privilege,
// unless the `privilege` command re-mapped it.
func (c *Command) Level() int {
	if v := c.allLevel.Load(); v > 0 {
		return int(v - 1)
	}
	if v := c.oneLevel.Load(); v > 0 {
		return int(v - 1)
	}
	return c.Privilege
}

// visibleTo reports whether the session in ctx may see the command.
func (c *Command) visibleTo(ctx *Context) bool {
	if ctx == nil {
		return true
	}
	if c.Level() > ctx.Level {
		return false
	}
	return c.Visible == nil || c.Visible(ctx)
}

type binding struct {
	cmd  *Command
	form Form
	mode Mode
}

// node is one position in the tree: a keyword or a typed argument.
type node struct {
	tok
	children []*node
	byKey    map[string]*node
	end      *binding   // command that may end here
	cmds     []*Command // every command reachable through this node
	redirect Mode       // if set, the rest of the line is parsed in this mode
}

func (n *node) child(t tok) *node {
	if c, ok := n.byKey[t.key()]; ok {
		if c.help == "" {
			c.help = t.help
		}
		return c
	}
	c := &node{tok: t, byKey: map[string]*node{}}
	n.byKey[t.key()] = c
	n.children = append(n.children, c)
	return c
}

func (n *node) visible(ctx *Context) bool {
	if n.redirect != "" {
		return true
	}
	for _, c := range n.cmds {
		if c.visibleTo(ctx) {
			return true
		}
	}
	return false
}

// Tree is the command tree of all modes, plus the running-configuration
// sections. It is safe for concurrent use; registration normally happens
// before sessions start.
type Tree struct {
	mu       sync.RWMutex
	roots    map[Mode]*node
	wordHelp map[string]string
	sections []ConfigSection
	privs    []PrivilegeOverride
}

// NewTree returns an empty tree.
func NewTree() *Tree {
	return &Tree{roots: map[Mode]*node{}, wordHelp: map[string]string{
		"no":      "Negate a command or set its defaults",
		"default": "Set a command to its defaults",
	}}
}

// KeywordHelp sets the description shown for a keyword wherever a command
// does not give its own (e.g. "show" -> "Display system information").
func (t *Tree) KeywordHelp(word, help string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wordHelp[word] = help
}

func (t *Tree) root(m Mode) *node {
	r, ok := t.roots[m]
	if !ok {
		r = &node{byKey: map[string]*node{}}
		t.roots[m] = r
	}
	return r
}

// Register adds a command to the tree. It fails on a syntax error, a
// missing handler or mode, or when another command already ends at the
// same place.
func (t *Tree) Register(c *Command) error {
	if c == nil || c.Run == nil || len(c.Modes) == 0 {
		return errors.New("command needs a handler and a mode")
	}
	if c.Privilege < 0 || c.Privilege > 15 {
		return fmt.Errorf("command %q: privilege %d out of 0-15", c.Syntax, c.Privilege)
	}
	type form struct {
		f      Form
		prefix string
		syntax string
	}
	forms := []form{{Positive, "", c.Syntax}}
	if c.No != nil {
		forms = append(forms, form{No, "no", firstNonEmpty(c.NoSyntax, c.Syntax)})
	}
	if c.Default != nil || c.No != nil {
		forms = append(forms, form{Default, "default", firstNonEmpty(c.DefaultSyntax, c.NoSyntax, c.Syntax)})
	}
	compiled := make([][][]tok, len(forms))
	for i, f := range forms {
		seqs, err := compileSyntax(f.syntax)
		if err != nil {
			return err
		}
		for _, s := range seqs {
			if len(s) == 0 {
				return fmt.Errorf("syntax %q: empty expansion", f.syntax)
			}
		}
		compiled[i] = seqs
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Check for clashes first so a failed registration leaves no trace.
	for _, m := range c.Modes {
		for i, f := range forms {
			for _, seq := range compiled[i] {
				if n := t.lookup(m, f.prefix, seq); n != nil && n.end != nil {
					return fmt.Errorf("command %q in mode %s clashes with %q", f.syntax, m, n.end.cmd.Syntax)
				}
			}
		}
	}
	for _, m := range c.Modes {
		for i, f := range forms {
			for _, seq := range compiled[i] {
				n := t.root(m)
				n.cmds = appendCmd(n.cmds, c)
				if f.prefix != "" {
					n = n.child(tok{kw: f.prefix, display: f.prefix})
					n.cmds = appendCmd(n.cmds, c)
				}
				for _, tk := range seq {
					if tk.help == "" {
						if tk.kw != "" && tk.ifArg == "" {
							tk.help = c.Help[tk.kw]
						} else if tk.kw == "" {
							tk.help = c.Help[tk.arg]
						}
					}
					n = n.child(tk)
					n.cmds = appendCmd(n.cmds, c)
				}
				n.end = &binding{cmd: c, form: f.f, mode: m}
			}
		}
	}
	return nil
}

// Redirect adds keyword word to mode m; the rest of the line after it is
// parsed in mode target (used for `do`/`run` in configuration modes).
func (t *Tree) Redirect(m Mode, word, help string, target Mode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.root(m).child(tok{kw: word, display: word, help: help})
	n.redirect = target
}

func (t *Tree) lookup(m Mode, prefix string, seq []tok) *node {
	n, ok := t.roots[m]
	if !ok {
		return nil
	}
	if prefix != "" {
		if n = n.byKey[tok{kw: prefix}.key()]; n == nil {
			return nil
		}
	}
	for _, tk := range seq {
		if n = n.byKey[tk.key()]; n == nil {
			return nil
		}
	}
	return n
}

func appendCmd(s []*Command, c *Command) []*Command {
	for _, x := range s {
		if x == c {
			return s
		}
	}
	return append(s, c)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Suggested ConfigSection orders: sections are written in this sequence.
const (
	OrderSystem     = 100 // hostname, service, enable secrets
	OrderAAA        = 200 // username, aaa
	OrderVirtual    = 300 // virtual routers
	OrderInterfaces = 400 // interface blocks
	OrderRouting    = 500 // ip route, routers
	OrderRadius     = 600 // radius servers
	OrderLines      = 900 // line vty
)

// ConfigSection is one feature's part of the running configuration.
type ConfigSection struct {
	// Order places the section (ascending); ties are broken by Name.
	Order int
	// Name identifies the section, e.g. "aaa/local".
	Name string
	// Write writes the section as CLI command lines, each ending in "\n";
	// sub-mode lines are indented by one space.
	Write func(w io.Writer) error
}

// AddConfig registers a running-configuration section.
func (t *Tree) AddConfig(s ConfigSection) error {
	if s.Write == nil || s.Name == "" {
		return errors.New("config section needs a name and a writer")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range t.sections {
		if x.Name == s.Name {
			return fmt.Errorf("config section %q already registered", s.Name)
		}
	}
	t.sections = append(t.sections, s)
	sort.SliceStable(t.sections, func(i, j int) bool {
		if t.sections[i].Order != t.sections[j].Order {
			return t.sections[i].Order < t.sections[j].Order
		}
		return t.sections[i].Name < t.sections[j].Name
	})
	return nil
}

// WriteConfig writes every section's lines, in order, to w.
func (t *Tree) WriteConfig(w io.Writer) error {
	t.mu.RLock()
	secs := append([]ConfigSection(nil), t.sections...)
	t.mu.RUnlock()
	for _, s := range secs {
		if err := s.Write(w); err != nil {
			return fmt.Errorf("config section %s: %w", s.Name, err)
		}
	}
	return nil
}

func (t *Tree) helpFor(n *node) string {
	if n.help != "" {
		return n.help
	}
	if n.kw != "" {
		return t.wordHelp[n.kw]
	}
	if n.typ != nil {
		return n.typ.Help()
	}
	return ""
}

// hasPrefixFold reports whether prefix begins s, ignoring case, as the
// CLI compares keywords.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
