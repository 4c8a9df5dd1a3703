// Package mgmt owns the management port: the one NIC the kernel's own
// stack serves (SSH, RADIUS, syslog). It brings the link up and gives it a
// static address and default route, or runs a DHCPv4 client that renews
// its lease until the service stops. The configuration can change at run
// time (the CLI's `ip address` on the management port) and the current
// state is available for `show ip interface`.
package mgmt
