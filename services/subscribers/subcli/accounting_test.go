package subcli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"layeh.com/radius/rfc2866"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/subscribers"
)

// TestAccountingOnOff: with `aaa accounting ppp default none` (and with
// no accounting method at all) a login and logout send no
// Accounting-Request although a server is configured;
// `aaa accounting ppp default radius` turns Start and Stop on for the
// next session, and `no aaa accounting ppp default` off again.
func TestAccountingOnOff(t *testing.T) {
	r, s, rad := newAcctRig(t, "aaa authentication ppp default radius")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// waitAcct waits until the fake server holds n records (more could
	// only come later: the check after a session without accounting
	// relies on the next step's records arriving in order).
	waitAcct := func(n int) {
		t.Helper()
		for len(rad.Accounting()) < n && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		if got := len(rad.Accounting()); got != n {
			t.Fatalf("%d accounting records, want %d", got, n)
		}
	}
	for i, step := range []struct {
		cmd  string
		recs int // accounting records expected after the step's session
	}{
		{"", 0}, // never configured
		{"aaa accounting ppp default none", 0},
		{"aaa accounting ppp default radius", 2},
		{"no aaa accounting ppp default", 2},
		{"aaa accounting ppp default radius", 4},
	} {
		if step.cmd != "" {
			if out := transcript(s, "configure terminal", step.cmd, "end"); strings.Contains(out, "%") {
				t.Fatalf("%s:\n%s", step.cmd, out)
			}
		}
		r.logout(ctx, t, r.login(ctx, t, byte(i+1)))
		waitAcct(step.recs)
	}
	recs := rad.Accounting()
	want := []rfc2866.AcctStatusType{rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_Stop,
		rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_Stop}
	for i, p := range recs {
		if got := rfc2866.AcctStatusType_Get(p); got != want[i] {
			t.Errorf("record %d: %v, want %v", i, got, want[i])
		}
	}
	if rfc2866.AcctSessionID_GetString(recs[0]) == rfc2866.AcctSessionID_GetString(recs[2]) {
		t.Error("two sessions with one Acct-Session-Id")
	}
}

// TestAccountingSwitchedMidSession: whether a session is accounted is
// decided when it comes up. One that logged in with accounting off gets
// neither Interim-Update nor Stop after `aaa accounting ppp default
// radius` (there was no Start); one that logged in with it on keeps its
// Interim-Updates and gets its Stop after `no aaa accounting ppp
// default`, so every Start has its Stop.
func TestAccountingSwitchedMidSession(t *testing.T) {
	r, s, rad := newAcctRig(t, "aaa accounting interval 10")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	config := func(cmd string) {
		t.Helper()
		if out := transcript(s, "configure terminal", cmd, "end"); strings.Contains(out, "%") {
			t.Fatalf("%s:\n%s", cmd, out)
		}
	}
	// up logs a subscriber in and waits until the router installed it.
	up := func(n byte) *pppoetest.PPPoESession {
		t.Helper()
		ses := r.login(ctx, t, n)
		for r.e.Table().Len() == 0 || r.e.Table().Find(subscribers.Query{})[0].State != subscribers.StateActive {
			if ctx.Err() != nil {
				t.Fatal("session not installed")
			}
			time.Sleep(10 * time.Millisecond)
		}
		return ses
	}
	down := func(ses *pppoetest.PPPoESession) {
		t.Helper()
		r.logout(ctx, t, ses)
		r.e.Sync()
	}
	// interim runs the interim check an hour on: every accounted
	// session is due.
	interim := func() { r.e.Interim(testClock.Add(time.Hour)) }

	// Logged in unaccounted, accounting turned on, logged out.
	ses := up(1)
	config("aaa accounting ppp default radius")
	interim()
	down(ses)
	// Logged in accounted, accounting turned off, logged out.
	ses = up(2)
	config("no aaa accounting ppp default")
	interim()
	down(ses)

	want := []rfc2866.AcctStatusType{rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_InterimUpdate,
		rfc2866.AcctStatusType_Value_Stop}
	for len(rad.Accounting()) < len(want) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// The records of one session leave in order on one worker; a record
	// for the first session would have come before the second's Start.
	recs := rad.Accounting()
	if len(recs) != len(want) {
		t.Fatalf("%d accounting records, want %d", len(recs), len(want))
	}
	id := rfc2866.AcctSessionID_GetString(recs[0])
	for i, p := range recs {
		if got := rfc2866.AcctStatusType_Get(p); got != want[i] {
			t.Errorf("record %d: %v, want %v", i, got, want[i])
		}
		if got := rfc2866.AcctSessionID_GetString(p); got != id {
			t.Errorf("record %d of session %s, want %s", i, got, id)
		}
	}
	// Answered records are counted after the reply.
	for r.e.AccountingStats().Stops == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if st := r.e.AccountingStats(); st.Starts != 1 || st.Interims != 1 || st.Stops != 1 {
		t.Errorf("accounting stats %+v", st)
	}
}

// newAcctRig is a rig whose PPPoE subscribers (alice@isp, password pw)
// authenticate and are accounted through a fake RADIUS server, with a
// pool and PPPoE on gigabitEthernet 1/0/0; extra are more configuration
// lines, before the pool. It returns the rig, an administrator's
// session and the server.
func newAcctRig(t *testing.T, extra ...string) (*rig, *cli.Session, *radiustest.FakeServer) {
	t.Helper()
	rad := radiustest.NewFakeServer(t, "k")
	rad.SetUser("alice@isp", radiustest.User{Password: "pw"})
	r := newRig(t)
	s := r.session()
	port := fmt.Sprint(rad.Addr.Port())
	lines := []string{"configure terminal",
		"radius authentication server 127.0.0.1", "key k", "udp-port " + port, "exit",
		"radius accounting server 127.0.0.1", "key k", "udp-port " + port, "exit"}
	lines = append(lines, extra...)
	lines = append(lines, "ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0", "encapsulation pppoe", "end")
	if out := transcript(s, lines...); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	return r, s, rad
}

// login logs alice@isp in from the emulator, MAC 02:5b:00:00:00:n.
func (r *rig) login(ctx context.Context, t *testing.T, n byte) *pppoetest.PPPoESession {
	t.Helper()
	ses, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, n}, User: "alice@isp",
		Password: "pw", RetryInterval: 200 * time.Millisecond})
	must(t, err)
	return ses
}

// logout closes ses and waits until the router has ended its side too
// (a restart timer after acknowledging the Terminate-Request).
func (r *rig) logout(ctx context.Context, t *testing.T, ses *pppoetest.PPPoESession) {
	t.Helper()
	must(t, ses.Close())
	for r.e.Table().Len() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if r.e.Table().Len() > 0 {
		t.Fatal("session still in the table")
	}
}
