package ppp

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/clock"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/subscriber"
	"go.uber.org/goleak"
)

var mp = netip.MustParseAddr

// chanTransport queues sent frames.
type chanTransport chan []byte

func (c chanTransport) SendPPP(b []byte) error {
	c <- append([]byte(nil), b...)
	return nil
}

// fakeAuth accepts user "alice" with password/secret "secret".
type fakeAuth struct{ attrs subscriber.Attributes }

func (f fakeAuth) AuthenticatePAP(_ context.Context, user, pass string) (subscriber.Attributes, error) {
	if user == "alice" && pass == "secret" {
		return f.attrs, nil
	}
	return subscriber.Attributes{}, errors.New("reject")
}

func (f fakeAuth) AuthenticateCHAP(_ context.Context, user string, id uint8, ch, resp []byte) (subscriber.Attributes, error) {
	h := md5.New()
	h.Write([]byte{id})
	h.Write([]byte("secret"))
	h.Write(ch)
	if user == "alice" && string(h.Sum(nil)) == string(resp) {
		return f.attrs, nil
	}
	return subscriber.Attributes{}, errors.New("reject")
}

type harness struct {
	t      *testing.T
	s      *Session
	out    chanTransport
	clk    *clock.Fake
	events chan Event
	pool   *pool.Server
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, out: make(chanTransport, 256), clk: clock.NewFake(time.Unix(0, 0)), events: make(chan Event, 16), pool: &pool.Server{}}
	if err := h.pool.AddRange("p", mp("10.1.0.10"), mp("10.1.0.20")); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Name:          "host1",
		Auth:          []AuthProtocol{AuthPAP},
		LocalAddress:  mp("10.1.0.1"),
		PrimaryDNS:    mp("192.0.2.53"),
		Clock:         h.clk,
		Authenticator: fakeAuth{},
		Pool:          h.pool,
		OnEvent:       func(e Event) { h.events <- e },
	}
	if mod != nil {
		mod(&cfg)
	}
	h.s = NewSession(cfg, h.out)
	return h
}

// next returns the next frame the session sent.
func (h *harness) next() (uint16, Packet) {
	h.t.Helper()
	select {
	case b := <-h.out:
		f, err := ParseFrame(b)
		if err != nil {
			h.t.Fatal(err)
		}
		p, err := ParsePacket(f.Information())
		if err != nil {
			h.t.Fatalf("bad packet %x: %v", b, err)
		}
		return f.Protocol(), p
	case <-time.After(10 * time.Second): // hang guard only
		h.t.Fatal("no frame sent")
	}
	return 0, nil
}

func (h *harness) expect(proto uint16, code uint8) Packet {
	h.t.Helper()
	gp, p := h.next()
	if gp != proto || p.Code() != code {
		h.t.Fatalf("got proto %#x code %d data %x, want %#x code %d", gp, p.Code(), p.Data(), proto, code)
	}
	return p
}

func (h *harness) noFrame() {
	h.t.Helper()
	select {
	case b := <-h.out:
		h.t.Fatalf("unexpected frame %x", b)
	default:
	}
}

func (h *harness) event(want EventType) Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		if e.Type != want {
			h.t.Fatalf("got event %v (cause %v), want %v", e.Type, e.Cause, want)
		}
		return e
	case <-time.After(10 * time.Second): // hang guard only
		h.t.Fatalf("no %v event", want)
	}
	return Event{}
}

func (h *harness) in(proto uint16, code, id uint8, data []byte) {
	buf := make([]byte, 6+len(data))
	n, _ := MarshalPacket(buf, proto, code, id, data)
	h.s.Input(buf[:n])
}

func opts(o ...[]byte) []byte {
	var b []byte
	for _, x := range o {
		b = append(b, x...)
	}
	return b
}

func mru(v uint16) []byte   { return appendOption16(nil, LCPOptMRU, v) }
func magic(v uint32) []byte { return appendOption32(nil, LCPOptMagicNumber, v) }
func ipopt(typ uint8, a string) []byte {
	return appendOptionAddr(nil, typ, mp(a))
}

// establishLCP runs LCP to Opened with a well-behaved peer.
func (h *harness) establishLCP() {
	h.t.Helper()
	h.s.Start()
	req := h.expect(ProtoLCP, CodeConfigureRequest)
	h.in(ProtoLCP, CodeConfigureRequest, 1, opts(mru(1492), magic(0x11223344)))
	h.expect(ProtoLCP, CodeConfigureAck)
	h.in(ProtoLCP, CodeConfigureAck, req.Identifier(), req.Data())
	if st := h.s.LCPState(); st != Opened {
		h.t.Fatalf("LCP %v, want Opened", st)
	}
}

