// Package afpacket is the Linux port.Port backend: one AF_PACKET socket
// per receive queue with a TPACKET_V3 memory-mapped RX ring (the kernel
// hands over whole blocks of frames; no system call per frame), joined in
// a PACKET_FANOUT hash group so each worker sees its own share of flows
// (no fanout with one queue), and either one transmit socket sending
// batches with sendmmsg(2) or (Config.TxRing) one PACKET_TX_RING
// (TPACKET_V2, with a virtio_net_hdr so the kernel copies small frames
// into the skb instead of referencing ring pages) per transmit lane,
// kicked by one send(2) per batch. Config.ShadowMAC gives the host stack
// a twin MAC address so the frames the data plane owns are dropped early
// by the kernel instead of routed. Carrier reports the link state.
//
// Frames are copied from the ring into the caller's batch buffers, which
// releases ring blocks at once and lets the backend reinsert the 802.1Q
// tag the kernel strips on receive (TP_STATUS_VLAN_VALID). The socket is
// promiscuous and ignores the host's own outgoing frames. Receive sockets
// carry a virtio_net_hdr per frame (PACKET_VNET_HDR), so TCP/IPv4 GSO
// super-frames from a same-host TSO sender are cut into wire-sized
// segments on the way into the batch (gso.go).
package afpacket
