package sshd

import (
	"sync"
	"time"
)

// lockout counts failed logins per source address and locks an address
// out for a while after too many.
type lockout struct {
	mu       sync.Mutex
	max      int
	duration time.Duration
	now      func() time.Time
	entries  map[string]*lockEntry
}

type lockEntry struct {
	fails int
	until time.Time
}

// maxLockEntries bounds the table; old entries are dropped when full.
const maxLockEntries = 4096

func (l *lockout) locked(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[addr]
	if !ok || e.until.IsZero() {
		return false
	}
	if l.now().Before(e.until) {
		return true
	}
	delete(l.entries, addr)
	return false
}

// fail records a failure and reports whether the address is now locked.
func (l *lockout) fail(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[addr]
	if !ok {
		if len(l.entries) >= maxLockEntries {
			for k, v := range l.entries {
				if v.until.IsZero() || l.now().After(v.until) {
					delete(l.entries, k)
				}
			}
			if len(l.entries) >= maxLockEntries {
				return false
			}
		}
		e = &lockEntry{}
		l.entries[addr] = e
	}
	e.fails++
	if e.fails >= l.max && e.until.IsZero() {
		e.until = l.now().Add(l.duration)
		return true
	}
	return false
}

func (l *lockout) success(addr string) {
	l.mu.Lock()
	delete(l.entries, addr)
	l.mu.Unlock()
}