// establishIPCP runs IPCP, NAKing the 0.0.0.0 request first.
func (h *harness) establishIPCP(want string) {
	h.t.Helper()
	req := h.expect(ProtoIPCP, CodeConfigureRequest)
	if string(req.Data()) != string(ipopt(IPCPOptAddress, "10.1.0.1")) {
		h.t.Fatalf("IPCP request %x", req.Data())
	}
	h.in(ProtoIPCP, CodeConfigureRequest, 1, opts(ipopt(IPCPOptAddress, "0.0.0.0"), ipopt(IPCPOptPrimaryDNS, "0.0.0.0"), ipopt(IPCPOptSecondaryDNS, "0.0.0.0")))
	// No secondary DNS configured: rejected first.
	rej := h.expect(ProtoIPCP, CodeConfigureReject)
	if string(rej.Data()) != string(ipopt(IPCPOptSecondaryDNS, "0.0.0.0")) {
		h.t.Fatalf("reject %x", rej.Data())
	}
	h.in(ProtoIPCP, CodeConfigureRequest, 2, opts(ipopt(IPCPOptAddress, "0.0.0.0"), ipopt(IPCPOptPrimaryDNS, "0.0.0.0")))
	nak := h.expect(ProtoIPCP, CodeConfigureNak)
	if string(nak.Data()) != string(opts(ipopt(IPCPOptAddress, want), ipopt(IPCPOptPrimaryDNS, "192.0.2.53"))) {
		h.t.Fatalf("nak %x", nak.Data())
	}
	h.in(ProtoIPCP, CodeConfigureAck, req.Identifier(), req.Data())
	h.in(ProtoIPCP, CodeConfigureRequest, 3, nak.Data())
	h.expect(ProtoIPCP, CodeConfigureAck)
	if e := h.event(EventUp); e.Address != mp(want) {
		h.t.Fatalf("up with %v, want %v", e.Address, want)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPAPLoginAndPeerTerminate(t *testing.T) {
	h := newHarness(t, nil)
	h.establishLCP()
	h.in(ProtoPAP, PAPAuthenticateRequest, 7, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	ack := h.expect(ProtoPAP, PAPAuthenticateAck)
	if ack.Identifier() != 7 {
		t.Fatalf("ack id %d", ack.Identifier())
	}
	if e := h.event(EventAuthenticated); e.User != "alice" {
		t.Fatalf("user %q", e.User)
	}
	h.establishIPCP("10.1.0.10")
	if h.s.Phase() != PhaseNetwork {
		t.Fatal(h.s.Phase())
	}
	// Peer terminates: Terminate-Ack, then down after one restart interval.
	h.in(ProtoLCP, CodeTerminateRequest, 9, nil)
	h.expect(ProtoLCP, CodeTerminateAck)
	h.clk.Advance(3 * time.Second)
	if e := h.event(EventDown); e.Cause != subscriber.CauseUserRequest {
		t.Fatalf("cause %v", e.Cause)
	}
	h.s.Wait()
	if u := h.pool.Usage("p"); u[0].InUse != 0 {
		t.Fatal("address not released")
	}
}

func TestPAPReject(t *testing.T) {
	h := newHarness(t, nil)
	h.establishLCP()
	h.in(ProtoPAP, PAPAuthenticateRequest, 7, AppendPAPRequest(nil, []byte("alice"), []byte("wrong")))
	nak := h.expect(ProtoPAP, PAPAuthenticateNak)
	if msg, err := ParsePAPMessage(nak.Data()); err != nil || len(msg) == 0 {
		t.Fatalf("nak message %q %v", msg, err)
	}
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.in(ProtoLCP, CodeTerminateAck, 0, nil)
	if e := h.event(EventDown); e.Cause != subscriber.CauseAuthFailed {
		t.Fatalf("cause %v", e.Cause)
	}
	h.s.Wait()
}

func chapResponse(id uint8, secret string, ch []byte) []byte {
	m := md5.New()
	m.Write([]byte{id})
	m.Write([]byte(secret))
	m.Write(ch)
	return m.Sum(nil)
}

func TestCHAP(t *testing.T) {
	for _, tc := range []struct {
		name, secret string
		want         uint8
	}{
		{"accept", "secret", CHAPSuccess},
		{"reject", "guess", CHAPFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Auth = []AuthProtocol{AuthCHAP}
				c.Authenticator = fakeAuth{attrs: subscriber.Attributes{Address: mp("10.1.0.15")}}
			})
			h.establishLCP()
			ch := h.expect(ProtoCHAP, CHAPChallenge)
			val, name, err := ParseCHAPValue(ch.Data())
			if err != nil || len(val) != 16 || string(name) != "host1" {
				t.Fatalf("challenge %x %q %v", val, name, err)
			}
			// The challenge is retransmitted on the restart timer.
			h.clk.Advance(3 * time.Second)
			again := h.expect(ProtoCHAP, CHAPChallenge)
			if again.Identifier() != ch.Identifier() || string(again.Data()) != string(ch.Data()) {
				t.Fatal("retransmitted challenge differs")
			}
			resp := AppendCHAPValue(nil, chapResponse(ch.Identifier(), tc.secret, val), []byte("alice"))
			h.in(ProtoCHAP, CHAPResponse, ch.Identifier(), resp)
			h.expect(ProtoCHAP, tc.want)
			if tc.want == CHAPFailure {
				h.expect(ProtoLCP, CodeTerminateRequest)
				h.clk.Advance(3 * time.Second)
				h.expect(ProtoLCP, CodeTerminateRequest)
				h.clk.Advance(3 * time.Second)
				if e := h.event(EventDown); e.Cause != subscriber.CauseAuthFailed {
					t.Fatalf("cause %v", e.Cause)
				}
				h.s.Wait()
				return
			}
			h.event(EventAuthenticated)
			// Framed-IP-Address from the authenticator wins over the pool.
			h.establishIPCP("10.1.0.15")
			h.s.Close(subscriber.CauseAdminReset)
			h.expect(ProtoLCP, CodeTerminateRequest)
			h.in(ProtoLCP, CodeTerminateAck, 0, nil)
			if e := h.event(EventDown); e.Cause != subscriber.CauseAdminReset || e.Cause.AcctTerminateCause() != 6 {
				t.Fatalf("cause %v", e.Cause)
			}
			h.s.Wait()
			if u := h.pool.Usage("p"); u[0].InUse != 0 {
				t.Fatal("framed address not released")
			}
		})
	}
}

