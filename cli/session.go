package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/term"
)

// DefaultTerminalLength is the page length before `terminal length`.
const DefaultTerminalLength = 24

// SessionOptions describe a logged-in user.
type SessionOptions struct {
	// User is the authenticated user name.
	User string
	// Privilege is the user's configured privilege level (0-15).
	Privilege int
	// VTY is the line number (0-29).
	VTY int
	// Via names the access method in the login line ("SSH").
	Via string
	// Remote is the client's address, for show users.
	Remote string
	// Height is the terminal height in lines; 0 means DefaultTerminalLength.
	Height int
	// Width is the terminal width in columns (informational).
	Width int
}

// Session is one user's CLI session.
type Session struct {
	in     *Interpreter
	opts   SessionOptions
	ctx    command.Context
	length int
	width  atomic.Int32 // terminal width: from the pty, window changes, terminal width
	ed     *term.Editor
	done   bool
}

type sessionKey struct{}

// LandingLevel is the privilege level an interactive session starts at for
// a user with the given configured privilege: 15 for 15, 0 for 0,
// otherwise 1 (User Exec).
func LandingLevel(privilege int) int {
	switch {
	case privilege >= 15:
		return 15
	case privilege <= 0:
		return 0
	}
	return 1
}

// NewSession starts a session for an authenticated user at the level
// LandingLevel gives; Exec raises it to the user's privilege.
func (in *Interpreter) NewSession(o SessionOptions) *Session {
	o.Privilege = min(max(o.Privilege, 0), 15)
	if o.Via == "" {
		o.Via = "SSH"
	}
	s := &Session{in: in, opts: o, length: DefaultTerminalLength}
	s.width.Store(int32(max(o.Width, 0)))
	if o.Height > 0 {
		s.length = o.Height
	}
	s.ctx = command.Context{Level: LandingLevel(o.Privilege), Mode: command.Exec, VR: "default", User: o.User}
	s.ctx.SetValue(sessionKey{}, s)
	return s
}

