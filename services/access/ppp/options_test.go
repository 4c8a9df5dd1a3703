package ppp

import (
	"net/netip"
	"testing"
)

func TestIPCPServerOptions(t *testing.T) {
	c := &IPCP{Local: mp("10.0.0.1"), Peer: mp("10.0.0.9"), PrimaryDNS: mp("192.0.2.53")}
	for _, tc := range []struct {
		name       string
		req        []byte
		rejectOnly bool
		code       uint8
		resp       []byte
	}{
		{"exact", opts(ipopt(IPCPOptAddress, "10.0.0.9")), false, CodeConfigureAck, nil},
		{"zero", opts(ipopt(IPCPOptAddress, "0.0.0.0")), false, CodeConfigureNak, ipopt(IPCPOptAddress, "10.0.0.9")},
		{"wrong", opts(ipopt(IPCPOptAddress, "10.0.0.7")), false, CodeConfigureNak, ipopt(IPCPOptAddress, "10.0.0.9")},
		{"missing address", nil, false, CodeConfigureNak, ipopt(IPCPOptAddress, "10.0.0.9")},
		{"missing address after max-failure", nil, true, CodeConfigureAck, nil},
		{"wrong after max-failure", opts(ipopt(IPCPOptAddress, "10.0.0.7")), true, CodeConfigureReject, ipopt(IPCPOptAddress, "10.0.0.9")},
		{"dns", opts(ipopt(IPCPOptAddress, "10.0.0.9"), ipopt(IPCPOptPrimaryDNS, "0.0.0.0")), false, CodeConfigureNak, ipopt(IPCPOptPrimaryDNS, "192.0.2.53")},
		{"no secondary dns", opts(ipopt(IPCPOptAddress, "10.0.0.9"), ipopt(IPCPOptSecondaryDNS, "0.0.0.0")), false, CodeConfigureReject, ipopt(IPCPOptSecondaryDNS, "0.0.0.0")},
		{"bad length", opts(AppendOption(nil, IPCPOptAddress, []byte{1, 2})), false, CodeConfigureReject, AppendOption(nil, IPCPOptAddress, []byte{1, 2})},
	} {
		code, resp := c.ReceiveRequest(Options(tc.req), nil, tc.rejectOnly)
		if code != tc.code || string(resp) != string(tc.resp) {
			t.Errorf("%s: got %d %x, want %d %x", tc.name, code, resp, tc.code, tc.resp)
		}
	}
}

func TestIPCPClientAdoptsNak(t *testing.T) {
	c := &IPCP{Client: true, PrimaryDNS: netip.IPv4Unspecified()}
	if got := c.AppendRequest(nil); string(got) != string(opts(ipopt(IPCPOptAddress, "0.0.0.0"), ipopt(IPCPOptPrimaryDNS, "0.0.0.0"))) {
		t.Fatalf("request %x", got)
	}
	c.ReceiveNak(Options(opts(ipopt(IPCPOptAddress, "10.0.0.9"), ipopt(IPCPOptPrimaryDNS, "192.0.2.53"))))
	if c.Peer != mp("10.0.0.9") || c.PrimaryDNS != mp("192.0.2.53") {
		t.Fatalf("after nak %v %v", c.Peer, c.PrimaryDNS)
	}
	c.ReceiveReject(Options(ipopt(IPCPOptPrimaryDNS, "192.0.2.53")))
	if c.PrimaryDNS.IsValid() {
		t.Fatal("rejected DNS still requested")
	}
	if code, _ := c.ReceiveRequest(Options(ipopt(IPCPOptAddress, "10.0.0.1")), nil, false); code != CodeConfigureAck || c.Local != mp("10.0.0.1") {
		t.Fatal("client did not accept the server address")
	}
}

func TestLCPClientAuth(t *testing.T) {
	chap := AppendOption(nil, LCPOptAuthProtocol, []byte{0xc2, 0x23, 5})
	chapSHA := AppendOption(nil, LCPOptAuthProtocol, []byte{0xc2, 0x23, 0x80})
	pap := AppendOption(nil, LCPOptAuthProtocol, []byte{0xc0, 0x23})
	for _, tc := range []struct {
		name   string
		accept []AuthProtocol
		req    []byte
		code   uint8
		resp   []byte
		peer   AuthProtocol
	}{
		{"chap ok", []AuthProtocol{AuthCHAP, AuthPAP}, chap, CodeConfigureAck, nil, AuthCHAP},
		{"pap only, nak chap", []AuthProtocol{AuthPAP}, chap, CodeConfigureNak, pap, AuthNone},
		{"ms-chap algorithm", []AuthProtocol{AuthCHAP}, chapSHA, CodeConfigureNak, chap, AuthNone},
		{"authenticator role rejects", nil, pap, CodeConfigureReject, pap, AuthNone},
		{"mru too big", nil, mru(1500), CodeConfigureNak, mru(1492), AuthNone},
		{"mru small ok", nil, mru(1400), CodeConfigureAck, nil, AuthNone},
		{"zero magic", nil, magic(0), CodeConfigureNak, nil, AuthNone},
	} {
		l := NewLCP(LCPConfig{Accept: tc.accept})
		code, resp := l.ReceiveRequest(Options(tc.req), nil, false)
		if code != tc.code || (tc.resp != nil && string(resp) != string(tc.resp)) || l.PeerAuth != tc.peer {
			t.Errorf("%s: got %d %x peer %v, want %d %x %v", tc.name, code, resp, l.PeerAuth, tc.code, tc.resp, tc.peer)
		}
	}
}
