// Package dhcp is the DHCPv4 server engine for IPoE subscribers. It takes
// whole Ethernet frames handed over by the data plane (Server.HandleFrame),
// decodes them with insomniacslk/dhcp, and transmits complete replies
// (Ethernet, IPv4, UDP and DHCP, addressed per RFC 2131 §4.1) through a
// FrameSender. Leases come from an address pool, optionally after an
// Authenticator approved the client by MAC address or relay agent
// information (option 82); bound leases are persisted through a Store and
// restored by NewServer.
package dhcp
