package sshd

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"

	gossh "golang.org/x/crypto/ssh"
)

// KeyStore keeps host keys across restarts (the lead passes the flash).
// ReadFile must return an error matching fs.ErrNotExist for a missing file;
// WriteFile must replace the file atomically.
type KeyStore interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
}

// Host key file names inside the KeyStore.
const (
	Ed25519KeyFile = "ssh/ssh_host_ed25519_key"
	RSAKeyFile     = "ssh/ssh_host_rsa_key"
)

// rsaBits is the size of a generated RSA host key.
const rsaBits = 3072

// hostKeyType is one kind of host key the server offers.
type hostKeyType struct {
	name string
	gen  func() (crypto.Signer, error)
}

// hostKeyTypes are the host keys, Ed25519 first. Generating the RSA key
// takes seconds on a slow (emulated) CPU; the Ed25519 key takes no time.
var hostKeyTypes = []hostKeyType{
	{Ed25519KeyFile, func() (crypto.Signer, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}},
	{RSAKeyFile, func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, rsaBits) }},
}

// LoadHostKeys returns the host keys from ks (Ed25519 first, then RSA),
// generating and storing any that are missing; a stored key that does not
// parse is replaced, and warn (may be nil) is told so.
func LoadHostKeys(ks KeyStore, warn func(msg string, args ...any)) ([]gossh.Signer, error) {
	var out []gossh.Signer
	for _, k := range hostKeyTypes {
		s, err := loadOrCreate(ks, k.name, k.gen, warn)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// loadStartupKeys returns the stored host keys, creating the Ed25519 key
// when it is missing, so the server can answer at once; the other missing
// keys are returned as pending, to be generated while it already serves.
func loadStartupKeys(ks KeyStore, warn func(msg string, args ...any)) ([]gossh.Signer, []hostKeyType, error) {
	var (
		keys    []gossh.Signer
		pending []hostKeyType
	)
	for i, k := range hostKeyTypes {
		if i > 0 {
			data, err := ks.ReadFile(k.name)
			if errors.Is(err, fs.ErrNotExist) {
				pending = append(pending, k)
				continue
			}
			if err == nil {
				if s, err := gossh.ParsePrivateKey(data); err == nil {
					keys = append(keys, s)
					continue
				}
			}
		}
		s, err := loadOrCreate(ks, k.name, k.gen, warn)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, s)
	}
	return keys, pending, nil
}

func loadOrCreate(ks KeyStore, name string, gen func() (crypto.Signer, error), warn func(string, ...any)) (gossh.Signer, error) {
	data, err := ks.ReadFile(name)
	switch {
	case err == nil:
		s, perr := gossh.ParsePrivateKey(data)
		if perr == nil {
			return s, nil
		}
		if warn != nil {
			warn("ssh host key unreadable, generating a new one", "file", name, "err", perr)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("read host key %s: %w", name, err)
	}
	key, err := gen()
	if err != nil {
		return nil, fmt.Errorf("generate host key %s: %w", name, err)
	}
	block, err := gossh.MarshalPrivateKey(key, "")
	if err != nil {
		return nil, fmt.Errorf("encode host key %s: %w", name, err)
	}
	if err := ks.WriteFile(name, pem.EncodeToMemory(block)); err != nil {
		return nil, fmt.Errorf("store host key %s: %w", name, err)
	}
	s, err := gossh.NewSignerFromSigner(key)
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", name, err)
	}
	return s, nil
}
