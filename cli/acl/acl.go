package acl

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Entry is one line of a standard IP access list.
type Entry struct {
	// Permit is true for permit, false for deny.
	Permit bool
	// Any matches every address.
	Any bool
	// Host matches Addr exactly (written "host A.B.C.D").
	Host bool
	// Addr is the address compared (for neither Any nor Host, with
	// Wildcard).
	Addr netip.Addr
	// Wildcard has a 1 bit for every address bit that is not compared.
	Wildcard netip.Addr
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Parse reads an entry from its words: "permit|deny any",
// "permit|deny host A.B.C.D", "permit|deny A.B.C.D [WILDCARD]" (no
// wildcard: the address alone).
func Parse(words []string) (Entry, error) {
	if len(words) < 2 {
		return Entry{}, errors.New("access list entry needs permit|deny and an address")
	}
	var e Entry
	switch strings.ToLower(words[0]) {
	case "permit":
		e.Permit = true
	case "deny":
	default:
		return Entry{}, fmt.Errorf("expected permit or deny, not %q", words[0])
	}
	addr := func(s string) (netip.Addr, error) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", s)
		}
		return a, nil
	}
	rest := words[1:]
	var err error
	switch strings.ToLower(rest[0]) {
	case "any":
		if len(rest) != 1 {
			return Entry{}, errors.New("nothing may follow any")
		}
		e.Any = true
	case "host":
		if len(rest) != 2 {
			return Entry{}, errors.New("host needs one address")
		}
		e.Host = true
		if e.Addr, err = addr(rest[1]); err != nil {
			return Entry{}, err
		}
	default:
		if len(rest) > 2 {
			return Entry{}, errors.New("too many words")
		}
		if e.Addr, err = addr(rest[0]); err != nil {
			return Entry{}, err
		}
		e.Wildcard = netip.AddrFrom4([4]byte{})
		if len(rest) == 2 {
			if e.Wildcard, err = addr(rest[1]); err != nil {
				return Entry{}, err
			}
		}
		if u32(e.Wildcard) == 0 {
			e.Host = true
		}
	}
	if e.Host {
		e.Wildcard = netip.Addr{}
	}
	return e, nil
}

// String is the entry as the configuration writes it, e.g.
// "permit 10.0.0.0 0.0.0.255", "deny any", "permit host 192.0.2.1".
func (e Entry) String() string {
	act := "deny"
	if e.Permit {
		act = "permit"
	}
	switch {
	case e.Any:
		return act + " any"
	case e.Host:
		return act + " host " + e.Addr.String()
	}
	return fmt.Sprintf("%s %s %s", act, e.Addr, e.Wildcard)
}

// Matches reports whether the entry matches source address a. An
// IPv4-mapped IPv6 address is compared as IPv4; other IPv6 addresses match
// only "any".
func (e Entry) Matches(a netip.Addr) bool {
	if e.Any {
		return true
	}
	a = a.Unmap()
	if !a.Is4() || !e.Addr.Is4() {
		return false
	}
	if e.Host {
		return a == e.Addr
	}
	care := ^u32(e.Wildcard)
	return u32(a)&care == u32(e.Addr)&care
}

// List is an ordered access list.
type List []Entry

// Permits reports whether the list lets source address a through: the
// first matching entry decides, and no match denies. An empty list (a
// name with no entries) permits everything, as an undefined list does.
func (l List) Permits(a netip.Addr) bool {
	if len(l) == 0 {
		return true
	}
	for _, e := range l {
		if e.Matches(a) {
			return e.Permit
		}
	}
	return false
}
