package firmware

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/internal/syncbuf"
)

var fixed = time.Date(2026, 11, 27, 20, 1, 2, 0, time.UTC)

func TestLogFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"service prefix", func(l *slog.Logger) { l.With(ServiceKey, "sshd").Info("listening on :22") },
			"2026-11-27 20:01:02 INFO sshd: listening on :22\n"},
		{"service in record", func(l *slog.Logger) { l.Warn("slow", ServiceKey, "radius", "ms", 12) },
			"2026-11-27 20:01:02 WARN radius: slow ms=12\n"},
		{"quoting", func(l *slog.Logger) { l.Error("bad\nline", "err", "a b", "empty", "") },
			"2026-11-27 20:01:02 ERROR bad\\nline err=\"a b\" empty=\"\"\n"},
		{"groups", func(l *slog.Logger) { l.WithGroup("port").With("nic", "eth1").Info("up", slog.Group("stats", "rx", 1)) },
			"2026-11-27 20:01:02 INFO up port.nic=eth1 port.stats.rx=1\n"},
		{"debug hidden", func(l *slog.Logger) { l.Debug("x") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b syncbuf.Buffer
			h := NewLogHandler(&b, LogOptions{Now: func() time.Time { return fixed }})
			defer h.Close()
			l := slog.New(h)
			tc.log(slog.New(timeFixer{l.Handler()}))
			if got := b.String(); got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// timeFixer stamps records with the fixed time.
type timeFixer struct{ slog.Handler }

func (f timeFixer) Handle(ctx context.Context, r slog.Record) error {
	r.Time = fixed
	return f.Handler.Handle(ctx, r)
}
func (f timeFixer) WithAttrs(a []slog.Attr) slog.Handler { return timeFixer{f.Handler.WithAttrs(a)} }
func (f timeFixer) WithGroup(n string) slog.Handler      { return timeFixer{f.Handler.WithGroup(n)} }

func TestLogFlashLateAttachAndRotation(t *testing.T) {
	var console syncbuf.Buffer
	h := NewLogHandler(&console, LogOptions{MaxSize: 300, QueueLines: 4})
	l := slog.New(h)
	// Before the flash exists: 4 lines queue, the rest are dropped.
	for i := 0; i < 6; i++ {
		l.Info(fmt.Sprintf("early %d", i))
	}
	if h.Dropped() != 2 {
		t.Fatalf("dropped = %d, want 2", h.Dropped())
	}
	d, err := flash.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AttachFlash(d); err != nil {
		t.Fatal(err)
	}
	if err := h.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := d.ReadFile(LogFile)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, "WARN log: 2 lines dropped") || !strings.Contains(s, "early 0") || !strings.Contains(s, "early 3") || strings.Contains(s, "early 4") {
		t.Fatalf("system.log:\n%s", s)
	}
	// Keep writing (synchronously with the writer) until it rotates.
	for i := 0; i < 20; i++ {
		l.Info(fmt.Sprintf("later %d", i))
		h.Sync(context.Background())
	}
	if strings.Count(console.String(), "\n") != 26 {
		t.Fatalf("console lost lines:\n%s", console.String())
	}
	h.Close()
	cur, _ := d.ReadFile(LogFile)
	old, err := d.ReadFile(RotatedLogFile)
	if err != nil {
		t.Fatalf("no rotated log: %v", err)
	}
	if len(cur) > 300 || len(old) > 300 || !strings.Contains(string(cur), "later 19") {
		t.Fatalf("rotation: cur %d bytes, old %d bytes\n%s", len(cur), len(old), cur)
	}
	// Closed: Sync returns, logging still reaches the console.
	l.Info("after close")
	if err := h.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLogSlowFlashDoesNotBlock(t *testing.T) {
	// A flash whose log file cannot be written (a directory in the way)
	// must not block or fail logging.
	d, err := flash.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.FullPath(LogFile)
	os.MkdirAll(p, 0o755)
	h := NewLogHandler(&syncbuf.Buffer{}, LogOptions{QueueLines: 2})
	defer h.Close()
	h.AttachFlash(d)
	l := slog.New(h)
	for i := 0; i < 100; i++ {
		l.Info("x")
	}
	if err := h.Sync(context.Background()); err == nil {
		t.Fatal("Sync hid the write error")
	}
	if _, err := os.Stat(filepath.Join(p, "x")); !os.IsNotExist(err) {
		t.Fatal("unexpected file")
	}
}

func TestLogConcurrent(t *testing.T) {
	h := NewLogHandler(&syncbuf.Buffer{}, LogOptions{MaxSize: 4096, QueueLines: 16})
	defer h.Close()
	d, err := flash.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			ll := l.With(ServiceKey, fmt.Sprintf("svc%d", g))
			for i := 0; i < 200; i++ {
				ll.Info("line", "i", i)
				if i == 100 && g == 0 {
					h.AttachFlash(d)
				}
				if i%50 == 0 {
					h.Sync(context.Background())
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if err := h.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
