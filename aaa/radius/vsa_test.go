package radius

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"layeh.com/radius"
)

func TestParseVSAs(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		want  []VSA
		ok    bool
	}{
		{"One", []byte{0, 0, 0x13, 0x0a, 1, 5, 'v', 'r', '1'}, []VSA{{4874, 1, []byte("vr1")}}, true},
		{"Two", []byte{0, 0, 0x13, 0x0a, 1, 3, 'a', 2, 2}, []VSA{{4874, 1, []byte("a")}, {4874, 2, []byte{}}}, true},
		{"Short", []byte{0, 0, 0x13}, nil, false},
		{"NoSub", []byte{0, 0, 0x13, 0x0a}, nil, false},
		{"HighVendorByte", []byte{1, 0, 0x13, 0x0a, 1, 2}, nil, false},
		{"SubTooLong", []byte{0, 0, 0x13, 0x0a, 1, 9, 'x'}, nil, false},
		{"SubLengthOne", []byte{0, 0, 0x13, 0x0a, 1, 1}, nil, false},
		{"Trailing", []byte{0, 0, 0x13, 0x0a, 1, 2, 7}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVSAs(tt.value)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Vendor != tt.want[i].Vendor || got[i].Type != tt.want[i].Type || !bytes.Equal(got[i].Value, tt.want[i].Value) {
					t.Errorf("[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestERXHelpers(t *testing.T) {
	p := radius.New(radius.CodeAccessAccept, []byte("x"))
	p.Add(1, radius.Attribute("user"))
	if err := ERXSetString(p, ERXVirtualRouterName, "vr1"); err != nil {
		t.Fatal(err)
	}
	if err := ERXSetString(p, ERXVirtualRouterName, "vr2"); err != nil {
		t.Fatal(err)
	}
	if err := ERXSetAddr(p, ERXPrimaryDNS, netip.MustParseAddr("192.0.2.53")); err != nil {
		t.Fatal(err)
	}
	if err := ERXSetAddr(p, ERXPrimaryDNS, netip.MustParseAddr("2001:db8::1")); err == nil {
		t.Error("IPv6 accepted for an ipaddr attribute")
	}
	if err := ERXSetInteger(p, ERXIngressStatistics, 3); err != nil {
		t.Fatal(err)
	}
	if got := ERXValues(p, ERXVirtualRouterName); len(got) != 1 || string(got[0]) != "vr2" {
		t.Errorf("Virtual-Router-Name values = %q", got)
	}
	if a, ok, err := ERXAddr(p, ERXPrimaryDNS); !ok || err != nil || a != netip.MustParseAddr("192.0.2.53") {
		t.Errorf("Primary-Dns = %v %v %v", a, ok, err)
	}
	if v, ok, err := ERXInteger(p, ERXIngressStatistics); !ok || err != nil || v != 3 {
		t.Errorf("Ingress-Statistics = %v %v %v", v, ok, err)
	}
	if _, ok, _ := ERXInteger(p, ERXEgressStatistics); ok {
		t.Error("absent attribute found")
	}
	// A multi-sub-attribute VSA keeps its other members when one is deleted.
	p.Add(typeVendorSpecific, radius.Attribute{0, 0, 0x13, 0x0a, 10, 3, 'i', 11, 3, 'e'})
	ERXDel(p, ERXIngressPolicyName)
	if s, ok := ERXString(p, ERXEgressPolicyName); !ok || s != "e" {
		t.Errorf("Egress-Policy-Name = %q %v after deleting Ingress", s, ok)
	}
	if _, ok := ERXString(p, ERXIngressPolicyName); ok {
		t.Error("Ingress-Policy-Name survived ERXDel")
	}
	if string(p.Get(1)) != "user" {
		t.Error("non-VSA attribute lost")
	}
	if ERXLIAction.String() != "ERX-LI-Action" || ERXType(250).String() != "ERX-Attr-250" {
		t.Error("ERXType.String")
	}
	if a, ok := LookupERX(ERXMedPortNumber); !ok || !a.Encrypted || a.Value != TypeInteger {
		t.Errorf("LookupERX(61) = %+v", a)
	}
}

func TestMessageAuthenticator(t *testing.T) {
	secret := []byte("s3cret")
	req := &Request{Code: radius.CodeAccessRequest, Password: []byte("pw")}
	b, err := encodeRequest(req, 7, secret, NASIdentity{Identifier: "host1"})
	if err != nil {
		t.Fatal(err)
	}
	if present, err := VerifyMessageAuthenticator(b, nil, secret); !present || err != nil {
		t.Fatalf("own Access-Request: present %v, err %v", present, err)
	}
	if _, err := VerifyMessageAuthenticator(b, nil, []byte("other")); err == nil {
		t.Fatal("verified with the wrong secret")
	}
	b[len(b)-1] ^= 1
	if _, err := VerifyMessageAuthenticator(b, nil, secret); err == nil {
		t.Fatal("verified a modified packet")
	}
	plain := radius.New(radius.CodeAccessAccept, secret)
	pb, _ := plain.MarshalBinary()
	if present, err := VerifyMessageAuthenticator(pb, make([]byte, 16), secret); present || err != nil {
		t.Fatalf("packet without one: present %v, err %v", present, err)
	}
	bad := append(pb[:20:20], 80, 4, 0, 0)
	bad[3] = byte(len(bad))
	if _, err := VerifyMessageAuthenticator(bad, make([]byte, 16), secret); err == nil {
		t.Fatal("accepted a Message-Authenticator of length 4")
	}
}

func TestNASPortID(t *testing.T) {
	tests := []struct {
		port Port
		want string
		num  uint32
	}{
		{Port{Type: "GigabitEthernet", Slot: 2, Adapter: 0, Port: 0, Sub: 100, VLAN: 100}, "GigabitEthernet 2/0/0.100:100", 2<<15 | 100},
		{Port{Type: "GigabitEthernet", Slot: 3, Adapter: 1, Port: 2, Sub: 7, SVLAN: 10, VLAN: 20}, "GigabitEthernet 3/1/2.7:10-20", 3<<15 | 2<<12 | 20},
		{Port{Type: "FastEthernet", Slot: 4, Adapter: -1, Port: 1}, "FastEthernet 4/1", 4<<15 | 1<<12},
	}
	for _, tt := range tests {
		if got := tt.port.NASPortID(); got != tt.want {
			t.Errorf("NASPortID = %q, want %q", got, tt.want)
		}
		if got := tt.port.NASPort(); got != tt.num {
			t.Errorf("%s: NASPort = %d, want %d", tt.want, got, tt.num)
		}
	}
}

func TestFormatMAC(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x90, 0x1a, 0x42, 0x0b, 0x1c}
	tests := []struct {
		f    MACFormat
		want string
	}{
		{MACDotted, "0090.1a42.0b1c"},
		{MACColon, "00:90:1a:42:0b:1c"},
		{MACHyphen, "00-90-1A-42-0B-1C"},
		{MACRaw, "00901a420b1c"},
	}
	for _, tt := range tests {
		if got := FormatMAC(mac, tt.f); got != tt.want {
			t.Errorf("FormatMAC(%d) = %q, want %q", tt.f, got, tt.want)
		}
	}
	if FormatMAC(mac[:4], MACDotted) != "" {
		t.Error("short MAC formatted")
	}
}

func FuzzParseVSAs(f *testing.F) {
	f.Add([]byte{0, 0, 0x13, 0x0a, 1, 5, 'v', 'r', '1'})
	f.Add([]byte{0, 0, 0x13, 0x0a, 58, 20, 0x81, 6, 0x19, 0xd7, 0xf0, 0x55, 0x48, 0xdb, 0x3d, 0xec, 0x9d, 0x35, 0x22, 0x87, 0x71, 0xb1, 0x4c, 0x78})
	f.Fuzz(func(t *testing.T, b []byte) {
		vsas, err := ParseVSAs(b)
		if err != nil {
			return
		}
		var out []byte
		for i, v := range vsas {
			a, err := EncodeVSA(v.Vendor, v.Type, v.Value)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				out = append(out, a...)
			} else {
				out = append(out, a[4:]...)
			}
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoded %x, want %x", out, b)
		}
	})
}

func FuzzVerifyMessageAuthenticator(f *testing.F) {
	f.Add(mustHex(f, vectorAccessRequest))
	f.Add(mustHex(f, vectorCoA))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = VerifyMessageAuthenticator(b, nil, []byte("s3cret"))
		_, _ = VerifyMessageAuthenticator(b, make([]byte, 16), []byte("s3cret"))
	})
}
