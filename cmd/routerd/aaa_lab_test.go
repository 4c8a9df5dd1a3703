package main

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// TestLabOperatorLoginRADIUS: with `aaa authentication login VTY radius
// local` on the vty lines, operators log in over SSH (the real OpenSSH
// client) through the real FreeRADIUS: each gets the privilege level of
// its Access-Accept (ERX-Cli-Initial-Access-Level, or Service-Type
// Administrative = 10), a wrong password is refused, and a local user is
// refused too while the server answers (an Access-Reject does not fall
// back). With radiusd stopped the local user logs in with its local
// level, and a RADIUS-only user no longer can. show aaa statistics counts
// the logins.
func TestLabOperatorLoginRADIUS(t *testing.T) {
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Secret: radSecret, Users: `
rad15 Cleartext-Password := "rad-pw-15"
	ERX-Cli-Initial-Access-Level = "15"

rad5 Cleartext-Password := "rad-pw-5"
	ERX-Cli-Initial-Access-Level = "5"

radadmin Cleartext-Password := "rad-pw-a"
	Service-Type = Administrative-User,
	ERX-Cli-Initial-Access-Level = "15"
`})
	l := lab.New(t, lab.Config{})
	lab.UDPRelay(t, l.Client, netip.AddrPortFrom(netip.MustParseAddr(lab.ClientAddr), 1812), fr.AuthAddr)
	l.Start()
	l.MustSSH("configure terminal\n" +
		"username localop privilege 5 password 0 local-pw\n" +
		"radius authentication server " + lab.ClientAddr + "\n key " + radSecret + "\n timeout 1\n retransmit 1\n exit\n" +
		"aaa authentication login VTY radius local\n" +
		"line vty 0 29\n login authentication VTY\n")

	level := func(user, pw string) string {
		t.Helper()
		out, err := l.SSHUser(user, pw, "show privilege")
		if err != nil {
			t.Fatalf("login of %s: %v\n%s\nconsole:\n%s\nFreeRADIUS:\n%s", user, err, out, l.Console(), fr.Log())
		}
		return strings.TrimSpace(out)
	}
	refused := func(user, pw, why string) {
		t.Helper()
		if out, err := l.SSHUser(user, pw, "show privilege"); err == nil {
			t.Errorf("%s: %s logged in:\n%s", why, user, out)
		}
	}
	for _, tt := range []struct{ user, pw, want string }{
		{"rad15", "rad-pw-15", "Current privilege level is 15"},
		{"rad5", "rad-pw-5", "Current privilege level is 5"},
		{"radadmin", "rad-pw-a", "Current privilege level is 10"},
	} {
		if got := level(tt.user, tt.pw); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.user, got, tt.want)
		}
	}
	refused("rad15", "wrong", "wrong password")
	refused("localop", "local-pw", "local user while RADIUS answers (Access-Reject)")
	// A level-15 RADIUS user may configure.
	if out, err := l.SSHUser("rad15", "rad-pw-15", "configure terminal\nhostname radconf"); err != nil || strings.Contains(out, "%") {
		t.Errorf("configuration by rad15: %v\n%s", err, out)
	}

	fr.Stop()
	if got := level("localop", "local-pw"); got != "Current privilege level is 5" {
		t.Errorf("localop with radiusd stopped: %q", got)
	}
	refused("rad15", "rad-pw-15", "RADIUS-only user with radiusd stopped")

	out, err := l.SSHUser("localop", "local-pw", "show aaa statistics")
	if err != nil {
		t.Fatalf("show aaa statistics: %v\n%s", err, out)
	}
	// login: 9 Access-Requests attempted (this session's too), 4
	// accepted, 2 rejected, 3 with no answer (the local method then
	// decided).
	var row []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "login" {
			row = f
		}
	}
	if want := []string{"login", "9", "4", "2", "3", "3", "4", "0", "0"}; strings.Join(row, " ") != strings.Join(want, " ") {
		t.Errorf("login counters %q, want %q in:\n%s", row, want, out)
	}
}

