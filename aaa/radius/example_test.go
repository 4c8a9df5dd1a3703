package radius_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"layeh.com/radius"

	erx "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/aaa/radiustest"
)

// exampleTB lets examples use the test helpers.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                      {}
func (exampleTB) Cleanup(func())               {}
func (exampleTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func ExampleClient_Authenticate() {
	fake := radiustest.NewFakeServer(exampleTB{}, "s3cret")
	defer fake.Close()
	fake.SetUser("sub1@erx.test", radiustest.User{
		Password: "test",
		Mirror:   &erx.Mirror{HasAction: true, Action: erx.LIOn, HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9")},
	})

	c, err := erx.NewClient(erx.Config{
		Servers: []erx.ServerConfig{{Addr: fake.Addr, Secret: "s3cret"}},
		NAS:     erx.NASIdentity{Identifier: "host1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	resp, err := c.Authenticate(context.Background(), erx.AccessRequest{
		UserName: "sub1@erx.test",
		Password: "test",
		Port:     &erx.Port{Type: "GigabitEthernet", Slot: 2, Port: 0, Sub: 100, VLAN: 100},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := resp.Authorization()
	fmt.Println(resp.Code, auth.Mirror.Action, auth.Mirror.Analyzer, err)
	// Output: Access-Accept on 192.0.2.9 <nil>
}

type exampleHandler struct{}

func (exampleHandler) HandleCoA(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	m, err := r.Mirror()
	if err != nil {
		return false, erx.CauseInvalidRequest, nil
	}
	_ = m // hand to the mirroring engine
	return true, 0, nil
}

func (exampleHandler) HandleDisconnect(ctx context.Context, r *erx.DynamicRequest) (bool, erx.ErrorCause, radius.Attributes) {
	return false, erx.CauseSessionContextNotFound, nil
}

func ExampleListenDynamic() {
	srv, err := erx.ListenDynamic("127.0.0.1:0", erx.DynamicConfig{
		Clients: []erx.DynamicClient{{Addr: netip.MustParseAddr("127.0.0.1"), Secret: "coasecret"}},
	}, exampleHandler{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(srv.Stats().CoARequests)
	// Output: 0
}
