package command

import (
	"fmt"
	"strings"
)

// tok is one compiled element of a command's syntax.
type tok struct {
	kw      string  // keyword, or "" for an argument
	arg     string  // argument name
	typ     ArgType // argument type
	ifArg   string  // for interface type keywords: the argument name they start
	ifType  string  // for interface locations: the type keyword before it
	help    string
	display string
}

func (t tok) key() string {
	if t.kw != "" {
		return "k:" + t.kw + "\x00" + t.ifArg
	}
	return "a:" + t.arg + "\x00" + t.ifType + "\x00" + fmt.Sprintf("%T%v", t.typ, t.typ)
}

// maxExpansions bounds how many token sequences one syntax string may
// expand to, so a careless syntax cannot blow up the tree.
const maxExpansions = 4096

// compileSyntax expands a syntax string into every token sequence it
// accepts.
func compileSyntax(s string) ([][]tok, error) {
	p := &syntaxParser{toks: lexSyntax(s)}
	seqs, err := p.seq()
	if err != nil {
		return nil, fmt.Errorf("syntax %q: %w", s, err)
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("syntax %q: unexpected %q", s, p.toks[p.pos])
	}
	return seqs, nil
}

func lexSyntax(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '[' || c == ']' || c == '{' || c == '}' || c == '|':
			out = append(out, string(c))
			i++
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				out = append(out, s[i:])
				return out
			}
			out = append(out, s[i:i+j+1])
			i += j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t[]{}|<", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

type syntaxParser struct {
	toks []string
	pos  int
}

func (p *syntaxParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

// seq parses items until a closing bracket or '|' and returns the
// cartesian product of their expansions.
func (p *syntaxParser) seq() ([][]tok, error) {
	out := [][]tok{nil}
	for {
		switch p.peek() {
		case "", "]", "}", "|":
			return out, nil
		}
		alts, err := p.item()
		if err != nil {
			return nil, err
		}
		if len(out)*len(alts) > maxExpansions {
			return nil, fmt.Errorf("too many expansions")
		}
		var next [][]tok
		for _, a := range out {
			for _, b := range alts {
				s := make([]tok, 0, len(a)+len(b))
				next = append(next, append(append(s, a...), b...))
			}
		}
		out = next
	}
}

func (p *syntaxParser) item() ([][]tok, error) {
	t := p.peek()
	p.pos++
	switch {
	case t == "[":
		inner, err := p.seq()
		if err != nil {
			return nil, err
		}
		if p.peek() != "]" {
			return nil, fmt.Errorf("missing ]")
		}
		p.pos++
		return append([][]tok{nil}, inner...), nil
	case t == "{":
		var all [][]tok
		for {
			inner, err := p.seq()
			if err != nil {
				return nil, err
			}
			all = append(all, inner...)
			switch p.peek() {
			case "|":
				p.pos++
				continue
			case "}":
				p.pos++
				return all, nil
			default:
				return nil, fmt.Errorf("missing }")
			}
		}
	case strings.HasPrefix(t, "<"):
		if !strings.HasSuffix(t, ">") {
			return nil, fmt.Errorf("unterminated %q", t)
		}
		name, typ, ok := strings.Cut(t[1:len(t)-1], ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("argument %q needs <name:type>", t)
		}
		if typ == "interface" {
			return interfaceToks(name), nil
		}
		at, err := lookupType(typ)
		if err != nil {
			return nil, err
		}
		return [][]tok{{{arg: name, typ: at, display: at.Syntax()}}}, nil
	case t == "]" || t == "}" || t == "|" || t == "":
		return nil, fmt.Errorf("unexpected %q", t)
	default:
		return [][]tok{{{kw: t, display: t}}}, nil
	}
}

// interfaceToks expands an interface argument into one alternative per
// interface type: the type keyword followed by its location.
func interfaceToks(name string) [][]tok {
	var out [][]tok
	for _, it := range InterfaceTypes {
		var loc ArgType = locationType{}
		if it.Numbered {
			loc = numberType{}
		}
		out = append(out, []tok{
			{kw: it.Name, ifArg: name, help: it.Help, display: it.Name},
			{arg: name, typ: loc, ifType: it.Name, display: loc.Syntax()},
		})
	}
	return out
}