func TestLCPNakRejectPaths(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Auth = []AuthProtocol{AuthCHAP, AuthPAP} })
	h.s.Start()
	req := h.expect(ProtoLCP, CodeConfigureRequest)
	// Peer asks for a jumbo MRU, ACCM and PFC: ACCM/PFC rejected first.
	accm := AppendOption(nil, LCPOptACCM, []byte{0, 0, 0, 0})
	pfc := AppendOption(nil, LCPOptPFC, nil)
	h.in(ProtoLCP, CodeConfigureRequest, 1, opts(mru(9000), accm, pfc, magic(5)))
	rej := h.expect(ProtoLCP, CodeConfigureReject)
	if string(rej.Data()) != string(opts(accm, pfc)) {
		t.Fatalf("reject %x", rej.Data())
	}
	h.in(ProtoLCP, CodeConfigureRequest, 2, opts(mru(9000), magic(5)))
	nak := h.expect(ProtoLCP, CodeConfigureNak)
	if string(nak.Data()) != string(mru(1492)) {
		t.Fatalf("nak %x", nak.Data())
	}
	// Peer NAKs our CHAP with PAP: next request asks for PAP.
	papOpt := AppendOption(nil, LCPOptAuthProtocol, []byte{0xc0, 0x23})
	h.in(ProtoLCP, CodeConfigureNak, req.Identifier(), papOpt)
	req2 := h.expect(ProtoLCP, CodeConfigureRequest)
	found := false
	Options(req2.Data()).Each(func(typ uint8, v []byte) bool {
		if typ == LCPOptAuthProtocol && parseAuth(v) == AuthPAP {
			found = true
		}
		return true
	})
	if !found {
		t.Fatalf("request after NAK %x lacks PAP", req2.Data())
	}
	// An Ack with a stale identifier is ignored.
	h.in(ProtoLCP, CodeConfigureAck, req.Identifier(), req.Data())
	if h.s.LCPState() != ReqSent {
		t.Fatal(h.s.LCPState())
	}
	// Peer rejects authentication altogether: the session fails.
	h.in(ProtoLCP, CodeConfigureReject, req2.Identifier(), papOpt)
	req3 := h.expect(ProtoLCP, CodeConfigureRequest)
	h.in(ProtoLCP, CodeConfigureRequest, 3, opts(mru(1400), magic(5)))
	h.expect(ProtoLCP, CodeConfigureAck)
	h.in(ProtoLCP, CodeConfigureAck, req3.Identifier(), req3.Data())
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.in(ProtoLCP, CodeTerminateAck, 0, nil)
	if e := h.event(EventDown); e.Cause != subscriber.CauseAuthFailed {
		t.Fatalf("cause %v", e.Cause)
	}
}

