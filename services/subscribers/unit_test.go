package subscribers

import (
	"context"
	"crypto/md5"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

func TestTable(t *testing.T) {
	tb := NewTable(time.Unix(1234567, 0))
	a := tb.add(&Session{Type: TypePPPoE, Username: "a", Interface: "if1", AccessInterface: "ge", Address: netip.MustParseAddr("10.0.0.1")})
	b := tb.add(&Session{Type: TypeIPoE, Username: "b", Interface: "ge", AccessInterface: "ge", VirtualRouter: "vr1"})
	if a.AcctSessionID == b.AcctSessionID || len(a.AcctSessionID) != 10 || len(b.AcctSessionID) != 10 {
		t.Fatalf("acct ids %q %q", a.AcctSessionID, b.AcctSessionID)
	}
	for _, tc := range []struct {
		name string
		q    Query
		want int
	}{
		{"all", Query{}, 2},
		{"user", Query{Username: "a"}, 1},
		{"acct", Query{AcctSessionID: b.AcctSessionID}, 1},
		{"addr", Query{Address: netip.MustParseAddr("10.0.0.1")}, 1},
		{"access interface", Query{Interface: "ge"}, 2},
		{"dynamic interface", Query{Interface: "if1"}, 1},
		{"vr default", Query{VirtualRouter: "default"}, 1},
		{"vr1", Query{VirtualRouter: "vr1"}, 1},
		{"and", Query{Username: "a", VirtualRouter: "vr1"}, 0},
	} {
		if got := len(tb.Find(tc.q)); got != tc.want {
			t.Errorf("%s: %d sessions, want %d", tc.name, got, tc.want)
		}
	}
	if s, ok := tb.ByAcctSessionID(a.AcctSessionID); !ok || s.ID != a.ID {
		t.Fatal("ByAcctSessionID")
	}
	if _, ok := tb.remove(a.ID); !ok || tb.Len() != 1 {
		t.Fatal("remove")
	}
	if _, ok := tb.update(a.ID, func(*Session) {}); ok {
		t.Fatal("update of a removed session")
	}
}

func TestBusOrderAndDrops(t *testing.T) {
	var b Bus
	var mu sync.Mutex
	var got []EventType
	block := make(chan struct{})
	cancelSync := b.Subscribe("sync", func(ev Event) { mu.Lock(); got = append(got, ev.Type); mu.Unlock() }, ConsumerOptions{Sync: true})
	var slow []EventType
	cancelSlow := b.Subscribe("slow", func(ev Event) { <-block; slow = append(slow, ev.Type) }, ConsumerOptions{QueueLen: 2})
	for _, ty := range []EventType{EventLogin, EventAddressAssigned, EventLogout, EventLogin, EventLogout} {
		b.Publish(Event{Type: ty})
	}
	mu.Lock()
	if len(got) != 5 || got[0] != EventLogin || got[2] != EventLogout {
		t.Fatalf("sync consumer saw %v", got)
	}
	mu.Unlock()
	st := b.Stats()
	if len(st) != 2 || st[1].Dropped == 0 || st[0].Delivered != 5 {
		t.Fatalf("stats %+v", st)
	}
	close(block)
	cancelSlow()
	if len(slow) == 0 || slow[0] != EventLogin {
		t.Fatalf("async consumer saw %v", slow)
	}
	cancelSync()
	cancelSync()
	b.Publish(Event{Type: EventLogin})
	b.Close()
	if c := b.Subscribe("late", func(Event) {}, ConsumerOptions{}); c == nil {
		t.Fatal("nil cancel")
	}
}

type fakeLocal map[string]string

func (f fakeLocal) AuthPassword(name, pw string) (int, error) {
	if p, ok := f[name]; ok && p == pw {
		return 1, nil
	}
	return 0, errors.New("authentication failed")
}

type clearLocal struct{ fakeLocal }

func (c clearLocal) ClearPassword(name string) (string, bool) {
	p, ok := c.fakeLocal[name]
	return p, ok
}

func chap(id byte, pw string, ch []byte) []byte {
	h := md5.New()
	h.Write([]byte{id})
	h.Write([]byte(pw))
	h.Write(ch)
	return h.Sum(nil)
}

func TestAAAMethods(t *testing.T) {
	rad := radiustest.NewFakeServer(t, "k")
	rad.SetUser("r", radiustest.User{Password: "rp", Attributes: framedIP("100.64.9.9")})
	rad.SetUser("rej", radiustest.User{Reject: true})
	cl, err := erxradius.NewClient(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: rad.Addr, Secret: "k", Timeout: 200 * time.Millisecond, Retransmit: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	dead, err := erxradius.NewClient(erxradius.Config{Servers: []erxradius.ServerConfig{{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), radiustest.FreeUDPPort(t)), Secret: "k", Timeout: 100 * time.Millisecond, Retransmit: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	local := fakeLocal{"l": "lp"}
	ch := []byte("0123456789abcdef")
	pap := func(u, p string) Credentials { return Credentials{User: u, Password: p, PAP: true} }
	chapC := func(u, p string) Credentials {
		return Credentials{User: u, CHAPID: 7, CHAPChallenge: ch, CHAPResponse: chap(7, p, ch)}
	}
	for _, tc := range []struct {
		name    string
		aaa     AAA
		methods []Method
		c       Credentials
		wantErr error
		addr    string
	}{
		{"radius pap", AAA{RADIUS: cl}, []Method{MethodRADIUS}, pap("r", "rp"), nil, "100.64.9.9"},
		{"radius chap", AAA{RADIUS: cl}, []Method{MethodRADIUS}, chapC("r", "rp"), nil, "100.64.9.9"},
		{"radius wrong", AAA{RADIUS: cl}, []Method{MethodRADIUS}, pap("r", "x"), ErrRejected, ""},
		{"reject stops the list", AAA{RADIUS: cl, Local: local}, []Method{MethodRADIUS, MethodNone}, pap("rej", "x"), ErrRejected, ""},
		{"dead radius then local", AAA{RADIUS: dead, Local: local}, []Method{MethodRADIUS, MethodLocal}, pap("l", "lp"), nil, ""},
		{"dead radius then none", AAA{RADIUS: dead}, []Method{MethodRADIUS, MethodNone}, pap("x", "y"), nil, ""},
		{"dead radius alone", AAA{RADIUS: dead}, []Method{MethodRADIUS}, pap("x", "y"), ErrUnavailable, ""},
		{"no radius configured", AAA{}, nil, pap("x", "y"), ErrUnavailable, ""},
		{"local wrong", AAA{Local: local}, []Method{MethodLocal, MethodNone}, pap("l", "no"), ErrRejected, ""},
		{"local chap without clear passwords", AAA{Local: local}, []Method{MethodLocal}, chapC("l", "lp"), ErrCHAPNeedsClearPassword, ""},
		{"local chap with clear passwords", AAA{Local: clearLocal{local}}, []Method{MethodLocal}, chapC("l", "lp"), nil, ""},
		{"local chap wrong", AAA{Local: clearLocal{local}}, []Method{MethodLocal}, chapC("l", "no"), ErrRejected, ""},
		{"none", AAA{}, []Method{MethodNone}, pap("x", ""), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.aaa.Authenticate(context.Background(), tc.methods, Identity{Port: PortOf("gigabitEthernet 1/0/0.5", 5), Framed: true}, tc.c)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.addr != "" && g.Attributes.Address.String() != tc.addr {
				t.Fatalf("address %v", g.Attributes.Address)
			}
		})
	}
}

func TestPortOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		vlan uint16
		want string
	}{
		{"gigabitEthernet 2/0/1", 0, "GigabitEthernet 2/0/1"},
		{"gigabitEthernet 2/0/1.100", 100, "GigabitEthernet 2/0/1.100:100"},
		{"fastEthernet 4/1.3", 3, "FastEthernet 4/1.3:3"},
	} {
		if got := PortOf(tc.in, tc.vlan).NASPortID(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzPortOf(f *testing.F) {
	for _, s := range []string{"gigabitEthernet 2/0/1.100", "x", "", "a 1/2/3/4.5.6", " /"} {
		f.Add(s, uint16(5))
	}
	f.Fuzz(func(t *testing.T, s string, vlan uint16) {
		_ = PortOf(s, vlan).NASPortID()
	})
}

func FuzzRequestQuery(f *testing.F) {
	p := radius.New(radius.CodeDisconnectRequest, []byte("k"))
	b, _ := p.Encode()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := radius.Parse(b, []byte("k"))
		if err != nil {
			return
		}
		_, _, _, _ = requestQuery(p)
	})
}

func TestOption82(t *testing.T) {
	for _, tc := range []struct {
		s    Session
		want string
	}{
		{Session{}, ""},
		{Session{CircuitID: []byte("ab")}, "\x01\x02ab"},
		{Session{CircuitID: []byte("ab"), RemoteID: []byte("c")}, "\x01\x02ab\x02\x01c"},
		{Session{RemoteID: []byte("c")}, "\x02\x01c"},
	} {
		if got := string(tc.s.Option82()); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
