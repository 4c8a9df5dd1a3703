package radius_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"

	erx "github.com/erxos/erx/aaa/radius"
)

// countingHandler ACKs everything for session "s1" and counts calls.
type countingHandler struct {
	coa, disconnect atomic.Int64
}

func (h *countingHandler) HandleCoA(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	h.coa.Add(1)
	if rfc2866.AcctSessionID_GetString(r.Packet) != "s1" {
		return false, erx.CauseSessionContextNotFound, nil
	}
	return true, 0, radius.Attributes{{Type: rfc2865.ReplyMessage_Type, Attribute: radius.Attribute("done")}}
}

func (h *countingHandler) HandleDisconnect(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	h.disconnect.Add(1)
	return true, 0, nil
}

// coaRequest builds a signed dynamic request. withMA adds a
// Message-Authenticator computed with a zero Request Authenticator.
func coaRequest(t *testing.T, code radius.Code, id byte, secret string, withMA bool, attrs ...func(*radius.Packet)) []byte {
	t.Helper()
	p := &radius.Packet{Code: code, Identifier: id, Secret: []byte(secret)}
	rfc2866.AcctSessionID_SetString(p, "s1")
	for _, a := range attrs {
		a(p)
	}
	if withMA {
		p.Add(rfc2869.MessageAuthenticator_Type, make([]byte, 16))
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(md5.New, []byte(secret))
		m.Write(b)
		p.Set(rfc2869.MessageAuthenticator_Type, m.Sum(nil))
	}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type dynTest struct {
	t    *testing.T
	srv  *erx.DynamicServer
	h    *countingHandler
	conn *net.UDPConn
}

func newDynTest(t *testing.T, cfg erx.DynamicConfig) *dynTest {
	t.Helper()
	if cfg.Clients == nil {
		cfg.Clients = []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "k"}}
	}
	h := &countingHandler{}
	srv, err := erx.ListenDynamic("127.0.0.1:0", cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Close()
	})
	return &dynTest{t: t, srv: srv, h: h, conn: conn}
}

func (d *dynTest) send(b []byte) {
	d.t.Helper()
	if _, err := d.conn.Write(b); err != nil {
		d.t.Fatal(err)
	}
}

// exchange sends req and returns the verified reply.
func (d *dynTest) exchange(req []byte, secret string) *radius.Packet {
	d.t.Helper()
	d.send(req)
	buf := make([]byte, 4096)
	n, err := d.conn.Read(buf)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := erx.VerifyDynamicReply(buf[:n], req, []byte(secret)); err != nil {
		d.t.Fatalf("reply: %v", err)
	}
	p, err := radius.Parse(buf[:n], []byte(secret))
	if err != nil {
		d.t.Fatal(err)
	}
	if p.Identifier != req[1] {
		d.t.Fatalf("reply to identifier %d, want %d (a dropped request was answered)", p.Identifier, req[1])
	}
	return p
}

func errorCause(p *radius.Packet) erx.ErrorCause {
	v := p.Get(101)
	if len(v) != 4 {
		return 0
	}
	return erx.ErrorCause(binary.BigEndian.Uint32(v))
}

