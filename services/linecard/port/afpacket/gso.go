package afpacket

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
)

// GSO super-frames. A sender on the same host with TCP segmentation
// offload — a veth peer with default offloads, a TAP behind virtio — hands
// its peer whole TCP "super-frames" of up to 64 KiB that the hardware was
// meant to cut into MSS-sized segments. AF_PACKET sees them as they are.
// With PACKET_VNET_HDR on the receive socket the kernel puts a
// virtio_net_hdr in front of every frame in the ring saying how to cut it
// (gso_type, gso_size); segmentTCP4 does that cut in software, straight
// from the ring into the batch's buffers: what the real wire would have
// carried. Other GSO kinds (TCP over IPv6, UDP) stay single frames and
// are dropped as giants by the pipeline, as before.

// virtio_net_hdr (little-endian on this host: legacy virtio is native).
const (
	vnetFlags      = 0
	vnetGSOType    = 1
	vnetGSOSize    = 4
	vnetGSOTCPv4   = 1    // VIRTIO_NET_HDR_GSO_TCPV4
	vnetGSOECN     = 0x80 // VIRTIO_NET_HDR_GSO_ECN
	tcpFlagFIN     = 0x01
	tcpFlagPSH     = 0x08
	tcpFlagCWR     = 0x80
	minGSOSize     = 8 // below this a "segment" is nonsense: the frame stays a giant
	ipFlagsFragOff = 0x3fff
)

// gsoTCP4 is a TCP/IPv4 GSO frame in the ring, parsed once.
type gsoTCP4 struct {
	frame  []byte // the super-frame as the kernel stored it (tag stripped)
	tci    uint16 // 802.1Q tag to reinsert (tagged)
	tpid   uint16
	tagged bool
	l3     int // offset of the IPv4 header in frame
	hdrs   int // Ethernet + IPv4 + TCP header bytes in frame
	mss    int
	segs   int // segments the payload makes
}

// parseGSO recognizes a TCP/IPv4 GSO frame in ring entry h (whose socket
// has PACKET_VNET_HDR). It reports false for anything else, which the
// caller hands on as one frame.
func parseGSO(h []byte, g *gsoTCP4) bool {
	if len(h) < hdrRoom {
		return false
	}
	mac := int(binary.NativeEndian.Uint16(h[phMac:]))
	if mac < hdrRoom+vnetHdrLen || mac > len(h) {
		return false
	}
	vh := h[mac-vnetHdrLen : mac]
	if vh[vnetGSOType]&^vnetGSOECN != vnetGSOTCPv4 { // the common case: no GSO
		return false
	}
	snap := int(binary.NativeEndian.Uint32(h[phSnaplen:]))
	wire := int(binary.NativeEndian.Uint32(h[phLen:]))
	if h[phSllPkttype] == unix.PACKET_OUTGOING || mac+snap > len(h) || snap != wire {
		return false
	}
	mss := int(binary.LittleEndian.Uint16(vh[vnetGSOSize:]))
	if mss < minGSOSize {
		return false
	}
	f := h[mac : mac+snap]
	l3, et := 14, uint16(0)
	if len(f) < l3 {
		return false
	}
	et = binary.BigEndian.Uint16(f[12:])
	for et == 0x8100 || et == 0x88a8 { // a tag the kernel left in the frame
		if len(f) < l3+4 {
			return false
		}
		et = binary.BigEndian.Uint16(f[l3+2:])
		l3 += 4
	}
	if et != 0x0800 || len(f) < l3+20 {
		return false
	}
	ip := f[l3:]
	ihl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:]))
	if ip[0]>>4 != 4 || ihl < 20 || ip[9] != 6 || binary.BigEndian.Uint16(ip[6:])&ipFlagsFragOff != 0 {
		return false
	}
	if len(ip) < ihl+20 || (total != 0 && total != len(ip)) {
		return false
	}
	thl := int(ip[ihl+12]>>4) * 4
	if thl < 20 || len(ip) < ihl+thl {
		return false
	}
	payload := len(ip) - ihl - thl
	if payload <= mss {
		return false // one segment: an ordinary frame (its checksum is finished as usual)
	}
	status := binary.NativeEndian.Uint32(h[phStatus:])
	*g = gsoTCP4{frame: f, l3: l3, hdrs: l3 + ihl + thl, mss: mss, segs: (payload + mss - 1) / mss}
	if status&unix.TP_STATUS_VLAN_VALID != 0 {
		g.tagged, g.tpid = true, 0x8100
		if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			g.tpid = binary.NativeEndian.Uint16(h[phVlanTPID:])
		}
		g.tci = uint16(binary.NativeEndian.Uint32(h[phVlanTCI:]))
	}
	return true
}

// segment writes segment k of g into slot i of b, as the sender's NIC
// would have put it on the wire: headers copied, IPv4 total length, ID
// (+k) and header checksum, TCP sequence number (+k·MSS), flags (FIN and
// PSH on the last segment only, CWR on the first only) and a full TCP
// checksum. A segment larger than the slot is recorded as a giant.
func (g *gsoTCP4) segment(b *port.Batch, i, k int) {
	f := g.frame
	start := g.hdrs + k*g.mss
	end := min(start+g.mss, len(f))
	tag := 0
	if g.tagged {
		tag = 4
	}
	size := tag + g.hdrs + (end - start)
	buf := b.Bufs[i][port.Headroom:]
	if size > len(buf) {
		n := copy(buf, f)
		b.Frames[i], b.Lens[i] = buf[:n], size
		return
	}
	out := buf[:size]
	copy(out, f[:12])
	if g.tagged {
		binary.BigEndian.PutUint16(out[12:], g.tpid)
		binary.BigEndian.PutUint16(out[14:], g.tci)
	}
	copy(out[12+tag:], f[12:g.hdrs])
	copy(out[tag+g.hdrs:], f[start:end])
	b.Frames[i], b.Lens[i] = out, size

	ip := out[tag+g.l3:]
	ihl := int(ip[0]&0x0f) * 4
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	binary.BigEndian.PutUint16(ip[4:], binary.BigEndian.Uint16(ip[4:])+uint16(k))
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], ^header.Checksum(ip[:ihl], 0))

	tcp := ip[ihl:]
	binary.BigEndian.PutUint32(tcp[4:], binary.BigEndian.Uint32(tcp[4:])+uint32(k*g.mss))
	if k < g.segs-1 {
		tcp[13] &^= tcpFlagFIN | tcpFlagPSH
	}
	if k > 0 {
		tcp[13] &^= tcpFlagCWR
	}
	tcp[16], tcp[17] = 0, 0
	pseudo := uint32(binary.BigEndian.Uint16(ip[12:])) + uint32(binary.BigEndian.Uint16(ip[14:])) +
		uint32(binary.BigEndian.Uint16(ip[16:])) + uint32(binary.BigEndian.Uint16(ip[18:])) +
		6 + uint32(len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], ^header.Checksum(tcp, pseudo))
}
