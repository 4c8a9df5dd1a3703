package afpacket

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// partialFrame builds an Ethernet/IPv4/L4 frame with a correct checksum,
// and the same frame as a local sender hands it over with CHECKSUM_PARTIAL:
// the checksum field holding the folded pseudo-header sum.
func partialFrame(t *testing.T, l4 gopacket.SerializableLayer, proto layers.IPProtocol, vlan bool) (good, partial []byte) {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.IP{10, 1, 0, 2}, DstIP: net.IP{10, 2, 0, 2}}
	ls := []gopacket.SerializableLayer{eth}
	if vlan {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip, l4, gopacket.Payload([]byte("erx forwards what it receives")))
	switch x := l4.(type) {
	case *layers.TCP:
		x.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		x.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	good = append([]byte(nil), buf.Bytes()...)
	partial = append([]byte(nil), good...)
	off := 14
	if vlan {
		off = 18
	}
	ipb := partial[off:]
	l4b := ipb[20:binary.BigEndian.Uint16(ipb[2:])]
	at := 16
	if proto == layers.IPProtocolUDP {
		at = 6
	}
	// Pseudo-header sum: source, destination, protocol, L4 length.
	var sum uint32
	for i := 12; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ipb[i:]))
	}
	sum += uint32(proto) + uint32(len(l4b))
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(l4b[at:], uint16(sum))
	return good, partial
}

func TestFinishChecksum(t *testing.T) {
	for _, tt := range []struct {
		name  string
		l4    gopacket.SerializableLayer
		proto layers.IPProtocol
		vlan  bool
	}{
		{"tcp", &layers.TCP{SrcPort: 40000, DstPort: 5201, Seq: 1, SYN: true, Window: 64240}, layers.IPProtocolTCP, false},
		{"udp", &layers.UDP{SrcPort: 44071, DstPort: 33435}, layers.IPProtocolUDP, false},
		{"tcp over 802.1Q", &layers.TCP{SrcPort: 40000, DstPort: 22, ACK: true, Window: 100}, layers.IPProtocolTCP, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			good, partial := partialFrame(t, tt.l4, tt.proto, tt.vlan)
			if bytes.Equal(good, partial) {
				t.Fatal("test frame has no partial checksum")
			}
			finishChecksum(partial)
			if !bytes.Equal(good, partial) {
				t.Errorf("finished frame differs:\n got %x\nwant %x", partial, good)
			}
		})
	}
}

func TestFinishChecksumLeavesOthers(t *testing.T) {
	good, _ := partialFrame(t, &layers.UDP{SrcPort: 1, DstPort: 2}, layers.IPProtocolUDP, false)
	for _, f := range [][]byte{nil, {1, 2, 3}, good[:20], append([]byte(nil), good[:14]...)} {
		c := append([]byte(nil), f...)
		finishChecksum(c)
		if !bytes.Equal(c, f) {
			t.Errorf("changed a frame it cannot finish: %x", f)
		}
	}
	arp := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(arp[12:], 0x0806)
	c := append([]byte(nil), arp...)
	finishChecksum(c)
	if !bytes.Equal(c, arp) {
		t.Error("changed a non-IPv4 frame")
	}
}

func FuzzFinishChecksum(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		finishChecksum(b) // must not panic or grow
	})
}

func TestFinishChecksumAllocs(t *testing.T) {
	_, partial := partialFrame(t, &layers.TCP{SrcPort: 1, DstPort: 2, Window: 1}, layers.IPProtocolTCP, false)
	if n := testing.AllocsPerRun(100, func() { finishChecksum(partial) }); n != 0 {
		t.Errorf("finishChecksum allocates %v times", n)
	}
}
