package radiustest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DetailRecord is one record of a FreeRADIUS `detail` file: the date line
// that opens it and its attributes by name. Values are unquoted.
type DetailRecord struct {
	Header string
	Attrs  map[string][]string
}

// Get returns the first value of attribute name, or "".
func (r DetailRecord) Get(name string) string {
	if v := r.Attrs[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// ParseDetail reads the records of a detail file: each starts with a date
// line in column 0 and continues with tab-indented `Name = Value` lines;
// blank lines separate records.
func ParseDetail(r io.Reader) ([]DetailRecord, error) {
	var out []DetailRecord
	var cur *DetailRecord
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case strings.TrimSpace(text) == "":
			cur = nil
		case text[0] != ' ' && text[0] != '\t':
			out = append(out, DetailRecord{Header: text, Attrs: map[string][]string{}})
			cur = &out[len(out)-1]
		default:
			if cur == nil {
				return out, fmt.Errorf("line %d: attribute outside a record", line)
			}
			name, value, ok := strings.Cut(strings.TrimSpace(text), " = ")
			if !ok {
				return out, fmt.Errorf("line %d: no ` = ` in %q", line, text)
			}
			cur.Attrs[name] = append(cur.Attrs[name], unquote(value))
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// unquote removes FreeRADIUS string quoting, leaving other values as they
// are.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
		return v[1 : len(v)-1]
	}
	return v
}
