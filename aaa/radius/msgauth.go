package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
)

// typeMessageAuthenticator is RFC 2869 attribute 80.
const typeMessageAuthenticator = 80

// ErrBadMessageAuthenticator reports a Message-Authenticator that does not
// match the packet.
var ErrBadMessageAuthenticator = errors.New("radius: bad Message-Authenticator")

// findMessageAuthenticator returns the offset of the 16-byte value of the
// first Message-Authenticator in the encoded packet b, or -1.
func findMessageAuthenticator(b []byte) (int, error) {
	if len(b) < 20 {
		return -1, errors.New("radius: short packet")
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < 20 || n > len(b) {
		return -1, errors.New("radius: bad packet length")
	}
	for i := 20; i < n; {
		if i+2 > n {
			return -1, errors.New("radius: truncated attribute")
		}
		l := int(b[i+1])
		if l < 2 || i+l > n {
			return -1, errors.New("radius: bad attribute length")
		}
		if b[i] == typeMessageAuthenticator {
			if l != 18 {
				return -1, fmt.Errorf("%w: length %d", ErrBadMessageAuthenticator, l)
			}
			return i + 2, nil
		}
		i += l
	}
	return -1, nil
}

// messageAuthenticator computes HMAC-MD5 over b with the Message-Authenticator
// value at off zeroed and the authenticator field replaced by auth.
func messageAuthenticator(b []byte, off int, auth []byte, secret []byte) [16]byte {
	c := append([]byte(nil), b...)
	copy(c[4:20], auth)
	clear(c[off : off+16])
	m := hmac.New(md5.New, secret)
	m.Write(c)
	var out [16]byte
	m.Sum(out[:0])
	return out
}

// signMessageAuthenticator fills the Message-Authenticator of the encoded
// packet b (which must already hold a zeroed one) using the authenticator
// currently in b. It returns false when b has none.
func signMessageAuthenticator(b []byte, secret []byte) (bool, error) {
	off, err := findMessageAuthenticator(b)
	if err != nil || off < 0 {
		return false, err
	}
	sum := messageAuthenticator(b, off, b[4:20], secret)
	copy(b[off:off+16], sum[:])
	return true, nil
}

// VerifyMessageAuthenticator checks the Message-Authenticator of the encoded
// packet b, if it has one; present reports whether it had. For replies,
// requestAuth is the Request Authenticator of the request; for requests it
// is nil for Access-Request (the packet's own authenticator is used) and 16
// zero bytes for Accounting, CoA and Disconnect requests (RFC 5176 §3.3).
func VerifyMessageAuthenticator(b []byte, requestAuth []byte, secret []byte) (present bool, err error) {
	off, err := findMessageAuthenticator(b)
	if err != nil {
		return false, err
	}
	if off < 0 {
		return false, nil
	}
	auth := requestAuth
	if auth == nil {
		auth = b[4:20]
	}
	want := messageAuthenticator(b, off, auth, secret)
	if !hmac.Equal(want[:], b[off:off+16]) {
		return true, ErrBadMessageAuthenticator
	}
	return true, nil
}
