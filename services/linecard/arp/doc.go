// Package arp owns the IPv4 neighbour table of one interface (RFC 826):
// the entry state machine (incomplete → reachable → stale → gone), the
// bounded queue of packets waiting for a next hop to resolve, aging,
// static entries, clearing, and the listing behind `show arp`.
//
// Forwarding workers call Lookup, which takes no lock: the table
// publishes an immutable snapshot of its entry set (in 256 shards, so a
// change copies about 1/256 of it) and each entry keeps its MAC address
// and state in atomics. Everything else (Resolve on a
// miss, Input for received ARP, Tick for timers) runs under the table's
// mutex and is off the fast path. Time comes from the caller, so tests
// drive the state machine with a fake clock.
package arp
