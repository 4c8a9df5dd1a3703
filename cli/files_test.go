package cli

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/firmware/flash"
)

// memFiles is an in-memory FileStore with a fixed modification time.
type memFiles struct {
	mu    sync.Mutex
	files map[string][]byte
}

func newMemFiles() *memFiles { return &memFiles{files: map[string][]byte{}} }

func (m *memFiles) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
	}
	return append([]byte(nil), b...), nil
}

func (m *memFiles) WriteFile(name string, data []byte, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = append([]byte(nil), data...)
	return nil
}

func (m *memFiles) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; !ok {
		return fmt.Errorf("remove %s: %w", name, fs.ErrNotExist)
	}
	delete(m.files, name)
	return nil
}

func (m *memFiles) List() ([]flash.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flash.Entry
	for n, b := range m.files {
		out = append(out, flash.Entry{Name: n, Size: int64(len(b)), ModTime: time.Date(2026, 11, 27, 20, 1, 2, 0, time.UTC)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *memFiles) get(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.files[name])
}

// flashCommitter commits to system.cnf in a memFiles, as routerd does.
type flashCommitter struct{ m *memFiles }

func (c flashCommitter) Commit(b []byte) error { return c.m.WriteFile(DefaultStartupFile, b, 0o600) }

func newFlashInterp(t *testing.T, files *memFiles) *Interpreter {
	t.Helper()
	in, err := New(Options{System: &fakeSystem{}, Committer: flashCommitter{files}, Files: files, Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	registerInterfaces(t, in)
	return in
}

const header = "! Configuration script being generated on MON NOV 29 2027 01:22:16 UTC\n" +
	"! Copyright (c) 2026 erx authors.  All rights reserved.\n!\n"
const trailer = "!\n! end of generated configuration script\n"

func TestFileCommands(t *testing.T) {
	files := newMemFiles()
	in := newFlashInterp(t, files)
	s := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	got := transcript(s,
		"configure terminal", "hostname r1", "end",
		"dir",
		"copy running-configuration backup.scr",
		"copy run ../x.scr", "copy running-configuration x/y.scr", "copy running-configuration x.exe", "copy running-configuration x.txt",
		"copy backup.scr b2.scr", "copy missing.scr b3.scr", "copy backup.scr system.cnf",
		"rename b2.scr notes.txt",
		"dir *.scr",
		"delete notes.txt", "delete system.cnf", "delete nothere.txt",
		"show version | include Release > ver.txt", "show clock >> ver.txt", "show clock > bad name.txt",
		"dir",
	)
	want := "host1#configure terminal\nhost1(config)#hostname r1\nr1(config)#end\n" +
		"r1#dir\n" +
		"   file    size     date (UTC)     \n" +
		"---------- ---- -------------------\n" +
		"system.cnf 12   11/27/2026 20:01:02\n" +
		"\n1 files, 12 bytes\n" +
		"r1#copy running-configuration backup.scr\n" +
		"r1#copy run ../x.scr\n% invalid file name \"../x.scr\": directories are not allowed\n" +
		"r1#copy running-configuration x/y.scr\n% invalid file name \"x/y.scr\": directories are not allowed\n" +
		"r1#copy running-configuration x.exe\n% invalid file name \"x.exe\": the file type must be one of .scr .cnf .log .txt .pub\n" +
		"r1#copy running-configuration x.txt\n% the running configuration is copied to a .scr or .cnf file, not x.txt\n" +
		"r1#copy backup.scr b2.scr\n" +
		"r1#copy missing.scr b3.scr\n% file missing.scr not found\n" +
		"r1#copy backup.scr system.cnf\n% system.cnf holds the saved configuration; it is written by commits only\n" +
		"r1#rename b2.scr notes.txt\n" +
		"r1#dir *.scr\n" +
		"   file    size     date (UTC)     \n" +
		"---------- ---- -------------------\n" +
		"backup.scr 183  11/27/2026 20:01:02\n" +
		"\n1 files, 183 bytes\n" +
		"r1#delete notes.txt\n" +
		"r1#delete system.cnf\n% system.cnf holds the saved configuration; it is written by commits only\n" +
		"r1#delete nothere.txt\n% file nothere.txt not found\n" +
		"r1#show version | include Release > ver.txt\n" +
		"r1#show clock >> ver.txt\n" +
		"r1#show clock > bad name.txt\n              ^\n% Invalid input detected at '^' marker.\n" +
		"r1#dir\n" +
		"   file    size     date (UTC)     \n" +
		"---------- ---- -------------------\n" +
		"backup.scr 183  11/27/2026 20:01:02\n" +
		"system.cnf 12   11/27/2026 20:01:02\n" +
		"ver.txt    63   11/27/2026 20:01:02\n" +
		"\n3 files, 258 bytes\n" +
		"r1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if b := files.get("backup.scr"); b != header+"hostname r1\n"+trailer {
		t.Errorf("backup.scr = %q", b)
	}
	if v := files.get("ver.txt"); v != "System Release: erx_0-1-0.rel\n01:22:16.000 UTC Mon Nov 29 2027\n" {
		t.Errorf("ver.txt = %q", v)
	}
}

func TestDeleteConfirm(t *testing.T) {
	files := newMemFiles()
	files.WriteFile("a.txt", []byte("x"), 0)
	in := newFlashInterp(t, files)
	out := runInteractive(in, 15, "delete a.txt\rn\rdelete a.txt\r\rdelete a.txt\r")
	want := "host1#delete a.txt\r\nDelete file a.txt? [confirm]n\r\n" +
		"host1#delete a.txt\r\nDelete file a.txt? [confirm]\r\n" +
		"host1#delete a.txt\r\n% file a.txt not found\r\n"
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%q\nwant:\n%q", out, want)
	}
}

func TestNoFlash(t *testing.T) {
	in, _, _ := newTestInterp(t)
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "dir", "show boot", "show version > v.txt")
	want := "host1#dir\n% no flash available\n" +
		"host1#show boot\nSystem Release: erx_0-1-0.rel\nSystem Configuration: running-configuration\n" +
		"host1#show version > v.txt\n% no flash available\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestConfigureFile(t *testing.T) {
	files := newMemFiles()
	files.WriteFile("setup.scr", []byte("! a script\nhostname r7\ninterface gigabitEthernet 2/0/1\n ip address 10.1.1.1 255.255.255.0\n"+
		" ip address 10.1.1\nbogus\nenable secret level 3 5 notahash\nend\ndo show clock\nexit\n"), 0)
	files.WriteFile("loop.scr", []byte("do configure file loop.scr\n"), 0)
	in := newFlashInterp(t, files)
	s := in.NewSession(SessionOptions{User: "admin", Privilege: 15})
	got := transcript(s, "configure file setup.scr", "configure file loop.scr", "configure file none.scr")
	want := "host1#configure file setup.scr\n" +
		"setup.scr line 5:  ip address 10.1.1\n" +
		"                              ^\n% Invalid input detected at '^' marker.\n" +
		"setup.scr line 6: bogus\n% Unrecognized command\n" +
		"setup.scr line 7: enable secret level 3 5 notahash\n% invalid hashed secret\n" +
		"% 3 lines of setup.scr failed; the others were applied\n" +
		"r7#configure file loop.scr\n" +
		"loop.scr line 1: do configure file loop.scr\n% configure file cannot run inside a script\n" +
		"% 1 lines of loop.scr failed; the others were applied\n" +
		"r7#configure file none.scr\n% file none.scr not found\n" +
		"r7#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if c := files.get("system.cnf"); c != "hostname r7\ninterface gigabitEthernet 2/0/1\n ip address 10.1.1.1 255.255.255.0\n" {
		t.Errorf("committed %q", c)
	}
	// A level-10 session cannot reach level-15 commands through a script.
	files.WriteFile("priv.scr", []byte("enable secret level 3 x\nhostname r8\n"), 0)
	s10 := in.NewSession(SessionOptions{User: "op", Privilege: 10})
	s10.ctx.Level = 10
	got = transcript(s10, "configure file priv.scr")
	if !strings.Contains(got, "priv.scr line 1: enable secret level 3 x\n") || !strings.HasSuffix(got, "r8#") {
		t.Errorf("level 10 script:\n%s", got)
	}
}

