package firmware

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/erxos/erx/internal/syncbuf"
)

func TestMain(m *testing.M) {
	if fatalChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

func TestSupervisorRestartsFailuresAndPanics(t *testing.T) {
	defer goleak.VerifyNone(t)
	var console syncbuf.Buffer
	log := slog.New(NewLogHandler(&console, LogOptions{}))
	s := NewSupervisor(log)
	s.SetBackoff(time.Millisecond, 4*time.Millisecond)

	var fails, panics, steady atomic.Int32
	restarted := make(chan string, 100)
	mustAdd := func(svc Service) {
		if err := s.Add(svc); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd(Service{Name: "failer", Run: func(ctx context.Context) error {
		if fails.Add(1) <= 3 {
			return errors.New("boom")
		}
		restarted <- "failer"
		<-ctx.Done()
		return ctx.Err()
	}})
	mustAdd(Service{Name: "panicker", Run: func(ctx context.Context) error {
		if panics.Add(1) <= 2 {
			panic("bad input")
		}
		restarted <- "panicker"
		<-ctx.Done()
		return nil
	}})
	mustAdd(Service{Name: "steady", Run: func(ctx context.Context) error {
		steady.Add(1)
		<-ctx.Done()
		return ctx.Err()
	}})
	if err := s.Add(Service{Name: "steady", Run: func(context.Context) error { return nil }}); err == nil {
		t.Fatal("duplicate name accepted")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	got := map[string]bool{<-restarted: true, <-restarted: true}
	if !got["failer"] || !got["panicker"] {
		t.Fatalf("restarted = %v", got)
	}
	// A service added while running starts at once.
	late := make(chan struct{})
	mustAdd(Service{Name: "late", Run: func(ctx context.Context) error {
		close(late)
		<-ctx.Done()
		return nil
	}})
	<-late
	st := s.Status()
	if len(st) != 4 || st[0].Name != "failer" || st[0].Restarts != 3 || st[1].Restarts != 2 || !strings.Contains(st[1].LastErr, "panic: bad input") || st[2].Restarts != 0 {
		t.Fatalf("status = %+v", st)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if steady.Load() != 1 {
		t.Fatalf("steady service ran %d times", steady.Load())
	}
	for _, st := range s.Status() {
		if st.Running {
			t.Fatalf("%s still running after cancel", st.Name)
		}
	}
	out := console.String()
	if !strings.Contains(out, "ERROR failer: service failed; restarting err=boom") || !strings.Contains(out, "panicker: service failed") {
		t.Fatalf("console:\n%s", out)
	}
}

func TestSupervisorServiceReturningNilIsRestarted(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := NewSupervisor(slog.New(slog.NewTextHandler(&syncbuf.Buffer{}, nil)))
	s.SetBackoff(time.Millisecond, time.Millisecond)
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	s.Add(Service{Name: "quitter", Run: func(ctx context.Context) error {
		if n.Add(1) == 3 {
			cancel()
		}
		return nil
	}})
	s.Run(ctx)
	if n.Load() < 3 {
		t.Fatalf("ran %d times", n.Load())
	}
}
