package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// categoryHelp describes the keywords of show configuration category.
var categoryHelp = command.Help{
	"category":           "Display one category of the configuration",
	"system":             "Host name, services, enable secrets, banners, clock",
	"aaa":                "Local users and authentication method lists",
	"access-lists":       "IP access lists",
	"virtual-routers":    "Virtual routers",
	"interfaces":         "Interfaces",
	"routing":            "Static routes and routing protocols",
	"radius":             "RADIUS servers",
	"management":         "Management settings",
	"cli":                "CLI settings",
	"command-privileges": "Command privilege levels",
	"lines":              "vty lines",
}

// catNode is one keyword of the category tree.
type catNode struct {
	word string
	kids []*catNode
}

func categoryTree() *catNode {
	root := &catNode{}
	for _, c := range command.Categories {
		n := root
		for _, w := range strings.Fields(c) {
			var next *catNode
			for _, k := range n.kids {
				if k.word == w {
					next = k
				}
			}
			if next == nil {
				next = &catNode{word: w}
				n.kids = append(n.kids, next)
			}
			n = next
		}
	}
	return root
}

// syntax renders the alternatives under n: every prefix of a category is
// itself a valid selection.
func (n *catNode) syntax() string {
	var alts []string
	for _, k := range n.kids {
		a := k.word
		if len(k.kids) > 0 {
			a += " [" + k.syntax() + "]"
		}
		alts = append(alts, a)
	}
	return "{" + strings.Join(alts, "|") + "}"
}

// selected follows the keywords of req down the tree.
func (n *catNode) selected(req *command.Request) string {
	var words []string
	for cur := n; ; {
		var next *catNode
		for _, k := range cur.kids {
			if req.Keyword(k.word) {
				next = k
			}
		}
		if next == nil {
			return strings.Join(words, " ")
		}
		words = append(words, next.word)
		cur = next
	}
}

func (in *Interpreter) registerShowConfiguration() error {
	show := "show {configuration|running-configuration}"
	help := command.Help{"configuration": "Display the current configuration",
		"running-configuration": "Display the current configuration",
		"interface":             "Display the configuration of one interface (and its subinterfaces)",
		"virtual-router":        "Display the configuration of one virtual router", "vr": "Virtual router name"}
	for k, v := range categoryHelp {
		help[k] = v
	}
	cats := categoryTree()
	for _, c := range []*command.Command{
		{Syntax: show, Run: func(ctx *command.Context, _ *command.Request) error {
			return in.writeConfiguration(ctx.Out, command.ConfigFilter{Session: ctx}, nil)
		}},
		{Syntax: show + " interface <if:interface>", Run: func(ctx *command.Context, req *command.Request) error {
			n := req.Interface("if")
			return in.writeConfiguration(ctx.Out, command.ConfigFilter{Session: ctx}, &n)
		}},
		{Syntax: show + " virtual-router <vr:word>", Run: func(ctx *command.Context, req *command.Request) error {
			return in.writeConfiguration(ctx.Out, command.ConfigFilter{VR: req.String("vr"), Session: ctx}, nil)
		}},
		{Syntax: show + " category " + cats.syntax(), Run: func(ctx *command.Context, req *command.Request) error {
			return in.writeConfiguration(ctx.Out, command.ConfigFilter{Category: cats.selected(req), Session: ctx}, nil)
		}},
	} {
		c.Modes, c.Privilege, c.Help = []command.Mode{command.Exec}, 10, help
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// writeConfiguration writes the configuration script f (and, if ifName is
// set, only that interface's blocks) selects, between the JunosE header
// and trailer lines.
func (in *Interpreter) writeConfiguration(w io.Writer, f command.ConfigFilter, ifName *command.InterfaceName) error {
	var b bytes.Buffer
	in.cfgMu.Lock()
	err := in.tree.WriteConfigFiltered(&b, f)
	in.cfgMu.Unlock()
	if err != nil {
		return err
	}
	cfg := b.Bytes()
	if ifName != nil {
		cfg = interfaceBlocks(cfg, *ifName)
	}
	now := in.now()
	fmt.Fprintf(w, "! Configuration script being generated on %s\n", strings.ToUpper(now.Format("Mon Jan 2 2006 15:04:05 MST")))
	fmt.Fprintf(w, "! %s\n!\n", in.opts.System.Identity().Copyright)
	w.Write(cfg)
	_, err = fmt.Fprintln(w, "!\n! end of generated configuration script")
	return err
}

// interfaceBlocks returns the blocks of cfg that configure n or one of its
// subinterfaces: a line "interface TYPE LOC" and the indented lines under
// it. Blocks inside a virtual router's part keep their "virtual-router"
// line in front.
func interfaceBlocks(cfg []byte, n command.InterfaceName) []byte {
	var out bytes.Buffer
	vr, vrShown := "default", true
	in := false
	for _, l := range strings.SplitAfter(string(cfg), "\n") {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if in {
				out.WriteString(l)
			}
			continue
		}
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "virtual-router" {
			vr, vrShown = f[1], f[1] == "default"
		}
		in = len(f) == 3 && f[0] == "interface" && strings.EqualFold(f[1], n.Type) &&
			(f[2] == n.Location || (!n.IsSubinterface() && strings.HasPrefix(f[2], n.Location+".")))
		if in {
			if !vrShown {
				fmt.Fprintf(&out, "virtual-router %s\n", vr)
				vrShown = true
			}
			out.WriteString(l)
		}
	}
	return out.Bytes()
}
