package subscribers

import (
	"errors"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/local"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// TestLocalAuthenticationPPP: with `aaa authentication ppp default local`
// PPP subscribers are checked against the selected subscriber local
// database (`aaa local username`, aaa/local.SubscriberDB as routerd
// passes it): PAP and CHAP-MD5 against its password, wrong passwords and
// users of another database refused at the authentication stage. No
// RADIUS request is sent, and every outcome is counted for show aaa
// statistics.
func TestLocalAuthenticationPPP(t *testing.T) {
	r := newRig(t)
	users := local.NewSubscriberDB()
	must(t, users.CreateDatabase(local.DefaultDatabase))
	must(t, users.CreateDatabase("west"))
	must(t, users.SetUser(local.DefaultDatabase, "clear@isp", "pw-clear"))
	must(t, users.SetUser("west", "other@isp", "pw-other"))
	r.e.mu.Lock()
	r.e.aaa.Local = users
	r.e.mu.Unlock()
	r.e.SetAuthentication(TypePPPoE, []Method{MethodLocal})

	pap, chap := []ppp.AuthProtocol{ppp.AuthPAP}, []ppp.AuthProtocol{ppp.AuthCHAP}
	tests := []struct {
		name, user, pw string
		auth           []ppp.AuthProtocol
		ok             bool
	}{
		{"PAPClear", "clear@isp", "pw-clear", pap, true},
		{"CHAPClear", "clear@isp", "pw-clear", chap, true},
		{"PAPWrong", "clear@isp", "nope", pap, false},
		{"CHAPWrong", "clear@isp", "nope", chap, false},
		{"PAPOtherDatabase", "other@isp", "pw-other", pap, false},
		{"CHAPOtherDatabase", "other@isp", "pw-other", chap, false},
		{"PAPUnknown", "nobody@isp", "pw-clear", pap, false},
	}
	accepts, rejects := 0, 0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := r.emu.DialPPPoE(ctx(t), pppoetest.PPPoEConfig{MAC: pppoetest.MACAdd(macS1, i), User: tt.user,
				Password: tt.pw, Accept: tt.auth, Retries: 5, RetryInterval: 2 * time.Second})
			if !tt.ok {
				rejects++
				// Refused at authentication; when the check outlasted a PAP
				// retransmission (a busy machine under -race) the emulator
				// ignores the stale NAK and sees the router end the link
				// instead.
				var le *pppoetest.LoginError
				if !errors.As(err, &le) || (le.Stage != pppoetest.StageAuth && le.Stage != pppoetest.StageLCP) {
					t.Fatalf("login of %s with %q succeeded or failed elsewhere: %v", tt.user, tt.pw, err)
				}
				return
			}
			accepts++
			if err != nil {
				t.Fatalf("login of %s: %v", tt.user, err)
			}
			if !s.Address().IsValid() {
				t.Fatal("no address")
			}
			ev := r.next(EventLogin)
			if ev.Session.Username != tt.user {
				t.Errorf("login event for %q, want %q", ev.Session.Username, tt.user)
			}
			r.next(EventAddressAssigned)
		})
	}
	for _, p := range r.rad.Requests() {
		if p.Code == 1 { // Access-Request
			t.Errorf("an Access-Request was sent with the local method only")
		}
	}
	st := r.e.AAAStats()[AuthPPP]
	// A retransmitted PAP request is checked again: at least one count
	// per refused login.
	if st.Kind != AuthPPP || st.Requests < uint64(len(tests)) || st.Accepts != uint64(accepts) ||
		st.Rejects < uint64(rejects) || st.ByMethod[MethodLocal] != uint64(accepts) || st.Unavailable != 0 {
		t.Errorf("ppp stats %+v, want %d requests, %d accepts (local), %d rejects", st, len(tests), accepts, rejects)
	}
}
