package command

import (
	"fmt"
	"sort"
	"strings"
)

// Token is one word of a command line.
type Token struct {
	// Text is the word; for a "quoted string" the text between the quotes.
	Text string
	// Start and End are byte offsets of the token in the line.
	Start, End int
	// Quoted is true when the word was written in double quotes.
	Quoted bool
}

// Tokenize splits a command line into words at spaces and tabs; a word in
// double quotes may contain spaces. An unterminated quote runs to the end
// of the line.
func Tokenize(line string) []Token {
	var out []Token
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		start := i
		if c == '"' {
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				out = append(out, Token{Text: line[i+1:], Start: start, End: len(line), Quoted: true})
				return out
			}
			out = append(out, Token{Text: line[i+1 : i+1+j], Start: start, End: i + j + 2, Quoted: true})
			i += j + 2
			continue
		}
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		out = append(out, Token{Text: line[start:i], Start: start, End: i})
	}
	return out
}

// ErrorKind classifies a ParseError.
type ErrorKind int

// Parse error kinds.
const (
	Invalid      ErrorKind = iota // a token matches nothing: caret marker
	Ambiguous                     // an abbreviation matches several keywords
	Incomplete                    // the line stops before a command ends
	Unrecognized                  // the first word matches no command
)

// ParseError is a command line the tree does not accept.
type ParseError struct {
	Kind ErrorKind
	// Pos is the byte offset of the offending token in Line.
	Pos  int
	Line string
}

// Error returns the message without the caret line.
func (e *ParseError) Error() string {
	switch e.Kind {
	case Ambiguous:
		return "% Ambiguous command"
	case Incomplete:
		return "% Incomplete command."
	case Unrecognized:
		return "% Unrecognized command"
	default:
		return "% Invalid input detected at '^' marker."
	}
}

// Render returns the text a session prints for the error; indent is the
// width of the prompt in front of the line, so the caret lands under the
// offending token.
func (e *ParseError) Render(indent int) string {
	if e.Kind == Invalid {
		return strings.Repeat(" ", indent+e.Pos) + "^\n" + e.Error() + "\n"
	}
	return e.Error() + "\n"
}

// link is a persistent list of matched arguments and keywords.
type link struct {
	name string
	val  any // nil for a keyword
	prev *link
}

type state struct {
	n     *node
	mode  Mode
	args  *link
	score string // per token: '1' keyword, '0' argument; higher wins
}

// maxStates bounds the parser's work on pathological trees or input.
const maxStates = 512

// walk consumes toks from mode's root. It returns the live states after
// the last token and the states that took the rest of the line.
func (t *Tree) walk(ctx *Context, mode Mode, toks []Token, line string) (live, done []state, perr *ParseError) {
	root, ok := t.roots[mode]
	if !ok {
		return nil, nil, &ParseError{Kind: Unrecognized, Line: line}
	}
	live = []state{{n: root, mode: mode}}
	for i, tk := range toks {
		var next []state
		ambiguous := false
		for _, s := range live {
			kids, m := s.n.children, s.mode
			if s.n.redirect != "" {
				m = s.n.redirect
				if r, ok := t.roots[m]; ok {
					kids = r.children
				} else {
					kids = nil
				}
			}
			var exact, prefix []*node
			words := map[string]bool{}
			for _, c := range kids {
				if c.kw == "" || !c.visible(ctx) {
					continue
				}
				if strings.EqualFold(c.kw, tk.Text) {
					exact = append(exact, c)
				} else if tk.Text != "" && hasPrefixFold(c.kw, tk.Text) {
					prefix = append(prefix, c)
					words[strings.ToLower(c.kw)] = true
				}
			}
			kws := exact
			if len(exact) == 0 {
				if len(words) == 1 {
					kws = prefix
				} else if len(words) > 1 {
					ambiguous = true
				}
			}
			for _, c := range kws {
				next = append(next, state{n: c, mode: m, args: &link{name: c.kw, prev: s.args}, score: s.score + "1"})
			}
			for _, c := range kids {
				if c.kw != "" || !c.visible(ctx) {
					continue
				}
				if _, rest := c.typ.(restOfLine); rest {
					v := strings.TrimRight(line[tk.Start:], " \t")
					done = append(done, state{n: c, mode: m, args: &link{name: c.arg, val: v, prev: s.args}, score: s.score + "0"})
					continue
				}
				v, err := c.typ.Parse(tk.Text)
				if err != nil {
					continue
				}
				if c.ifType != "" {
					v = InterfaceName{Type: c.ifType, Location: v.(string)}
				}
				next = append(next, state{n: c, mode: m, args: &link{name: c.arg, val: v, prev: s.args}, score: s.score + "0"})
			}
			if len(next) > maxStates {
				next = next[:maxStates]
			}
		}
		if len(next) == 0 {
			if len(done) > 0 {
				return nil, done, nil
			}
			switch {
			case ambiguous:
				return nil, nil, &ParseError{Kind: Ambiguous, Pos: tk.Start, Line: line}
			case i == 0:
				return nil, nil, &ParseError{Kind: Unrecognized, Pos: tk.Start, Line: line}
			default:
				return nil, nil, &ParseError{Kind: Invalid, Pos: tk.Start, Line: line}
			}
		}
		live = next
	}
	return live, done, nil
}

