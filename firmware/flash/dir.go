package flash

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// tempPrefix starts the name of every temporary file a write creates. Files
// with this prefix are never listed and are removed by Open.
const tempPrefix = ".erx-tmp-"

// Dir is a flash store rooted at a directory. Names passed to its methods
// are relative, slash-separated and may not leave the root.
type Dir struct {
	root string
	fs   writeFS
}

// Entry describes one file or directory for the CLI's `dir` command.
type Entry struct {
	Name    string // slash-separated, relative to the flash root
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// Open returns the flash store rooted at root, creating root if needed and
// removing temporary files left behind by writes that a crash interrupted.
func Open(root string) (*Dir, error) {
	return open(root, osFS{})
}

func open(root string, wfs writeFS) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("flash: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("flash: %w", err)
	}
	d := &Dir{root: abs, fs: wfs}
	if err := d.removeTemps(); err != nil {
		return nil, fmt.Errorf("flash: cleaning temporary files: %w", err)
	}
	return d, nil
}

// Path returns the absolute directory the store is rooted at.
func (d *Dir) Path() string { return d.root }

// FullPath returns the absolute path of name inside the store, or an error
// if name is not a valid store name.
func (d *Dir) FullPath(name string) (string, error) {
	clean, err := cleanName(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(clean)), nil
}

// cleanName validates a store name and returns its cleaned form.
func cleanName(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("flash: invalid name %q", name)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", fmt.Errorf("flash: invalid name %q: leaves the flash", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." || !fs.ValidPath(clean) {
		return "", fmt.Errorf("flash: invalid name %q", name)
	}
	if strings.HasPrefix(path.Base(clean), tempPrefix) {
		return "", fmt.Errorf("flash: invalid name %q: reserved prefix", name)
	}
	return clean, nil
}

// ReadFile returns the contents of name.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	p, err := d.FullPath(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("flash: %w", err)
	}
	return b, nil
}

// WriteFile atomically replaces name with data: it writes a temporary file
// in the same directory, syncs it, renames it over name and syncs the
// directory. Parent directories are created as needed.
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	p, err := d.FullPath(name)
	if err != nil {
		return err
	}
	if err := d.mkdirs(filepath.Dir(p)); err != nil {
		return fmt.Errorf("flash: write %s: %w", name, err)
	}
	if err := atomicWrite(d.fs, p, data, perm); err != nil {
		return fmt.Errorf("flash: write %s: %w", name, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents below the root, syncing each
// parent so that the new directory entries survive a crash.
func (d *Dir) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	var missing []string
	for p := dir; p != d.root && len(p) > len(d.root); p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := d.fs.SyncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

// atomicWrite is the write protocol; every step goes through wfs so that
// tests can simulate a crash after any of them.
func atomicWrite(wfs writeFS, target string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(target)
	f, err := wfs.CreateTemp(dir, tempPrefix+filepath.Base(target)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			wfs.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := wfs.Rename(tmp, target); err != nil {
		return err
	}
	ok = true
	return wfs.SyncDir(dir)
}

// Remove removes the file or empty directory name and syncs its directory.
func (d *Dir) Remove(name string) error {
	p, err := d.FullPath(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("flash: %w", err)
	}
	if err := d.fs.SyncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("flash: remove %s: %w", name, err)
	}
	return nil
}

// List returns every file and directory in the store (recursively), sorted
// by name, without temporary files. An empty store yields an empty list.
func (d *Dir) List() ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == d.root {
			return nil
		}
		if strings.HasPrefix(de.Name(), tempPrefix) || de.Name() == "lost+found" {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		e := Entry{Name: filepath.ToSlash(rel), ModTime: info.ModTime(), IsDir: de.IsDir()}
		if !de.IsDir() {
			e.Size = info.Size()
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("flash: list: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// removeTemps deletes temporary files that an interrupted write left.
func (d *Dir) removeTemps() error {
	return filepath.WalkDir(d.root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.Name() == "lost+found" && de.IsDir() {
			return filepath.SkipDir
		}
		if !de.IsDir() && strings.HasPrefix(de.Name(), tempPrefix) {
			return os.Remove(p)
		}
		return nil
	})
}

// writeFS is the set of file-system steps a write makes.
type writeFS interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldpath, newpath string) error
	SyncDir(dir string) error
	Remove(name string) error
}

// tempFile is an open temporary file.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// osFS is writeFS on the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Rename(oldpath, newpath string) error             { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                         { return os.Remove(name) }
func (osFS) SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
