package flash

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"system.cnf", true},
		{"ssh/ssh_host_ed25519_key", true},
		{"a/./b", true},
		{"", false},
		{"/etc/passwd", false},
		{"../x", false},
		{"a/../../x", false},
		{"a/../b", false},
		{".", false},
		{"a\\b", false},
		{"log/" + tempPrefix + "x", false},
		{"a\x00b", false},
	} {
		err := d.WriteFile(tc.name, []byte("x"), 0o644)
		if (err == nil) != tc.ok {
			t.Errorf("WriteFile(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestReadWriteListRemove(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("system.cnf", []byte("hostname a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("ssh/keys/k", []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("system.cnf", []byte("hostname b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadFile("system.cnf")
	if err != nil || string(got) != "hostname b\n" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	fi, err := os.Stat(filepath.Join(root, "system.cnf"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode(), err)
	}
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, fmt.Sprintf("%s:%d:%v", e.Name, e.Size, e.IsDir))
	}
	want := "ssh:0:true ssh/keys:0:true ssh/keys/k:3:false system.cnf:11:false"
	if strings.Join(names, " ") != want {
		t.Fatalf("List = %v, want %v", names, want)
	}
	if err := d.Remove("system.cnf"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadFile("system.cnf"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Remove: %v", err)
	}
	if p, _ := d.FullPath("ssh/keys/k"); p != filepath.Join(root, "ssh", "keys", "k") {
		t.Fatalf("FullPath = %s", p)
	}
}

var errCrash = errors.New("simulated crash")

// crashFS models a disk: each file has volatile and durable contents and
// each directory entry is volatile until its directory is synced. After
// crashAt steps every operation fails and changes nothing, as if the power
// failed.
type crashFS struct {
	steps, crashAt int
	partial        bool // a crashing Write writes half its data first

	next               int
	volatile, durable  map[int][]byte // inode contents
	volEntry, durEntry map[string]int // path -> inode
}

func newCrashFS(dir string, files map[string][]byte) *crashFS {
	c := &crashFS{crashAt: -1, volatile: map[int][]byte{}, durable: map[int][]byte{}, volEntry: map[string]int{}, durEntry: map[string]int{}}
	for name, data := range files {
		c.next++
		c.volatile[c.next] = data
		c.durable[c.next] = data
		p := filepath.Join(dir, name)
		c.volEntry[p], c.durEntry[p] = c.next, c.next
	}
	return c
}

func (c *crashFS) step() error {
	c.steps++
	if c.crashAt >= 0 && c.steps > c.crashAt {
		return errCrash
	}
	return nil
}

func (c *crashFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if err := c.step(); err != nil {
		return nil, err
	}
	c.next++
	name := filepath.Join(dir, fmt.Sprintf("%s%d", pattern, c.next))
	c.volEntry[name] = c.next
	c.volatile[c.next] = nil
	return &crashFile{fs: c, ino: c.next, name: name}, nil
}

func (c *crashFS) Rename(oldpath, newpath string) error {
	if err := c.step(); err != nil {
		return err
	}
	ino, ok := c.volEntry[oldpath]
	if !ok {
		return fs.ErrNotExist
	}
	delete(c.volEntry, oldpath)
	c.volEntry[newpath] = ino
	return nil
}

func (c *crashFS) SyncDir(dir string) error {
	if err := c.step(); err != nil {
		return err
	}
	for p := range c.durEntry {
		if filepath.Dir(p) == dir {
			delete(c.durEntry, p)
		}
	}
	for p, ino := range c.volEntry {
		if filepath.Dir(p) == dir {
			c.durEntry[p] = ino
		}
	}
	return nil
}

func (c *crashFS) Remove(name string) error {
	if err := c.step(); err != nil {
		return err
	}
	delete(c.volEntry, name)
	return nil
}

type crashFile struct {
	fs   *crashFS
	ino  int
	name string
}

func (f *crashFile) Name() string            { return f.name }
func (f *crashFile) Chmod(fs.FileMode) error { return f.fs.step() }
func (f *crashFile) Close() error            { return f.fs.step() }
func (f *crashFile) Write(b []byte) (int, error) {
	if err := f.fs.step(); err != nil {
		if f.fs.partial {
			f.fs.volatile[f.ino] = append(f.fs.volatile[f.ino], b[:len(b)/2]...)
		}
		return 0, err
	}
	f.fs.volatile[f.ino] = append(f.fs.volatile[f.ino], b...)
	return len(b), nil
}
func (f *crashFile) Sync() error {
	if err := f.fs.step(); err != nil {
		return err
	}
	f.fs.durable[f.ino] = append([]byte(nil), f.fs.volatile[f.ino]...)
	return nil
}

// diskStates returns what a reboot may find: only what was synced, or
// additionally any directory change the file system wrote on its own, each
// with the file contents that were synced (the worst case for data).
func (c *crashFS) diskStates() []map[string][]byte {
	var out []map[string][]byte
	for _, entries := range []map[string]int{c.durEntry, c.volEntry} {
		files := map[string][]byte{}
		for p, ino := range entries {
			files[p] = c.durable[ino]
		}
		out = append(out, files)
	}
	return out
}

// reboot writes a disk state into a fresh directory, opens it as a flash
// store, and returns what a reader sees for name.
func reboot(t *testing.T, fromDir string, state map[string][]byte, name string) ([]byte, error, []Entry) {
	t.Helper()
	root := t.TempDir()
	for p, data := range state {
		rel, err := filepath.Rel(fromDir, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	b, rerr := d.ReadFile(name)
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("temporary file %s left after Open", e.Name())
		}
	}
	return b, rerr, list
}

func TestCrashAtEveryStep(t *testing.T) {
	const dir = "/flash"
	oldData := []byte("hostname old\n")
	newData := bytes.Repeat([]byte("hostname new\n"), 100)
	for _, hadOld := range []bool{true, false} {
		// Count the steps of an uninterrupted write.
		files := map[string][]byte{}
		if hadOld {
			files["system.cnf"] = oldData
		}
		full := newCrashFS(dir, files)
		if err := atomicWrite(full, filepath.Join(dir, "system.cnf"), newData, 0o644); err != nil {
			t.Fatal(err)
		}
		for crashAt := 0; crashAt <= full.steps; crashAt++ {
			for _, partial := range []bool{false, true} {
				c := newCrashFS(dir, files)
				c.crashAt, c.partial = crashAt, partial
				err := atomicWrite(c, filepath.Join(dir, "system.cnf"), newData, 0o644)
				if crashAt < full.steps && err == nil {
					t.Errorf("crash at step %d: write reported success", crashAt)
				}
				for i, state := range c.diskStates() {
					got, rerr, list := reboot(t, dir, state, "system.cnf")
					switch {
					case rerr == nil && bytes.Equal(got, newData):
					case rerr == nil && hadOld && bytes.Equal(got, oldData):
					case rerr != nil && !hadOld && errors.Is(rerr, fs.ErrNotExist):
					default:
						t.Errorf("old=%v crash at step %d partial=%v state %d: torn file %q (%v)", hadOld, crashAt, partial, i, got, rerr)
					}
					if crashAt == full.steps && i == 0 && !bytes.Equal(got, newData) {
						t.Errorf("completed write not durable")
					}
					for _, e := range list {
						if e.Name != "system.cnf" {
							t.Errorf("unexpected entry %q after reboot", e.Name)
						}
					}
				}
			}
		}
	}
}

// TestCrashModelDetectsTornWrites shows that the model catches a write
// protocol that renames before syncing the data.
func TestCrashModelDetectsTornWrites(t *testing.T) {
	const dir = "/flash"
	c := newCrashFS(dir, map[string][]byte{"f": []byte("old")})
	f, _ := c.CreateTemp(dir, tempPrefix)
	f.Write([]byte("new"))
	c.Rename(f.Name(), filepath.Join(dir, "f"))
	c.SyncDir(dir)
	// Crash before the data is synced.
	got, err, _ := reboot(t, dir, c.diskStates()[0], "f")
	if err != nil || string(got) == "old" || string(got) == "new" {
		t.Fatalf("model did not show a torn file: %q %v", got, err)
	}
}

func TestOpenRemovesTemps(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "log"), 0o755)
	os.WriteFile(filepath.Join(root, "log", tempPrefix+"system.log-1"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "keep"), []byte("x"), 0o644)
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "log", tempPrefix+"system.log-1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp file survived: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "keep")); err != nil {
		t.Fatal(err)
	}
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"system.cnf", "../x", "a/../../b", "/etc", "a//b", "ssh/./k"} {
		f.Add(s)
	}
	root := "/flash"
	d := &Dir{root: root}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := d.FullPath(name)
		if err != nil {
			return
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || !strings.HasPrefix(p, root+"/") {
			t.Fatalf("name %q escapes the flash: %q", name, p)
		}
	})
}
