// Package ether owns the Ethernet II header view the access engines use to
// address their frames (no 802.1Q: the data plane strips and re-adds tags).
package ether
