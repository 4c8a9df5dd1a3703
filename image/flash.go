package image

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/erxos/erx/aaa/local"
)

// FlashLabel is the ext4 label of the flash file system.
const FlashLabel = "erx-flash"

// passwordAlphabet leaves out characters that are easy to misread
// (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// passwordLength is the length of generated administrator passwords.
const passwordLength = 16

// FlashSeed is the first configuration written to a new flash.
type FlashSeed struct {
	// Hostname of the router; "host1" when empty.
	Hostname string
	// User is the administrator name; "admin" when empty.
	User string
	// Password is the administrator password; a random one is generated
	// when empty.
	Password string
	// PublicKeys are authorized_keys lines for the administrator.
	PublicKeys []string
	// PasswordFile, when set, receives the password (mode 0600).
	PasswordFile string
}

// CreateFlash creates the ext4 flash image at path (sizeMiB MiB) holding a
// system.cnf with the seeded administrator. It refuses to overwrite an
// existing file. It returns the administrator password.
func CreateFlash(ctx context.Context, path string, sizeMiB int, seed FlashSeed) (string, error) {
	if sizeMiB < 8 {
		return "", fmt.Errorf("create flash: size %d MiB is too small", sizeMiB)
	}
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("create flash: %s already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("create flash: %w", err)
	}
	if seed.Password == "" {
		p, err := RandomPassword()
		if err != nil {
			return "", fmt.Errorf("create flash: %w", err)
		}
		seed.Password = p
	}
	cnf, err := SystemConfig(seed)
	if err != nil {
		return "", fmt.Errorf("create flash: %w", err)
	}
	dir, err := os.MkdirTemp("", "erx-flash-seed-")
	if err != nil {
		return "", fmt.Errorf("create flash: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "system.cnf"), []byte(cnf), 0o600); err != nil {
		return "", fmt.Errorf("create flash: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("create flash: %w", err)
	}
	cmd := exec.CommandContext(ctx, "mke2fs", "-q", "-t", "ext4", "-L", FlashLabel, "-d", dir, path, fmt.Sprintf("%dM", sizeMiB))
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("mke2fs %s: %w: %s", path, err, bytes.TrimSpace(out))
	}
	if seed.PasswordFile != "" {
		if err := os.WriteFile(seed.PasswordFile, []byte(seed.Password+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("create flash: save password: %w", err)
		}
		if err := os.Chmod(seed.PasswordFile, 0o600); err != nil {
			return "", fmt.Errorf("create flash: save password: %w", err)
		}
	}
	return seed.Password, nil
}

// SystemConfig renders the seeded system.cnf (see docs/CONTRACTS.md).
func SystemConfig(seed FlashSeed) (string, error) {
	host, user := seed.Hostname, seed.User
	if host == "" {
		host = "host1"
	}
	if user == "" {
		user = "admin"
	}
	if strings.ContainsAny(host+user, " \t\r\n") {
		return "", fmt.Errorf("hostname %q or user %q contains white space", host, user)
	}
	hash, err := local.HashSecret(seed.Password)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hostname %s\n", host)
	fmt.Fprintf(&b, "username %s privilege 15 secret 5 %s\n", user, hash)
	for _, k := range seed.PublicKeys {
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, "\r\n") {
			continue
		}
		fmt.Fprintf(&b, "username %s public-key %s\n", user, k)
	}
	return b.String(), nil
}

// RandomPassword returns a 16-character password from an unambiguous alphabet.
func RandomPassword() (string, error) {
	b := make([]byte, passwordLength)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("random password: %w", err)
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	return string(b), nil
}

// UserPublicKeys returns the authorized_keys lines of the *.pub files in
// sshDir (normally ~/.ssh), sorted by file name. A missing directory gives
// no keys and no error.
func UserPublicKeys(sshDir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(sshDir, "*.pub"))
	if err != nil {
		return nil, fmt.Errorf("find public keys: %w", err)
	}
	sort.Strings(m)
	var keys []string
	for _, f := range m {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		keys = append(keys, parseAuthorizedKeys(b)...)
	}
	return keys, nil
}

// parseAuthorizedKeys returns the non-empty, non-comment lines of b that
// look like public keys ("type base64 [comment]").
func parseAuthorizedKeys(b []byte) []string {
	var keys []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || !(strings.HasPrefix(f[0], "ssh-") || strings.HasPrefix(f[0], "ecdsa-") || strings.HasPrefix(f[0], "sk-")) {
			continue
		}
		keys = append(keys, line)
	}
	return keys
}
