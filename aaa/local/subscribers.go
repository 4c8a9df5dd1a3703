package local

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/erxos/erx/cli/command"
)

// DefaultDatabase is the name of the local user database subscribers are
// checked against unless `aaa local select database` names another.
const DefaultDatabase = "default"

// Limits of the subscriber local databases, as JunosE documents them.
const (
	MaxSubscriberDatabases = 100
	MaxSubscriberEntries   = 100 // over all databases
)

// Errors of SubscriberDB.
var (
	ErrNoSuchDatabase = errors.New("no such local user database")
	ErrTooMany        = errors.New("local user database limit reached")
)

// SubscriberDB holds the local user databases PPP and IP subscribers are
// authenticated against by the `local` method (`aaa authentication ppp
// default local`), as configured with `aaa local database` and `aaa local
// username`. It is apart from the operators' `username` accounts (Users):
// a subscriber can never test an operator's password, and its passwords
// are kept in clear, which CHAP needs. It is safe for concurrent use.
type SubscriberDB struct {
	mu       sync.RWMutex
	dbs      map[string]map[string]string // database → user → password
	selected string                       // "" = DefaultDatabase
}

// NewSubscriberDB returns an empty set of databases.
func NewSubscriberDB() *SubscriberDB {
	return &SubscriberDB{dbs: map[string]map[string]string{}}
}

// CreateDatabase creates database name (no-op if it exists).
func (d *SubscriberDB) CreateDatabase(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid database name %q", name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.dbs[name]; ok {
		return nil
	}
	if len(d.dbs) >= MaxSubscriberDatabases {
		return fmt.Errorf("%w: %d databases", ErrTooMany, MaxSubscriberDatabases)
	}
	d.dbs[name] = map[string]string{}
	return nil
}

// DeleteDatabase removes database name with its entries.
func (d *SubscriberDB) DeleteDatabase(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dbs, name)
}

// SetUser adds or changes user name in database db, which must exist.
func (d *SubscriberDB) SetUser(db, name, password string) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid user name %q", name)
	}
	if password == "" {
		return fmt.Errorf("user %s: empty password", name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	users, ok := d.dbs[db]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoSuchDatabase, db)
	}
	if _, exists := users[name]; !exists && d.entriesLocked() >= MaxSubscriberEntries {
		return fmt.Errorf("%w: %d user entries", ErrTooMany, MaxSubscriberEntries)
	}
	users[name] = password
	return nil
}

func (d *SubscriberDB) entriesLocked() int {
	n := 0
	for _, u := range d.dbs {
		n += len(u)
	}
	return n
}

// DeleteUser removes user name from database db.
func (d *SubscriberDB) DeleteUser(db, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dbs[db], name)
}

// Select makes db the database subscribers are authenticated against
// ("" or DefaultDatabase: the default one). It need not exist yet; while
// it does not, every local authentication fails.
func (d *SubscriberDB) Select(db string) {
	if db == DefaultDatabase {
		db = ""
	}
	d.mu.Lock()
	d.selected = db
	d.mu.Unlock()
}

// ClearPassword returns the password of name in the selected database.
func (d *SubscriberDB) ClearPassword(name string) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	db := d.selected
	if db == "" {
		db = DefaultDatabase
	}
	pw, ok := d.dbs[db][name]
	return pw, ok
}

// AuthPassword checks a PAP login against the selected database. The
// comparison takes constant time, and an unknown name is compared too, so
// a guesser learns nothing from the timing. The privilege is always 0:
// subscribers get no CLI.
func (d *SubscriberDB) AuthPassword(name, password string) (int, error) {
	pw, ok := d.ClearPassword(name)
	if !ok {
		checkPlain(password, password) // the same work as a real check
		return 0, ErrAuth
	}
	if !checkPlain(pw, password) {
		return 0, ErrAuth
	}
	return 0, nil
}

// ConfigLines returns the configuration: the databases, then their users,
// then the selection, each sorted.
func (d *SubscriberDB) ConfigLines() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	names := make([]string, 0, len(d.dbs))
	for n := range d.dbs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		out = append(out, "aaa local database "+n)
	}
	for _, n := range names {
		users := make([]string, 0, len(d.dbs[n]))
		for u := range d.dbs[n] {
			users = append(users, u)
		}
		sort.Strings(users)
		for _, u := range users {
			l := "aaa local username " + u + " password " + d.dbs[n][u]
			if n != DefaultDatabase {
				l += " database " + n
			}
			out = append(out, l)
		}
	}
	if d.selected != "" {
		out = append(out, "aaa local select database "+d.selected)
	}
	return out
}

// dbName is the request's database argument, DefaultDatabase when absent.
func dbName(req *command.Request) string {
	if req.Has("db") {
		return req.String("db")
	}
	return DefaultDatabase
}

// Register adds the subscriber database commands to tree and the
// databases to the running configuration.
//
//	aaa local database DB
//	aaa local username NAME password TEXT [database DB]   (DB default: default)
//	aaa local select database DB
//	no ... of each
func (d *SubscriberDB) Register(tree *command.Tree) error {
	help := command.Help{
		"aaa":      "Authentication, authorization, and accounting",
		"local":    "Local authentication server",
		"database": "Local user database",
		"db":       "Database name (default: the default database)",
		"username": "Add a user entry to a local user database",
		"name":     "Subscriber user name",
		"password": "Specify the password; stored as clear text (CHAP needs it)",
		"text":     "The password",
		"select":   "Select the local user database subscribers are authenticated against",
	}
	config := []command.Mode{command.Config}
	cmds := []*command.Command{{
		Syntax: "aaa local database <db:word>", Modes: config, Help: help, Privilege: 15,
		Run: func(_ *command.Context, req *command.Request) error { return d.CreateDatabase(req.String("db")) },
		No: func(_ *command.Context, req *command.Request) error {
			d.DeleteDatabase(req.String("db"))
			return nil
		},
	}, {
		Syntax: "aaa local username <name:word> password <text:word> [database <db:word>]", Modes: config, Help: help, Privilege: 15,
		Run: func(_ *command.Context, req *command.Request) error {
			return d.SetUser(dbName(req), req.String("name"), req.String("text"))
		},
		NoSyntax: "aaa local username <name:word> [database <db:word>]",
		No: func(_ *command.Context, req *command.Request) error {
			d.DeleteUser(dbName(req), req.String("name"))
			return nil
		},
	}, {
		Syntax: "aaa local select database <db:word>", Modes: config, Help: help, Privilege: 15,
		Run: func(_ *command.Context, req *command.Request) error {
			d.Select(req.String("db"))
			return nil
		},
		NoSyntax: "aaa local select database [<db:word>]",
		No: func(_ *command.Context, _ *command.Request) error {
			d.Select("")
			return nil
		},
	}}
	return registerAll(tree, cmds, "aaa/local-subscribers", d.ConfigLines)
}
