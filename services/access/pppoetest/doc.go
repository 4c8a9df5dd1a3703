// Package pppoetest is a subscriber emulator: the client side of PPPoE
// discovery, LCP, PAP/CHAP and IPCP, and a DHCPv4 client, speaking raw
// Ethernet frames over a Link — an AF_PACKET socket on an interface (to run
// inside a network namespace against the router) or an in-memory Pipe (for
// unit tests). RunLoad drives many subscribers with distinct MACs at a set
// login rate and reports who came up, who failed and why, and login
// latencies. AccessServer wires the router-side engines (pppoe, ppp, dhcp)
// to a Link so tests can run both ends without the data plane.
package pppoetest
