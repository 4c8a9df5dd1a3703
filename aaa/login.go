package aaa

import (
	"net"

	"golang.org/x/crypto/ssh"

	"github.com/erxos/erx/aaa/local"
)

// Logins authenticates CLI logins and returns the privilege level the user
// is granted. It satisfies the SSH server's Authenticator.
type Logins struct {
	Local *local.Users
}

// Password checks a user name and password.
func (l *Logins) Password(user, password string, _ net.Addr) (int, error) {
	return l.Local.AuthPassword(user, password)
}

// PublicKey checks a user name and SSH public key.
func (l *Logins) PublicKey(user string, key ssh.PublicKey, _ net.Addr) (int, error) {
	return l.Local.AuthKey(user, key)
}
