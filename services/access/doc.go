// Package access is the subscriber access control plane: PPPoE discovery
// (pppoe), PPP link, authentication and IP control (ppp), the DHCPv4 server
// for IPoE subscribers (dhcp) and the local address pools both draw from
// (pool). The data-plane glue that feeds these engines frames lives with the
// line cards; pppoetest is a subscriber emulator for tests and load.
package access
