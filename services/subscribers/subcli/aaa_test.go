package subcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// TestShowAAAStatistics: PPP logins accepted and rejected by RADIUS, and
// operator logins through the same servers (accepted, rejected, and one
// with no server answering), are counted per kind in show aaa statistics.
func TestShowAAAStatistics(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "k")
	rad.SetUser("alice@isp", radiustest.User{Password: "pw"})
	rad.SetUser("oper", radiustest.User{Password: "op"})
	r := newRig(t)
	s := r.session()
	out := transcript(s, "configure terminal",
		"radius authentication server 127.0.0.1", "key k", "udp-port "+fmt.Sprint(rad.Addr.Port()), "timeout 1", "retransmit 1", "exit",
		"aaa authentication ppp default radius",
		"ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0", "encapsulation pppoe", "ppp authentication pap", "end")
	if strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pap := []ppp.AuthProtocol{ppp.AuthPAP}
	if _, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, 1}, User: "alice@isp",
		Password: "pw", Accept: pap, RetryInterval: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, 2}, User: "alice@isp",
		Password: "wrong", Accept: pap, Retries: 1, RetryInterval: 2 * time.Second})
	var le *pppoetest.LoginError
	if !errors.As(err, &le) || le.Stage != pppoetest.StageAuth {
		t.Fatalf("wrong password: %v", err)
	}
	for _, pw := range []string{"op", "bad"} {
		if _, err := r.e.AuthenticateLogin(ctx, radius.AccessRequest{UserName: "oper", Password: pw}); err != nil {
			t.Fatal(err)
		}
	}
	rad.DropAll(true)
	if _, err := r.e.AuthenticateLogin(ctx, radius.AccessRequest{UserName: "oper", Password: "op"}); !errors.Is(err, radius.ErrNoServer) {
		t.Fatalf("silent server: %v", err)
	}
	got := transcript(s, "show aaa statistics")
	want := `host1#show aaa statistics
Authentication statistics:
Type  Requests Accepts Rejects No Method RADIUS Timeouts By RADIUS By Local By None
----- -------- ------- ------- --------- --------------- --------- -------- -------
ppp   2        1       1       0         0               1         0        0
ip    0        0       0       0         0               0         0        0
login 3        1       1       1         1               1         0        0
Accounting statistics:
Starts Interims Stops Failed Dropped
------ -------- ----- ------ -------
0      0        0     0      0
host1#`
	if got = trimLines(got); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestShowDynamicRequestStatistics: CoA-Requests the dynamic-request
// server drops (a stale Event-Timestamp sent by the real radclient, a
// malformed datagram, an unknown client's key) are counted by reason and
// visible; a good request is still answered afterwards.
func TestShowDynamicRequestStatistics(t *testing.T) {
	r := newRig(t)
	s := r.session()
	if out := transcript(s, "show radius dynamic-request statistics"); !strings.Contains(out, "No RADIUS dynamic-request server configured") {
		t.Fatalf("without a server:\n%s", out)
	}
	port := radiustest.FreeUDPPort(t)
	out := transcript(s, "configure terminal", "radius dynamic-request server 127.0.0.1", "key coa",
		"udp-port "+fmt.Sprint(port), "end")
	if strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stale := fmt.Sprintf("Event-Timestamp = %d", time.Now().Add(-time.Hour).Unix())
	if res, err := radiustest.Radclient(ctx, addr, "coa", "coa", `Acct-Session-Id = "0000000001"`, stale); err == nil {
		t.Fatalf("stale CoA answered: %+v", res)
	}
	if res, err := radiustest.Radclient(ctx, addr, "coa", "wrong-key", `Acct-Session-Id = "0000000001"`); err == nil {
		t.Fatalf("CoA with a wrong key answered: %+v", res)
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{43, 1, 0, 30, 0xde, 0xad})
	c.Close()
	// The server still answers a good request: NAK, no such session.
	res, err := radiustest.Radclient(ctx, addr, "coa", "coa", `Acct-Session-Id = "0000000001"`,
		fmt.Sprintf("Event-Timestamp = %d", time.Now().Unix()))
	if err != nil || res.Code != "CoA-NAK" {
		t.Fatalf("good CoA: %+v, %v", res, err)
	}
	got := transcript(s, "show radius dynamic-request statistics")
	// radclient retransmits what is not answered: dropped requests count
	// once per copy.
	for _, want := range []struct {
		line string
		min  int
	}{
		{"CoA requests", 1}, {"CoA NAKs", 1}, {"Dropped, bad authenticator", 1},
		{"Dropped, malformed", 1}, {"Dropped, stale Event-Timestamp", 1}, {"CoA ACKs", 0},
	} {
		n := -1
		for _, l := range strings.Split(got, "\n") {
			if name, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(name) == want.line {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if n < want.min || (want.min <= 1 && want.line[:3] == "CoA" && n != want.min) {
			t.Errorf("%s = %d, want %d in:\n%s", want.line, n, want.min, got)
		}
	}
}

// trimLines removes the trailing blanks of every line (the table
// renderer pads the last column).
func trimLines(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(ls, "\n")
}

// TestShowPPPoEInterface: the discovery counters of each PPPoE access
// interface, rate-limit drops among them, are listed per interface.
func TestShowPPPoEInterface(t *testing.T) {
	r := newRig(t)
	s := r.session()
	if out := transcript(s, "show pppoe interface"); !strings.Contains(out, "No PPPoE interfaces found") {
		t.Fatalf("without PPPoE:\n%s", out)
	}
	transcript(s, "configure terminal", "interface gigabitEthernet 1/0/0", "encapsulation pppoe", "end")
	got := trimLines(transcript(s, "show pppoe interface gigabitEthernet 1/0/0"))
	want := `host1#show pppoe interface gigabitEthernet 1/0/0
PPPoE interface GigabitEthernet1/0/0
  PADI received            : 0
  PADO sent                : 0
  PADR received            : 0
  PADS sent                : 0
  PADT received            : 0
  PADT sent                : 0
  PADI dropped, rate limit : 0
  PADR dropped, bad cookie : 0
  Rejected, session limit  : 0
  Rejected, service name   : 0
  Malformed packets        : 0
  Unknown session packets  : 0
  Send errors              : 0
host1#`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if out := transcript(s, "show pppoe interface gigabitEthernet 1/0/0.100"); !strings.Contains(out, "No PPPoE interfaces found") {
		t.Errorf("other interface:\n%s", out)
	}
}