// Parse turns a command line typed in ctx.Mode into a Request. A blank line
// or a comment (first word starting with '!') yields (nil, nil). In a
// configuration sub-mode a line the sub-mode does not accept is tried in
// Global Configuration, as JunosE does.
func (t *Tree) Parse(ctx *Context, line string) (*Request, error) {
	toks := Tokenize(line)
	if len(toks) == 0 || (!toks[0].Quoted && strings.HasPrefix(toks[0].Text, "!")) {
		return nil, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	req, perr := t.parseIn(ctx, ctx.Mode, toks, line)
	if perr != nil && ctx.Mode.IsConfig() && ctx.Mode != Config {
		if r2, err2 := t.parseIn(ctx, Config, toks, line); err2 == nil {
			r2.fellBack = true
			return r2, nil
		}
	}
	if perr != nil {
		return nil, perr
	}
	return req, nil
}

func (t *Tree) parseIn(ctx *Context, mode Mode, toks []Token, line string) (*Request, *ParseError) {
	live, done, perr := t.walk(ctx, mode, toks, line)
	if perr != nil {
		return nil, perr
	}
	var best *state
	for _, set := range [][]state{live, done} {
		for i := range set {
			s := &set[i]
			if s.n.end == nil || !s.n.end.cmd.visibleTo(ctx) {
				continue
			}
			if best == nil || s.score > best.score {
				best = s
			}
		}
	}
	if best == nil {
		return nil, &ParseError{Kind: Incomplete, Pos: len(line), Line: line}
	}
	b := best.n.end
	req := &Request{Command: b.cmd, Form: b.form, Mode: b.mode, Line: line, args: map[string]any{}, words: map[string]bool{}}
	for l := best.args; l != nil; l = l.prev {
		if l.val == nil {
			req.words[l.name] = true
		} else if _, ok := req.args[l.name]; !ok {
			req.args[l.name] = l.val
		}
	}
	return req, nil
}

// Execute runs the handler of a parsed request. When the request fell
// through from a sub-mode to Global Configuration, the session first moves
// to Global Configuration.
func (t *Tree) Execute(ctx *Context, req *Request) error {
	if req.fellBack {
		ctx.EnterMode(Config, nil)
	}
	var h Handler
	switch req.Form {
	case No:
		h = req.Command.No
	case Default:
		h = req.Command.Default
		if h == nil {
			h = req.Command.No
		}
	default:
		h = req.Command.Run
	}
	if h == nil {
		return fmt.Errorf("command has no handler for this form")
	}
	return h(ctx, req)
}

type helpEntry struct {
	word, help string
	arg        bool
}

// Help returns the `?` listing for line (the text typed before the `?`).
// If line is empty or ends in a space, it lists the words that may come
// next, with "<cr>" when the command may end there; otherwise it lists the
// keywords completing the last, partial word.
func (t *Tree) Help(ctx *Context, line string) (string, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	toks := Tokenize(line)
	partial := len(line) > 0 && line[len(line)-1] != ' ' && line[len(line)-1] != '\t' && len(toks) > 0
	prefixToks := toks
	if partial {
		prefixToks = toks[:len(toks)-1]
	}
	live, done, perr := t.walkFallback(ctx, prefixToks, line)
	if perr != nil {
		return "", perr
	}
	if partial {
		last := toks[len(toks)-1]
		seen := map[string]bool{}
		var words []string
		for _, s := range live {
			for _, c := range t.kids(s.n) {
				if c.kw != "" && c.visible(ctx) && hasPrefixFold(c.kw, last.Text) && !seen[c.kw] {
					seen[c.kw] = true
					words = append(words, c.kw)
				}
			}
		}
		sortFold(words)
		if len(words) == 0 {
			// No keyword fits: show the arguments that may be typed here.
			for _, s := range live {
				for _, c := range t.kids(s.n) {
					if c.kw == "" && c.visible(ctx) && !seen[c.display] {
						seen[c.display] = true
						words = append(words, c.display)
					}
				}
			}
		}
		if len(words) == 0 && len(done) == 0 {
			kind := Invalid
			if len(toks) == 1 {
				kind = Unrecognized
			}
			return "", &ParseError{Kind: kind, Pos: last.Start, Line: line}
		}
		if len(words) == 0 {
			return "", nil
		}
		return strings.Join(words, "  ") + "\n", nil
	}
	var entries []helpEntry
	seen := map[string]bool{}
	cr := false
	add := func(e helpEntry) {
		if !seen[e.word+"\x00"+e.help] {
			seen[e.word+"\x00"+e.help] = true
			entries = append(entries, e)
		}
	}
	for _, s := range live {
		if s.n.end != nil && s.n.end.cmd.visibleTo(ctx) {
			cr = true
		}
		for _, c := range t.kids(s.n) {
			if !c.visible(ctx) {
				continue
			}
			add(helpEntry{word: c.display, help: t.helpFor(c), arg: c.kw == ""})
		}
	}
	for _, s := range done {
		add(helpEntry{word: s.n.display, help: t.helpFor(s.n), arg: true})
		if s.n.end != nil && s.n.end.cmd.visibleTo(ctx) {
			cr = true
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].arg != entries[j].arg {
			return !entries[i].arg
		}
		if entries[i].arg {
			return false
		}
		return strings.ToLower(entries[i].word) < strings.ToLower(entries[j].word)
	})
	if cr {
		entries = append(entries, helpEntry{word: "<cr>"})
	}
	if len(entries) == 0 {
		return "", &ParseError{Kind: Incomplete, Pos: len(line), Line: line}
	}
	width := 0
	for _, e := range entries {
		width = max(width, len(e.word))
	}
	var b strings.Builder
	for _, e := range entries {
		l := "  " + e.word
		if e.help != "" {
			l += strings.Repeat(" ", width-len(e.word)+2) + e.help
		}
		b.WriteString(l + "\n")
	}
	return b.String(), nil
}

