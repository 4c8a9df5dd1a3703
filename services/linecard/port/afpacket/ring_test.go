//go:build linux

package afpacket

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/services/linecard/port"
)

// tpacket3 builds a ring entry: a tpacket3_hdr and sockaddr_ll followed
// by the frame at offset mac.
func tpacket3(frame []byte, status uint32, tci uint16, pkttype uint8) []byte {
	const mac = 80
	h := make([]byte, mac+len(frame))
	binary.NativeEndian.PutUint32(h[phSnaplen:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(h[phLen:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(h[phStatus:], status)
	binary.NativeEndian.PutUint16(h[phMac:], mac)
	binary.NativeEndian.PutUint32(h[phVlanTCI:], uint32(tci))
	h[phSllPkttype] = pkttype
	copy(h[mac:], frame)
	return h
}

func TestFillFrame(t *testing.T) {
	frame := []byte{1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x08, 0x00, 0x45, 0}
	tests := []struct {
		name   string
		h      []byte
		ok     bool
		want   []byte
		wantLn int
	}{
		{"untagged", tpacket3(frame, 1, 0, 0), true, frame, len(frame)},
		{"vlan reinserted", tpacket3(frame, 1|unix.TP_STATUS_VLAN_VALID, 0x2064, 0), true,
			[]byte{1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x81, 0x00, 0x20, 0x64, 0x08, 0x00, 0x45, 0}, len(frame) + 4},
		{"outgoing skipped", tpacket3(frame, 1, 0, unix.PACKET_OUTGOING), false, nil, 0},
		{"snaplen beyond block", tpacket3(frame, 1, 0, 0)[:90], false, nil, 0},
	}
	for _, tt := range tests {
		b := port.NewBatch(1, port.DefaultBufSize)
		ok := fillFrame(b, 0, tt.h)
		if ok != tt.ok {
			t.Fatalf("%s: ok = %v", tt.name, ok)
		}
		if ok && (string(b.Frames[0]) != string(tt.want) || b.Lens[0] != tt.wantLn) {
			t.Fatalf("%s: got % x (len %d), want % x", tt.name, b.Frames[0], b.Lens[0], tt.want)
		}
	}
}

func FuzzFillFrame(f *testing.F) {
	f.Add(tpacket3(make([]byte, 60), 1|unix.TP_STATUS_VLAN_VALID, 5, 0))
	f.Add(make([]byte, 10))
	f.Fuzz(func(t *testing.T, h []byte) {
		b := port.NewBatch(1, 256)
		if fillFrame(b, 0, h) && len(b.Frames[0]) > 256-port.Headroom {
			t.Fatal("frame larger than buffer")
		}
	})
}
