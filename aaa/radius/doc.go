// Package radius is erx's RADIUS side of AAA: the ERX vendor dictionary
// (vendor 4874) with salt-encrypted lawful-intercept attributes, a client
// that authenticates and accounts subscribers against an ordered list of
// servers (direct or round-robin, with retransmits, dead-time and per-server
// statistics), the E Series formats of NAS-Port-Id and Calling-Station-Id,
// and the RFC 5176 dynamic-request server that receives CoA-Request and
// Disconnect-Request and hands them to the subscriber and mirroring engines.
//
// Packets are layeh.com/radius packets; this package adds what the E Series
// does on top of them.
package radius
