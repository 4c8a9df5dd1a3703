package subscribers

import (
	"crypto/md5"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"layeh.com/radius"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// TestRADIUSNeverAnswers: once the RADIUS server stops answering, a new
// PPP login with `aaa authentication ppp default radius` fails at the
// authentication stage after the configured retransmissions (counted as
// a RADIUS timeout and as "no method" in show aaa statistics, and as a
// timeout of the server in show radius statistics); with `radius none`
// the next method admits it; a subscriber logged in before keeps
// forwarding throughout.
func TestRADIUSNeverAnswers(t *testing.T) {
	r := newRig(t)
	r.rad.SetUser("alice@isp", radiustest.User{Password: "secret"})
	alice, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "alice@isp", Password: "secret",
		Accept: []ppp.AuthProtocol{ppp.AuthPAP}, RetryInterval: 200 * time.Millisecond})
	must(t, err)
	r.next(EventLogin)
	r.next(EventAddressAssigned)

	r.rad.DropAll(true)
	// 200 ms × (1 + 1 retransmission) per attempt.
	must(t, r.e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: r.rad.Addr, Secret: "s3cret",
		Timeout: 200 * time.Millisecond, Retransmit: 1}}}, erxradius.Config{}))
	_, err = r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS2, User: "bob@isp", Password: "x",
		Accept: []ppp.AuthProtocol{ppp.AuthPAP}, Retries: 1, RetryInterval: 5 * time.Second})
	var le *pppoetest.LoginError
	if !errors.As(err, &le) || le.Stage != pppoetest.StageAuth {
		t.Fatalf("login with a silent server: %v, want refused at authentication", err)
	}
	// alice still forwards.
	for i := range 3 {
		must(t, alice.Ping(ctx(t), netip.MustParseAddr("10.0.2.1"), uint16(i)))
	}
	st := r.e.AAAStats()[AuthPPP]
	if st.Unavailable < 1 || st.RADIUSTimeouts < 1 || st.Accepts != 1 {
		t.Errorf("ppp stats %+v, want a timeout and no method", st)
	}
	if auth, _ := r.e.RADIUSStats(); len(auth) != 1 || auth[0].Timeouts < 1 {
		t.Errorf("server stats %+v, want a timeout", auth)
	}

	// With radius none, the next method admits the subscriber.
	r.e.SetAuthentication(TypePPPoE, []Method{MethodRADIUS, MethodNone})
	carol, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: pppoetest.MACAdd(macS2, 1), User: "carol@isp", Password: "x",
		Accept: []ppp.AuthProtocol{ppp.AuthPAP}, Retries: 1, RetryInterval: 5 * time.Second})
	must(t, err)
	if !carol.Address().IsValid() {
		t.Fatal("carol has no address")
	}
	if n := r.e.AAAStats()[AuthPPP].ByMethod[MethodNone]; n != 1 {
		t.Errorf("%d accepts by none, want 1", n)
	}
	must(t, alice.Ping(ctx(t), netip.MustParseAddr("10.0.2.1"), 9))
}

// TestRADIUSBadReplies: a server (or an attacker) that answers with
// malformed packets and replies with wrong authenticators does not
// authenticate anyone: the replies are counted per server (show radius
// statistics "Bad Replies") and the login ends as if the server were
// silent.
func TestRADIUSBadReplies(t *testing.T) {
	r := newRig(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	var answered atomic.Int64
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req := buf[:n]
			if n < 20 {
				continue
			}
			answered.Add(1)
			// A truncated packet, then an Access-Accept signed with the
			// wrong secret.
			conn.WriteToUDP([]byte{2, req[1], 0, 20, 1, 2, 3}, from)
			p := radius.New(radius.CodeAccessAccept, []byte("not-the-secret"))
			p.Identifier = req[1]
			copy(p.Authenticator[:], req[4:20])
			b, err := p.Encode()
			if err != nil {
				continue
			}
			h := md5.New()
			h.Write(b[:4])
			h.Write(req[4:20])
			h.Write(b[20:])
			h.Write([]byte("not-the-secret"))
			copy(b[4:20], h.Sum(nil))
			conn.WriteToUDP(b, from)
		}
	}()
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	must(t, r.e.SetRADIUS(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: addr, Secret: "s3cret",
		Timeout: 300 * time.Millisecond, Retransmit: -1}}}, erxradius.Config{}))
	_, err = r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: macS1, User: "mallory", Password: "x",
		Accept: []ppp.AuthProtocol{ppp.AuthPAP}, Retries: 1, RetryInterval: 5 * time.Second})
	var le *pppoetest.LoginError
	if !errors.As(err, &le) || le.Stage != pppoetest.StageAuth {
		t.Fatalf("login against bad replies: %v, want refused at authentication", err)
	}
	auth, _ := r.e.RADIUSStats()
	if answered.Load() == 0 || len(auth) != 1 || auth[0].Malformed < 1 || auth[0].BadAuthenticators < 1 || auth[0].Accepts != 0 {
		t.Fatalf("server stats %+v after %d answered requests", auth, answered.Load())
	}
	// The refused session goes away (the router terminates the link).
	for deadline := time.Now().Add(20 * time.Second); r.e.Table().Len() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left after bad replies", r.e.Table().Len())
		}
	}
}
