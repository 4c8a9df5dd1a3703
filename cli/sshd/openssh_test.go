package sshd

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// TestOpenSSHClient drives the server with the real OpenSSH client: exec
// with a password (through sshpass), exec with a key, and an interactive
// session with a pty.
func TestOpenSSHClient(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal("ssh not installed (make deps installs openssh-client)")
	}
	sshpass, err := exec.LookPath("sshpass")
	if err != nil {
		t.Fatal("sshpass not installed (make deps installs it)")
	}
	h := start(t, nil)
	host, port, _ := strings.Cut(h.addr, ":")
	dir := t.TempDir()
	block, err := gossh.MarshalPrivateKey(clientPriv(t), "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"-p", port, "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"}

	// Password, exec request.
	args := append([]string{"-p", "secret", sshBin}, common...)
	args = append(args, "-o", "PubkeyAuthentication=no", "admin@"+host, "show version")
	out, err := exec.Command(sshpass, args...).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "erx Edge Routing Switch E320-QEMU\n") {
		t.Errorf("password exec: %v\n%s", err, out)
	}

	// Key, exec request with a failing command: exit status 1.
	args = append(append([]string{}, common...), "-i", keyFile, "-o", "PasswordAuthentication=no", "-o", "BatchMode=yes", "admin@"+host, "show nothing")
	out, err = exec.Command(sshBin, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "% Invalid input detected at '^' marker.") {
		t.Errorf("key exec: %v\n%s", err, out)
	}

	// Interactive session with a pty (-tt), input from a pipe.
	args = append(append([]string{}, common...), "-tt", "-i", keyFile, "-o", "BatchMode=yes", "admin@"+host)
	cmd := exec.Command(sshBin, args...)
	cmd.Stdin = strings.NewReader("terminal length 0\rshow version\rexit\r")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Errorf("interactive: %v\n%s", err, out)
	}
	for _, want := range []string{"Logged in on vty 0 via SSH.\r\n", "host1#show version\r\nerx Edge Routing Switch E320-QEMU\r\n", "host1#exit\r\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("interactive output lacks %q:\n%q", want, out)
		}
	}
}
