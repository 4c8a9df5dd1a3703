package cli

import "time"

// System is the router as the CLI sees it; the firmware implements it.
type System interface {
	// Identity names the product and its software for show version.
	Identity() Identity
	// Slots describes the chassis for the show version slot table.
	Slots() []Slot
	// BootTime is when the system started.
	BootTime() time.Time
	// Reload reboots the router.
	Reload() error
}

// Identity is what show version prints about the software.
type Identity struct {
	Product     string    // "erx Edge Routing Switch E320-QEMU"
	Copyright   string    // "Copyright (c) 2026 erx authors.  All rights reserved."
	ReleaseFile string    // "erx_0-1-0.rel"
	Version     string    // "0.1.0 release-0.0"
	BuildID     int       // printed as [BuildId N]
	BuildTime   time.Time // printed as (January 2, 2006  15:04)
}

// Slot is one row of the show version slot table. An Empty slot shows
// "---" in every column but the number; an empty string field or a
// negative Uptime shows "---" too.
type Slot struct {
	Number  int
	Empty   bool
	State   string // online, standby
	Type    string // module name, e.g. SRP-320
	Admin   string // enabled, disabled
	Spare   string // "spare" or ""
	Release string // running release file
	Uptime  time.Duration
}

// Committer saves the running configuration (the lead writes it to flash
// atomically as system.cnf).
type Committer interface {
	Commit(runningConfig []byte) error
}

// Lines is the table of logged-in sessions (the SSH server implements it).
type Lines interface {
	// Users lists the active sessions, by vty number.
	Users() []LineInfo
	// ClearLine ends the session on vty n.
	ClearLine(n int) error
}

// LineInfo describes one active session for show users.
type LineInfo struct {
	VTY    int
	User   string
	Remote string // source address
	Idle   time.Duration
}
