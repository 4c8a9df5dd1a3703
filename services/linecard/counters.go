package linecard

import (
	"fmt"
	"sync/atomic"
)

// DropReason names why the data plane dropped a frame.
type DropReason uint8

// Drop reasons, counted per interface.
const (
	DropRunt                DropReason = iota // shorter than an Ethernet header or its L3 header
	DropGiant                                 // longer than the interface MTU allows
	DropUnknownEtherType                      // not ARP, IPv4 or PPPoE (IPv6 included)
	DropUnknownVLAN                           // tagged with a VLAN that has no subinterface
	DropNotForUs                              // unicast to another MAC address
	DropAdminDown                             // interface administratively down
	DropBadVersion                            // IPv4 EtherType but version is not 4
	DropBadIHL                                // IPv4 header length out of range
	DropBadLength                             // IPv4 total length inconsistent with the frame
	DropBadChecksum                           // IPv4 header checksum wrong
	DropTTLExpired                            // TTL would reach zero
	DropNoRoute                               // no FIB entry, or its interface is down or gone
	DropARPTimeout                            // next hop did not answer ARP
	DropARPQueueFull                          // too many packets waiting for one next hop
	DropMalformedARP                          // ARP that is not a complete Ethernet/IPv4 packet
	DropFragmentationNeeded                   // larger than the egress MTU with DF set
	DropFragmentation                         // larger than the egress MTU and could not be fragmented
	DropBroadcastStorm                        // broadcast beyond the interface's rate limit
	DropMulticast                             // IPv4 multicast (not routed)
	DropMartian                               // source or destination address not routable
	DropUnhandled                             // for the router but nothing handles it
	DropTxError                               // the egress port did not accept the frame
	NumDropReasons                            // number of drop reasons
)

var dropNames = [NumDropReasons]string{
	"runt", "giant", "unknown-ethertype", "unknown-vlan", "not-for-us", "admin-down",
	"bad-version", "bad-ihl", "bad-length", "bad-checksum", "ttl-expired", "no-route",
	"arp-timeout", "arp-queue-full", "malformed-arp", "fragmentation-needed", "fragmentation",
	"broadcast-storm", "multicast", "martian", "unhandled", "tx-error",
}

// String returns the reason's name as shown by `show interfaces`.
func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return fmt.Sprintf("drop(%d)", uint8(r))
}

// Counters are an interface's data-plane counters, summed over workers.
type Counters struct {
	InPackets, InBytes   uint64
	OutPackets, OutBytes uint64
	Punted               uint64 // frames handed to the control plane
	ICMPSent             uint64 // ICMP errors and echo replies generated
	ICMPRateLimited      uint64 // ICMP errors suppressed by the rate limit
	MirrorCopies         uint64 // copies handed to a mirror tap
	MirrorDrops          uint64 // copies that could not be made (no resolved analyzer next hop, copy buffers of a batch used up)
	Drops                [NumDropReasons]uint64

	// Secret analyzer counters, like MirrorCopies and MirrorDrops: only
	// a session with mirror access may see them. None of them is part of
	// InPackets/OutPackets/Drops/DropsTotal, so ordinary output cannot
	// reveal mirroring.
	AnalyzerDrops    uint64 // frames received on an analyzer interface and dropped (all of them)
	MirrorSent       uint64 // mirror copies transmitted out of this interface toward an analyzer
	MirrorSentBytes  uint64 // their frame bytes
	MirrorSendErrors uint64 // copies toward an analyzer that could not be sent (no ARP, transmit error)
}

// DropsTotal returns the sum of all drop reasons.
func (c *Counters) DropsTotal() uint64 {
	var n uint64
	for _, d := range c.Drops {
		n += d
	}
	return n
}

// laneCounters is one worker's share of an interface's counters. Only
// that worker writes it; readers sum all lanes with atomic loads.
type laneCounters struct {
	inPackets, inBytes, outPackets, outBytes atomic.Uint64
	punted, icmpSent, icmpLimited            atomic.Uint64
	mirrorCopies, mirrorDrops                atomic.Uint64
	analyzerDrops, mirrorSent, mirrorSentB   atomic.Uint64
	mirrorSendErrors                         atomic.Uint64
	drops                                    [NumDropReasons]atomic.Uint64
	_                                        [64]byte // keep lanes on separate cache lines
}

func (l *laneCounters) addTo(c *Counters) {
	c.InPackets += l.inPackets.Load()
	c.InBytes += l.inBytes.Load()
	c.OutPackets += l.outPackets.Load()
	c.OutBytes += l.outBytes.Load()
	c.Punted += l.punted.Load()
	c.ICMPSent += l.icmpSent.Load()
	c.ICMPRateLimited += l.icmpLimited.Load()
	c.MirrorCopies += l.mirrorCopies.Load()
	c.MirrorDrops += l.mirrorDrops.Load()
	c.AnalyzerDrops += l.analyzerDrops.Load()
	c.MirrorSent += l.mirrorSent.Load()
	c.MirrorSentBytes += l.mirrorSentB.Load()
	c.MirrorSendErrors += l.mirrorSendErrors.Load()
	for i := range l.drops {
		c.Drops[i] += l.drops[i].Load()
	}
}

func (c *Counters) sub(b *Counters) {
	c.InPackets -= b.InPackets
	c.InBytes -= b.InBytes
	c.OutPackets -= b.OutPackets
	c.OutBytes -= b.OutBytes
	c.Punted -= b.Punted
	c.ICMPSent -= b.ICMPSent
	c.ICMPRateLimited -= b.ICMPRateLimited
	c.MirrorCopies -= b.MirrorCopies
	c.MirrorDrops -= b.MirrorDrops
	c.AnalyzerDrops -= b.AnalyzerDrops
	c.MirrorSent -= b.MirrorSent
	c.MirrorSentBytes -= b.MirrorSentBytes
	c.MirrorSendErrors -= b.MirrorSendErrors
	for i := range c.Drops {
		c.Drops[i] -= b.Drops[i]
	}
}
