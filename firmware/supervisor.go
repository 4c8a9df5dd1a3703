package firmware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Service is a long-lived piece of routerd. Run should return only when ctx
// is done; any other return, and any panic, is a failure that the
// Supervisor logs before starting it again.
type Service struct {
	Name string
	Run  func(ctx context.Context) error
}

// ServiceStatus is what the Supervisor knows about one service.
type ServiceStatus struct {
	Name     string
	Running  bool
	Restarts int
	LastErr  string // the last failure, empty if none
}

// Supervisor runs services, restarting each with exponential backoff when
// it fails or panics, until its context is cancelled.
type Supervisor struct {
	log        *slog.Logger
	minBackoff time.Duration
	maxBackoff time.Duration
	healthy    time.Duration // a run this long resets the backoff

	mu      sync.Mutex
	ctx     context.Context // set while Run is active
	wg      sync.WaitGroup
	status  map[string]*ServiceStatus
	order   []string
	pending []Service
}

// NewSupervisor returns a Supervisor that logs to log. Backoff starts at
// 100ms and doubles up to 30s; a run longer than a minute resets it.
func NewSupervisor(log *slog.Logger) *Supervisor {
	return &Supervisor{
		log:        log,
		minBackoff: 100 * time.Millisecond,
		maxBackoff: 30 * time.Second,
		healthy:    time.Minute,
		status:     map[string]*ServiceStatus{},
	}
}

// SetBackoff changes the restart backoff bounds (tests use short ones).
func (s *Supervisor) SetBackoff(min, max time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.minBackoff, s.maxBackoff = min, max
}

// Add registers a service. Added before Run, it starts when Run starts;
// added while Run is active, it starts at once. Names must be unique.
func (s *Supervisor) Add(svc Service) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc.Name == "" || svc.Run == nil {
		return fmt.Errorf("firmware: supervisor: service needs a name and a Run function")
	}
	if _, dup := s.status[svc.Name]; dup {
		return fmt.Errorf("firmware: supervisor: service %q already added", svc.Name)
	}
	s.status[svc.Name] = &ServiceStatus{Name: svc.Name}
	s.order = append(s.order, svc.Name)
	if s.ctx != nil && s.ctx.Err() == nil {
		s.start(s.ctx, svc)
	} else {
		s.pending = append(s.pending, svc)
	}
	return nil
}

// Run starts the registered services and blocks until ctx is done and
// every service has returned. It returns ctx.Err().
func (s *Supervisor) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	for _, svc := range s.pending {
		s.start(ctx, svc)
	}
	s.pending = nil
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
	return ctx.Err()
}

// Status returns the state of every service in the order they were added.
func (s *Supervisor) Status() []ServiceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServiceStatus, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, *s.status[n])
	}
	return out
}

// start runs svc in its own goroutine; s.mu is held.
func (s *Supervisor) start(ctx context.Context, svc Service) {
	s.wg.Add(1)
	go s.loop(ctx, svc)
}

func (s *Supervisor) loop(ctx context.Context, svc Service) {
	defer s.wg.Done()
	log := s.log.With("service", svc.Name)
	s.mu.Lock()
	backoff := s.minBackoff
	s.mu.Unlock()
	for {
		s.setRunning(svc.Name, true, nil)
		began := time.Now()
		err := runOnce(ctx, svc)
		if ctx.Err() != nil {
			s.setRunning(svc.Name, false, nil)
			return
		}
		if err == nil {
			err = fmt.Errorf("exited")
		}
		s.setRunning(svc.Name, false, err)
		s.mu.Lock()
		min, max, healthy := s.minBackoff, s.maxBackoff, s.healthy
		s.mu.Unlock()
		if time.Since(began) >= healthy {
			backoff = min
		}
		log.Error("service failed; restarting", "err", err, "in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff *= 2
		if backoff > max {
			backoff = max
		}
	}
}

// runOnce runs the service, turning a panic into an error.
func runOnce(ctx context.Context, svc Service) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return svc.Run(ctx)
}

func (s *Supervisor) setRunning(name string, running bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status[name]
	st.Running = running
	if err != nil {
		st.Restarts++
		st.LastErr = err.Error()
	}
}
