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
	vrs      func() []string
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
	OrderSystem      = 100 // hostname, service, enable secrets, banners
	OrderAAA         = 200 // username, aaa
	OrderAccessLists = 250 // access-list
	OrderVirtual     = 300 // virtual routers
	OrderInterfaces  = 400 // interface blocks
	OrderRouting     = 500 // ip route, routers
	OrderRadius      = 600 // radius servers
	OrderLines       = 900 // line vty
)

// ConfigSection is one feature's part of the running configuration.
//
// A section writes global lines with Write and, if the feature keeps state
// per virtual router, that state with WriteVR. The running configuration
// is every section's Write (and WriteVR for the default virtual router)
// in order, then, for each other virtual router the tree's VR lister
// names, a "virtual-router NAME" line followed by every section's WriteVR
// for it. Replaying that text recreates the state, because
// `virtual-router NAME` switches the replay's context.
//
// Interface blocks need nothing special: `show configuration interface IF`
// picks the blocks that start with the line "interface IF" (plus their
// indented lines, and the subinterfaces of IF) from every section.
type ConfigSection struct {
	// Order places the section (ascending); ties are broken by Name.
	Order int
	// Name identifies the section, e.g. "aaa/local".
	Name string
	// Category is the section's place in `show configuration category`,
	// one of Categories (e.g. "management cli command-privileges"). Empty:
	// the category the Order's band suggests (see CategoryOf).
	Category string
	// Write writes the section's global lines as CLI command lines, each
	// ending in "\n"; sub-mode lines are indented by one space. May be nil
	// when WriteVR is set.
	Write func(w io.Writer) error
	// WriteVR, if set, writes the section's lines for virtual router vr
	// ("default" for the default one), without a virtual-router line.
	WriteVR func(w io.Writer, vr string) error
	// Visible, if set, makes the section secret: it is written only for
	// a session (ConfigFilter.Session) for which it returns true, and
	// never into the running configuration (WriteConfig), so it is never
	// committed or replayed. Used for the secure mirroring configuration.
	Visible func(*Context) bool
}

// Categories are the configuration categories of `show configuration
// category`, as keyword paths.
var Categories = []string{
	"system",
	"aaa",
	"access-lists",
	"virtual-routers",
	"interfaces",
	"routing",
	"radius",
	"management cli command-privileges",
	"management lines",
}

// CategoryOf is the category of s: its Category, or the one its Order's
// band suggests.
func CategoryOf(s ConfigSection) string {
	if s.Category != "" {
		return s.Category
	}
	switch {
	case s.Order < OrderAAA:
		return "system"
	case s.Order < OrderAccessLists:
		return "aaa"
	case s.Order < OrderVirtual:
		return "access-lists"
	case s.Order < OrderInterfaces:
		return "virtual-routers"
	case s.Order < OrderRouting:
		return "interfaces"
	case s.Order < OrderRadius:
		return "routing"
	case s.Order < OrderLines:
		return "radius"
	default:
		return "management lines"
	}
}

// AddConfig registers a running-configuration section.
func (t *Tree) AddConfig(s ConfigSection) error {
	if (s.Write == nil && s.WriteVR == nil) || s.Name == "" {
		return errors.New("config section needs a name and a writer")
	}
	if s.Category != "" && !knownCategory(s.Category) {
		return fmt.Errorf("config section %q: unknown category %q", s.Name, s.Category)
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

func knownCategory(c string) bool {
	for _, x := range Categories {
		if x == c {
			return true
		}
	}
	return false
}

// SetVirtualRouters sets the function that lists the virtual routers
// other than "default" whose WriteVR blocks the configuration holds (the
// virtual-router feature provides it). Without it only the default
// virtual router is written.
func (t *Tree) SetVirtualRouters(list func() []string) {
	t.mu.Lock()
	t.vrs = list
	t.mu.Unlock()
}

// ConfigFilter selects part of the running configuration.
type ConfigFilter struct {
	// Category, if not empty, keeps the sections whose category is this
	// keyword path or lies under it ("management" keeps both management
	// categories).
	Category string
	// VR, if not empty, keeps only the WriteVR lines of that virtual
	// router, preceded by "virtual-router VR" unless it is "default".
	VR string
	// Session is the CLI session the configuration is shown to; sections
	// with a Visible function are kept only when it admits Session (nil:
	// never, as for the running configuration).
	Session *Context
}

// WriteConfig writes every section's lines, in order, to w.
func (t *Tree) WriteConfig(w io.Writer) error {
	return t.WriteConfigFiltered(w, ConfigFilter{})
}

// WriteConfigFiltered writes the sections f selects.
func (t *Tree) WriteConfigFiltered(w io.Writer, f ConfigFilter) error {
	t.mu.RLock()
	secs := append([]ConfigSection(nil), t.sections...)
	list := t.vrs
	t.mu.RUnlock()
	var keep []ConfigSection
	for _, s := range secs {
		if s.Visible != nil && (f.Session == nil || !s.Visible(f.Session)) {
			continue
		}
		c := CategoryOf(s)
		if f.Category == "" || c == f.Category || strings.HasPrefix(c, f.Category+" ") {
			keep = append(keep, s)
		}
	}
	if f.VR != "" {
		if f.VR != "default" {
			fmt.Fprintf(w, "virtual-router %s\n", f.VR)
		}
		return writeVR(w, keep, f.VR)
	}
	for _, s := range keep {
		if s.Write != nil {
			if err := s.Write(w); err != nil {
				return fmt.Errorf("config section %s: %w", s.Name, err)
			}
		}
		if s.WriteVR != nil {
			if err := s.WriteVR(w, "default"); err != nil {
				return fmt.Errorf("config section %s: %w", s.Name, err)
			}
		}
	}
	if list == nil {
		return nil
	}
	vrs := list()
	sort.Strings(vrs)
	for _, vr := range vrs {
		if vr == "default" || vr == "" {
			continue
		}
		var b strings.Builder
		if err := writeVR(&b, keep, vr); err != nil {
			return err
		}
		if b.Len() == 0 && f.Category != "" {
			continue
		}
		fmt.Fprintf(w, "virtual-router %s\n", vr)
		io.WriteString(w, b.String())
	}
	return nil
}

func writeVR(w io.Writer, secs []ConfigSection, vr string) error {
	for _, s := range secs {
		if s.WriteVR == nil {
			continue
		}
		if err := s.WriteVR(w, vr); err != nil {
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
