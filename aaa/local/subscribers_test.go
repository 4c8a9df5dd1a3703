package local

import (
	"bytes"
	"errors"
	"testing"

	"github.com/erxos/erx/cli/command"
)

// runLines parses and executes lines in Global Configuration mode.
func runLines(t *testing.T, tree *command.Tree, lines ...string) {
	t.Helper()
	ctx := &command.Context{Out: &bytes.Buffer{}, Level: 15, Mode: command.Config, VR: "default", User: "admin"}
	for _, l := range lines {
		req, err := tree.Parse(ctx, l)
		if err == nil {
			err = tree.Execute(ctx, req)
		}
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	}
}

// TestSubscriberDBConfigRoundTrip: `aaa local database`, `aaa local
// username` and `aaa local select database` are written back as they
// were typed (databases first) and replaying the output rebuilds the same
// databases; `no` forms remove them.
func TestSubscriberDBConfigRoundTrip(t *testing.T) {
	tree := command.NewTree()
	d := NewSubscriberDB()
	if err := d.Register(tree); err != nil {
		t.Fatal(err)
	}
	runLines(t, tree, "aaa local database west", "aaa local database default",
		"aaa local username bob@isp password b-pw", "aaa local username ann@isp password a-pw database west",
		"aaa local username old@isp password o-pw database west", "no aaa local username old@isp database west",
		"aaa local select database west")
	var b bytes.Buffer
	if err := tree.WriteConfig(&b); err != nil {
		t.Fatal(err)
	}
	want := "aaa local database default\naaa local database west\n" +
		"aaa local username bob@isp password b-pw\naaa local username ann@isp password a-pw database west\n" +
		"aaa local select database west\n"
	if b.String() != want {
		t.Fatalf("configuration:\n%s\nwant:\n%s", b.String(), want)
	}
	again := command.NewTree()
	d2 := NewSubscriberDB()
	if err := d2.Register(again); err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
		runLines(t, again, string(l))
	}
	var b2 bytes.Buffer
	if err := again.WriteConfig(&b2); err != nil {
		t.Fatal(err)
	}
	if b2.String() != want {
		t.Errorf("replayed configuration:\n%s\nwant:\n%s", b2.String(), want)
	}
	runLines(t, tree, "no aaa local select database", "no aaa local database west")
	b.Reset()
	if err := tree.WriteConfig(&b); err != nil {
		t.Fatal(err)
	}
	if want := "aaa local database default\naaa local username bob@isp password b-pw\n"; b.String() != want {
		t.Errorf("after no forms:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestSubscriberDBAuth: only the selected database authenticates; unknown
// databases and limits are errors.
func TestSubscriberDBAuth(t *testing.T) {
	d := NewSubscriberDB()
	if err := d.SetUser(DefaultDatabase, "x", "y"); !errors.Is(err, ErrNoSuchDatabase) {
		t.Errorf("user in a missing database: %v", err)
	}
	for _, db := range []string{DefaultDatabase, "west"} {
		if err := d.CreateDatabase(db); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetUser(DefaultDatabase, "bob", "b-pw"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetUser("west", "ann", "a-pw"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		selected, user, pw string
		ok                 bool
	}{
		{"", "bob", "b-pw", true},
		{"", "bob", "b-pW", false},
		{"", "bob", "", false},
		{"", "ann", "a-pw", false},
		{"", "nobody", "b-pw", false},
		{"west", "ann", "a-pw", true},
		{"west", "bob", "b-pw", false},
		{"east", "bob", "b-pw", false}, // selected but not created
	} {
		d.Select(tc.selected)
		if _, err := d.AuthPassword(tc.user, tc.pw); (err == nil) != tc.ok {
			t.Errorf("database %q: %s/%s: %v, want ok %v", tc.selected, tc.user, tc.pw, err, tc.ok)
		}
	}
	d.Select("")
	for i := d.entries(); i < MaxSubscriberEntries; i++ {
		if err := d.SetUser("west", "u"+string(rune('a'+i%26))+string(rune('a'+i/26)), "p"); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetUser("west", "one-more", "p"); !errors.Is(err, ErrTooMany) {
		t.Errorf("entry %d: %v, want ErrTooMany", MaxSubscriberEntries+1, err)
	}
}

func (d *SubscriberDB) entries() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.entriesLocked()
}
