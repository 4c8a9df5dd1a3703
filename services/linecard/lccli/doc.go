// Package lccli owns the E Series interface, IP and routing commands over
// the line card: `interface` (ports, VLAN subinterfaces, loopbacks and the
// kernel-owned management port), `ip address`, `shutdown`, `mtu`,
// `description`, `encapsulation vlan`, `vlan id`, `ip route`,
// `virtual-router`, static `arp`; the matching show and clear commands;
// `ping` and `traceroute` from the router; and their running-configuration
// sections.
//
// The package keeps the configuration as the user typed it (what
// `show configuration` prints) and applies it to the data plane through
// the small Engine interface, which *linecard.Engine satisfies. Router-
// originated probes go through the Prober interface; PuntProber
// implements it over the engine's SendIPv4 and the frames it punts to its
// control plane.
package lccli
