package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/erxos/erx/cli/command"
)

// LoginMethodNames are the methods of `aaa authentication login`: local
// (the username accounts), none (no authentication: privilege 1), radius
// (the RADIUS servers; tried only when the SSH server's authenticator
// supports it, otherwise skipped as unavailable).
var LoginMethodNames = []string{"local", "none", "radius"}

// methodLists are the login method lists by name. Safe for concurrent
// use (the SSH server reads them at login).
type methodLists struct {
	mu    sync.RWMutex
	lists map[string][]string
}

func newMethodLists() *methodLists { return &methodLists{lists: map[string][]string{}} }

func (m *methodLists) get(name string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]string(nil), m.lists[name]...)
}

func (m *methodLists) write(w io.Writer) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.lists))
	for n := range m.lists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "aaa authentication login %s %s\n", n, strings.Join(m.lists[n], " "))
	}
	return nil
}

// loginMethodType is the argument type of one login method.
type loginMethodType struct{}

func (loginMethodType) Syntax() string { return "{" + strings.Join(LoginMethodNames, "|") + "}" }
func (loginMethodType) Help() string   { return "Authentication method: local, none or radius" }
func (loginMethodType) Parse(tok string) (any, error) {
	for _, m := range LoginMethodNames {
		if strings.EqualFold(tok, m) {
			return m, nil
		}
	}
	return nil, errors.New("not a login method")
}

var registerMethodType sync.Once

func (in *Interpreter) registerMethodLists() error {
	var terr error
	registerMethodType.Do(func() { terr = command.RegisterType("login-method", loginMethodType{}) })
	if terr != nil {
		return terr
	}
	help := command.Help{"aaa": "Configure authentication, authorization, and accounting characteristics",
		"authentication": "Configure authentication", "login": "Login method lists",
		"list": "Method list name (default: used by lines without login authentication)",
		"m1":   "First method", "m2": "Method tried when the previous one is unavailable", "m3": "Third method", "m4": "Fourth method"}
	for _, c := range []*command.Command{
		{Syntax: "aaa authentication login <list:word> <m1:login-method> [<m2:login-method> [<m3:login-method> [<m4:login-method>]]]",
			Modes: []command.Mode{command.Config}, Privilege: 15, Help: help,
			Run: func(_ *command.Context, req *command.Request) error {
				name := req.String("list")
				if !validListName(name) {
					return fmt.Errorf("invalid method list name %q", name)
				}
				var ms []string
				for _, a := range []string{"m1", "m2", "m3", "m4"} {
					if m := req.String(a); m != "" {
						for _, x := range ms {
							if x == m {
								return fmt.Errorf("method %s given twice", m)
							}
						}
						ms = append(ms, m)
					}
				}
				in.methods.mu.Lock()
				in.methods.lists[name] = ms
				in.methods.mu.Unlock()
				return nil
			},
			NoSyntax: "aaa authentication login <list:word>",
			No: func(_ *command.Context, req *command.Request) error {
				in.methods.mu.Lock()
				delete(in.methods.lists, req.String("list"))
				in.methods.mu.Unlock()
				return nil
			}},
	} {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return in.tree.AddConfig(command.ConfigSection{Order: command.OrderAAA + 50, Name: "cli/aaa-login", Write: in.methods.write})
}