// TestLabLocalPPPAuthentication: with `aaa authentication ppp default
// local` routerd authenticates PPPoE subscribers (the emulator, on a data
// port) against the selected subscriber database (`aaa local username`):
// PAP and CHAP with the right password log in and get an address from
// the pool, wrong passwords are refused, and so are users of a database
// that is not selected and operator accounts (`username`), whatever their
// password. The databases are in show configuration and survive a
// restart.
func TestLabLocalPPPAuthentication(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0"}})
	l.Start()
	l.MustSSH("configure terminal\n" +
		"username operator password 0 op-pw\n" +
		"username hashedop secret hashed-pw\n" +
		"aaa local database default\naaa local database west\n" +
		"aaa local username pppuser password ppp-pw\n" +
		"aaa local username westuser password west-pw database west\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n encapsulation pppoe\n ppp authentication chap pap\n exit\n" +
		"ip local pool SUBS 100.64.0.10 100.64.0.50\n" +
		"aaa authentication ppp default local\n")
	emu := neighbourEmulator(t, l.Neighbours[0])
	pap, chap := []ppp.AuthProtocol{ppp.AuthPAP}, []ppp.AuthProtocol{ppp.AuthCHAP}
	for i, tt := range []struct {
		name, user, pw string
		auth           []ppp.AuthProtocol
		ok             bool
	}{
		{"CHAP", "pppuser", "ppp-pw", chap, true},
		{"PAP", "pppuser", "ppp-pw", pap, true},
		{"CHAPWrong", "pppuser", "nope", chap, false},
		{"PAPWrong", "pppuser", "nope", pap, false},
		{"PAPOtherDatabase", "westuser", "west-pw", pap, false},
		{"PAPOperator", "operator", "op-pw", pap, false},
		{"CHAPOperator", "operator", "op-pw", chap, false},
		{"PAPOperatorSecret", "hashedop", "hashed-pw", pap, false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), loginLimit)
		s, err := emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 1, byte(i + 1)}, User: tt.user,
			Password: tt.pw, Accept: tt.auth, Retries: 5, RetryInterval: 2 * time.Second})
		cancel()
		var le *pppoetest.LoginError
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: login of %s: %v\nconsole:\n%s", tt.name, tt.user, err, l.Console())
		case tt.ok && !netip.MustParsePrefix("100.64.0.0/24").Contains(s.Address()):
			t.Errorf("%s: address %v not from the pool", tt.name, s.Address())
		case !tt.ok && (!errors.As(err, &le) || (le.Stage != pppoetest.StageAuth && le.Stage != pppoetest.StageLCP)):
			// (StageLCP: a check that outlasted a PAP retransmission; the
			// emulator ignores the stale NAK and sees the link end.)
			t.Errorf("%s: %s with %q: %v, want refused at authentication", tt.name, tt.user, tt.pw, err)
		}
	}
	out := l.MustSSH("show subscribers")
	if n := strings.Count(out, "pppuser"); n != 2 || strings.Contains(out, "operator") || strings.Contains(out, "westuser") {
		t.Errorf("show subscribers lists pppuser %d times (want 2, and nobody else):\n%s", n, out)
	}
	want := "aaa local database default\naaa local database west\n" +
		"aaa local username pppuser password ppp-pw\naaa local username westuser password west-pw database west\n"
	if cfg := l.MustSSH("show configuration"); !strings.Contains(cfg, want) {
		t.Errorf("show configuration lacks %q:\n%s", want, cfg)
	}
	// Selecting the other database: its user logs in; after a restart
	// (the configuration replayed from flash) the selection holds.
	l.MustSSH("configure terminal\naaa local select database west")
	l.Restart()
	if cfg := l.MustSSH("show configuration"); !strings.Contains(cfg, want+"aaa local select database west\n") {
		t.Errorf("show configuration after a restart lacks the databases and selection:\n%s", cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), loginLimit)
	defer cancel()
	if _, err := emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 2, 1}, User: "westuser",
		Password: "west-pw", Accept: pap, Retries: 5, RetryInterval: 2 * time.Second}); err != nil {
		t.Errorf("westuser after selecting its database and a restart: %v\nconsole:\n%s", err, l.Console())
	}
}
