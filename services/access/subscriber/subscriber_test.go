package subscriber

import "testing"

func TestAcctTerminateCause(t *testing.T) {
	for _, tc := range []struct {
		c    Cause
		want uint32
	}{
		{CauseUserRequest, 1},
		{CauseLostCarrier, 2},
		{CauseIdleTimeout, 4},
		{CauseSessionTimeout, 5},
		{CauseLeaseExpired, 5},
		{CauseAdminReset, 6},
		{CauseNASError, 9},
		{CauseNASRequest, 10},
		{CauseNegotiationFailed, 15},
		{CauseAuthFailed, 17},
		{Cause(99), 9},
	} {
		if got := tc.c.AcctTerminateCause(); got != tc.want {
			t.Errorf("%v: got %d, want %d", tc.c, got, tc.want)
		}
		if tc.c.String() == "" {
			t.Errorf("%d: empty name", tc.c)
		}
	}
}
