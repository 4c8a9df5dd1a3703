package pppoetest

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/dhcp"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoe"
	"github.com/erxos/erx/services/access/subscriber"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var mp = netip.MustParseAddr

// userDB is a fake Authenticator: user<i> has password secret<i>.
type userDB struct{}

func (userDB) secret(user string) (string, bool) {
	var i int
	if _, err := fmt.Sscanf(user, "user%d", &i); err != nil {
		return "", false
	}
	return fmt.Sprintf("secret%d", i), true
}

func (d userDB) AuthenticatePAP(_ context.Context, user, pass string) (subscriber.Attributes, error) {
	if sec, ok := d.secret(user); ok && sec == pass {
		return subscriber.Attributes{Pool: "subs"}, nil
	}
	return subscriber.Attributes{}, errors.New("Access-Reject")
}

func (d userDB) AuthenticateCHAP(_ context.Context, user string, id uint8, ch, resp []byte) (subscriber.Attributes, error) {
	sec, ok := d.secret(user)
	m := md5.New()
	m.Write([]byte{id})
	m.Write([]byte(sec))
	m.Write(ch)
	if ok && string(m.Sum(nil)) == string(resp) {
		return subscriber.Attributes{Pool: "subs"}, nil
	}
	return subscriber.Attributes{}, errors.New("Access-Reject")
}

// eventLog collects PPP events by type.
type eventLog struct {
	mu     sync.Mutex
	counts map[ppp.EventType]int
	causes map[subscriber.Cause]int
	addrs  map[netip.Addr]bool
	dup    bool
	cond   *sync.Cond
}

