package radius

import (
	"crypto/md5"
	"crypto/rand"
	"errors"
	"fmt"
)

// maxSaltPlaintext is the longest value that still fits one attribute once
// salted and padded: 2 salt bytes + 240 bytes of ciphertext (15 blocks) in a
// VSA that leaves 247 bytes for the value.
const maxSaltPlaintext = 239

// ErrSaltDecrypt reports a salt-encrypted value that cannot be decrypted
// (wrong length, wrong secret or authenticator, or a corrupt value).
var ErrSaltDecrypt = errors.New("radius: bad salt-encrypted value")

// SaltEncrypt encrypts plaintext the way RFC 2868 §3.5 encrypts
// Tunnel-Password (FreeRADIUS encrypt=2, no tag): the result is the 2-byte
// salt followed by the encrypted length byte, plaintext and zero padding,
// in 16-byte blocks. authenticator is the Request Authenticator of the
// Access-Request for replies, and 16 zero bytes for Accounting, CoA and
// Disconnect requests (as FreeRADIUS does). salt must have its high bit set;
// a zero salt is replaced by a random one.
func SaltEncrypt(plaintext, secret []byte, authenticator [16]byte, salt [2]byte) ([]byte, error) {
	if len(plaintext) > maxSaltPlaintext {
		return nil, fmt.Errorf("radius: salt-encrypted value of %d bytes is too long", len(plaintext))
	}
	if len(secret) == 0 {
		return nil, errors.New("radius: salt encryption needs a shared secret")
	}
	if salt == [2]byte{} {
		if _, err := rand.Read(salt[:]); err != nil {
			return nil, fmt.Errorf("radius: salt: %w", err)
		}
	}
	salt[0] |= 0x80
	blocks := (1 + len(plaintext) + 15) / 16
	out := make([]byte, 2+16*blocks)
	out[0], out[1] = salt[0], salt[1]
	body := out[2:]
	body[0] = byte(len(plaintext))
	copy(body[1:], plaintext)
	var key [md5.Size]byte
	h := md5.New()
	for i := 0; i < blocks; i++ {
		h.Reset()
		h.Write(secret)
		if i == 0 {
			h.Write(authenticator[:])
			h.Write(salt[:])
		} else {
			h.Write(body[16*(i-1) : 16*i]) // previous ciphertext block
		}
		h.Sum(key[:0])
		for j := range key {
			body[16*i+j] ^= key[j]
		}
	}
	return out, nil
}

// SaltDecrypt reverses SaltEncrypt. It returns ErrSaltDecrypt (wrapped) for
// any value that does not decrypt to a consistent length.
func SaltDecrypt(value, secret []byte, authenticator [16]byte) ([]byte, error) {
	if len(value) < 18 || (len(value)-2)%16 != 0 {
		return nil, fmt.Errorf("%w: length %d", ErrSaltDecrypt, len(value))
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: no shared secret", ErrSaltDecrypt)
	}
	salt, body := value[:2], value[2:]
	plain := make([]byte, len(body))
	var key [md5.Size]byte
	h := md5.New()
	for i := 0; i < len(body)/16; i++ {
		h.Reset()
		h.Write(secret)
		if i == 0 {
			h.Write(authenticator[:])
			h.Write(salt)
		} else {
			h.Write(body[16*(i-1) : 16*i])
		}
		h.Sum(key[:0])
		for j := range key {
			plain[16*i+j] = body[16*i+j] ^ key[j]
		}
	}
	n := int(plain[0])
	if n > len(plain)-1 {
		return nil, fmt.Errorf("%w: inner length %d exceeds %d", ErrSaltDecrypt, n, len(plain)-1)
	}
	return plain[1 : 1+n], nil
}