func TestRestartTimerExpiry(t *testing.T) {
	h := newHarness(t, nil)
	h.s.Start()
	for i := range 10 {
		h.expect(ProtoLCP, CodeConfigureRequest)
		if i < 9 {
			h.clk.Advance(3 * time.Second)
		}
	}
	h.noFrame()
	h.clk.Advance(3 * time.Second)
	h.noFrame()
	if e := h.event(EventDown); e.Cause != subscriber.CauseNegotiationFailed {
		t.Fatalf("cause %v", e.Cause)
	}
	if h.clk.Pending() != 0 {
		t.Fatalf("%d timers left", h.clk.Pending())
	}
}

func TestKeepalive(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Auth = nil; c.EchoInterval = 10 * time.Second })
	h.establishLCP()
	h.event(EventAuthenticated)
	h.establishIPCP("10.1.0.10")
	// Answered echoes keep the link up.
	for range 5 {
		h.clk.Advance(10 * time.Second)
		req := h.expect(ProtoLCP, CodeEchoRequest)
		h.in(ProtoLCP, CodeEchoReply, req.Identifier(), magic(0x11223344)[2:])
	}
	// Peer's echo requests are answered with our magic.
	h.in(ProtoLCP, CodeEchoRequest, 42, []byte{0x11, 0x22, 0x33, 0x44})
	if rep := h.expect(ProtoLCP, CodeEchoReply); rep.Identifier() != 42 {
		t.Fatal("echo reply id")
	}
	// Three lost echoes drop it.
	for range 3 {
		h.clk.Advance(10 * time.Second)
		h.expect(ProtoLCP, CodeEchoRequest)
	}
	h.clk.Advance(10 * time.Second)
	h.expect(ProtoLCP, CodeTerminateRequest)
	if e := h.event(EventDown); e.Cause != subscriber.CauseLostCarrier || e.Cause.AcctTerminateCause() != 2 {
		t.Fatalf("cause %v", e.Cause)
	}
	if c := h.s.Counters(); c.EchoSent != 8 || c.EchoReplies != 5 {
		t.Fatalf("counters %+v", c)
	}
}

func TestIPCPNakWrongAddressAndProtocolReject(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Auth = nil })
	h.establishLCP()
	h.event(EventAuthenticated)
	req := h.expect(ProtoIPCP, CodeConfigureRequest)
	h.in(ProtoIPCP, CodeConfigureAck, req.Identifier(), req.Data())
	// The peer insists on an address of its own: NAKed with the assigned one.
	h.in(ProtoIPCP, CodeConfigureRequest, 1, ipopt(IPCPOptAddress, "10.9.9.9"))
	nak := h.expect(ProtoIPCP, CodeConfigureNak)
	if string(nak.Data()) != string(ipopt(IPCPOptAddress, "10.1.0.10")) {
		t.Fatalf("nak %x", nak.Data())
	}
	// IP-Compression is rejected.
	vj := AppendOption(nil, IPCPOptCompression, []byte{0, 0x2d, 15, 1})
	h.in(ProtoIPCP, CodeConfigureRequest, 2, opts(ipopt(IPCPOptAddress, "10.1.0.10"), vj))
	if rej := h.expect(ProtoIPCP, CodeConfigureReject); string(rej.Data()) != string(vj) {
		t.Fatalf("rej %x", rej.Data())
	}
	h.in(ProtoIPCP, CodeConfigureRequest, 3, ipopt(IPCPOptAddress, "10.1.0.10"))
	h.expect(ProtoIPCP, CodeConfigureAck)
	h.event(EventUp)
	// IPv6CP is not spoken: Protocol-Reject.
	h.s.Input([]byte{0x80, 0x57, 1, 1, 0, 4})
	pr := h.expect(ProtoLCP, CodeProtocolReject)
	if binary.BigEndian.Uint16(pr.Data()) != ProtoIPv6CP {
		t.Fatalf("protocol reject %x", pr.Data())
	}
	h.s.LowerDown(subscriber.CauseUserRequest)
	if e := h.event(EventDown); e.Cause != subscriber.CauseUserRequest {
		t.Fatal(e.Cause)
	}
	h.noFrame()
}

