package radiustest

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
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

// RadclientLoad is the outcome of one RadclientRate run.
type RadclientLoad struct {
	Requests int           // requests in the file
	Accepted int           // replies radclient counted as accepted
	Elapsed  time.Duration // wall time of the radclient process
	Output   string        // radclient's summary
}

// Rate is the accepted requests per second.
func (l RadclientLoad) Rate() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.Accepted) / l.Elapsed.Seconds()
}

var summaryRE = regexp.MustCompile(`(?m)^\s*(Accepted|Rejected|Lost)\s*:\s*(\d+)`)

// RadclientRate sends requests (each one request's attribute lines,
// "Name = value" joined by newlines) to addr as fast as radclient goes
// with parallel requests outstanding (radclient -p), and reports how many
// were accepted in what time: FreeRADIUS's own ceiling for a load test.
// dir receives the request file. A missing binary is an error.
func RadclientRate(ctx context.Context, dir string, addr netip.AddrPort, command, secret string, requests []string, parallel int) (RadclientLoad, error) {
	bin, err := exec.LookPath("radclient")
	if err != nil {
		return RadclientLoad{}, fmt.Errorf("radiustest: radclient is missing (apt-get install freeradius-utils): %w", err)
	}
	file := filepath.Join(dir, "radclient-requests")
	if err := os.WriteFile(file, []byte(strings.Join(requests, "\n\n")+"\n"), 0o644); err != nil {
		return RadclientLoad{}, fmt.Errorf("radiustest: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-s", "-q", "-r", "5", "-t", "1", "-p", strconv.Itoa(parallel),
		"-f", file, addr.String(), command, secret)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	runErr := cmd.Run()
	l := RadclientLoad{Requests: len(requests), Elapsed: time.Since(start), Output: out.String()}
	found := false
	for _, m := range summaryRE.FindAllStringSubmatch(l.Output, -1) {
		if m[1] == "Accepted" {
			l.Accepted, _ = strconv.Atoi(m[2])
			found = true
		}
	}
	if !found {
		return l, fmt.Errorf("radiustest: radclient load to %v: %v: no summary\n%s", addr, runErr, l.Output)
	}
	return l, nil
}
