package subcli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/pppoetest"
	"github.com/erxos/erx/services/subscribers"
)

// TestShowSubscribersFiltersAndLogout logs two PPPoE subscribers in
// (authentication `none`) and checks `show subscribers` with each filter
// (username; interface: the access port or one subscriber's dynamic
// interface; virtual-router) and the `logout subscribers` forms (interface, then all),
// each logout ending exactly the sessions it selects.
func TestShowSubscribersFiltersAndLogout(t *testing.T) {
	r := newRig(t)
	s := r.session()
	if out := transcript(s, "configure terminal", "aaa authentication ppp default none",
		"ip local pool subs 100.64.0.1 100.64.0.9",
		"interface gigabitEthernet 1/0/0", "encapsulation pppoe", "end"); strings.Contains(out, "%") {
		t.Fatalf("configuration failed:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var sess []*pppoetest.PPPoESession
	for i, user := range []string{"alice@isp", "bob@isp"} {
		ps, err := r.emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 0, byte(i + 1)}, User: user,
			Password: "pw", RetryInterval: 200 * time.Millisecond})
		must(t, err)
		sess = append(sess, ps)
		for ss := r.e.Table().Find(subscribers.Query{Username: user}); len(ss) == 0 || ss[0].State != subscribers.StateActive; ss = r.e.Table().Find(subscribers.Query{Username: user}) {
			if ctx.Err() != nil {
				t.Fatalf("%s not active", user)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	alice := fmt.Sprintf("gigabitEthernet 1/0/0.0.%d", sess[0].SessionID())
	bob := fmt.Sprintf("GigabitEthernet1/0/0.0.%d", sess[1].SessionID())
	aliceRow := fmt.Sprintf("alice@isp PPP  100.64.0.1 GigabitEthernet1/0/0.0.%d default Fri Nov 27 12:00:00 2026", sess[0].SessionID())
	bobRow := fmt.Sprintf("bob@isp   PPP  100.64.0.2 %s default Fri Nov 27 12:00:00 2026", bob)
	for _, tc := range []struct {
		cmd       string
		want, not []string
	}{
		{"show subscribers", []string{aliceRow, bobRow}, nil},
		{"show subscribers username bob@isp", []string{"bob@isp"}, []string{"alice@isp"}},
		{"show subscribers username alice", []string{"No subscribers found"}, []string{"alice@isp"}},
		{"show subscribers interface gigabitEthernet 1/0/0", []string{"alice@isp", "bob@isp"}, nil},
		{"show subscribers interface " + alice, []string{"alice@isp"}, []string{"bob@isp"}},
		{"show subscribers interface gigabitEthernet 1/0/0.100", []string{"No subscribers found"}, []string{"@isp"}},
		{"show subscribers virtual-router default", []string{aliceRow, bobRow}, nil},
		{"show subscribers virtual-router isp", []string{"No subscribers found"}, []string{"@isp "}},
		{"show subscribers summary", []string{"PPP             2", "Total           2"}, nil},
	} {
		out := transcript(s, tc.cmd)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: missing %q in:\n%s", tc.cmd, w, out)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out, w) {
				t.Errorf("%s: unexpected %q in:\n%s", tc.cmd, w, out)
			}
		}
	}
	for i, tc := range []struct {
		cmd, want string
	}{
		{"logout subscribers interface gigabitEthernet 1/0/0.100", "0 subscriber(s) logged out"},
		{"logout subscribers interface " + alice, "1 subscriber(s) logged out"},
		{"logout subscribers username nobody", "0 subscriber(s) logged out"},
		{"logout subscribers all", "1 subscriber(s) logged out"},
	} {
		if out := transcript(s, tc.cmd); !strings.Contains(out, tc.want) {
			t.Fatalf("%d %s:\n%s", i, tc.cmd, out)
		}
		if i == 1 {
			select {
			case <-sess[0].Down():
			case <-ctx.Done():
				t.Fatal("alice still up")
			}
			r.e.Sync()
			if out := transcript(s, "show subscribers"); strings.Contains(out, "alice@isp") || !strings.Contains(out, "bob@isp") {
				t.Fatalf("after logging alice's interface out:\n%s", out)
			}
		}
	}
	select {
	case <-sess[1].Down():
	case <-ctx.Done():
		t.Fatal("bob still up")
	}
	r.e.Sync()
	if out := transcript(s, "show subscribers"); !strings.Contains(out, "No subscribers found") {
		t.Fatalf("after logout all:\n%s", out)
	}
}
