package image

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestSystemConfig(t *testing.T) {
	cnf, err := SystemConfig(FlashSeed{Password: "s3cret", PublicKeys: []string{"ssh-ed25519 AAAAC3Nz user@host", "", "bad\nkey"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(cnf, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("system.cnf has %d lines:\n%s", len(lines), cnf)
	}
	if lines[0] != "hostname host1" {
		t.Errorf("line 1 = %q", lines[0])
	}
	hash, ok := strings.CutPrefix(lines[1], "username admin privilege 15 secret 5 ")
	if !ok || bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")) != nil {
		t.Errorf("line 2 = %q does not hold the password's hash", lines[1])
	}
	if lines[2] != "username admin public-key ssh-ed25519 AAAAC3Nz user@host" {
		t.Errorf("line 3 = %q", lines[2])
	}
	if _, err := SystemConfig(FlashSeed{}); err == nil {
		t.Error("SystemConfig with no password succeeded")
	}
	if _, err := SystemConfig(FlashSeed{Password: "x", Hostname: "a b"}); err == nil {
		t.Error("SystemConfig with a spaced hostname succeeded")
	}
}

func TestRandomPassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		p, err := RandomPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != passwordLength || strings.Trim(p, passwordAlphabet) != "" {
			t.Errorf("password %q: wrong length or alphabet", p)
		}
		if seen[p] {
			t.Errorf("password %q repeated", p)
		}
		seen[p] = true
	}
}

func TestParseAuthorizedKeys(t *testing.T) {
	in := "# comment\n\nssh-ed25519 AAAA one\r\necdsa-sha2-nistp256 BBBB two\ngarbage\nssh-rsa\n"
	want := []string{"ssh-ed25519 AAAA one", "ecdsa-sha2-nistp256 BBBB two"}
	if got := parseAuthorizedKeys([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUserPublicKeys(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "id_ed25519.pub"), []byte("ssh-ed25519 AAAA me\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "id_ed25519"), []byte("PRIVATE"), 0o600)
	keys, err := UserPublicKeys(dir)
	if err != nil || !reflect.DeepEqual(keys, []string{"ssh-ed25519 AAAA me"}) {
		t.Errorf("UserPublicKeys = %q, %v", keys, err)
	}
	keys, err = UserPublicKeys(filepath.Join(dir, "missing"))
	if err != nil || keys != nil {
		t.Errorf("UserPublicKeys(missing) = %q, %v", keys, err)
	}
}

func TestCreateFlash(t *testing.T) {
	for _, tool := range []string{"mke2fs", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs e2fsprogs)", tool)
		}
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "flash.img")
	pwFile := filepath.Join(dir, "admin-password")
	pw, err := CreateFlash(context.Background(), img, 16, FlashSeed{PublicKeys: []string{"ssh-ed25519 AAAA k"}, PasswordFile: pwFile})
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) != passwordLength {
		t.Errorf("password %q", pw)
	}
	st, err := os.Stat(pwFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v, %v", st, err)
	}
	if b, _ := os.ReadFile(pwFile); string(b) != pw+"\n" {
		t.Errorf("password file holds %q", b)
	}
	out, err := exec.Command("debugfs", "-R", "cat /system.cnf", img).Output()
	if err != nil {
		t.Fatalf("debugfs: %v", err)
	}
	if !strings.Contains(string(out), "username admin public-key ssh-ed25519 AAAA k\n") {
		t.Errorf("system.cnf on flash:\n%s", out)
	}
	label, err := exec.Command("e2label", img).Output()
	if err == nil && strings.TrimSpace(string(label)) != FlashLabel {
		t.Errorf("label = %q", label)
	}
	if _, err := CreateFlash(context.Background(), img, 16, FlashSeed{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second CreateFlash: err = %v, want already exists", err)
	}
}

func FuzzParseAuthorizedKeys(f *testing.F) {
	f.Add([]byte("ssh-ed25519 AAAA me\n# c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range parseAuthorizedKeys(b) {
			if strings.ContainsAny(k, "\n") {
				t.Fatalf("key %q spans lines", k)
			}
		}
	})
}
