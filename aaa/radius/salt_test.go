package radius

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"

	"layeh.com/radius"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Packets produced by the real FreeRADIUS 3.2.1 on this machine, secret
// "s3cret", users-file entry as in notes/freeradius.md.
const (
	// radclient coa: Acct-Session-Id "X1", ERX-LI-Action on,
	// ERX-Med-Dev-Handle 0x40000010, ERX-Med-Ip-Address 192.0.2.9,
	// ERX-Med-Port-Number 30030 (encrypted with a zero authenticator).
	vectorCoA = "2bd80080f3ade6ee66699818aac05274118b81ca2c0458311a1a0000130a3a14810619d7f05548db3dec9d35228771b14c781a1a0000130a3b148f417a29f9e1a2ac29c778c3162f7a4048201a1a0000130a3c1493ec027b150638f92e560bdc75606fe15e061a1a0000130a3d149b7fc20bb66d85709f86dd2a443d7892890f"
	// freeradius Access-Accept for sub1@erx.test, answering vectorAccessRequest.
	vectorAccessRequest = "01010035000102030405060708090a0b0c0d0e0f010f73756231406572782e746573740212b7d7172b7dc082e7dc50f83977198150"
	vectorAccessAccept  = "0201009932fb9d99d3a1b72585f72c075948813e08066440000b1a1a0000130a3a1487628849f6a15549b41dc4fc4f5730128f661a1a0000130a3b148b69a1ed170543926781d5fee3d36c3bd1331a1a0000130a3c14965cf158f61122763df6a534979519753f631a1a0000130a3d149ec5e7929781090230b8dbae9775d656882d1a0b0000130a01057672311a0c0000130a0406c6336435"
)

func TestMirrorVectorsFromFreeRADIUS(t *testing.T) {
	secret := []byte("s3cret")
	req := mustHex(t, vectorAccessRequest)
	acceptRaw := mustHex(t, vectorAccessAccept)
	if !radius.IsAuthenticResponse(acceptRaw, req, secret) {
		t.Fatal("vector Access-Accept does not authenticate")
	}
	accept, err := radius.Parse(acceptRaw, secret)
	if err != nil {
		t.Fatal(err)
	}
	coa, err := radius.Parse(mustHex(t, vectorCoA), secret)
	if err != nil {
		t.Fatal(err)
	}
	want := Mirror{
		HasAction: true, Action: LIOn,
		HasDevHandle: true, DevHandle: []byte{0x40, 0, 0, 0x10},
		HasAnalyzer: true, Analyzer: netip.MustParseAddr("192.0.2.9"),
		HasPort: true, Port: 30030,
	}
	tests := []struct {
		name string
		p    *radius.Packet
		auth [16]byte
	}{
		{"AccessAccept", accept, [16]byte(req[4:20])},
		{"CoARequest", coa, ZeroAuthenticator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeMirror(tt.p, secret, tt.auth)
			if err != nil {
				t.Fatal(err)
			}
			if !mirrorEq(m, want) {
				t.Fatalf("got %+v, want %+v", m, want)
			}
			// The wrong authenticator gives garbage or an error, never
			// the right values.
			var other [16]byte
			other[0] = 1
			if m, err := DecodeMirror(tt.p, secret, other); err == nil && mirrorEq(m, want) {
				t.Fatal("decrypted with the wrong authenticator")
			}
		})
	}
	if vr, _ := ERXString(accept, ERXVirtualRouterName); vr != "vr1" {
		t.Errorf("ERX-Virtual-Router-Name = %q", vr)
	}
}

func mirrorEq(a, b Mirror) bool {
	return a.HasAction == b.HasAction && a.Action == b.Action &&
		a.HasDevHandle == b.HasDevHandle && bytes.Equal(a.DevHandle, b.DevHandle) &&
		a.HasAnalyzer == b.HasAnalyzer && a.Analyzer == b.Analyzer &&
		a.HasPort == b.HasPort && a.Port == b.Port
}

