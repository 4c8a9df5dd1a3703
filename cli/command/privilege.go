package command

import (
	"errors"
	"fmt"
	"strings"
)

// PrivilegeOverride re-maps the privilege level of commands, as the
// JunosE `privilege` command does.
type PrivilegeOverride struct {
	// Mode the commands are in.
	Mode Mode
	// Words are the leading keywords, fully spelled.
	Words []string
	// All applies the level to every command beginning with Words;
	// otherwise only to the command(s) that Words name (followed by
	// arguments only). All settings take precedence over single ones.
	All bool
	// Level is the new privilege level.
	Level int
}

// SetPrivilege applies a privilege override. words may be abbreviated;
// the override is recorded with the full keywords and returned.
func (t *Tree) SetPrivilege(mode Mode, words []string, all bool, level int) (PrivilegeOverride, error) {
	if level < 0 || level > 15 {
		return PrivilegeOverride{}, fmt.Errorf("level %d out of 0-15", level)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	full, cmds, err := t.resolveWords(mode, words, all)
	if err != nil {
		return PrivilegeOverride{}, err
	}
	o := PrivilegeOverride{Mode: mode, Words: full, All: all, Level: level}
	t.removeOverride(o)
	t.privs = append(t.privs, o)
	for _, c := range cmds {
		if all {
			c.allLevel.Store(int32(level + 1))
		} else {
			c.oneLevel.Store(int32(level + 1))
		}
	}
	return o, nil
}

// ClearPrivilege removes an override (the level is ignored) and restores
// the levels the remaining overrides give.
func (t *Tree) ClearPrivilege(mode Mode, words []string, all bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	full, _, err := t.resolveWords(mode, words, all)
	if err != nil {
		return err
	}
	if !t.removeOverride(PrivilegeOverride{Mode: mode, Words: full, All: all}) {
		return errors.New("no such privilege setting")
	}
	for _, r := range t.roots {
		for _, c := range r.cmds {
			c.oneLevel.Store(0)
			c.allLevel.Store(0)
		}
	}
	for _, o := range t.privs {
		_, cmds, err := t.resolveWords(o.Mode, o.Words, o.All)
		if err != nil {
			continue
		}
		for _, c := range cmds {
			if o.All {
				c.allLevel.Store(int32(o.Level + 1))
			} else {
				c.oneLevel.Store(int32(o.Level + 1))
			}
		}
	}
	return nil
}

// Privileges lists the overrides in the order they were set.
func (t *Tree) Privileges() []PrivilegeOverride {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]PrivilegeOverride(nil), t.privs...)
}

func (t *Tree) removeOverride(o PrivilegeOverride) bool {
	for i, x := range t.privs {
		if x.Mode == o.Mode && x.All == o.All && strings.Join(x.Words, " ") == strings.Join(o.Words, " ") {
			t.privs = append(t.privs[:i], t.privs[i+1:]...)
			return true
		}
	}
	return false
}

// resolveWords follows keywords (unique prefixes allowed) from mode's root
// and returns their full spelling and the commands they select.
func (t *Tree) resolveWords(mode Mode, words []string, all bool) ([]string, []*Command, error) {
	n, ok := t.roots[mode]
	if !ok || len(words) == 0 {
		return nil, nil, errors.New("no such command")
	}
	var full []string
	for _, w := range words {
		var match *node
		for _, c := range n.children {
			if c.kw == "" || c.ifArg != "" || c.redirect != "" {
				continue
			}
			if strings.EqualFold(c.kw, w) {
				match = c
				break
			}
			if hasPrefixFold(c.kw, w) {
				if match != nil && match.kw != c.kw {
					return nil, nil, fmt.Errorf("ambiguous keyword %q", w)
				}
				match = c
			}
		}
		if match == nil {
			return nil, nil, fmt.Errorf("no command %q", strings.Join(words, " "))
		}
		full = append(full, match.kw)
		n = match
	}
	if all {
		return full, n.cmds, nil
	}
	var cmds []*Command
	var walk func(*node, int)
	walk = func(x *node, depth int) {
		if x.end != nil {
			cmds = appendCmd(cmds, x.end.cmd)
		}
		if depth > 64 {
			return
		}
		for _, c := range x.children {
			if c.kw == "" || c.ifArg != "" {
				walk(c, depth+1)
			}
		}
	}
	walk(n, 0)
	if len(cmds) == 0 {
		return nil, nil, fmt.Errorf("%q is not a complete command", strings.Join(full, " "))
	}
	return full, cmds, nil
}
