// Package afpacket is the Linux port.Port backend: one AF_PACKET socket
// per receive queue with a TPACKET_V3 memory-mapped RX ring (the kernel
// hands over whole blocks of frames; no system call per frame), joined in
// a PACKET_FANOUT hash group so each worker sees its own share of flows,
// and one transmit socket sending batches with sendmmsg(2).
//
// Frames are copied from the ring into the caller's batch buffers, which
// releases ring blocks at once and lets the backend reinsert the 802.1Q
// tag the kernel strips on receive (TP_STATUS_VLAN_VALID). The socket is
// promiscuous and ignores the host's own outgoing frames.
package afpacket
