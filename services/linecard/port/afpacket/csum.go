package afpacket

import (
	"encoding/binary"

	"github.com/erxos/erx/services/linecard/header"
)

// finishChecksum completes the TCP or UDP checksum of an IPv4 frame the
// kernel handed over with TP_STATUS_CSUMNOTREADY (CHECKSUM_PARTIAL): a
// frame from a sender on the same host — a veth peer, or a TAP behind
// virtio — whose checksum field holds only the pseudo-header sum because
// "hardware" was to finish it. Forwarded as it is, the receiver would drop
// it. Real NICs never deliver such frames, so this costs nothing there.
func finishChecksum(frame []byte) {
	if len(frame) < 14 {
		return
	}
	off, et := 14, binary.BigEndian.Uint16(frame[12:])
	for et == 0x8100 || et == 0x88a8 {
		if len(frame) < off+4 {
			return
		}
		et = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
	}
	if et != 0x0800 {
		return
	}
	ip := frame[off:]
	if len(ip) < 20 || ip[0]>>4 != 4 {
		return
	}
	ihl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < 20 || total < ihl || total > len(ip) || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return // malformed (the pipeline counts it) or a fragment
	}
	l4 := ip[ihl:total]
	var at int
	switch ip[9] {
	case 6: // TCP
		at = 16
	case 17: // UDP
		at = 6
	default:
		return
	}
	if len(l4) < at+2 {
		return
	}
	sum := ^header.Checksum(l4, 0)
	if ip[9] == 17 && sum == 0 {
		sum = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(l4[at:], sum)
}