func TestSaltRoundTrip(t *testing.T) {
	auth := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, n := range []int{0, 1, 4, 15, 16, 17, 31, 32, 100, maxSaltPlaintext} {
		plain := bytes.Repeat([]byte{0xa5}, n)
		enc, err := SaltEncrypt(plain, []byte("k"), auth, [2]byte{0x12, 0x34})
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if enc[0]&0x80 == 0 {
			t.Errorf("%d: salt high bit not set", n)
		}
		if want := 2 + 16*((n+16)/16); len(enc) != want {
			t.Errorf("%d: encrypted length %d, want %d", n, len(enc), want)
		}
		got, err := SaltDecrypt(enc, []byte("k"), auth)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d: round trip = %x, %v", n, got, err)
		}
	}
	if _, err := SaltEncrypt(make([]byte, maxSaltPlaintext+1), []byte("k"), auth, [2]byte{}); err == nil {
		t.Error("oversized value encrypted")
	}
	if _, err := SaltEncrypt(nil, nil, auth, [2]byte{}); err == nil {
		t.Error("encrypted without a secret")
	}
}

func TestSaltDecryptRejects(t *testing.T) {
	auth := ZeroAuthenticator
	tests := []struct {
		name  string
		value []byte
	}{
		{"Empty", nil},
		{"Short", make([]byte, 17)},
		{"NotBlocks", make([]byte, 19)},
		{"InnerLengthTooBig", func() []byte {
			// Encrypt a block whose length byte claims more than fits.
			v, _ := SaltEncrypt(nil, []byte("k"), auth, [2]byte{0x80, 1})
			plain0 := v[2] // ciphertext of the length byte 0
			v[2] = plain0 ^ 0xff
			return v
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SaltDecrypt(tt.value, []byte("k"), auth); !errors.Is(err, ErrSaltDecrypt) {
				t.Fatalf("err = %v, want ErrSaltDecrypt", err)
			}
		})
	}
}

func TestMirrorAddToDecode(t *testing.T) {
	auth := [16]byte{9}
	in := Mirror{HasAction: true, Action: LIOff, HasDevHandle: true, DevHandle: []byte("0000030000000090"),
		HasAnalyzer: true, Analyzer: netip.MustParseAddr("10.1.2.3"), HasPort: true, Port: 65535}
	p := radius.New(radius.CodeAccessAccept, []byte("x"))
	if err := in.AddTo(p, []byte("x"), auth); err != nil {
		t.Fatal(err)
	}
	out, err := DecodeMirror(p, []byte("x"), auth)
	if err != nil || !mirrorEq(in, out) {
		t.Fatalf("got %+v, %v", out, err)
	}
	h, err := DevHandleBytes(out.DevHandle)
	if err != nil || !bytes.Equal(h, []byte{0, 0, 3, 0, 0, 0, 0, 0x90}) {
		t.Fatalf("DevHandleBytes = %x, %v", h, err)
	}
}

