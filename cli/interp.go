package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/cli/command"
)

// DefaultHostname is the host name before `hostname` is configured.
const DefaultHostname = "host1"

// Options configure an Interpreter.
type Options struct {
	// System answers show version and reload. Required.
	System System
	// Committer saves the running configuration after each accepted
	// configuration command (or on write memory in manual-commit mode).
	// nil means nothing is saved.
	Committer Committer
	// Banner is printed after the login lines (the motd); may be empty.
	Banner string
	// Logger receives commit failures and replay errors; nil: slog.Default.
	Logger *slog.Logger
	// Now returns the current time; nil: time.Now.
	Now func() time.Time
	// Files is the flash for dir, delete, copy, rename, configure file,
	// boot config, show boot and output redirection; nil: those commands
	// say that no flash is available. *flash.Dir satisfies it.
	Files FileStore
	// StartupFile is the name of the saved configuration in Files;
	// "" means DefaultStartupFile (system.cnf). Files must not be written
	// over it except by the Committer.
	StartupFile string
	// Log reads the system log for show log; nil: not available.
	Log LogReader
}

// Interpreter is the router's one command interpreter: the command tree,
// the core commands and the configuration state shared by all sessions.
type Interpreter struct {
	tree *command.Tree
	opts Options
	log  *slog.Logger

	// cfgMu serialises configuration commands, running-config generation
	// and commits. It is never held while writing to a client.
	cfgMu        sync.Mutex
	hostname     atomic.Pointer[string]
	manualCommit bool
	enableSecret [16]string // bcrypt hashes per level
	committed    []byte     // last committed running configuration

	banners map[string]banner // motd, exec; under cfgMu (read with bannerMu)
	clock   atomic.Pointer[clockZone]
	acls    *accessLists
	methods *methodLists

	linesMu sync.RWMutex
	lines   Lines
	vty     [MaxVTY]lineConfig
	vtyTop  int // lines vtyTop..MaxVTY-1 are removed (no line vty N)

	rejected atomic.Pointer[func(*command.Context, string)] // OnRejected
}

// New returns an interpreter with the core commands registered.
func New(opts Options) (*Interpreter, error) {
	if opts.System == nil {
		return nil, errors.New("cli: Options.System is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StartupFile == "" {
		opts.StartupFile = DefaultStartupFile
	}
	in := &Interpreter{tree: command.NewTree(), opts: opts, log: opts.Logger,
		banners: map[string]banner{}, acls: newAccessLists(), methods: newMethodLists(), vtyTop: MaxVTY}
	for i := range in.vty {
		in.vty[i] = defaultLineConfig()
	}
	in.clock.Store(&clockZone{name: "UTC", loc: time.UTC})
	in.setHostname(DefaultHostname)
	if err := in.registerCore(); err != nil {
		return nil, fmt.Errorf("cli: register core commands: %w", err)
	}
	return in, nil
}

// Tree is the command tree features register their commands and
// configuration sections with.
func (in *Interpreter) Tree() *command.Tree { return in.tree }

// SetLines connects the session table used by show users and clear line
// (the SSH server calls it).
func (in *Interpreter) SetLines(l Lines) {
	in.linesMu.Lock()
	in.lines = l
	in.linesMu.Unlock()
}

func (in *Interpreter) getLines() Lines {
	in.linesMu.RLock()
	defer in.linesMu.RUnlock()
	return in.lines
}

// Hostname is the configured host name. It is safe to call from handlers
// and configuration sections.
func (in *Interpreter) Hostname() string { return *in.hostname.Load() }

func (in *Interpreter) setHostname(name string) { in.hostname.Store(&name) }

// RunningConfig returns the running configuration as CLI lines, every
// section in order, without the show configuration header and trailer.
// This is what is committed.
func (in *Interpreter) RunningConfig() ([]byte, error) {
	in.cfgMu.Lock()
	defer in.cfgMu.Unlock()
	return in.runningConfigLocked()
}

func (in *Interpreter) runningConfigLocked() ([]byte, error) {
	var b bytes.Buffer
	if err := in.tree.WriteConfig(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// autoCommitLocked commits the running configuration if it differs from
// what was last committed (mode changes such as exit commit nothing).
func (in *Interpreter) autoCommitLocked() error {
	if in.opts.Committer == nil {
		return nil
	}
	cfg, err := in.runningConfigLocked()
	if err != nil {
		return err
	}
	if in.committed != nil && bytes.Equal(cfg, in.committed) {
		return nil
	}
	return in.commitBytesLocked(cfg)
}

func (in *Interpreter) commitBytesLocked(cfg []byte) error {
	if err := in.opts.Committer.Commit(cfg); err != nil {
		in.log.Error("configuration commit failed", "err", err)
		return fmt.Errorf("commit failed: %w", err)
	}
	in.committed = cfg
	return nil
}

// commitLocked writes the running configuration through the Committer.
func (in *Interpreter) commitLocked() error {
	if in.opts.Committer == nil {
		return nil
	}
	cfg, err := in.runningConfigLocked()
	if err != nil {
		return err
	}
	return in.commitBytesLocked(cfg)
}

// maxReplayLine bounds one line of a saved configuration.
const maxReplayLine = 64 << 10

// Replay runs a saved configuration through the same parser as typed
// commands, in Global Configuration at level 15. Sub-mode lines (indented
// or not) apply to the mode the previous lines entered; lines that fail
// are passed to report (if not nil) and the rest is still applied. Nothing
// is committed. It returns an error only if reading r fails.
func (in *Interpreter) Replay(r io.Reader, report func(lineNo int, line string, err error)) error {
	ctx := &command.Context{Out: io.Discard, Level: 15, Mode: command.Config, VR: "default"}
	return in.replay(ctx, r, report)
}

// replay runs the lines of r in ctx (which starts in Global
// Configuration).
func (in *Interpreter) replay(ctx *command.Context, r io.Reader, report func(lineNo int, line string, err error)) error {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, rerr := readLine(br)
		if rerr == errLongLine {
			if report != nil {
				report(n, line, fmt.Errorf("line longer than %d bytes", maxReplayLine))
			}
			continue
		}
		if line != "" || rerr == nil {
			if err := in.replayLine(ctx, line); err != nil && report != nil {
				report(n, line, err)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("replay: %w", rerr)
		}
	}
}

var errLongLine = errors.New("line too long")

// readLine reads one line of at most maxReplayLine bytes; longer lines are
// skipped to their end and reported as errLongLine.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	long := false
	for {
		frag, err := br.ReadSlice('\n')
		if !long {
			if len(b)+len(frag) > maxReplayLine {
				long, b = true, b[:0]
			} else {
				b = append(b, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if long {
			if err == nil {
				err = errLongLine
			}
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), err
	}
}

func (in *Interpreter) replayLine(ctx *command.Context, line string) error {
	req, err := in.tree.Parse(ctx, line)
	if err != nil || req == nil {
		return err
	}
	var out bytes.Buffer
	ctx.Out = &out
	if req.Mode.IsConfig() {
		in.cfgMu.Lock()
		err = in.tree.Execute(ctx, req)
		in.cfgMu.Unlock()
	} else {
		err = in.tree.Execute(ctx, req)
	}
	if ctx.Mode == command.Exec {
		ctx.EnterMode(command.Config, nil)
	}
	if err != nil {
		return err
	}
	return nil
}
