package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/internal/syncbuf"
	"github.com/erxos/erx/mirror"
)

// TestMirrorStoreErrorsOnlyInSecureLog: routerd starting on a secure store
// that is corrupt, or restores only in part, writes nothing about it to
// the console or the flash system log (nor `show log`); the details
// (policy, interface, trigger) are in the secure mirror log, for a
// session with mirror-enable.
func TestMirrorStoreErrorsOnlyInSecureLog(t *testing.T) {
	for _, tc := range []struct {
		name, store string
		want        []string // in show mirror log
	}{
		{"corrupt", `{"version": 1, "policies": [{"name": "LI-SECRET"`, []string{"secure configuration not restored: mirror: decode secure store"}},
		{"partly invalid", `{"version": 1,
			"policies": [{"name": "LI-SECRET", "vr": "default", "has_rule": true, "analyzer": "192.0.2.9", "port": 30030}],
			"attachments": [{"interface": "loopback 7", "policy": "LI-MISSING"}],
			"triggers": [{"type": "username", "value": "sub1@erx.test", "policy": "LI-GONE"}]}`,
			[]string{"not restored: attachment on loopback 7", "LI-MISSING", "not restored: trigger username sub1@erx.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(mirror.DefaultStoreFile)), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, mirror.DefaultStoreFile), []byte(tc.store), 0o600); err != nil {
				t.Fatal(err)
			}
			store, err := flash.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			console := &syncbuf.Buffer{} // the log handler writes from its own goroutines
			r, logs := newTestRouter(t, store, console)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := logs.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			var flashLog strings.Builder
			_ = filepath.WalkDir(filepath.Join(dir, "log"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(p)
					flashLog.Write(b)
				}
				return nil
			})
			s := r.interp.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
			var showLog, secure bytes.Buffer
			_ = s.Exec("show log", &showLog)
			for where, out := range map[string]string{"console": console.String(), "flash log": flashLog.String(), "show log": showLog.String()} {
				if l := leaks(out); len(l) > 0 {
					t.Errorf("%s shows %q:\n%s", where, uniq(l), out)
				}
			}
			if err := s.Exec("mirror-enable\nshow mirror log", &secure); err != nil {
				t.Fatalf("show mirror log: %v\n%s", err, secure.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(secure.String(), want) {
					t.Errorf("show mirror log lacks %q:\n%s", want, secure.String())
				}
			}
		})
	}
}
