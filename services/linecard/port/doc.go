// Package port defines how the data plane talks to a network port: batch
// receive into preallocated buffers, batch transmit, and the port's
// identity and counters. Backends live in subpackages: memport (in-memory
// connected pairs for tests) and afpacket (Linux AF_PACKET TPACKET_V3
// rings). A later AF_XDP backend implements the same interface.
package port
