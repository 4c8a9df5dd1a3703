package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// BootFile is the flash file that records what the next boot loads
// (`boot config`). It holds one line: "config running-configuration",
// "config factory-defaults" or "config NAME".
const BootFile = "boot.cfg"

// BootKind is what `boot config` chose.
type BootKind int

// Boot choices.
const (
	// BootRunning loads the saved configuration (the StartupFile,
	// system.cnf): the default.
	BootRunning BootKind = iota
	// BootFromFile loads a script or configuration file once.
	BootFromFile
	// BootFactory loads the factory defaults once: nothing but the
	// `username` lines of the saved configuration, so the administrator
	// can still log in.
	BootFactory
)

// BootConfig is the configuration the next boot loads.
type BootConfig struct {
	Kind BootKind
	File string // for BootFromFile
}

// String is how show boot and the boot file name the choice.
func (b BootConfig) String() string {
	switch b.Kind {
	case BootFromFile:
		return b.File
	case BootFactory:
		return "factory-defaults"
	}
	return "running-configuration"
}

// parseBootFile reads the content of BootFile.
func parseBootFile(data []byte) (BootConfig, error) {
	line := strings.TrimSpace(string(data))
	word, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	if word != "config" {
		return BootConfig{}, fmt.Errorf("%s: unexpected %q", BootFile, line)
	}
	switch arg {
	case "running-configuration":
		return BootConfig{Kind: BootRunning}, nil
	case "factory-defaults":
		return BootConfig{Kind: BootFactory}, nil
	}
	if err := ValidFileName(arg); err != nil {
		return BootConfig{}, fmt.Errorf("%s: %w", BootFile, err)
	}
	return BootConfig{Kind: BootFromFile, File: arg}, nil
}

// StartupFile returns what the next boot loads, from BootFile on flash;
// without a flash, or without the file, it is the saved configuration.
func (in *Interpreter) StartupFile() (BootConfig, error) {
	if in.opts.Files == nil {
		return BootConfig{}, nil
	}
	data, err := in.opts.Files.ReadFile(BootFile)
	if errors.Is(err, fs.ErrNotExist) {
		return BootConfig{}, nil
	}
	if err != nil {
		return BootConfig{}, fmt.Errorf("read %s: %w", BootFile, err)
	}
	return parseBootFile(data)
}

