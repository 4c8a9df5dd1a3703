package local

import (
	"fmt"
	"io"

	"github.com/erxos/erx/cli/command"
)

// Register adds the `username` commands to tree and the users to the
// running configuration.
//
//	username NAME [privilege N] secret [0|5] TEXT   (0 or none: clear text, stored hashed; 5: a hash)
//	username NAME [privilege N] password [0] TEXT   (stored and shown as clear text)
//	username NAME public-key KEYLINE               (an OpenSSH authorized_keys line)
//	no username NAME [public-key KEYLINE]
func (u *Users) Register(tree *command.Tree) error {
	help := command.Help{
		"username":   "Configure a local user account",
		"name":       "User name",
		"privilege":  "Set the user's privilege level",
		"level":      "Privilege level",
		"secret":     "Specify a secret; stored as a one-way hash",
		"password":   "Specify a password; stored as clear text",
		"0":          "The text that follows is not encrypted",
		"5":          "The text that follows is an encrypted secret",
		"text":       "The password or secret",
		"public-key": "Add an SSH public key for the user",
		"key":        "Public key, as one OpenSSH authorized_keys line",
	}
	cmds := []*command.Command{{
		Syntax:    "username <name:word> [privilege <level:0-15>] {secret [{0|5}] <text:word>|password [0] <text:word>}",
		Modes:     []command.Mode{command.Config},
		Help:      help,
		Privilege: 15,
		Run: func(ctx *command.Context, req *command.Request) error {
			name, text := req.String("name"), req.String("text")
			level := req.IntOr("level", 1)
			if prev, ok := u.Lookup(name); ok && !req.Has("level") {
				level = prev.Privilege
			}
			if req.Keyword("password") {
				return u.SetPassword(name, level, text)
			}
			hash := text
			if !req.Keyword("5") {
				h, err := HashSecret(text)
				if err != nil {
					return err
				}
				hash = h
			}
			return u.SetSecret(name, level, hash)
		},
		NoSyntax: "username <name:word>",
		No: func(ctx *command.Context, req *command.Request) error {
			u.Remove(req.String("name"))
			return nil
		},
	}, {
		Syntax:    "username <name:word> public-key <key:line>",
		Modes:     []command.Mode{command.Config},
		Help:      help,
		Privilege: 15,
		Run: func(ctx *command.Context, req *command.Request) error {
			return u.AddKey(req.String("name"), req.String("key"))
		},
		No: func(ctx *command.Context, req *command.Request) error {
			return u.RemoveKey(req.String("name"), req.String("key"))
		},
	}}
	return registerAll(tree, cmds, "aaa/local", u.ConfigLines)
}

// registerAll registers cmds and a configuration section name, in the
// AAA order, of the lines that lines returns.
func registerAll(tree *command.Tree, cmds []*command.Command, name string, lines func() []string) error {
	for _, c := range cmds {
		if err := tree.Register(c); err != nil {
			return fmt.Errorf("register %q: %w", c.Syntax, err)
		}
	}
	return tree.AddConfig(command.ConfigSection{
		Order: command.OrderAAA,
		Name:  name,
		Write: func(w io.Writer) error {
			for _, l := range lines() {
				if _, err := fmt.Fprintln(w, l); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
