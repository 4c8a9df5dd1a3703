package mgmt

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestParseACK(t *testing.T) {
	base := func(mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
		m, err := dhcpv4.New(mods...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		ack     *dhcpv4.DHCPv4
		addr    string
		gw      string
		lease   time.Duration
		t1      time.Duration
		wantErr bool
	}{
		{
			name: "full",
			ack: base(dhcpv4.WithYourIP(net.IPv4(10, 0, 0, 5)), dhcpv4.WithNetmask(net.CIDRMask(16, 32)),
				dhcpv4.WithRouter(net.IPv4(10, 0, 0, 1)), dhcpv4.WithLeaseTime(600),
				dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(100*time.Second))),
			addr: "10.0.5.5/16", gw: "10.0.0.1", lease: 600 * time.Second, t1: 100 * time.Second,
		},
		{
			name: "no mask, no router, no lease time",
			ack:  base(dhcpv4.WithYourIP(net.IPv4(10, 0, 0, 5))),
			addr: "10.0.0.5/24", lease: time.Hour, t1: 30 * time.Minute,
		},
		{
			name: "T1 beyond the lease",
			ack: base(dhcpv4.WithYourIP(net.IPv4(10, 0, 0, 5)), dhcpv4.WithLeaseTime(10),
				dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(time.Minute))),
			addr: "10.0.0.5/24", lease: 10 * time.Second, t1: 5 * time.Second,
		},
		{name: "no address", ack: base(), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "full" {
				tc.ack.YourIPAddr = net.IPv4(10, 0, 5, 5)
			}
			li, err := parseACK(tc.ack)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gw := ""
			if li.gateway.IsValid() {
				gw = li.gateway.String()
			}
			if li.addr != netip.MustParsePrefix(tc.addr) || gw != tc.gw || li.duration != tc.lease || li.t1 != tc.t1 {
				t.Fatalf("got %+v", li)
			}
		})
	}
}
