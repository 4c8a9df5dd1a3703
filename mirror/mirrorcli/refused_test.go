package mirrorcli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/mirror"
)

// TestRefusalsCannotEvictLog: any user can type mirroring commands it may
// not use as often as it likes; the refusals are collapsed (same user,
// same line: one entry with a count) and kept apart, so thousands of them
// never push the audit trail out of the secure log.
func TestRefusalsCannotEvictLog(t *testing.T) {
	_, e := setup(t)
	in := newInterp(t, e)
	li := in.NewSession(cli.SessionOptions{User: "li-operator", Privilege: 15})
	mustExec(t, li, "mirror-enable\nconfigure terminal\nsecure ip policy-list LI-AUDIT\nend")
	low := in.NewSession(cli.SessionOptions{User: "low", Privilege: 1})
	for i := range 100 {
		exec(t, low, fmt.Sprintf("show secure policy-list P%d", i))
	}
	for range 2 * mirror.DefaultLogSize {
		exec(t, low, "mirror-enable")
	}

	var refused []mirror.Entry
	audit := false
	for _, en := range e.Log() {
		switch {
		case en.Event == mirror.EventCommandRefused:
			refused = append(refused, en)
		case en.Policy == "LI-AUDIT" && en.Source.Who == "li-operator":
			audit = true
		}
	}
	if !audit {
		t.Errorf("the operator's configuration entry was evicted by refusals")
	}
	if len(refused) == 0 || len(refused) > 32 {
		t.Errorf("%d refusal entries kept, want 1..32", len(refused))
	}
	last := refused[len(refused)-1]
	if last.Source.Who != "low" || !strings.HasSuffix(last.Cause, ": mirror-enable") || last.Count != 2*mirror.DefaultLogSize {
		t.Errorf("newest refusal = %+v, want low's mirror-enable counted %d times", last, 2*mirror.DefaultLogSize)
	}
	out := mustExec(t, li, "show mirror log")
	if want := fmt.Sprintf(": mirror-enable  (%d times since ", 2*mirror.DefaultLogSize); !strings.Contains(out, want) {
		t.Errorf("show mirror log lacks %q:\n%s", want, out)
	}
	if !strings.Contains(out, "policy LI-AUDIT") {
		t.Errorf("show mirror log lost the configuration entry:\n%s", out)
	}
}

// TestRefusedKeepsSession: probing a refused line leaves the session as
// it was: its level, no mirror access, and mirror-enable still refused
// (the probe's rights do not stick).
func TestRefusedKeepsSession(t *testing.T) {
	_, e := setup(t)
	in := newInterp(t, e)
	for _, tc := range []struct {
		name  string
		level int
		line  string
	}{
		{"mirror-enable above the level", 5, "mirror-enable"},
		{"show without access", 15, "show mirror log"},
		{"config without access", 15, "configure terminal\nsecure ip policy-list X"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := in.NewSession(cli.SessionOptions{User: "u", Privilege: tc.level})
			if _, err := exec(t, s, tc.line); err == nil {
				t.Fatalf("%q accepted", tc.line)
			}
			ctx := s.Context()
			if ctx.Level != tc.level || Visible(ctx) || ctx.Value(probeKey{}) != nil {
				t.Errorf("after the refusal: level %d (want %d), mirror access %v, probe %v",
					ctx.Level, tc.level, Visible(ctx), ctx.Value(probeKey{}))
			}
			exec(t, s, "end")
			if _, err := exec(t, s, "show mirror log"); err == nil {
				t.Errorf("show mirror log accepted after the refusal")
			}
		})
	}
}
