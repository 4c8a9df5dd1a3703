// Package jmirror owns the JunosE packet-mirroring analyzer encapsulation
// ("jmirror" in Wireshark): the 36-byte prepend of an IPv4 header (TTL
// 255, protocol UDP, analyzer interface address to analyzer address), a
// UDP header (both ports the analyzer port, default 30030, checksum 0) and
// the 8-byte mirror header (2-bit MHV, 30-bit Mirror-ID, 32-bit
// Session-ID), followed by the mirrored packet.
//
// Packet is a zero-copy view with validation (Parse); Prepend writes the
// 36 bytes into a caller buffer without allocating; Encoder turns one
// mirrored packet into a complete analyzer packet.
package jmirror