func newEventLog() *eventLog {
	l := &eventLog{counts: map[ppp.EventType]int{}, causes: map[subscriber.Cause]int{}, addrs: map[netip.Addr]bool{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *eventLog) add(_ uint16, ev ppp.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[ev.Type]++
	switch ev.Type {
	case ppp.EventUp:
		if l.addrs[ev.Address] {
			l.dup = true
		}
		l.addrs[ev.Address] = true
	case ppp.EventDown:
		l.causes[ev.Cause]++
		delete(l.addrs, ev.Address)
	}
	l.cond.Broadcast()
}

// waitDown waits until n Down events were seen.
func (l *eventLog) waitDown(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.counts[ppp.EventDown] < n {
		l.cond.Wait()
	}
}

type rig struct {
	srv  *AccessServer
	emu  *Emulator
	pool *pool.Server
	log  *eventLog
}

var serverMAC = MAC{0x02, 0xe3, 0x20, 0, 0, 1}

func newPPPoERig(t *testing.T, auth ppp.AuthProtocol, clientLink, serverLink Link) *rig {
	t.Helper()
	r := &rig{pool: &pool.Server{}, log: newEventLog()}
	if err := r.pool.AddRange("subs", mp("10.100.0.10"), mp("10.100.0.250")); err != nil {
		t.Fatal(err)
	}
	srv, err := NewAccessServer(serverLink, ServerConfig{
		Port: "gigabitEthernet 2/0/1",
		MAC:  serverMAC,
		PPPoE: pppoe.Config{
			ACName:         "host1",
			PADIBurst:      5,
			GlobalPADIRate: 10000,
		},
		PPP: ppp.Config{
			Name:          "host1",
			Auth:          []ppp.AuthProtocol{auth},
			LocalAddress:  mp("10.100.0.1"),
			PrimaryDNS:    mp("192.0.2.53"),
			Authenticator: userDB{},
			Pool:          r.pool,
			EchoInterval:  30 * time.Second,
		},
		OnPPPEvent: r.log.add,
		DHCP: &dhcp.Config{
			ServerID: mp("10.200.0.1"),
			Pool:     r.pool,
			PoolName: "ipoe",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.pool.AddRange("ipoe", mp("10.200.0.100"), mp("10.200.0.199"))
	r.srv = srv
	r.emu = NewEmulator(clientLink)
	t.Cleanup(func() {
		r.emu.Close()
		r.srv.Close()
	})
	return r
}

func creds(i int) (string, string) { return fmt.Sprintf("user%d", i), fmt.Sprintf("secret%d", i) }

func TestHundredSessionsLoginLogout(t *testing.T) {
	for _, auth := range []ppp.AuthProtocol{ppp.AuthPAP, ppp.AuthCHAP} {
		t.Run(auth.String(), func(t *testing.T) {
			cl, sl := Pipe()
			r := newPPPoERig(t, auth, cl, sl)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
			defer cancel()
			res := RunLoad(ctx, r.emu, LoadConfig{
				Sessions:    100,
				BaseMAC:     MAC{0x02, 0x55, 0, 0, 0, 1},
				Credentials: creds,
				PingTarget:  mp("10.100.0.1"),
				Pings:       2,
				UDPTarget:   netip.MustParseAddrPort("192.0.2.9:9"),
				UDPPackets:  3,
				UDPSize:     100,
			})
			if res.UDPSent != 300 || r.srv.IPv4Received() != 500 {
				t.Fatalf("udp sent %d, server received %d IPv4 packets", res.UDPSent, r.srv.IPv4Received())
			}
			if len(res.Up) != 100 || len(res.Failures) != 0 {
				t.Fatalf("up %d, failures %v", len(res.Up), res.Failures)
			}
			if res.PingsAnswered != 200 {
				t.Fatalf("pings answered %d/%d", res.PingsAnswered, res.PingsSent)
			}
			seen := map[netip.Addr]bool{}
			for _, s := range res.Up {
				a := s.Address()
				if !netip.PrefixFrom(mp("10.100.0.0"), 24).Contains(a) || seen[a] {
					t.Fatalf("bad or duplicate address %v", a)
				}
				seen[a] = true
				if s.Gateway() != mp("10.100.0.1") {
					t.Fatalf("gateway %v", s.Gateway())
				}
				if p, _ := s.DNS(); p != mp("192.0.2.53") {
					t.Fatalf("dns %v", p)
				}
			}
			if u := r.pool.Usage("subs"); u[0].InUse != 100 {
				t.Fatalf("pool in use %d", u[0].InUse)
			}
			if n := len(r.srv.PPPoE().Sessions()); n != 100 {
				t.Fatalf("pppoe sessions %d", n)
			}
			res.LogoutAll()
			r.log.waitDown(100)
			if r.log.dup {
				t.Fatal("an address was handed out twice")
			}
			if r.log.counts[ppp.EventAuthenticated] != 100 || r.log.counts[ppp.EventUp] != 100 || r.log.causes[subscriber.CauseUserRequest] != 100 {
				t.Fatalf("events %v causes %v", r.log.counts, r.log.causes)
			}
			if u := r.pool.Usage("subs"); u[0].InUse != 0 {
				t.Fatalf("pool in use after logout %d", u[0].InUse)
			}
			if n := len(r.srv.PPPoE().Sessions()); n != 0 {
				t.Fatalf("pppoe sessions after logout %d", n)
			}
		})
	}
}

func TestWrongPasswordRejected(t *testing.T) {
	for _, auth := range []ppp.AuthProtocol{ppp.AuthPAP, ppp.AuthCHAP} {
		t.Run(auth.String(), func(t *testing.T) {
			cl, sl := Pipe()
			r := newPPPoERig(t, auth, cl, sl)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
			defer cancel()
			_, err := r.emu.DialPPPoE(ctx, PPPoEConfig{MAC: MAC{2, 0x55, 0, 0, 9, 9}, User: "user7", Password: "guess"})
			var le *LoginError
			if !errors.As(err, &le) || le.Stage != StageAuth || !strings.Contains(le.Reason, "rejected") {
				t.Fatalf("got %v, want auth rejection", err)
			}
			r.log.waitDown(1)
			if r.log.causes[subscriber.CauseAuthFailed] != 1 || r.log.counts[ppp.EventUp] != 0 {
				t.Fatalf("events %v causes %v", r.log.counts, r.log.causes)
			}
			// The right password still works afterwards from the same MAC.
			s, err := r.emu.DialPPPoE(ctx, PPPoEConfig{MAC: MAC{2, 0x55, 0, 0, 9, 9}, User: "user7", Password: "secret7"})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			r.log.waitDown(2)
		})
	}
}

func TestServerInitiatedDisconnect(t *testing.T) {
	cl, sl := Pipe()
	r := newPPPoERig(t, ppp.AuthPAP, cl, sl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	s, err := r.emu.DialPPPoE(ctx, PPPoEConfig{MAC: MAC{2, 0x55, 0, 0, 1, 1}, User: "user1", Password: "secret1"})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.srv.Session(s.SessionID())
	if !ok {
		t.Fatal("no server session")
	}
	p.Close(subscriber.CauseAdminReset)
	<-s.Down()
	r.log.waitDown(1)
	if r.log.causes[subscriber.CauseAdminReset] != 1 {
		t.Fatalf("causes %v", r.log.causes)
	}
	if len(r.srv.PPPoE().Sessions()) != 0 {
		t.Fatal("pppoe session left")
	}
	s.Close()
}

func TestDHCPOverPipe(t *testing.T) {
	cl, sl := Pipe()
	r := newPPPoERig(t, ppp.AuthPAP, cl, sl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	var leases []*DHCPLease
	for i := range 10 {
		l, err := r.emu.DHCP(ctx, DHCPConfig{MAC: MAC{2, 0x66, 0, 0, 0, byte(i)}, Hostname: "cpe"})
		if err != nil {
			t.Fatal(err)
		}
		if l.Address != mp(fmt.Sprintf("10.200.0.%d", 100+i)) || l.Server != mp("10.200.0.1") || l.PrefixLen != 24 || l.LeaseTime != time.Hour {
			t.Fatalf("lease %+v", l)
		}
		leases = append(leases, l)
	}
	if u := r.pool.Usage("ipoe"); u[0].InUse != 10 {
		t.Fatalf("in use %d", u[0].InUse)
	}
	for _, l := range leases {
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
	}
	// Releases are processed in order by the server's reader; a final
	// DHCP exchange proves they were all handled.
	l, err := r.emu.DHCP(ctx, DHCPConfig{MAC: MAC{2, 0x66, 0, 0, 1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Address != mp("10.200.0.100") {
		t.Fatalf("released address not reused first: %v", l.Address)
	}
	if u := r.pool.Usage("ipoe"); u[0].InUse != 1 {
		t.Fatalf("in use %d", u[0].InUse)
	}
}
