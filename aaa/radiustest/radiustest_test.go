package radiustest

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	erx "github.com/erxos/erx/aaa/radius"
)

const detailSample = `Fri Nov 27 19:37:27 2026
	Acct-Status-Type = Start
	Acct-Session-Id = "erx-0000000a"
	NAS-Port-Id = "GigabitEthernet 2/0/0.100:100"
	Class = 0x636c73
	Class = 0x6f7468
	Timestamp = 1795808247

Fri Nov 27 19:37:28 2026
	Acct-Status-Type = Stop
	Reply-Message = "say \"hi\""
`

func TestParseDetail(t *testing.T) {
	recs, err := ParseDetail(strings.NewReader(detailSample))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	tests := []struct {
		rec        int
		name, want string
	}{
		{0, "Acct-Status-Type", "Start"},
		{0, "Acct-Session-Id", "erx-0000000a"},
		{0, "NAS-Port-Id", "GigabitEthernet 2/0/0.100:100"},
		{0, "Timestamp", "1795808247"},
		{1, "Acct-Status-Type", "Stop"},
		{1, "Reply-Message", `say "hi"`},
		{1, "Missing", ""},
	}
	for _, tt := range tests {
		if got := recs[tt.rec].Get(tt.name); got != tt.want {
			t.Errorf("record %d %s = %q, want %q", tt.rec, tt.name, got, tt.want)
		}
	}
	if got := recs[0].Attrs["Class"]; len(got) != 2 {
		t.Errorf("Class = %q, want two values", got)
	}
	if recs[1].Header != "Fri Nov 27 19:37:28 2026" {
		t.Errorf("header = %q", recs[1].Header)
	}
	if _, err := ParseDetail(strings.NewReader("\tOrphan = 1\n")); err == nil {
		t.Error("attribute outside a record accepted")
	}
	if _, err := ParseDetail(strings.NewReader("Fri\n\tNoEquals\n")); err == nil {
		t.Error("line without ` = ` accepted")
	}
}

const radclientSample = `Sent CoA-Request Id 216 from 0.0.0.0:37478 to 127.0.0.1:17001 length 128
	Acct-Session-Id = "X1"
	ERX-LI-Action = on
Received CoA-NAK Id 216 from 127.0.0.1:17001 to 127.0.0.1:37478 length 26
	Error-Cause = Session-Context-Not-Found
	Reply-Message = "no \"such\" session"
(0) -: Expected CoA-ACK got CoA-NAK
`

func TestParseRadclientOutput(t *testing.T) {
	res, ok := ParseRadclientOutput(radclientSample)
	if !ok || res.Code != "CoA-NAK" {
		t.Fatalf("code %q ok %v", res.Code, ok)
	}
	if got := res.Get("Error-Cause"); got != "Session-Context-Not-Found" {
		t.Errorf("Error-Cause = %q", got)
	}
	if got := res.Get("Reply-Message"); got != `no "such" session` {
		t.Errorf("Reply-Message = %q", got)
	}
	if res.Get("Acct-Session-Id") != "" {
		t.Error("request attribute taken for a reply attribute")
	}
	if _, ok := ParseRadclientOutput("(0) No reply from server for ID 216 socket 3\n"); ok {
		t.Error("reply found in a timeout")
	}
}

func TestFakeServer(t *testing.T) {
	f := NewFakeServer(t, "k")
	f.SetUser("u", User{Password: "p", Attributes: radius.Attributes{{Type: rfc2865.ReplyMessage_Type, Attribute: radius.Attribute("hi")}}})
	f.SetUser("gone", User{Drop: true})
	c, err := erx.NewClient(erx.Config{
		Servers: []erx.ServerConfig{{Addr: f.Addr, Secret: "k", Retransmit: -1}},
		NAS:     erx.NASIdentity{Identifier: "t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	resp, err := c.Authenticate(ctx, erx.AccessRequest{UserName: "u", Password: "p"})
	if err != nil || resp.Code != radius.CodeAccessAccept || rfc2865.ReplyMessage_GetString(resp.Packet) != "hi" {
		t.Fatalf("u: %v %v", resp, err)
	}
	challenge := []byte("challenge-bytes!")
	resp, err = c.Authenticate(ctx, erx.AccessRequest{UserName: "u", CHAPID: 1, CHAPChallenge: challenge, CHAPResponse: erx.CHAPResponse(1, "p", challenge)})
	if err != nil || resp.Code != radius.CodeAccessAccept {
		t.Fatalf("u CHAP: %v %v", resp, err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.Authenticate(short, erx.AccessRequest{UserName: "gone", Password: "p"}); err == nil {
		t.Fatal("dropped user answered")
	}
	if n := len(f.Requests()); n != 3 {
		t.Errorf("%d requests recorded, want 3", n)
	}
}

func FuzzParseDetail(f *testing.F) {
	f.Add(detailSample)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseDetail(strings.NewReader(s))
	})
}

func FuzzParseRadclientOutput(f *testing.F) {
	f.Add(radclientSample)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseRadclientOutput(s)
	})
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
