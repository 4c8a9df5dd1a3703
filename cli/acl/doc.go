// Package acl owns standard IP access lists as JunosE (and IOS) write
// them: an ordered list of permit/deny entries, each matching a source
// address against a base address and a wildcard mask, "any", or one
// "host". The first matching entry decides; an address no entry matches
// is denied. The CLI applies them to vty lines (access-class).
package acl
