package cli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"

	"github.com/erxos/erx/cli/acl"
	"github.com/erxos/erx/cli/command"
)

// accessLists are the standard IP access lists, by name, in the order
// they were created. Safe for concurrent use (the SSH server checks them).
type accessLists struct {
	mu    sync.RWMutex
	names []string
	lists map[string]acl.List
}

func newAccessLists() *accessLists { return &accessLists{lists: map[string]acl.List{}} }

func (a *accessLists) permits(name string, addr netip.Addr) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.lists[name].Permits(addr)
}

func (a *accessLists) exists(name string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	_, ok := a.lists[name]
	return ok
}

// maxACLEntries bounds one access list.
const maxACLEntries = 1024

func (a *accessLists) add(name string, e acl.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.lists[name]
	if !ok {
		a.names = append(a.names, name)
	}
	for _, x := range l {
		if x == e {
			return nil
		}
	}
	if len(l) >= maxACLEntries {
		return fmt.Errorf("access list %s is full (%d entries)", name, maxACLEntries)
	}
	a.lists[name] = append(l, e)
	return nil
}

// remove deletes one entry, or the whole list when e is nil.
func (a *accessLists) remove(name string, e *acl.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.lists[name]
	if !ok {
		return fmt.Errorf("access list %s does not exist", name)
	}
	if e != nil {
		var kept acl.List
		for _, x := range l {
			if x != *e {
				kept = append(kept, x)
			}
		}
		if len(kept) == len(l) {
			return errors.New("no such entry")
		}
		if len(kept) > 0 {
			a.lists[name] = kept
			return nil
		}
	}
	delete(a.lists, name)
	for i, n := range a.names {
		if n == name {
			a.names = append(a.names[:i], a.names[i+1:]...)
			break
		}
	}
	return nil
}

func (a *accessLists) write(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, n := range a.names {
		for _, e := range a.lists[n] {
			fmt.Fprintf(w, "access-list %s %s\n", n, e)
		}
	}
	return nil
}

func validListName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (in *Interpreter) registerAccessLists() error {
	entry := "{permit|deny} {any|host <host:A.B.C.D>|<addr:A.B.C.D> [<wildcard:A.B.C.D>]}"
	help := command.Help{"access-list": "Configure an access list", "name": "Access list name",
		"permit": "Permit the addresses", "deny": "Deny the addresses", "any": "Any source address",
		"host": "A single source address", "addr": "Source address", "wildcard": "Wildcard bits (1 = ignore the bit)"}
	parse := func(req *command.Request) (acl.Entry, error) {
		words := []string{"deny"}
		if req.Keyword("permit") {
			words[0] = "permit"
		}
		switch {
		case req.Keyword("any"):
			words = append(words, "any")
		case req.Has("host"):
			words = append(words, "host", req.Addr("host").String())
		default:
			words = append(words, req.Addr("addr").String())
			if req.Has("wildcard") {
				words = append(words, req.Addr("wildcard").String())
			}
		}
		return acl.Parse(words)
	}
	for _, c := range []*command.Command{
		{Syntax: "access-list <name:word> " + entry, Modes: []command.Mode{command.Config}, Privilege: 10, Help: help,
			Run: func(_ *command.Context, req *command.Request) error {
				name := req.String("name")
				if !validListName(name) {
					return fmt.Errorf("invalid access list name %q", name)
				}
				e, err := parse(req)
				if err != nil {
					return err
				}
				return in.acls.add(name, e)
			},
			No: func(_ *command.Context, req *command.Request) error {
				e, err := parse(req)
				if err != nil {
					return err
				}
				return in.acls.remove(req.String("name"), &e)
			}},
		{Syntax: "access-list <name:word>", Modes: []command.Mode{command.Config}, Privilege: 10, Help: help,
			Run: func(*command.Context, *command.Request) error { return errors.New("% Incomplete command.") },
			No: func(_ *command.Context, req *command.Request) error {
				return in.acls.remove(req.String("name"), nil)
			}},
		{Syntax: "show access-list [<name:word>]", Modes: []command.Mode{command.Exec}, Privilege: 5,
			Help: command.Help{"access-list": "Display IP access lists", "name": "Access list name"},
			Run: func(ctx *command.Context, req *command.Request) error {
				var b strings.Builder
				in.acls.write(&b)
				name := req.String("name")
				for _, l := range strings.SplitAfter(b.String(), "\n") {
					if l != "" && (name == "" || strings.HasPrefix(l, "access-list "+name+" ")) {
						io.WriteString(ctx.Out, l)
					}
				}
				return nil
			}},
	} {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return in.tree.AddConfig(command.ConfigSection{Order: command.OrderAccessLists, Name: "cli/access-lists", Write: in.acls.write})
}
