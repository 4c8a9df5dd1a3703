package firmware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/erxos/erx/firmware/flash"
)

// Log file names on the flash (docs/CONTRACTS.md).
const (
	LogFile        = "log/system.log"
	RotatedLogFile = "log/system.log.1"
)

// ServiceKey is the attribute key whose value prefixes a log line:
// log.With(firmware.ServiceKey, "sshd").Info("listening on :22") prints
// "... INFO sshd: listening on :22".
const ServiceKey = "service"

// LogOptions tune a LogHandler. Zero values pick the defaults.
type LogOptions struct {
	Level      slog.Leveler // minimum level, default Info
	MaxSize    int64        // rotate system.log past this size, default 1 MiB
	QueueLines int          // lines buffered for the flash, default 1024
	Now        func() time.Time
}

// LogHandler is an slog.Handler writing human-readable lines to the console
// and appending them to log/system.log on the flash. Flash writes happen on
// a background goroutine through a bounded queue: when the flash is slow or
// not attached yet, lines queue up and, once the queue is full, are dropped
// and counted. Close stops the goroutine.
type LogHandler struct {
	sink   *logSink
	attrs  []slog.Attr
	groups string // "a.b." prefix for attribute keys
	svc    string
}

type logSink struct {
	opts    LogOptions
	console io.Writer
	conMu   sync.Mutex

	queue   chan []byte
	dropped atomic.Uint64

	mu       sync.Mutex
	attached bool
	flushReq chan chan error
	done     chan struct{}
	closed   bool
	wg       sync.WaitGroup
}

// NewLogHandler returns a handler writing to console at once; the flash is
// attached later with AttachFlash.
func NewLogHandler(console io.Writer, opts LogOptions) *LogHandler {
	if opts.Level == nil {
		opts.Level = slog.LevelInfo
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 1 << 20
	}
	if opts.QueueLines <= 0 {
		opts.QueueLines = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &LogHandler{sink: &logSink{
		opts:     opts,
		console:  console,
		queue:    make(chan []byte, opts.QueueLines),
		flushReq: make(chan chan error),
		done:     make(chan struct{}),
	}}
}

// Enabled reports whether level is logged.
func (h *LogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.sink.opts.Level.Level()
}

// WithAttrs returns a handler adding attrs to every line.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if h.groups == "" && a.Key == ServiceKey {
			h2.svc = a.Value.String()
			continue
		}
		a.Key = h.groups + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

// WithGroup returns a handler qualifying later attribute keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = h.groups + name + "."
	return &h2
}

// Handle formats r as one line and writes it.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	line := h.format(r)
	s := h.sink
	s.conMu.Lock()
	_, err := s.console.Write(line)
	s.conMu.Unlock()
	select {
	case s.queue <- line:
	default:
		s.dropped.Add(1)
	}
	return err
}

func (h *LogHandler) format(r slog.Record) []byte {
	t := r.Time
	if t.IsZero() {
		t = h.sink.opts.Now()
	}
	var b strings.Builder
	b.WriteString(t.UTC().Format("2006-01-02 15:04:05"))
	b.WriteByte(' ')
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	svc := h.svc
	var rest []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if h.groups == "" && a.Key == ServiceKey && svc == "" {
			svc = a.Value.String()
			return true
		}
		a.Key = h.groups + a.Key
		rest = append(rest, a)
		return true
	})
	if svc != "" {
		b.WriteString(svc)
		b.WriteString(": ")
	}
	b.WriteString(sanitize(r.Message))
	for _, a := range append(append([]slog.Attr(nil), h.attrs...), rest...) {
		writeAttr(&b, "", a)
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range v.Group() {
			writeAttr(b, p, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix + a.Key)
	b.WriteByte('=')
	s := v.String()
	if s == "" || strings.ContainsAny(s, " \t\n\"=") || !utf8.ValidString(s) {
		s = strconv.Quote(s)
	}
	b.WriteString(s)
}

// sanitize keeps a message on one line.
func sanitize(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// Dropped returns how many lines could not be queued for the flash.
func (h *LogHandler) Dropped() uint64 { return h.sink.dropped.Load() }

// AttachFlash starts appending queued and future lines to log/system.log on
// d. Calling it again has no effect.
func (h *LogHandler) AttachFlash(d *flash.Dir) error {
	s := h.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("firmware: log: closed")
	}
	if s.attached {
		return nil
	}
	p, err := d.FullPath(LogFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("firmware: log: %w", err)
	}
	w := &rotatingFile{path: p, rotated: filepath.Join(filepath.Dir(p), filepath.Base(RotatedLogFile)), max: s.opts.MaxSize}
	s.attached = true
	s.wg.Add(1)
	go s.writeLoop(w)
	return nil
}

// Sync waits until the lines queued so far are written to the flash and
// synced, or until ctx is done. Without a flash it returns at once.
func (h *LogHandler) Sync(ctx context.Context) error {
	s := h.sink
	s.mu.Lock()
	ok := s.attached && !s.closed
	s.mu.Unlock()
	if !ok {
		return nil
	}
	reply := make(chan error, 1)
	select {
	case s.flushReq <- reply:
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops writing to the flash, writing what is queued first.
func (h *LogHandler) Close() error {
	s := h.sink
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *logSink) writeLoop(w *rotatingFile) {
	defer s.wg.Done()
	defer w.close()
	var reported uint64
	write := func(line []byte) {
		if d := s.dropped.Load(); d != reported {
			msg := fmt.Sprintf("%s WARN log: %d lines dropped (flash too slow)\n", s.opts.Now().UTC().Format("2006-01-02 15:04:05"), d-reported)
			reported = d
			w.write([]byte(msg))
		}
		w.write(line)
	}
	drain := func() {
		for {
			select {
			case line := <-s.queue:
				write(line)
			default:
				return
			}
		}
	}
	for {
		select {
		case line := <-s.queue:
			write(line)
		case reply := <-s.flushReq:
			drain()
			reply <- w.sync()
		case <-s.done:
			drain()
			w.sync()
			return
		}
	}
}

// rotatingFile appends to path and renames it to rotated past max bytes.
// Errors are remembered and retried on the next line.
type rotatingFile struct {
	path, rotated string
	max           int64
	f             *os.File
	size          int64
	err           error
}

func (w *rotatingFile) write(line []byte) {
	if w.f == nil {
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			w.err = err
			return
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			w.err = err
			return
		}
		w.f, w.size = f, fi.Size()
	}
	if w.size > 0 && w.size+int64(len(line)) > w.max {
		w.f.Sync()
		w.f.Close()
		w.f = nil
		if err := os.Rename(w.path, w.rotated); err != nil {
			// Keep appending rather than losing lines or looping.
			w.err = err
			w.max = w.size + w.max
		}
		w.write(line)
		return
	}
	n, err := w.f.Write(line)
	w.size += int64(n)
	w.err = err
}

func (w *rotatingFile) sync() error {
	if w.f == nil {
		return w.err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	return w.err
}

func (w *rotatingFile) close() {
	if w.f != nil {
		w.f.Close()
	}
}