func TestMagicLoopback(t *testing.T) {
	h := newHarness(t, nil)
	h.s.Start()
	req := h.expect(ProtoLCP, CodeConfigureRequest)
	var ours []byte
	Options(req.Data()).Each(func(typ uint8, v []byte) bool {
		if typ == LCPOptMagicNumber {
			ours = v
		}
		return true
	})
	h.in(ProtoLCP, CodeConfigureRequest, 1, AppendOption(nil, LCPOptMagicNumber, ours))
	nak := h.expect(ProtoLCP, CodeConfigureNak)
	if string(nak.Data()) == string(AppendOption(nil, LCPOptMagicNumber, ours)) {
		t.Fatal("NAK suggested the same magic")
	}
	h.s.Close(subscriber.CauseAdminReset)
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.clk.Advance(3 * time.Second)
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.clk.Advance(3 * time.Second)
	h.event(EventDown)
}

func TestSessionTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Authenticator = fakeAuth{attrs: subscriber.Attributes{SessionTimeout: time.Hour, Pool: "p"}}
	})
	h.establishLCP()
	h.in(ProtoPAP, PAPAuthenticateRequest, 1, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	h.expect(ProtoPAP, PAPAuthenticateAck)
	h.event(EventAuthenticated)
	h.establishIPCP("10.1.0.10")
	h.clk.Advance(time.Hour)
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.in(ProtoLCP, CodeTerminateAck, 0, nil)
	if e := h.event(EventDown); e.Cause != subscriber.CauseSessionTimeout {
		t.Fatal(e.Cause)
	}
	h.s.Wait()
}

func TestAuthTimeout(t *testing.T) {
	h := newHarness(t, nil)
	h.establishLCP()
	h.clk.Advance(30 * time.Second)
	h.expect(ProtoLCP, CodeTerminateRequest)
	h.in(ProtoLCP, CodeTerminateAck, 0, nil)
	if e := h.event(EventDown); e.Cause != subscriber.CauseAuthFailed {
		t.Fatal(e.Cause)
	}
}

// blockingAuth never answers until its context is canceled.
type blockingAuth struct{ called chan struct{} }

func (b blockingAuth) AuthenticatePAP(ctx context.Context, _, _ string) (subscriber.Attributes, error) {
	close(b.called)
	<-ctx.Done()
	return subscriber.Attributes{}, ctx.Err()
}

func (b blockingAuth) AuthenticateCHAP(ctx context.Context, _ string, _ uint8, _, _ []byte) (subscriber.Attributes, error) {
	<-ctx.Done()
	return subscriber.Attributes{}, ctx.Err()
}

func TestCloseDuringPendingAuth(t *testing.T) {
	ba := blockingAuth{called: make(chan struct{})}
	h := newHarness(t, func(c *Config) { c.Authenticator = ba })
	h.establishLCP()
	h.in(ProtoPAP, PAPAuthenticateRequest, 3, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	<-ba.called
	// A retransmitted request while RADIUS is pending is not answered.
	h.in(ProtoPAP, PAPAuthenticateRequest, 4, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	h.noFrame()
	h.s.LowerDown(subscriber.CauseUserRequest)
	h.s.Wait() // returns only once the authenticator goroutine is gone
	if e := h.event(EventDown); e.Cause != subscriber.CauseUserRequest {
		t.Fatal(e.Cause)
	}
	h.noFrame()
}

func TestPAPAckRetransmitted(t *testing.T) {
	h := newHarness(t, nil)
	h.establishLCP()
	h.in(ProtoPAP, PAPAuthenticateRequest, 1, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	h.expect(ProtoPAP, PAPAuthenticateAck)
	h.event(EventAuthenticated)
	h.expect(ProtoIPCP, CodeConfigureRequest)
	// The peer lost our Ack and asks again: Ack again, no second login.
	h.in(ProtoPAP, PAPAuthenticateRequest, 2, AppendPAPRequest(nil, []byte("alice"), []byte("secret")))
	if ack := h.expect(ProtoPAP, PAPAuthenticateAck); ack.Identifier() != 2 {
		t.Fatal("re-ack id")
	}
	select {
	case e := <-h.events:
		t.Fatalf("unexpected event %v", e.Type)
	default:
	}
	h.s.LowerDown(subscriber.CauseUserRequest)
	h.event(EventDown)
}
