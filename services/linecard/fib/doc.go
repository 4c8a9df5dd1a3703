// Package fib owns the IPv4 forwarding information base of one virtual
// router: the configured routes (connected, static, host, local) with
// their administrative distances, the selection of the best route per
// prefix, and a longest-prefix-match table that forwarding workers read
// without locks while the control plane updates it.
//
// The match table is a 16-8-8 multibit trie (DIR-16-8-8): a fixed first
// level of 65,536 slots indexed by the top 16 address bits, 256-slot
// chunks for the next 8 bits where longer prefixes exist, and 256-slot
// leaves for the last 8 bits where /25-/32 prefixes exist, filled by
// controlled prefix expansion. Every slot is an atomic pointer to the
// immutable best Route, so a lookup is at most five dependent loads and
// never blocks. An update stores slot values one by one (a concurrent
// lookup sees the old or the new best route for each address, never a
// torn value), and a new chunk is fully initialised before it is
// published. Chunks are not freed when their routes go away.
package fib
