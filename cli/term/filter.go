package term

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Filter is a parsed output filter: the part of a show command after '|'.
type Filter struct {
	kind string // include, exclude, begin, count
	re   *regexp.Regexp
}

var filterKinds = []string{"begin", "count", "exclude", "include"}

// FilterHelp lists the filters for `| ?`.
const FilterHelp = "" +
	"  begin    Begin with the line that matches\n" +
	"  count    Count the lines of output\n" +
	"  exclude  Exclude lines that match\n" +
	"  include  Include lines that match\n"

// ParseFilter parses "include RE", "exclude RE", "begin RE" or "count";
// the keyword may be abbreviated to a unique prefix.
func ParseFilter(spec string) (*Filter, error) {
	spec = strings.TrimSpace(spec)
	word, rest, _ := strings.Cut(spec, " ")
	rest = strings.TrimSpace(rest)
	if word == "" {
		return nil, errors.New("% Incomplete command.")
	}
	var kind string
	for _, k := range filterKinds {
		if strings.HasPrefix(k, strings.ToLower(word)) {
			if kind != "" {
				return nil, errors.New("% Ambiguous command")
			}
			kind = k
		}
	}
	switch {
	case kind == "":
		return nil, errors.New("% Invalid input detected at '^' marker.")
	case kind == "count":
		if rest != "" {
			return nil, errors.New("% Invalid input detected at '^' marker.")
		}
		return &Filter{kind: kind}, nil
	case rest == "":
		return nil, errors.New("% Incomplete command.")
	}
	re, err := regexp.Compile(rest)
	if err != nil {
		return nil, fmt.Errorf("%% Invalid regular expression: %v", err)
	}
	return &Filter{kind: kind, re: re}, nil
}

// Apply filters text line by line.
func (f *Filter) Apply(text string) string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var b strings.Builder
	n := 0
	begun := false
	for _, l := range lines {
		bare := strings.TrimRight(l, "\r\n")
		switch f.kind {
		case "include":
			if f.re.MatchString(bare) {
				b.WriteString(l)
			}
		case "exclude":
			if !f.re.MatchString(bare) {
				b.WriteString(l)
			}
		case "begin":
			if begun || f.re.MatchString(bare) {
				begun = true
				b.WriteString(l)
			}
		case "count":
			n++
		}
	}
	if f.kind == "count" {
		return fmt.Sprintf("Count: %d lines\n", n)
	}
	return b.String()
}