func TestDynamicAnswers(t *testing.T) {
	ts := func(at time.Time) func(*radius.Packet) {
		return func(p *radius.Packet) { rfc2869.EventTimestamp_Set(p, at) }
	}
	tests := []struct {
		name      string
		cfg       erx.DynamicConfig
		code      radius.Code
		withMA    bool
		attrs     []func(*radius.Packet)
		wantCode  radius.Code
		wantCause erx.ErrorCause
	}{
		{"CoAACK", erx.DynamicConfig{}, radius.CodeCoARequest, false, nil, radius.CodeCoAACK, 0},
		{"CoAWithMessageAuthenticator", erx.DynamicConfig{}, radius.CodeCoARequest, true, nil, radius.CodeCoAACK, 0},
		{"CoAFreshTimestamp", erx.DynamicConfig{}, radius.CodeCoARequest, false, []func(*radius.Packet){ts(time.Now())}, radius.CodeCoAACK, 0},
		{"CoAUnknownSession", erx.DynamicConfig{}, radius.CodeCoARequest, false, []func(*radius.Packet){func(p *radius.Packet) { rfc2866.AcctSessionID_SetString(p, "zz") }}, radius.CodeCoANAK, erx.CauseSessionContextNotFound},
		{"Disconnect", erx.DynamicConfig{}, radius.CodeDisconnectRequest, true, nil, radius.CodeDisconnectACK, 0},
		{"DisconnectDisabled", erx.DynamicConfig{DisconnectDisabled: true}, radius.CodeDisconnectRequest, false, nil, radius.CodeDisconnectNAK, erx.CauseAdministrativelyProhibited},
		{"CoADisabled", erx.DynamicConfig{CoADisabled: true}, radius.CodeCoARequest, false, nil, radius.CodeCoANAK, erx.CauseAdministrativelyProhibited},
		{"TimestampRequired", erx.DynamicConfig{RequireEventTimestamp: true}, radius.CodeCoARequest, false, nil, radius.CodeCoANAK, erx.CauseMissingAttribute},
		{"NASIdentifierMismatch", erx.DynamicConfig{NAS: erx.NASIdentity{Identifier: "host1"}}, radius.CodeCoARequest, false,
			[]func(*radius.Packet){func(p *radius.Packet) { rfc2865.NASIdentifier_SetString(p, "host2") }}, radius.CodeCoANAK, erx.CauseNASIdentificationMismatch},
		{"NASIPMatch", erx.DynamicConfig{NAS: erx.NASIdentity{IP: netip.MustParseAddr("192.0.2.1")}}, radius.CodeCoARequest, false,
			[]func(*radius.Packet){func(p *radius.Packet) { rfc2865.NASIPAddress_Set(p, net.IPv4(192, 0, 2, 1)) }}, radius.CodeCoAACK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDynTest(t, tt.cfg)
			reply := d.exchange(coaRequest(t, tt.code, 1, "k", tt.withMA, tt.attrs...), "k")
			if reply.Code != tt.wantCode || errorCause(reply) != tt.wantCause {
				t.Fatalf("reply %v cause %d, want %v cause %d", reply.Code, errorCause(reply), tt.wantCode, tt.wantCause)
			}
			if tt.withMA && len(rfc2869.MessageAuthenticator_Get(reply)) != 16 {
				t.Error("reply to a request with Message-Authenticator has none")
			}
			if tt.wantCode == radius.CodeCoAACK && rfc2865.ReplyMessage_GetString(reply) != "done" {
				t.Error("handler's attributes missing from the ACK")
			}
		})
	}
}

// TestDynamicDrops checks the requests answered with silence: each is
// followed by a valid request, whose reply must be the first one read.
func TestDynamicDrops(t *testing.T) {
	stale := func(p *radius.Packet) { rfc2869.EventTimestamp_Set(p, time.Now().Add(-time.Hour)) }
	badMA := coaRequest(t, radius.CodeCoARequest, 9, "k", true)
	badMA[len(badMA)-1] ^= 1 // breaks the Message-Authenticator, not the length
	// Re-sign the request authenticator so only the Message-Authenticator is wrong.
	h := md5.New()
	h.Write(badMA[:4])
	h.Write(make([]byte, 16))
	h.Write(badMA[20:])
	h.Write([]byte("k"))
	h.Sum(badMA[4:4:20])
	tests := []struct {
		name    string
		cfg     erx.DynamicConfig
		request []byte
		counter func(erx.DynamicStats) uint64
	}{
		{"UnknownClient", erx.DynamicConfig{Clients: []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.2"), Secret: "k"}}},
			coaRequest(t, radius.CodeCoARequest, 9, "k", false), func(s erx.DynamicStats) uint64 { return s.UnknownClients }},
		{"WrongSecret", erx.DynamicConfig{}, coaRequest(t, radius.CodeCoARequest, 9, "wrong", false), func(s erx.DynamicStats) uint64 { return s.BadAuthenticators }},
		{"BadMessageAuthenticator", erx.DynamicConfig{}, badMA, func(s erx.DynamicStats) uint64 { return s.BadAuthenticators }},
		{"Stale", erx.DynamicConfig{}, coaRequest(t, radius.CodeCoARequest, 9, "k", false, stale), func(s erx.DynamicStats) uint64 { return s.Stale }},
		{"Malformed", erx.DynamicConfig{}, []byte{43, 9, 0, 30, 1, 2, 3}, func(s erx.DynamicStats) uint64 { return s.Malformed }},
		{"AccessRequest", erx.DynamicConfig{}, coaRequest(t, radius.CodeAccessRequest, 9, "k", false), func(s erx.DynamicStats) uint64 { return s.UnknownTypes }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDynTest(t, tt.cfg)
			d.send(tt.request)
			for tt.counter(d.srv.Stats()) == 0 {
				time.Sleep(time.Millisecond)
			}
			d.srv.Reconfigure(erx.DynamicConfig{Clients: []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "k"}}})
			if reply := d.exchange(coaRequest(t, radius.CodeCoARequest, 10, "k", false), "k"); reply.Code != radius.CodeCoAACK {
				t.Fatalf("follow-up: %v", reply.Code)
			}
			if n := d.h.coa.Load(); n != 1 {
				t.Errorf("handler called %d times, want 1 (the follow-up)", n)
			}
		})
	}
}

