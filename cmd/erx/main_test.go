package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "erx", "main.go")); err != nil {
		t.Errorf("repoRoot() = %s, which does not hold cmd/erx: %v", root, err)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "missing command"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"build", "-board", "e320"}, "unknown board"},
	} {
		err := run(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
}