func sessionOf(ctx *command.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// Context is the session's command context (mode, level, VR, values).
func (s *Session) Context() *command.Context { return &s.ctx }

// Prompt is the current prompt, e.g. "host1:vr1(config-if)#".
func (s *Session) Prompt() string {
	p := s.in.Hostname()
	if s.ctx.VR != "" && s.ctx.VR != "default" {
		p += ":" + s.ctx.VR
	}
	p += s.ctx.Mode.PromptSuffix()
	if s.ctx.Mode == command.Exec && s.ctx.Level <= 1 {
		return p + ">"
	}
	return p + "#"
}

// Run is the interactive session over a raw terminal (an SSH channel with
// a pty): login lines, then commands until exit, Ctrl-D or an I/O error.
func (s *Session) Run(rw io.ReadWriter) error {
	s.ed = term.New(rw, rw)
	s.ed.Help = s.help
	s.ed.Complete = func(line string) (string, []string) { return s.in.tree.Complete(&s.ctx, line) }
	s.ctx.Ask = func(prompt string) (string, error) { return s.ed.ReadLine(prompt) }
	out := s.ed.Writer()
	id := s.in.opts.System.Identity()
	fmt.Fprintf(out, "Logged in on vty %d via %s.\n%s\n\n", s.opts.VTY, s.opts.Via, id.Copyright)
	motd, exec := s.in.loginBanners(s.opts.VTY)
	for _, b := range []string{motd, exec} {
		if b != "" {
			io.WriteString(out, strings.TrimRight(b, "\n")+"\n")
		}
	}
	for !s.done {
		s.ed.SetWidth(int(s.width.Load()))
		line, err := s.ed.ReadLine(s.Prompt())
		switch {
		case errors.Is(err, term.ErrInterrupt):
			continue
		case errors.Is(err, term.ErrSuspend):
			if s.ctx.Mode.IsConfig() {
				s.ctx.EnterMode(command.Exec, nil)
			}
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		s.ed.AddHistory(line)
		text, _ := s.run(line, len(s.Prompt()))
		if err := s.ed.Page(text, s.length); err != nil {
			return err
		}
	}
	return nil
}

// Exec runs command lines (separated by newlines) at the user's configured
// privilege, writing the output to w without paging; it stops at the first
// failing line and returns its error.
func (s *Session) Exec(lines string, w io.Writer) error {
	s.ctx.Level = s.opts.Privilege
	for _, line := range strings.Split(lines, "\n") {
		text, err := s.run(strings.TrimRight(line, "\r"), 0)
		if _, werr := io.WriteString(w, text); werr != nil {
			return werr
		}
		if err != nil || s.done {
			return err
		}
	}
	return nil
}

// SetWindow records a new terminal width (an SSH window-change); it takes
// effect at the next prompt. Safe to call from another goroutine.
func (s *Session) SetWindow(width int) { s.width.Store(int32(min(max(width, 0), 1<<16))) }

// Done reports whether the user ended the session (exit, logout).
func (s *Session) Done() bool { return s.done }

func (s *Session) help(line string) string {
	if toks := command.Tokenize(line); len(toks) > 0 {
		for _, t := range toks {
			if t.Text == "|" && !t.Quoted {
				return term.FilterHelp
			}
		}
	}
	text, err := s.in.tree.Help(&s.ctx, line)
	if err != nil {
		var pe *command.ParseError
		if errors.As(err, &pe) {
			return pe.Render(len(s.Prompt()))
		}
		return "% " + err.Error() + "\n"
	}
	return text
}

// OnRejected sets f to be called, in the session's goroutine, with every
// line a session typed that did not parse (the user has already been
// told "% Invalid input ..."). The mirroring feature uses it to write
// attempts at its hidden commands to its secure log. Call it before
// sessions start.
func (in *Interpreter) OnRejected(f func(ctx *command.Context, line string)) { in.rejected.Store(&f) }

// LineAdmits reports whether the access class of the session's vty line
// admits the session's source address now (an access class may be
// applied after login), and the line still exists. Sessions without a
// source address (startup replay, in-process sessions) are admitted.
// `mirror-enable` is hidden from sessions it refuses (spec 11.2: line vty
// access-class restricts mirroring).
func (in *Interpreter) LineAdmits(ctx *command.Context) bool {
	s := sessionOf(ctx)
	if s == nil || s.opts.Remote == "" {
		return true
	}
	a, err := netip.ParseAddr(s.opts.Remote)
	if err != nil {
		return false
	}
	return in.VTYAccess(s.opts.VTY, a.Unmap())
}

// errFailed marks a line whose error text is already in the output.
var errFailed = errors.New("command failed")

// run parses and executes one line and returns its output (filtered, or
// empty when redirected to a file); indent is the prompt width for the
// caret marker.
func (s *Session) run(line string, indent int) (string, error) {
	req, filter, redir, err := s.parse(line)
	if err != nil {
		if f := s.in.rejected.Load(); f != nil {
			(*f)(&s.ctx, line)
		}
		var pe *command.ParseError
		if errors.As(err, &pe) {
			return pe.Render(indent), err
		}
		return errorText(err), err
	}
	if req == nil {
		return "", nil
	}
	var out bytes.Buffer
	s.ctx.Out = &out
	ask := s.ctx.Ask
	if ask != nil {
		// Show what the command printed so far before asking.
		s.ctx.Ask = func(prompt string) (string, error) {
			io.WriteString(s.ed.Writer(), out.String())
			out.Reset()
			return ask(prompt)
		}
		defer func() { s.ctx.Ask = ask }()
	}
	if req.Mode.IsConfig() {
		s.in.cfgMu.Lock()
		manual := s.in.manualCommit
		err = s.in.tree.Execute(&s.ctx, req)
		if err == nil && (!manual || !s.in.manualCommit) {
			err = s.in.autoCommitLocked()
		}
		s.in.cfgMu.Unlock()
	} else {
		err = s.in.tree.Execute(&s.ctx, req)
	}
	s.ctx.Out = nil
	text := out.String()
	if filter != nil {
		text = filter.Apply(text)
	}
	if redir != nil && err == nil {
		if werr := s.in.writeUserFile(redir.file, []byte(text), redir.appendTo); werr != nil {
			return errorText(werr), werr
		}
		return "", nil
	}
	if err != nil {
		if filter != nil {
			return text + errorText(err), err
		}
		text += errorText(err)
	}
	return text, err
}

// redirection is "> FILE" or ">> FILE" after a show command.
type redirection struct {
	file     string
	appendTo bool
}

// parse splits off an output redirection ("show ... > FILE") and an
// output filter ("show ... | include RE") when the part before them is an
// Exec command, and parses the line.
func (s *Session) parse(line string) (*command.Request, *term.Filter, *redirection, error) {
	toks := command.Tokenize(line)
	if n := len(toks); n >= 3 && !toks[n-2].Quoted && (toks[n-2].Text == ">" || toks[n-2].Text == ">>") {
		req, f, _, err := s.parse(line[:toks[n-2].Start])
		if err == nil && req != nil && !req.Mode.IsConfig() {
			return req, f, &redirection{file: toks[n-1].Text, appendTo: toks[n-2].Text == ">>"}, nil
		}
	}
	for _, t := range toks {
		if t.Text != "|" || t.Quoted {
			continue
		}
		req, err := s.in.tree.Parse(&s.ctx, line[:t.Start])
		if err != nil || req == nil || req.Mode.IsConfig() {
			break
		}
		f, ferr := term.ParseFilter(line[t.End:])
		if ferr != nil {
			return nil, nil, nil, ferr
		}
		return req, f, nil, nil
	}
	req, err := s.in.tree.Parse(&s.ctx, line)
	return req, nil, nil, err
}

// errorText is how an error is shown: "% message\n".
func errorText(err error) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, "%") {
		msg = "% " + msg
	}
	return msg + "\n"
}
