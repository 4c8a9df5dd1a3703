package radiustest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	erxradius "github.com/erxos/erx/aaa/radius"
)

// User is how the fake server answers one user name.
type User struct {
	Password   string            // PAP or CHAP secret
	Reject     bool              // answer Access-Reject
	Drop       bool              // never answer (timeouts)
	Twice      bool              // send the reply twice (duplicate/late replies)
	Attributes radius.Attributes // added to the Access-Accept
	Mirror     *erxradius.Mirror // salt-encrypted into the Access-Accept
}

// FakeServer is an in-process RADIUS authentication and accounting server
// on a loopback UDP port.
type FakeServer struct {
	Addr   netip.AddrPort
	Secret string

	conn *net.UDPConn
	wg   sync.WaitGroup

	mu         sync.Mutex
	users      map[string]User
	dropAll    bool
	requests   []*radius.Packet
	accounting []*radius.Packet
}

// NewFakeServer starts a fake server with secret; it stops when the test
// ends.
func NewFakeServer(t testing.TB, secret string) *FakeServer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("radiustest: listen: %v", err)
	}
	f := &FakeServer{
		Addr:   conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		Secret: secret,
		conn:   conn,
		users:  map[string]User{},
	}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.Close)
	return f
}

// SetUser programs the answer for name.
func (f *FakeServer) SetUser(name string, u User) {
	f.mu.Lock()
	f.users[name] = u
	f.mu.Unlock()
}

// DropAll makes the server ignore every request (true) or answer again
// (false).
func (f *FakeServer) DropAll(drop bool) {
	f.mu.Lock()
	f.dropAll = drop
	f.mu.Unlock()
}

// Requests returns every request received so far, including dropped and
// retransmitted ones.
func (f *FakeServer) Requests() []*radius.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*radius.Packet(nil), f.requests...)
}

// Accounting returns the accounting requests received and answered.
func (f *FakeServer) Accounting() []*radius.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*radius.Packet(nil), f.accounting...)
}

// Close stops the server.
func (f *FakeServer) Close() {
	f.conn.Close()
	f.wg.Wait()
}

func (f *FakeServer) serve() {
	defer f.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, src, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		b := append([]byte(nil), buf[:n]...)
		reply, twice := f.answer(b)
		if reply != nil {
			_, _ = f.conn.WriteToUDPAddrPort(reply, src)
			if twice {
				_, _ = f.conn.WriteToUDPAddrPort(reply, src)
			}
		}
	}
}

func (f *FakeServer) answer(b []byte) ([]byte, bool) {
	f.mu.Lock()
	u := f.users[userName(b)]
	f.mu.Unlock()
	return f.reply1(b), u.Twice
}

// userName returns the User-Name of an encoded request, or "".
func userName(b []byte) string {
	p, err := radius.Parse(b, nil)
	if err != nil {
		return ""
	}
	return rfc2865.UserName_GetString(p)
}

func (f *FakeServer) reply1(b []byte) []byte {
	secret := []byte(f.Secret)
	p, err := radius.Parse(b, secret)
	if err != nil {
		return nil
	}
	f.mu.Lock()
	f.requests = append(f.requests, p)
	drop := f.dropAll
	f.mu.Unlock()
	if drop {
		return nil
	}
	switch p.Code {
	case radius.CodeAccountingRequest:
		if !radius.IsAuthenticRequest(b, secret) {
			return nil
		}
		f.mu.Lock()
		f.accounting = append(f.accounting, p)
		f.mu.Unlock()
		return f.reply(p, radius.CodeAccountingResponse, nil, false)
	case radius.CodeAccessRequest:
	default:
		return nil
	}
	present, err := erxradius.VerifyMessageAuthenticator(b, nil, secret)
	if err != nil {
		return nil
	}
	f.mu.Lock()
	u, ok := f.users[rfc2865.UserName_GetString(p)]
	f.mu.Unlock()
	if u.Drop {
		return nil
	}
	if !ok || u.Reject || !passwordMatches(p, u.Password) {
		return f.reply(p, radius.CodeAccessReject, nil, present)
	}
	attrs := append(radius.Attributes(nil), u.Attributes...)
	if u.Mirror != nil {
		tmp := &radius.Packet{}
		if err := u.Mirror.AddTo(tmp, secret, p.Authenticator); err != nil {
			return nil
		}
		attrs = append(attrs, tmp.Attributes...)
	}
	return f.reply(p, radius.CodeAccessAccept, attrs, present)
}

func passwordMatches(p *radius.Packet, password string) bool {
	if chap, err := rfc2865.CHAPPassword_Lookup(p); err == nil {
		if len(chap) != 17 {
			return false
		}
		challenge, err := rfc2865.CHAPChallenge_Lookup(p)
		if err != nil {
			challenge = p.Authenticator[:]
		}
		return bytes.Equal(erxradius.CHAPResponse(chap[0], password, challenge), chap[1:])
	}
	got, err := rfc2865.UserPassword_Lookup(p)
	return err == nil && string(got) == password
}

// reply encodes a reply with an optional Message-Authenticator.
func (f *FakeServer) reply(req *radius.Packet, code radius.Code, attrs radius.Attributes, withMA bool) []byte {
	resp := req.Response(code)
	if withMA {
		resp.Add(80, make([]byte, 16))
	}
	resp.Attributes = append(resp.Attributes, attrs...)
	b, err := resp.MarshalBinary()
	if err != nil {
		return nil
	}
	if withMA {
		signReplyMA(b, req.Authenticator[:], []byte(f.Secret))
	}
	h := md5.New()
	h.Write(b[:4])
	h.Write(req.Authenticator[:])
	h.Write(b[20:])
	h.Write([]byte(f.Secret))
	h.Sum(b[4:4:20])
	return b
}

// signReplyMA fills the Message-Authenticator that reply puts first (at
// offset 22), computed with the request authenticator in place.
func signReplyMA(b, requestAuth, secret []byte) {
	copy(b[4:20], requestAuth)
	m := hmac.New(md5.New, secret)
	m.Write(b)
	m.Sum(b[22:22:38])
}