func TestBootConfig(t *testing.T) {
	const users = "username admin privilege 15 secret 5 $2a$10$abcdefghijklmnopqrstuv\n"
	seed := func(files *memFiles) {
		files.WriteFile("system.cnf", []byte("hostname saved\n"+users), 0)
		files.WriteFile("lab.scr", []byte("hostname lab\n"), 0)
	}
	type result struct{ loaded, hostname, boot, saved string }
	boot := func(files *memFiles) result {
		in := newFlashInterp(t, files)
		registerUsers(t, in)
		var fails []string
		name, err := in.LoadStartup(func(f string, n int, l string, err error) { fails = append(fails, fmt.Sprintf("%s:%d:%v", f, n, err)) })
		if err != nil || len(fails) > 0 {
			t.Fatalf("LoadStartup: %v %q", err, fails)
		}
		bc, _ := in.StartupFile()
		return result{name, in.Hostname(), bc.String(), files.get("system.cnf")}
	}
	files := newMemFiles()
	seed(files)
	in := newFlashInterp(t, files)
	s := in.NewSession(SessionOptions{Privilege: 15})
	got := transcript(s, "show boot", "configure terminal", "boot config nothere.scr", "boot config x.txt", "boot config lab.scr", "do show boot",
		"do delete lab.scr", "boot config factory-defaults", "do show boot", "no boot config", "do show boot", "boot config lab.scr", "end")
	want := "host1#show boot\nSystem Release: erx_0-1-0.rel\nSystem Configuration: running-configuration\n" +
		"host1#configure terminal\n" +
		"host1(config)#boot config nothere.scr\n% file nothere.scr not found\n" +
		"host1(config)#boot config x.txt\n% x.txt is not a configuration file (.scr or .cnf)\n" +
		"host1(config)#boot config lab.scr\n" +
		"host1(config)#do show boot\nSystem Release: erx_0-1-0.rel\nSystem Configuration: lab.scr\n" +
		"host1(config)#do delete lab.scr\n% lab.scr is the boot configuration (boot config); choose another first\n" +
		"host1(config)#boot config factory-defaults\n" +
		"host1(config)#do show boot\nSystem Release: erx_0-1-0.rel\nSystem Configuration: factory-defaults\n" +
		"host1(config)#no boot config\n" +
		"host1(config)#do show boot\nSystem Release: erx_0-1-0.rel\nSystem Configuration: running-configuration\n" +
		"host1(config)#boot config lab.scr\n" +
		"host1(config)#end\nhost1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if c := files.get(BootFile); c != "config lab.scr\n" {
		t.Errorf("boot.cfg %q", c)
	}
	// The saved configuration does not hold boot config.
	if strings.Contains(files.get("system.cnf"), "boot") {
		t.Errorf("system.cnf holds the boot choice: %q", files.get("system.cnf"))
	}

	for _, tc := range []struct {
		name string
		boot string
		want result
	}{
		{"running", "", result{"system.cnf", "saved", "running-configuration", "hostname saved\n" + users}},
		{"file keeps the users", "config lab.scr\n", result{"lab.scr", "lab", "running-configuration", "hostname lab\n" + users}},
		{"factory keeps the users", "config factory-defaults\n", result{"factory-defaults", "host1", "running-configuration", "hostname host1\n" + users}},
		{"missing file", "config gone.scr\n", result{"system.cnf", "saved", "running-configuration", "hostname saved\n" + users}},
		{"garbage boot file", "reboot now\n", result{"system.cnf", "saved", "running-configuration", "hostname saved\n" + users}},
	} {
		files := newMemFiles()
		seed(files)
		if tc.boot != "" {
			files.WriteFile(BootFile, []byte(tc.boot), 0)
		}
		if got := boot(files); got != tc.want {
			t.Errorf("%s: got %+v want %+v", tc.name, got, tc.want)
		}
	}
	// Nothing on flash: nothing loaded.
	if name, err := newFlashInterp(t, newMemFiles()).LoadStartup(nil); name != "" || err != nil {
		t.Errorf("empty flash: %q %v", name, err)
	}
}

