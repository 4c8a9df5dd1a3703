package mirrorcli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/cli"
)

type system struct{}

func (system) Identity() cli.Identity { return cli.Identity{Product: "erx"} }
func (system) Slots() []cli.Slot      { return nil }
func (system) BootTime() time.Time    { return time.Unix(0, 0) }
func (system) Reload() error          { return nil }

type committer struct {
	mu   sync.Mutex
	last []byte
}

func (c *committer) Commit(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = append([]byte(nil), b...)
	return nil
}

// TestWithInterpreter runs the commands through the real CLI interpreter:
// the secure configuration works, never reaches the running configuration
// or the committed file, and other sessions cannot see it.
func TestWithInterpreter(t *testing.T) {
	_, e := setup(t) // engine only; a fresh interpreter below
	com := &committer{}
	in := newInterpOptions(t, e, cli.Options{System: system{}, Committer: com})
	s := in.NewSession(cli.SessionOptions{User: "li-operator", Privilege: 15})
	var out bytes.Buffer
	script := strings.Join([]string{
		"mirror-enable",
		"configure terminal",
		"hostname lab1",
		"interface gigabitEthernet 2/0/2",
		"ip analyzer",
		"exit",
		"secure ip policy-list LI-1",
		"mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16",
		"exit",
		"interface gigabitEthernet 2/0/0.100",
		"ip policy secure-input LI-1",
		"exit",
		"mirror username sub1@erx.test ip secure-policy-list LI-1",
		"end",
		"show secure policy-list",
	}, "\n")
	if err := s.Exec(script, &out); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Secure policy list LI-1") || !strings.Contains(out.String(), "gigabitEthernet 2/0/0.100 secure-input") {
		t.Errorf("show output:\n%s", out.String())
	}
	if len(e.Triggers()) != 1 || !e.IsAnalyzer("gigabitEthernet 2/0/2") {
		t.Error("configuration not applied")
	}
	rc, err := in.RunningConfig()
	if err != nil {
		t.Fatal(err)
	}
	com.mu.Lock()
	committed := string(com.last)
	com.mu.Unlock()
	if !strings.Contains(committed, "hostname lab1") {
		t.Errorf("ordinary configuration not committed:\n%s", committed)
	}
	for _, text := range []string{string(rc), committed} {
		for _, w := range secretWords {
			if strings.Contains(text, w) {
				t.Errorf("%q in the ordinary configuration:\n%s", w, text)
			}
		}
	}
	// Another session, even at privilege 15, sees nothing.
	other := in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
	out.Reset()
	if err := other.Exec("show secure policy-list", &out); err == nil {
		t.Errorf("other session ran show secure policy-list:\n%s", out.String())
	}
	if strings.Contains(out.String(), "LI-1") {
		t.Errorf("other session output:\n%s", out.String())
	}
	out.Reset()
	if err := other.Exec("show configuration", &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range secretWords {
		if strings.Contains(out.String(), w) {
			t.Errorf("%q in show configuration of another session:\n%s", w, out.String())
		}
	}
}