func (in *Interpreter) setBoot(b BootConfig) error {
	fsys, err := in.files()
	if err != nil {
		return err
	}
	if b.Kind == BootRunning {
		if err := fsys.Remove(BootFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", BootFile, err)
		}
		return nil
	}
	if err := fsys.WriteFile(BootFile, []byte("config "+b.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", BootFile, err)
	}
	return nil
}

func (in *Interpreter) registerBoot() error {
	for _, c := range []*command.Command{
		{Syntax: "boot config {<file:word>|running-configuration|factory-defaults}", Modes: []command.Mode{command.Config}, Privilege: 15,
			Help: command.Help{"boot": "Choose what the next boot loads", "config": "Configuration loaded at the next boot",
				"file":                  "A script (.scr) or configuration (.cnf) in nonvolatile storage, loaded once",
				"running-configuration": "The saved configuration (default)",
				"factory-defaults":      "Factory defaults, loaded once (the local user accounts are kept)"},
			Run: func(_ *command.Context, req *command.Request) error {
				switch {
				case req.Keyword("running-configuration"):
					return in.setBoot(BootConfig{Kind: BootRunning})
				case req.Keyword("factory-defaults"):
					return in.setBoot(BootConfig{Kind: BootFactory})
				}
				name := req.String("file")
				if err := ValidFileName(name); err != nil {
					return err
				}
				if ext := strings.ToLower(path.Ext(name)); ext != ".scr" && ext != ".cnf" {
					return fmt.Errorf("%s is not a configuration file (.scr or .cnf)", name)
				}
				if _, err := in.readUserFile(name); err != nil {
					return err
				}
				return in.setBoot(BootConfig{Kind: BootFromFile, File: name})
			},
			NoSyntax: "boot config",
			No: func(*command.Context, *command.Request) error {
				return in.setBoot(BootConfig{Kind: BootRunning})
			}},
		{Syntax: "show boot", Modes: []command.Mode{command.Exec}, Privilege: 5,
			Help: command.Help{"boot": "Display what the next boot loads"},
			Run: func(ctx *command.Context, _ *command.Request) error {
				bc, err := in.StartupFile()
				if err != nil {
					return err
				}
				id := in.opts.System.Identity()
				fmt.Fprintf(ctx.Out, "System Release: %s\n", id.ReleaseFile)
				fmt.Fprintf(ctx.Out, "System Configuration: %s\n", bc)
				return nil
			}},
	} {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// usernameLines returns the `username` lines of a configuration.
func usernameLines(cfg []byte) []byte {
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	sc.Buffer(make([]byte, 0, 4096), maxReplayLine)
	for sc.Scan() {
		l := sc.Text()
		if f := strings.Fields(l); len(f) > 0 && f[0] == "username" {
			b.WriteString(strings.TrimRight(l, "\r") + "\n")
		}
	}
	return b.Bytes()
}

// LoadStartup is what routerd calls at boot, after every feature has
// registered its commands: it replays the configuration `boot config`
// chose and returns the name of what it loaded ("" when there was
// nothing to load).
//
//   - running-configuration (default): the saved configuration
//     (StartupFile, system.cnf), nothing committed.
//   - a file NAME: NAME is replayed; if it has no `username` line, the
//     `username` lines of the saved configuration are replayed first, so
//     a boot choice never locks the administrator out. A missing NAME
//     falls back to the saved configuration.
//   - factory-defaults: only the `username` lines of the saved
//     configuration.
//
// A file or factory-defaults is loaded once: the result is committed as
// the saved configuration and the boot choice returns to
// running-configuration. Lines that fail go to report (may be nil); the
// rest is applied.
func (in *Interpreter) LoadStartup(report func(file string, lineNo int, line string, err error)) (string, error) {
	if in.opts.Files == nil {
		return "", nil
	}
	saved, err := in.opts.Files.ReadFile(in.opts.StartupFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", in.opts.StartupFile, err)
	}
	bc, berr := in.StartupFile()
	reset := berr != nil || bc.Kind != BootRunning // the choice is used once
	if berr != nil {
		in.log.Error("boot configuration unreadable; loading the saved configuration", "err", berr)
		bc = BootConfig{}
	}
	name, data := in.opts.StartupFile, saved
	switch bc.Kind {
	case BootFactory:
		name, data = bc.String(), usernameLines(saved)
	case BootFromFile:
		d, err := in.readUserFile(bc.File)
		if err != nil {
			in.log.Error("boot configuration file unusable; loading the saved configuration", "file", bc.File, "err", err)
			bc = BootConfig{}
			break
		}
		name, data = bc.File, d
		if len(usernameLines(d)) == 0 {
			data = append(usernameLines(saved), d...)
		}
	}
	if data == nil && bc.Kind == BootRunning {
		if reset {
			return "", in.setBoot(BootConfig{Kind: BootRunning})
		}
		return "", nil
	}
	rep := func(n int, line string, err error) {
		if report != nil {
			report(name, n, line, err)
		}
	}
	if err := in.Replay(bytes.NewReader(data), rep); err != nil {
		return name, err
	}
	if bc.Kind == BootRunning {
		// What was loaded is what is saved: the first command that
		// changes nothing commits nothing.
		in.cfgMu.Lock()
		if cfg, err := in.runningConfigLocked(); err == nil && bytes.Equal(cfg, saved) {
			in.committed = cfg
		}
		in.cfgMu.Unlock()
		if reset {
			return name, in.setBoot(BootConfig{Kind: BootRunning})
		}
		return name, nil
	}
	in.cfgMu.Lock()
	err = in.commitLocked()
	in.cfgMu.Unlock()
	if err != nil {
		return name, err
	}
	if err := in.setBoot(BootConfig{Kind: BootRunning}); err != nil {
		return name, err
	}
	return name, nil
}
