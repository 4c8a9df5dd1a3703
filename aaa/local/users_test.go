package local

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) (ssh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func TestAuthPassword(t *testing.T) {
	u := NewUsers()
	hash, err := HashSecret("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := u.SetSecret("admin", 15, hash); err != nil {
		t.Fatal(err)
	}
	if err := u.SetPassword("oper", 5, "plain"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, pw string
		priv     int
		ok       bool
	}{
		{"admin", "s3cret", 15, true},
		{"admin", "wrong", 0, false},
		{"admin", "", 0, false},
		{"oper", "plain", 5, true},
		{"oper", "plai", 0, false},
		{"nobody", "s3cret", 0, false},
	}
	for _, tt := range tests {
		priv, err := u.AuthPassword(tt.user, tt.pw)
		if (err == nil) != tt.ok || priv != tt.priv {
			t.Errorf("AuthPassword(%q, %q) = %d, %v; want %d, ok=%v", tt.user, tt.pw, priv, err, tt.priv, tt.ok)
		}
	}
}

func TestAuthKey(t *testing.T) {
	u := NewUsers()
	k1, line1 := newKey(t)
	k2, _ := newKey(t)
	if err := u.AddKey("admin", line1); err == nil {
		t.Fatal("AddKey for a missing user succeeded")
	}
	if err := u.SetPassword("admin", 15, "x"); err != nil {
		t.Fatal(err)
	}
	if err := u.AddKey("admin", line1); err != nil {
		t.Fatal(err)
	}
	if err := u.AddKey("admin", line1); err != nil { // idempotent
		t.Fatal(err)
	}
	if p, err := u.AuthKey("admin", k1); err != nil || p != 15 {
		t.Errorf("AuthKey(k1) = %d, %v", p, err)
	}
	if _, err := u.AuthKey("admin", k2); err == nil {
		t.Error("AuthKey(k2) succeeded")
	}
	if _, err := u.AuthKey("other", k1); err == nil {
		t.Error("AuthKey for unknown user succeeded")
	}
	if err := u.RemoveKey("admin", line1); err != nil {
		t.Fatal(err)
	}
	if _, err := u.AuthKey("admin", k1); err == nil {
		t.Error("removed key still accepted")
	}
}

func TestValidation(t *testing.T) {
	u := NewUsers()
	for _, tt := range []struct {
		name string
		priv int
	}{{"", 1}, {"a b", 1}, {"ok", 16}, {"ok", -1}, {strings.Repeat("x", 65), 1}} {
		if err := u.SetPassword(tt.name, tt.priv, "pw"); err == nil {
			t.Errorf("SetPassword(%q, %d) accepted", tt.name, tt.priv)
		}
	}
	if err := u.SetSecret("a", 1, "notahash"); err == nil {
		t.Error("SetSecret accepted a bad hash")
	}
	if err := u.AddKey("a", "ssh-ed25519 garbage"); err == nil {
		t.Error("AddKey accepted a bad key")
	}
	if _, err := HashSecret(""); err == nil {
		t.Error("HashSecret accepted an empty password")
	}
}

func TestConfigLinesRoundTrip(t *testing.T) {
	u := NewUsers()
	hash, _ := HashSecret("pw")
	_, line := newKey(t)
	u.SetSecret("zed", 15, hash)
	u.SetPassword("amy", 3, "clear")
	u.AddKey("zed", line)
	got := u.ConfigLines()
	want := []string{
		"username amy privilege 3 password 0 clear",
		"username zed privilege 15 secret 5 " + hash,
		"username zed public-key " + line,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ConfigLines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestClearPassword: `password` entries give their clear text (CHAP needs
// it), `secret` entries and unknown users do not.
func TestClearPassword(t *testing.T) {
	u := NewUsers()
	hash, _ := HashSecret("s3cret")
	u.SetSecret("hashed", 1, hash)
	u.SetPassword("clear", 1, "pw1")
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{{"clear", "pw1", true}, {"hashed", "", false}, {"nobody", "", false}} {
		if got, ok := u.ClearPassword(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("ClearPassword(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