func TestDecodeMirrorErrors(t *testing.T) {
	auth := ZeroAuthenticator
	secret := []byte("x")
	enc := func(v []byte) []byte {
		e, err := SaltEncrypt(v, secret, auth, [2]byte{0x80, 7})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name  string
		attrs map[ERXType][][]byte
		ok    bool
	}{
		{"None", nil, true},
		{"ClearAction", map[ERXType][][]byte{ERXLIAction: {{0, 0, 0, 2}}}, true},
		{"ActionOutOfRange", map[ERXType][][]byte{ERXLIAction: {enc([]byte{0, 0, 0, 3})}}, false},
		{"ActionShort", map[ERXType][][]byte{ERXLIAction: {enc([]byte{1})}}, false},
		{"ActionTwice", map[ERXType][][]byte{ERXLIAction: {{0, 0, 0, 1}, {0, 0, 0, 1}}}, false},
		{"PortTooBig", map[ERXType][][]byte{ERXMedPortNumber: {enc([]byte{0, 1, 0, 0})}}, false},
		{"AddressShort", map[ERXType][][]byte{ERXMedIPAddress: {enc([]byte{1, 2, 3})}}, false},
		{"Undecryptable", map[ERXType][][]byte{ERXMedIPAddress: {append([]byte{0x80, 0, 0xff}, make([]byte, 15)...)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := radius.New(radius.CodeCoARequest, secret)
			for typ, vs := range tt.attrs {
				for _, v := range vs {
					if err := ERXAdd(p, typ, v); err != nil {
						t.Fatal(err)
					}
				}
			}
			m, err := DecodeMirror(p, secret, auth)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			// The error travels with the attributes, so that the mirroring
			// engine can NAK and log it: such a Mirror is present.
			if m.Err != err || (err != nil && !m.Present()) {
				t.Fatalf("Mirror.Err = %v, Present %v; DecodeMirror error %v", m.Err, m.Present(), err)
			}
			if err != nil && !errors.Is(err, ErrBadMirror) {
				t.Fatalf("err = %v does not wrap ErrBadMirror", err)
			}
		})
	}
}

func TestDevHandleBytes(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"\x40\x00\x00\x10", []byte{0x40, 0, 0, 0x10}},
		{"40000010", []byte{0x40, 0, 0, 0x10}},
		{"0x40000010", []byte{0x40, 0, 0, 0x10}},
		{"0000030000000090", []byte{0, 0, 3, 0, 0, 0, 0, 0x90}},
		{"4000001", nil},
		{"zz000010", []byte("zz000010")}, // raw 8 bytes
		{"0x0000030000000090", []byte{0, 0, 3, 0, 0, 0, 0, 0x90}},
		{"000003000000009z", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := DevHandleBytes([]byte(tt.in))
		if (err == nil) != (tt.want != nil) || !bytes.Equal(got, tt.want) {
			t.Errorf("DevHandleBytes(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
		}
	}
}

func FuzzSaltDecrypt(f *testing.F) {
	f.Add(mustHex(f, "810619d7f05548db3dec9d35228771b14c78"), []byte("s3cret"), make([]byte, 16))
	f.Add([]byte{}, []byte("k"), []byte{1})
	f.Fuzz(func(t *testing.T, value, secret, auth []byte) {
		var a [16]byte
		copy(a[:], auth)
		plain, err := SaltDecrypt(value, secret, a)
		if err != nil {
			return
		}
		if len(plain) > len(value) {
			t.Fatalf("plaintext longer than value")
		}
		enc, err := SaltEncrypt(plain, secret, a, [2]byte{value[0] | 0x80, value[1]})
		if err != nil {
			return // longer than one attribute can carry
		}
		back, err := SaltDecrypt(enc, secret, a)
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("re-encryption round trip: %x, %v", back, err)
		}
	})
}

func FuzzDecodeMirror(f *testing.F) {
	f.Add(mustHex(f, vectorCoA))
	f.Add(mustHex(f, vectorAccessAccept))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := radius.Parse(b, []byte("s3cret"))
		if err != nil {
			return
		}
		m, err := DecodeMirror(p, []byte("s3cret"), ZeroAuthenticator)
		if err == nil && m.HasDevHandle {
			_, _ = DevHandleBytes(m.DevHandle)
		}
		_ = ValidateVSAs(p)
		_, _ = DecodeAuthorization(p, []byte("s3cret"), ZeroAuthenticator)
	})
}

func TestDecodeAuthorizationVector(t *testing.T) {
	secret := []byte("s3cret")
	req := mustHex(t, vectorAccessRequest)
	p, err := radius.Parse(mustHex(t, vectorAccessAccept), secret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeAuthorization(p, secret, [16]byte(req[4:20]))
	if err != nil {
		t.Fatal(err)
	}
	if a.FramedIP != netip.MustParseAddr("100.64.0.11") || a.VirtualRouter != "vr1" ||
		a.PrimaryDNS != netip.MustParseAddr("198.51.100.53") || !a.Mirror.Present() || a.Mirror.Port != 30030 {
		t.Errorf("authorization = %+v", a)
	}
}

func TestDecodeAuthorizationErrors(t *testing.T) {
	tests := []struct {
		name string
		attr radius.Type
		val  []byte
	}{
		{"ShortFramedIP", 8, []byte{1, 2}},
		{"ShortSessionTimeout", 27, []byte{1}},
		{"BadVSA", 26, []byte{0, 0, 0x13, 0x0a, 1, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := radius.New(radius.CodeAccessAccept, []byte("k"))
			p.Add(tt.attr, tt.val)
			if _, err := DecodeAuthorization(p, []byte("k"), ZeroAuthenticator); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
