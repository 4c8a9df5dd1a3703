package subcli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// statsRow returns the fields of the `show radius statistics` row of
// server addr (ADDR:PORT) and kind, or nil.
func statsRow(out, addr, kind string) []string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 11 && f[0] == addr && f[1] == kind {
			return f
		}
	}
	return nil
}

// TestRADIUSFailoverFromCLI configures two authentication and two
// accounting servers from the CLI, the first of each silent (nothing
// listens on 127.0.0.2) and the second the real FreeRADIUS: a PPPoE
// login is authenticated and accounted by the second server after the
// first timed out, `show radius statistics` shows the timeouts of the
// first and the answers of the second, and the running configuration
// keeps the servers in the order configured (replayed into a fresh
// router, it reads back the same).
func TestRADIUSFailoverFromCLI(t *testing.T) {
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Users: `
alice Cleartext-Password := "pw"
`})
	r := newRig(t)
	s := r.session()
	authPort, acctPort := fmt.Sprint(fr.AuthAddr.Port()), fmt.Sprint(fr.AcctAddr.Port())
	cfgLines := []string{"configure terminal",
		"radius authentication server 127.0.0.2", "key " + fr.Secret, "udp-port " + authPort, "timeout 1", "retransmit 0", "exit",
		"radius authentication server 127.0.0.1", "key " + fr.Secret, "udp-port " + authPort, "exit",
		"radius accounting server 127.0.0.2", "key " + fr.Secret, "udp-port " + acctPort, "timeout 1", "retransmit 0", "exit",
		"radius accounting server 127.0.0.1", "key " + fr.Secret, "udp-port " + acctPort, "exit",
		"aaa authentication ppp default radius",
		"aaa accounting ppp default radius",
		"ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0", "encapsulation pppoe", "ppp authentication chap", "end"}
	if out := transcript(s, cfgLines...); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ses, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, 1}, User: "alice", Password: "pw",
		Accept: []ppp.AuthProtocol{ppp.AuthCHAP}, Retries: 3, RetryInterval: 3 * time.Second})
	must(t, err)
	if ses.Address().String() != "100.64.0.1" {
		t.Fatalf("address %v", ses.Address())
	}
	start, err := fr.WaitAccounting(ctx, func(rec radiustest.DetailRecord) bool {
		return rec.Get("Acct-Status-Type") == "Start" && rec.Get("User-Name") == "alice"
	})
	must(t, err)
	// The record waited for the silent server first.
	if start.Get("Framed-IP-Address") != "100.64.0.1" {
		t.Fatalf("Start: %v", start.Attrs)
	}
	var out string
	for {
		out = transcript(s, "show radius statistics")
		live := statsRow(out, "127.0.0.1:"+acctPort, kindAcct)
		if live != nil && live[8] != "0" || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		addr, kind string
		check      func(f []string) bool
	}{
		// Fields: server type state requests retransmits timeouts accepts rejects acct-responses bad pending.
		{"127.0.0.2:" + authPort, kindAuth, func(f []string) bool { return f[5] != "0" && f[6] == "0" }},
		{"127.0.0.1:" + authPort, kindAuth, func(f []string) bool { return f[6] == "1" && f[5] == "0" }},
		{"127.0.0.2:" + acctPort, kindAcct, func(f []string) bool { return f[5] != "0" && f[8] == "0" }},
		{"127.0.0.1:" + acctPort, kindAcct, func(f []string) bool { return f[8] == "1" && f[5] == "0" }},
	} {
		if f := statsRow(out, tc.addr, tc.kind); f == nil || !tc.check(f) {
			t.Errorf("%s %s: %q in\n%s", tc.addr, tc.kind, f, out)
		}
	}
	cfg, err := r.in.RunningConfig()
	must(t, err)
	a2, a1 := bytes.Index(cfg, []byte("radius authentication server 127.0.0.2")), bytes.Index(cfg, []byte("radius authentication server 127.0.0.1"))
	c2, c1 := bytes.Index(cfg, []byte("radius accounting server 127.0.0.2")), bytes.Index(cfg, []byte("radius accounting server 127.0.0.1"))
	if a2 < 0 || a1 < a2 || c2 < 0 || c1 < c2 {
		t.Fatalf("server order lost:\n%s", cfg)
	}
	r2 := newRig(t)
	must(t, r2.in.Replay(bytes.NewReader(cfg), func(n int, line string, err error) { t.Errorf("line %d %q: %v", n, line, err) }))
	cfg2, err := r2.in.RunningConfig()
	must(t, err)
	if !bytes.Equal(cfg, cfg2) {
		t.Fatalf("replayed:\n%s\noriginal:\n%s", cfg2, cfg)
	}
	must(t, ses.Close())
	if _, err := fr.WaitAccounting(ctx, func(rec radiustest.DetailRecord) bool {
		return rec.Get("Acct-Status-Type") == "Stop" && rec.Get("User-Name") == "alice"
	}); err != nil {
		t.Fatal(err)
	}
}
