package radiustest

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
)

// RadclientResult is what radclient reported for one request.
type RadclientResult struct {
	// Code is the reply's packet type as radclient names it
	// ("CoA-ACK", "Disconnect-NAK", "Access-Accept", …), or "" when no
	// reply came.
	Code string
	// Attrs are the reply's attributes by name, values unquoted.
	Attrs map[string][]string
	// Output is everything radclient printed.
	Output string
}

// Get returns the first value of reply attribute name, or "".
func (r RadclientResult) Get(name string) string {
	if v := r.Attrs[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var receivedRE = regexp.MustCompile(`(?m)^Received (\S+) Id \d+ from`)

// Radclient sends one request with radclient -x to addr and parses the
// reply. command is radclient's packet type: "auth", "acct", "coa",
// "disconnect" or "status". attrs are FreeRADIUS attribute lines
// ("Name = value"), one per element. It retries once with a 3 s timeout.
// A missing binary is an error (tests fail, not skip).
func Radclient(ctx context.Context, addr netip.AddrPort, command, secret string, attrs ...string) (RadclientResult, error) {
	bin, err := exec.LookPath("radclient")
	if err != nil {
		return RadclientResult{}, fmt.Errorf("radiustest: radclient is missing (apt-get install freeradius-utils): %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-x", "-r", "2", "-t", "3", addr.String(), command, secret)
	cmd.Stdin = strings.NewReader(strings.Join(attrs, "\n") + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	res, ok := ParseRadclientOutput(out.String())
	if !ok {
		if runErr == nil {
			runErr = fmt.Errorf("no reply")
		}
		return res, fmt.Errorf("radiustest: radclient %s %v: %w\n%s", command, addr, runErr, res.Output)
	}
	// radclient exits non-zero for NAKs and rejects; the reply is what
	// callers check.
	return res, nil
}

// ParseRadclientOutput extracts the first reply from what `radclient -x`
// printed; ok is false when it shows none.
func ParseRadclientOutput(out string) (res RadclientResult, ok bool) {
	res = RadclientResult{Output: out, Attrs: map[string][]string{}}
	m := receivedRE.FindStringSubmatchIndex(out)
	if m == nil {
		return res, false
	}
	res.Code = out[m[2]:m[3]]
	for _, line := range strings.Split(out[m[1]:], "\n")[1:] {
		if !strings.HasPrefix(line, "\t") {
			break
		}
		name, value, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if ok {
			res.Attrs[name] = append(res.Attrs[name], unquote(value))
		}
	}
	return res, true
}
