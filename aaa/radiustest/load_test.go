package radiustest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/erxos/erx/aaa/radiustest"
)

// TestRadclientRate runs the threaded FreeRADIUS and radclient's load
// mode against it: every request of the file is answered and counted.
func TestRadclientRate(t *testing.T) {
	fr := radiustest.StartFreeRADIUS(t, radiustest.FreeRADIUSConfig{Threaded: true,
		Users: "DEFAULT Cleartext-Password := \"pw\"\n"})
	reqs := make([]string, 500)
	for i := range reqs {
		reqs[i] = fmt.Sprintf("User-Name = \"load%d\"\nUser-Password = \"pw\"", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := radiustest.RadclientRate(ctx, t.TempDir(), fr.AuthAddr, "auth", fr.Secret, reqs, 32)
	if err != nil {
		t.Fatal(err)
	}
	if l.Accepted != len(reqs) || l.Rate() <= 0 {
		t.Fatalf("accepted %d of %d in %v:\n%s", l.Accepted, len(reqs), l.Elapsed, l.Output)
	}
	t.Logf("radclient: %d Access-Requests in %v: %.0f/s", l.Accepted, l.Elapsed, l.Rate())
}
