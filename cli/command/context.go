package command

import (
	"errors"
	"io"
	"net/netip"
)

// Context is the state of one CLI session as seen by a handler. The session
// owns it; handlers read it and change the mode with EnterMode.
type Context struct {
	// Out receives the command's output.
	Out io.Writer
	// Level is the session's current privilege level (0-15).
	Level int
	// Mode is the current command mode.
	Mode Mode
	// ModeValue is what the command that entered Mode attached to it (for
	// ConfigIf, the InterfaceName being configured).
	ModeValue any
	// VR is the current virtual router ("default" when none was chosen).
	VR string
	// User is the logged-in user name ("" during startup replay).
	User string
	// Ask, if set, shows prompt and returns the user's answer line; nil
	// when the session cannot ask (exec requests, replay).
	Ask func(prompt string) (string, error)

	values map[any]any
}

// ErrCannotAsk is returned by Confirm when the session cannot prompt.
var ErrCannotAsk = errors.New("confirmation needed but this session cannot prompt")

// EnterMode switches the session to mode m with its mode value v.
func (c *Context) EnterMode(m Mode, v any) {
	c.Mode, c.ModeValue = m, v
}

// Value returns the session value stored under key, or nil.
func (c *Context) Value(key any) any { return c.values[key] }

// SetValue stores a per-session value (e.g. a feature's session flag such as
// mirror access); nil deletes it.
func (c *Context) SetValue(key, v any) {
	if v == nil {
		delete(c.values, key)
		return
	}
	if c.values == nil {
		c.values = map[any]any{}
	}
	c.values[key] = v
}

// Request is a parsed command line: the matched command, its form and its
// typed arguments.
type Request struct {
	// Command is the matched command.
	Command *Command
	// Form tells whether `no` or `default` was given.
	Form Form
	// Mode is the mode the command was found in (a sub-mode's parent when
	// the line fell through to it, Exec after `do`).
	Mode Mode
	// Line is the command line as typed.
	Line string

	args     map[string]any
	words    map[string]bool
	fellBack bool
}

// Has reports whether the named argument was given.
func (r *Request) Has(name string) bool {
	_, ok := r.args[name]
	return ok
}

// Keyword reports whether the keyword word (in its full spelling) was
// given, e.g. to tell the alternatives of {secret|password} apart.
func (r *Request) Keyword(word string) bool { return r.words[word] }

// Value returns the named argument's value, or nil.
func (r *Request) Value(name string) any { return r.args[name] }

// String returns a word/line/location argument, or "".
func (r *Request) String(name string) string {
	s, _ := r.args[name].(string)
	return s
}

// Int returns an integer-range argument, or 0.
func (r *Request) Int(name string) int {
	n, _ := r.args[name].(int)
	return n
}

// IntOr returns an integer-range argument, or def when it was not given.
func (r *Request) IntOr(name string, def int) int {
	if n, ok := r.args[name].(int); ok {
		return n
	}
	return def
}

// Addr returns an A.B.C.D or mask argument (the zero Addr if absent).
func (r *Request) Addr(name string) netip.Addr {
	a, _ := r.args[name].(netip.Addr)
	return a
}

// Prefix returns an A.B.C.D/N argument.
func (r *Request) Prefix(name string) netip.Prefix {
	p, _ := r.args[name].(netip.Prefix)
	return p
}

// Bytes returns a hex argument.
func (r *Request) Bytes(name string) []byte {
	b, _ := r.args[name].([]byte)
	return b
}

// Interface returns an interface argument.
func (r *Request) Interface(name string) InterfaceName {
	n, _ := r.args[name].(InterfaceName)
	return n
}
