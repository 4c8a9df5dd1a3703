package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// privilegeModes maps the mode keyword of the `privilege` command to the
// mode it names.
var privilegeModes = []struct {
	word string
	mode command.Mode
}{
	{"configure", command.Config},
	{"exec", command.Exec},
	{"interface", command.ConfigIf},
	{"line", command.ConfigLine},
	{"radius", command.ConfigRadius},
	{"router", command.ConfigRouter},
	{"subinterface", command.ConfigSubif},
}

func (in *Interpreter) registerPrivilege() error {
	var words []string
	help := command.Help{
		"privilege": "Set the privilege level of commands",
		"all":       "Apply to every command beginning with the keywords",
		"level":     "Privilege level",
		"words":     "The command keywords",
		"lvl":       "Privilege level",
	}
	for _, m := range privilegeModes {
		words = append(words, m.word)
		help[m.word] = fmt.Sprintf("Commands of %s mode", m.mode)
	}
	modes := "{" + strings.Join(words, "|") + "}"
	modeOf := func(req *command.Request) command.Mode {
		for _, m := range privilegeModes {
			if req.Keyword(m.word) {
				return m.mode
			}
		}
		return ""
	}
	if err := in.tree.Register(&command.Command{
		Syntax: "privilege " + modes + " [all] level <lvl:0-15> <words:line>",
		Modes:  []command.Mode{command.Config}, Privilege: 15, Help: help,
		Run: func(_ *command.Context, req *command.Request) error {
			_, err := in.tree.SetPrivilege(modeOf(req), strings.Fields(req.String("words")), req.Keyword("all"), req.Int("lvl"))
			return err
		},
		NoSyntax: "privilege " + modes + " [all] [level <lvl:0-15>] <words:line>",
		No: func(_ *command.Context, req *command.Request) error {
			return in.tree.ClearPrivilege(modeOf(req), strings.Fields(req.String("words")), req.Keyword("all"))
		},
	}); err != nil {
		return err
	}
	return in.tree.AddConfig(command.ConfigSection{Order: command.OrderSystem + 50, Name: "cli/privilege",
		Category: "management cli command-privileges", Write: in.writePrivileges})
}

func (in *Interpreter) writePrivileges(w io.Writer) error {
	for _, o := range in.tree.Privileges() {
		word := ""
		for _, m := range privilegeModes {
			if m.mode == o.Mode {
				word = m.word
			}
		}
		all := ""
		if o.All {
			all = "all "
		}
		fmt.Fprintf(w, "privilege %s %slevel %d %s\n", word, all, o.Level, strings.Join(o.Words, " "))
	}
	return nil
}
