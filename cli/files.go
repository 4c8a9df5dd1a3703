package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
	"github.com/erxos/erx/firmware/flash"
)

// FileStore is the flash as the file commands (dir, delete, copy, rename,
// configure file, boot config, show ... > FILE) see it. *flash.Dir
// satisfies it as it is. ReadFile must return an error matching
// fs.ErrNotExist for a missing file; WriteFile must be atomic.
type FileStore interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte, perm fs.FileMode) error
	Remove(name string) error
	List() ([]flash.Entry, error)
}

// DefaultStartupFile is the committed configuration on flash
// (docs/CONTRACTS.md); Options.StartupFile overrides it.
const DefaultStartupFile = "system.cnf"

// FileExtensions are the file types users may name in file commands.
var FileExtensions = []string{".scr", ".cnf", ".log", ".txt", ".pub"}

// MaxUserFile bounds a file the CLI writes or runs (copy, redirection,
// configure file).
const MaxUserFile = 16 << 20

// maxFileName bounds a file name.
const maxFileName = 128

// ValidFileName checks a user-supplied flash file name: one plain name
// (no directories, no "..", not hidden), printable ASCII without spaces,
// ending in one of FileExtensions.
func ValidFileName(name string) error {
	if name == "" || len(name) > maxFileName {
		return fmt.Errorf("invalid file name %q", name)
	}
	if strings.ContainsAny(name, "/\\") || strings.Contains(name, "..") || name[0] == '.' {
		return fmt.Errorf("invalid file name %q: directories are not allowed", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("*?\"<>|:;", c) >= 0 {
			return fmt.Errorf("invalid file name %q", name)
		}
	}
	ext := strings.ToLower(path.Ext(name))
	for _, e := range FileExtensions {
		if ext == e && len(name) > len(e) {
			return nil
		}
	}
	return fmt.Errorf("invalid file name %q: the file type must be one of %s", name, strings.Join(FileExtensions, " "))
}

func (in *Interpreter) files() (FileStore, error) {
	if in.opts.Files == nil {
		return nil, errors.New("no flash available")
	}
	return in.opts.Files, nil
}

// protected reports whether the CLI must not overwrite or remove name: the
// committed configuration (it is rewritten on every commit and holds the
// administrator) and the file the next boot loads.
func (in *Interpreter) protected(name string) error {
	if strings.EqualFold(name, in.opts.StartupFile) {
		return fmt.Errorf("%s holds the saved configuration; it is written by commits only", name)
	}
	if bc, err := in.StartupFile(); err == nil && bc.Kind == BootFromFile && strings.EqualFold(bc.File, name) {
		return fmt.Errorf("%s is the boot configuration (boot config); choose another first", name)
	}
	return nil
}

func (in *Interpreter) readUserFile(name string) ([]byte, error) {
	if err := ValidFileName(name); err != nil {
		return nil, err
	}
	fsys, err := in.files()
	if err != nil {
		return nil, err
	}
	b, err := fsys.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file %s not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// writeUserFile writes (or, with appendTo, appends to) a user file.
func (in *Interpreter) writeUserFile(name string, data []byte, appendTo bool) error {
	if err := ValidFileName(name); err != nil {
		return err
	}
	if err := in.protected(name); err != nil {
		return err
	}
	fsys, err := in.files()
	if err != nil {
		return err
	}
	if appendTo {
		old, err := fsys.ReadFile(name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read %s: %w", name, err)
		}
		data = append(old, data...)
	}
	if len(data) > MaxUserFile {
		return fmt.Errorf("%s would exceed %d bytes", name, MaxUserFile)
	}
	if err := fsys.WriteFile(name, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (in *Interpreter) registerFiles() error {
	fileHelp := "File name (with extension .scr .cnf .log .txt .pub)"
	cmds := []*command.Command{
		{Syntax: "dir [<pattern:word>]", Modes: []command.Mode{command.Exec}, Privilege: 5,
			Help: command.Help{"dir": "List the files in nonvolatile storage", "pattern": "Only names matching this pattern (* and ? wildcards)"},
			Run:  in.dir},
		{Syntax: "delete <file:word>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"delete": "Delete a file from nonvolatile storage", "file": fileHelp},
			Run:  in.deleteFile},
		{Syntax: "copy running-configuration <dst:word>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"copy": "Copy a file", "running-configuration": "The current configuration, as a script",
				"dst": "Destination file (.scr or .cnf)"},
			Run: in.copyRunning},
		{Syntax: "copy <src:word> <dst:word>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"copy": "Copy a file", "src": "Source file", "dst": "Destination file"},
			Run:  in.copyFile},
		{Syntax: "rename <src:word> <dst:word>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"rename": "Rename a file in nonvolatile storage", "src": "Current file name", "dst": "New file name"},
			Run:  in.renameFile},
		{Syntax: "configure file <file:word>", Modes: []command.Mode{command.Exec}, Privilege: 10,
			Help: command.Help{"configure": "Enter configuration mode", "file": "Run a configuration script (.scr) from nonvolatile storage"},
			Run:  in.configureFile},
	}
	for _, c := range cmds {
		if err := in.tree.Register(c); err != nil {
			return err
		}
	}
	return in.registerBoot()
}

func (in *Interpreter) dir(ctx *command.Context, req *command.Request) error {
	fsys, err := in.files()
	if err != nil {
		return err
	}
	pat := req.String("pattern")
	if pat != "" {
		if _, err := path.Match(pat, ""); err != nil {
			return fmt.Errorf("invalid pattern %q", pat)
		}
	}
	ents, err := fsys.List()
	if err != nil {
		return fmt.Errorf("list files: %w", err)
	}
	var rows [][]string
	var total int64
	for _, e := range ents {
		if e.IsDir || strings.Contains(e.Name, "/") || strings.HasPrefix(e.Name, ".") {
			continue
		}
		if pat != "" {
			if ok, _ := path.Match(pat, e.Name); !ok {
				continue
			}
		}
		total += e.Size
		rows = append(rows, []string{e.Name, fmt.Sprint(e.Size), e.ModTime.UTC().Format("01/02/2006 15:04:05")})
	}
	if err := table.Render(ctx.Out, []string{"file", "size", "date (UTC)"}, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(ctx.Out, "\n%d files, %d bytes\n", len(rows), total)
	return err
}

// confirm asks prompt when the session can ask; a session that cannot
// (exec request, script) proceeds, as JunosE scripts do.
func confirm(ctx *command.Context, prompt string) bool {
	if ctx.Ask == nil {
		return true
	}
	ans, err := ctx.Ask(prompt)
	if err != nil {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "", "y", "yes":
		return true
	}
	return false
}

func (in *Interpreter) deleteFile(ctx *command.Context, req *command.Request) error {
	name := req.String("file")
	if err := ValidFileName(name); err != nil {
		return err
	}
	if err := in.protected(name); err != nil {
		return err
	}
	fsys, err := in.files()
	if err != nil {
		return err
	}
	if _, err := in.readUserFile(name); err != nil {
		return err
	}
	if !confirm(ctx, fmt.Sprintf("Delete file %s? [confirm]", name)) {
		return nil
	}
	if err := fsys.Remove(name); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

func (in *Interpreter) copyRunning(ctx *command.Context, req *command.Request) error {
	dst := req.String("dst")
	if err := ValidFileName(dst); err != nil {
		return err
	}
	if ext := strings.ToLower(path.Ext(dst)); ext != ".scr" && ext != ".cnf" {
		return fmt.Errorf("the running configuration is copied to a .scr or .cnf file, not %s", dst)
	}
	var b strings.Builder
	if err := in.writeConfiguration(&b, command.ConfigFilter{}, nil); err != nil {
		return err
	}
	return in.writeUserFile(dst, []byte(b.String()), false)
}

func (in *Interpreter) copyFile(ctx *command.Context, req *command.Request) error {
	src, dst := req.String("src"), req.String("dst")
	data, err := in.readUserFile(src)
	if err != nil {
		return err
	}
	if strings.EqualFold(src, dst) {
		return errors.New("source and destination are the same file")
	}
	return in.writeUserFile(dst, data, false)
}

func (in *Interpreter) renameFile(ctx *command.Context, req *command.Request) error {
	src, dst := req.String("src"), req.String("dst")
	if err := in.protected(src); err != nil {
		return err
	}
	data, err := in.readUserFile(src)
	if err != nil {
		return err
	}
	if strings.EqualFold(src, dst) {
		return errors.New("source and destination are the same file")
	}
	if err := in.writeUserFile(dst, data, false); err != nil {
		return err
	}
	if err := in.opts.Files.Remove(src); err != nil {
		return fmt.Errorf("remove %s: %w", src, err)
	}
	return nil
}
