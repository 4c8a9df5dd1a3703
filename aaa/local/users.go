package local

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// MaxPrivilege is the highest E Series privilege level.
const MaxPrivilege = 15

// ErrAuth is returned for any failed login. It says nothing about whether
// the user exists, so a guesser learns nothing from it.
var ErrAuth = errors.New("authentication failed")

// User is one local account.
type User struct {
	Name      string
	Privilege int
	// Secret is a bcrypt hash (`secret 5 HASH`); Password is a clear-text
	// password (`password 0 TEXT`). At most one of the two is set.
	Secret   string
	Password string
	// Keys are the SSH public keys the user may log in with.
	Keys []ssh.PublicKey
}

// Users is the local user database. It is safe for concurrent use.
type Users struct {
	mu    sync.RWMutex
	users map[string]*User
}

// NewUsers returns an empty user database.
func NewUsers() *Users { return &Users{users: make(map[string]*User)} }

// ValidName reports whether name is acceptable as a user name.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// SetSecret creates or updates a user with a privilege level and a bcrypt
// secret hash. Keys already configured for the user are kept.
func (u *Users) SetSecret(name string, privilege int, hash string) error {
	if !ValidHash(hash) {
		return fmt.Errorf("user %s: invalid secret hash", name)
	}
	return u.update(name, privilege, func(x *User) { x.Secret, x.Password = hash, "" })
}

// SetPassword creates or updates a user with a clear-text password.
func (u *Users) SetPassword(name string, privilege int, password string) error {
	if password == "" {
		return fmt.Errorf("user %s: empty password", name)
	}
	return u.update(name, privilege, func(x *User) { x.Password, x.Secret = password, "" })
}

func (u *Users) update(name string, privilege int, set func(*User)) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid user name %q", name)
	}
	if privilege < 0 || privilege > MaxPrivilege {
		return fmt.Errorf("user %s: privilege %d out of range 0-15", name, privilege)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	x := u.users[name]
	if x == nil {
		x = &User{Name: name}
		u.users[name] = x
	}
	x.Privilege = privilege
	set(x)
	return nil
}

// AddKey adds an SSH public key, given as one authorized_keys line, to an
// existing user.
func (u *Users) AddKey(name, authorizedKey string) error {
	return u.editKey(name, authorizedKey, func(x *User, key ssh.PublicKey, i int) error {
		if i < 0 {
			x.Keys = append(x.Keys, key)
		}
		return nil
	})
}

// RemoveKey removes one public key from a user.
func (u *Users) RemoveKey(name, authorizedKey string) error {
	return u.editKey(name, authorizedKey, func(x *User, _ ssh.PublicKey, i int) error {
		if i < 0 {
			return fmt.Errorf("user %s: no such key", name)
		}
		x.Keys = append(x.Keys[:i:i], x.Keys[i+1:]...)
		return nil
	})
}

// editKey parses authorizedKey and calls edit, under the lock, with the
// existing user name, the key and its index in the user's keys (-1 when
// the user does not have it).
func (u *Users) editKey(name, authorizedKey string, edit func(x *User, key ssh.PublicKey, i int) error) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		return fmt.Errorf("user %s: public key: %w", name, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	x := u.users[name]
	if x == nil {
		return fmt.Errorf("user %s does not exist", name)
	}
	for i, k := range x.Keys {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return edit(x, key, i)
		}
	}
	return edit(x, key, -1)
}

// Remove deletes a user.
func (u *Users) Remove(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.users, name)
}

// Lookup returns a copy of the user named name.
func (u *Users) Lookup(name string) (User, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	x := u.users[name]
	if x == nil {
		return User{}, false
	}
	c := *x
	c.Keys = append([]ssh.PublicKey(nil), x.Keys...)
	return c, true
}

// List returns copies of all users, sorted by name.
func (u *Users) List() []User {
	u.mu.RLock()
	names := make([]string, 0, len(u.users))
	for n := range u.users {
		names = append(names, n)
	}
	u.mu.RUnlock()
	sort.Strings(names)
	out := make([]User, 0, len(names))
	for _, n := range names {
		if x, ok := u.Lookup(n); ok {
			out = append(out, x)
		}
	}
	return out
}

// Len returns the number of users.
func (u *Users) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

// AuthPassword checks a password login and returns the user's privilege.
func (u *Users) AuthPassword(name, password string) (int, error) {
	x, ok := u.Lookup(name)
	switch {
	case !ok:
		// Spend the same time as a real check so a guesser cannot tell
		// which names exist.
		checkSecret(dummyHash, password)
		return 0, ErrAuth
	case x.Secret != "" && checkSecret(x.Secret, password):
		return x.Privilege, nil
	case x.Password != "" && checkPlain(x.Password, password):
		return x.Privilege, nil
	}
	return 0, ErrAuth
}

// AuthKey checks a public-key login and returns the user's privilege.
func (u *Users) AuthKey(name string, key ssh.PublicKey) (int, error) {
	x, ok := u.Lookup(name)
	if !ok {
		return 0, ErrAuth
	}
	want := key.Marshal()
	for _, k := range x.Keys {
		if bytes.Equal(k.Marshal(), want) {
			return x.Privilege, nil
		}
	}
	return 0, ErrAuth
}

// ConfigLines returns the users as configuration commands, in a stable
// order: for each user its `username` line, then one line per key.
func (u *Users) ConfigLines() []string {
	var lines []string
	for _, x := range u.List() {
		switch {
		case x.Secret != "":
			lines = append(lines, fmt.Sprintf("username %s privilege %d secret 5 %s", x.Name, x.Privilege, x.Secret))
		case x.Password != "":
			lines = append(lines, fmt.Sprintf("username %s privilege %d password 0 %s", x.Name, x.Privilege, x.Password))
		default:
			lines = append(lines, fmt.Sprintf("username %s privilege %d", x.Name, x.Privilege))
		}
		for _, k := range x.Keys {
			lines = append(lines, fmt.Sprintf("username %s public-key %s", x.Name, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))))
		}
	}
	return lines
}

// dummyHash is a valid bcrypt hash of a random string, used to equalise the
// time of failed logins for unknown users.
var dummyHash = func() string {
	h, _ := HashSecret("erx-no-such-user-" + fmt.Sprint(secretCost))
	return h
}()

// ClearPassword returns the password of a user configured with
// `password` (kept recoverable, as JunosE keeps it, because CHAP needs
// the clear text to compute the expected response). A user with a
// `secret` (a one-way hash) or none has no clear password: ok is false,
// and such a user can log in with PAP (AuthPassword) but not with CHAP.
func (u *Users) ClearPassword(name string) (string, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	x := u.users[name]
	if x == nil || x.Password == "" {
		return "", false
	}
	return x.Password, true
}