// registerUsers adds a minimal username command and section, as aaa/local
// does.
func registerUsers(t *testing.T, in *Interpreter) {
	t.Helper()
	var lines []string
	err := in.Tree().Register(&command.Command{Syntax: "username <name:word> <rest:line>", Modes: []command.Mode{command.Config}, Privilege: 15,
		Run: func(_ *command.Context, req *command.Request) error {
			lines = append(lines, "username "+req.String("name")+" "+req.String("rest"))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	err = in.Tree().AddConfig(command.ConfigSection{Order: command.OrderAAA, Name: "users", Write: func(w io.Writer) error {
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidFileName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a.scr": true, "A.SCR": true, "x.cnf": true, "log.log": true, "n.txt": true, "k.pub": true,
		"": false, ".scr": false, ".hidden.scr": false, "a/b.scr": false, "..scr": false, "a..b.scr": false,
		"a b.scr": false, "a.exe": false, "noext": false, "a\\b.scr": false, "a\x00.scr": false,
		strings.Repeat("a", 200) + ".scr": false, "a*.scr": false,
	} {
		if err := ValidFileName(name); (err == nil) != ok {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func FuzzValidFileName(f *testing.F) {
	f.Add("a.scr")
	f.Add("../../etc/passwd.txt")
	f.Fuzz(func(t *testing.T, name string) {
		if ValidFileName(name) == nil && (strings.ContainsAny(name, "/\\ ") || strings.Contains(name, "..") || name[0] == '.') {
			t.Fatalf("accepted %q", name)
		}
	})
}
