package radius_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"layeh.com/radius"
	"layeh.com/radius/rfc2866"

	erx "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

// sessionHandler is a DynamicHandler that knows one session and records
// the mirroring VSAs it is sent.
type sessionHandler struct {
	session string

	mu          sync.Mutex
	mirrors     []erx.Mirror
	disconnects []string
}

func (h *sessionHandler) HandleCoA(ctx context.Context, req *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	id, err := rfc2866.AcctSessionID_LookupString(req.Packet)
	if err != nil {
		return false, erx.CauseMissingAttribute, nil
	}
	if id != h.session {
		return false, erx.CauseSessionContextNotFound, nil
	}
	m, err := req.Mirror()
	if err != nil {
		return false, erx.CauseInvalidRequest, nil
	}
	h.mu.Lock()
	h.mirrors = append(h.mirrors, m)
	h.mu.Unlock()
	return true, 0, nil
}

func (h *sessionHandler) HandleDisconnect(ctx context.Context, req *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	id, err := rfc2866.AcctSessionID_LookupString(req.Packet)
	if err != nil {
		return false, erx.CauseMissingAttribute, nil
	}
	if id != h.session {
		return false, erx.CauseSessionContextNotFound, nil
	}
	h.mu.Lock()
	h.disconnects = append(h.disconnects, id)
	h.mu.Unlock()
	return true, 0, nil
}

func TestDynamicRequestsFromRadclient(t *testing.T) {
	h := &sessionHandler{session: "erx-0000000a"}
	srv, err := erx.ListenDynamic("127.0.0.1:0", erx.DynamicConfig{
		Clients: []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "coasecret"}},
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	mirrorAttrs := []string{
		`ERX-LI-Action = on`,
		`ERX-Med-Dev-Handle = 0x0000030000000090`,
		`ERX-Med-Ip-Address = 192.0.2.9`,
		`ERX-Med-Port-Number = 30030`,
	}

	tests := []struct {
		name     string
		command  string
		attrs    []string
		wantCode string
		wantErr  string // Error-Cause as radclient prints it
	}{
		{"CoAStartMirroring", "coa", append([]string{`Acct-Session-Id = "erx-0000000a"`}, mirrorAttrs...), "CoA-ACK", ""},
		{"CoAWithMessageAuthenticator", "coa", append([]string{`Acct-Session-Id = "erx-0000000a"`, `Message-Authenticator = 0x00`}, mirrorAttrs...), "CoA-ACK", ""},
		{"CoAUnknownSession", "coa", append([]string{`Acct-Session-Id = "nobody"`}, mirrorAttrs...), "CoA-NAK", "Session-Context-Not-Found"},
		{"CoANoSession", "coa", mirrorAttrs, "CoA-NAK", "Missing-Attribute"},
		{"Disconnect", "disconnect", []string{`Acct-Session-Id = "erx-0000000a"`}, "Disconnect-ACK", ""},
		{"DisconnectUnknownSession", "disconnect", []string{`Acct-Session-Id = "nobody"`}, "Disconnect-NAK", "Session-Context-Not-Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := radiustest.Radclient(ctx, srv.Addr(), tt.command, "coasecret", tt.attrs...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Code != tt.wantCode {
				t.Fatalf("reply %q, want %q\n%s", res.Code, tt.wantCode, res.Output)
			}
			if got := res.Get("Error-Cause"); got != tt.wantErr {
				t.Errorf("Error-Cause = %q, want %q\n%s", got, tt.wantErr, res.Output)
			}
		})
	}

	want := erx.Mirror{
		HasAction: true, Action: erx.LIOn,
		HasDevHandle: true, DevHandle: []byte{0, 0, 3, 0, 0, 0, 0, 0x90},
		HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9"),
		HasPort: true, Port: 30030,
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.mirrors) != 2 {
		t.Fatalf("handler saw %d mirroring CoAs, want 2", len(h.mirrors))
	}
	for _, m := range h.mirrors {
		if !mirrorEqual(m, want) {
			t.Errorf("decoded %+v, want %+v", m, want)
		}
	}
	if len(h.disconnects) != 1 {
		t.Errorf("disconnects = %v", h.disconnects)
	}
	// Every CoA here carries intercept VSAs: all are counted apart.
	st := srv.Stats()
	if st.CoARequests != 0 || st.Mirror.CoARequests != 4 || st.Mirror.CoAACKs != 2 || st.Mirror.CoANAKs != 2 || st.DisconnectRequests != 2 || st.DisconnectACKs != 1 || st.DisconnectNAKs != 1 || st.BadAuthenticators != 0 {
		t.Errorf("stats = %+v", st)
	}
}