func TestDynamicDuplicate(t *testing.T) {
	d := newDynTest(t, erx.DynamicConfig{})
	req := coaRequest(t, radius.CodeCoARequest, 5, "k", true)
	first := d.exchange(req, "k")
	second := d.exchange(req, "k")
	if first.Code != radius.CodeCoAACK || second.Code != first.Code || second.Authenticator != first.Authenticator {
		t.Fatalf("duplicate answered %v/%x, first %v/%x", second.Code, second.Authenticator, first.Code, first.Authenticator)
	}
	if n := d.h.coa.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	// Same identifier, new request (new authenticator): handled again.
	other := coaRequest(t, radius.CodeCoARequest, 5, "k", false, func(p *radius.Packet) { rfc2865.ReplyMessage_SetString(p, "x") })
	d.exchange(other, "k")
	if n := d.h.coa.Load(); n != 2 {
		t.Errorf("handler called %d times, want 2", n)
	}
	if st := d.srv.Stats(); st.Duplicates != 1 || st.CoARequests != 2 || st.CoAACKs != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// TestDynamicReconfigureWhileRunning changes clients and keys while
// requests arrive; run it with -race.
func TestDynamicReconfigureWhileRunning(t *testing.T) {
	d := newDynTest(t, erx.DynamicConfig{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d.srv.Reconfigure(erx.DynamicConfig{
				Clients:         []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "k"}, {Addr: netip.MustParseAddr("127.0.0.2"), Secret: "x"}},
				DuplicateWindow: time.Duration(i%3+1) * time.Second,
			})
			_ = d.srv.Stats()
		}
	}()
	for i := range 100 {
		reply := d.exchange(coaRequest(t, radius.CodeCoARequest, byte(i), "k", i%2 == 0), "k")
		if reply.Code != radius.CodeCoAACK {
			t.Fatalf("request %d: %v", i, reply.Code)
		}
	}
	close(stop)
	wg.Wait()
}

// blockingHandler holds every request until release is closed.
type blockingHandler struct {
	entered atomic.Int64
	release chan struct{}
}

func (h *blockingHandler) HandleCoA(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	h.entered.Add(1)
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return true, 0, nil
}

func (h *blockingHandler) HandleDisconnect(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	return h.HandleCoA(ctx, r)
}

func TestDynamicBusy(t *testing.T) {
	h := &blockingHandler{release: make(chan struct{})}
	srv, err := erx.ListenDynamic("127.0.0.1:0", erx.DynamicConfig{
		Clients: []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "k"}},
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d := &dynTest{t: t, srv: srv}
	if d.conn, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(srv.Addr())); err != nil {
		t.Fatal(err)
	}
	defer d.conn.Close()
	const running = 64
	for i := range running {
		d.send(coaRequest(t, radius.CodeCoARequest, byte(i), "k", false))
	}
	for h.entered.Load() < running {
		time.Sleep(time.Millisecond)
	}
	if reply := d.exchange(coaRequest(t, radius.CodeCoARequest, running, "k", false), "k"); reply.Code != radius.CodeCoANAK || errorCause(reply) != erx.CauseResourcesUnavailable {
		t.Fatalf("with every handler busy: %v cause %d", reply.Code, errorCause(reply))
	}
	close(h.release)
	buf := make([]byte, 4096)
	for range running {
		n, err := d.conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if buf[0] != byte(radius.CodeCoAACK) || n < 20 {
			t.Fatalf("reply code %d", buf[0])
		}
	}
}
