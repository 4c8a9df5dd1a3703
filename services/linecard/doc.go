// Package linecard is the router's userspace data plane: it owns the
// data ports (through the port package), the interfaces on them
// (physical, 802.1Q subinterface, loopback), the virtual routers and
// their FIBs, per-interface ARP, per-interface counters and the mirror
// taps, and runs the forwarding workers.
//
// Pipeline, per received frame: Ethernet → 802.1Q subinterface lookup
// (port + VLAN ID) → ARP or IPv4 (validate; local delivery with ICMP echo
// reply; TTL; longest-prefix match in the ingress interface's virtual
// router; ARP resolution; MTU/DF; MAC rewrite with VLAN push/pop) →
// batched transmit. Anything else is punted to a ControlPlane (PPPoE,
// DHCP, traffic to the router) or dropped and counted under a
// DropReason. ICMP errors come from the ingress interface's first
// address and are rate limited per interface.
//
// Concurrency: one worker goroutine per receive queue of every port. The
// hot path takes no locks: interfaces, FIB slots, ARP snapshots and taps
// are read through atomics; counters are per worker lane and summed on
// read. Configuration methods serialise on the engine's mutex and take
// effect while traffic flows. Slow paths (ARP requests, queued packets,
// TransmitFrame, SendIPv4) share a control lane under its own mutex.
// Workers can be pinned to CPUs
// (Config.WorkerCPUs); the timer goroutine also polls link state.
//
// Seams for other services:
//   - ControlPlane (implemented by services/access) receives punted
//     frames; it answers with TransmitFrame or SendIPv4.
//   - Tap/Delivery/CopyEncoder (set up by the mirror engine): the worker
//     that sees an IPv4 packet at a tapped interface direction builds the
//     copy with the analyzer's encoder and sends it toward the analyzer
//     (an analyzer interface, SetAnalyzer) in the same transmit call as
//     the forwarded frames. Copies and analyzer ports show only in secret
//     counters.
//   - Dynamic per-subscriber interfaces: a PPPoE session becomes an
//     interface (AddPPPoEInterface: own index, counters, taps, virtual
//     router) selected after the port+VLAN lookup by PPPoE session ID and
//     peer MAC; its IPv4 frames are decapsulated and encapsulated in the
//     fast path, and host routes (Route.Type = fib.Host) point at it. IPoE
//     subscribers have no interface of their own yet: access installs a
//     Host route toward the access interface plus a static ARP entry.
package linecard
