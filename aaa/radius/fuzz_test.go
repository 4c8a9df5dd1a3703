package radius

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"layeh.com/radius"
)

type nakHandler struct{}

func (nakHandler) HandleCoA(ctx context.Context, r *DynamicRequest) (bool, ErrorCause, radius.Attributes) {
	if _, err := r.Mirror(); err != nil {
		return false, CauseInvalidRequest, nil
	}
	return true, 0, nil
}

func (nakHandler) HandleDisconnect(ctx context.Context, r *DynamicRequest) (bool, ErrorCause, radius.Attributes) {
	return false, CauseSessionContextNotFound, nil
}

// FuzzDynamicReceive feeds datagrams through the dynamic-request server's
// whole validation path, as if they came from a configured client.
func FuzzDynamicReceive(f *testing.F) {
	f.Add(mustHex(f, vectorCoA))
	disc := mustHex(f, vectorCoA)
	disc[0] = byte(radius.CodeDisconnectRequest)
	f.Add(disc)
	f.Add([]byte{43, 1, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		f.Fatal(err)
	}
	s := ServeDynamic(conn, DynamicConfig{
		Clients:         []DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "s3cret"}},
		ReplayWindow:    100 * 365 * 24 * time.Hour,
		DuplicateWindow: time.Nanosecond,
	}, nakHandler{})
	defer s.Close()
	src := netip.MustParseAddrPort("127.0.0.1:9") // discard port
	f.Fuzz(func(t *testing.T, b []byte) {
		s.receive(append([]byte(nil), b...), src)
	})
}

// FuzzClientReply feeds datagrams to the client's reply matching as if they
// came from the server an Access-Request is outstanding on.
func FuzzClientReply(f *testing.F) {
	f.Add(mustHex(f, vectorAccessAccept))
	f.Add([]byte{2, 1, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 1, 0, 38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 80, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	req := mustHex(f, vectorAccessRequest)
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &server{slots: make(chan struct{}, 1)}
		cfg := ServerConfig{Secret: "s3cret"}
		s.cfg.Store(&cfg)
		o := &outstanding{packet: req, reply: make(chan *Response, 1), code: radius.CodeAccessRequest}
		s.pending[1] = o
		s.handleReply(b)
		select {
		case r := <-o.reply:
			if !radius.IsAuthenticResponse(b, req, []byte("s3cret")) {
				t.Fatal("accepted a reply that does not authenticate")
			}
			_, _ = r.Mirror()
		default:
		}
	})
}
