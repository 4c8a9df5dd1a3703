package local

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// secretCost is the bcrypt work factor for new secrets. It is high enough to
// slow an offline guess and low enough that a login under QEMU TCG stays fast.
const secretCost = 10

// HashSecret returns the stored form of a password: a bcrypt hash, as it is
// written after `secret 5` in the configuration.
func HashSecret(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), secretCost)
	if err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	return string(h), nil
}

// ValidHash reports whether s has the shape of a stored secret.
func ValidHash(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil && strings.HasPrefix(s, "$2")
}

// checkSecret compares password with a stored bcrypt hash.
func checkSecret(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// checkPlain compares a clear-text `password 0` entry in constant time.
func checkPlain(stored, password string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1
}
