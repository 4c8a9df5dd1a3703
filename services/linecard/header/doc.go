// Package header provides zero-copy views over wire-format packet headers
// used by the line-card data plane, the subscriber-access engines
// (services/access) and the jmirror encapsulation: Ethernet, IEEE 802.1Q
// tags, ARP (RFC 826), IPv4 (RFC 791), ICMPv4 (RFC 792, RFC 1191) and UDP
// (RFC 768), plus the Internet checksum (RFC 1071) and its incremental
// update (RFC 1624), a comparable MAC address, and builders for whole
// IPv4/UDP packets and Ethernet/IPv4/UDP frames.
//
// A view is a []byte type; accessors read and setters write the
// underlying buffer in place and never allocate. Callers validate a view
// (for example with IPv4.Validate) before trusting its length-derived
// accessors; accessors on a view shorter than its fixed header panic like
// any slice index, so decoders check lengths first.
package header