// walkFallback walks in ctx.Mode, and in Global Configuration when a
// sub-mode does not accept the words.
func (t *Tree) walkFallback(ctx *Context, toks []Token, line string) ([]state, []state, *ParseError) {
	live, done, perr := t.walk(ctx, ctx.Mode, toks, line)
	if perr != nil && len(toks) > 0 && ctx.Mode.IsConfig() && ctx.Mode != Config {
		if l2, d2, err2 := t.walk(ctx, Config, toks, line); err2 == nil {
			return l2, d2, nil
		}
	}
	return live, done, perr
}

func (t *Tree) kids(n *node) []*node {
	if n.redirect != "" {
		if r, ok := t.roots[n.redirect]; ok {
			return r.children
		}
		return nil
	}
	return n.children
}

// Complete implements TAB completion of the last, partial word of line. It
// returns the completed line (unchanged when nothing or several keywords
// fit, except that it extends a common prefix) and the candidate keywords.
func (t *Tree) Complete(ctx *Context, line string) (string, []string) {
	toks := Tokenize(line)
	if len(toks) == 0 || line[len(line)-1] == ' ' || line[len(line)-1] == '\t' || toks[len(toks)-1].Quoted {
		return line, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	last := toks[len(toks)-1]
	live, _, perr := t.walkFallback(ctx, toks[:len(toks)-1], line)
	if perr != nil {
		return line, nil
	}
	seen := map[string]bool{}
	var words []string
	for _, s := range live {
		for _, c := range t.kids(s.n) {
			if c.kw != "" && c.visible(ctx) && hasPrefixFold(c.kw, last.Text) && !seen[c.kw] {
				seen[c.kw] = true
				words = append(words, c.kw)
			}
		}
	}
	sortFold(words)
	switch len(words) {
	case 0:
		return line, nil
	case 1:
		return line[:last.Start] + words[0] + " ", words
	}
	common := words[0]
	for _, w := range words[1:] {
		n := 0
		for n < len(common) && n < len(w) && strings.EqualFold(common[n:n+1], w[n:n+1]) {
			n++
		}
		common = common[:n]
	}
	if len(common) > len(last.Text) {
		return line[:last.Start] + common, words
	}
	return line, words
}

func sortFold(s []string) {
	sort.Slice(s, func(i, j int) bool { return strings.ToLower(s[i]) < strings.ToLower(s[j]) })
}
