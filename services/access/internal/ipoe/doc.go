// Package ipoe owns the IPv4, UDP and ICMP echo views the access engines
// need to build and read subscriber frames that are not PPPoE: DHCP over
// Ethernet and test traffic through a session.
package ipoe
