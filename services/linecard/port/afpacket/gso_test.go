//go:build linux

package afpacket

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/erxos/erx/services/linecard/port"
)

// gsoEntry builds a ring entry as a PACKET_VNET_HDR socket receives it: a
// tpacket3_hdr, the virtio_net_hdr right before the frame, the frame.
func gsoEntry(frame []byte, gsoType uint8, mss uint16, status uint32, tci uint16) []byte {
	const mac = 96
	h := make([]byte, mac+len(frame))
	binary.NativeEndian.PutUint32(h[phSnaplen:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(h[phLen:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(h[phStatus:], status)
	binary.NativeEndian.PutUint16(h[phMac:], mac)
	binary.NativeEndian.PutUint32(h[phVlanTCI:], uint32(tci))
	vh := h[mac-vnetHdrLen : mac]
	vh[vnetFlags] = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vh[vnetGSOType] = gsoType
	binary.LittleEndian.PutUint16(vh[vnetGSOSize:], mss)
	copy(h[mac:], frame)
	return h
}

var (
	gsoSrcMAC = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	gsoDstMAC = net.HardwareAddr{2, 0, 0, 0, 0, 2}
	gsoSrc    = net.IP{10, 1, 0, 2}
	gsoDst    = net.IP{10, 2, 0, 2}
)

// tcpFrame serializes a TCP/IPv4 frame; a partial checksum, as a sender
// with checksum offload leaves it, is irrelevant to segmentation.
func tcpFrame(t *testing.T, vlan uint16, id uint16, seq uint32, flags func(*layers.TCP), payload []byte, checksums bool) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: gsoSrcMAC, DstMAC: gsoDstMAC, EthernetType: layers.EthernetTypeIPv4}
	ls := []gopacket.SerializableLayer{eth}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vlan, Type: layers.EthernetTypeIPv4})
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Id: id, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: gsoSrc, DstIP: gsoDst}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 5201, Seq: seq, Ack: 77, Window: 512,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0, 1, 0, 0, 0, 2}}}}
	flags(tcp)
	tcp.SetNetworkLayerForChecksum(ip)
	ls = append(ls, ip, tcp, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: checksums}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

func TestGSOSegmentTCP4(t *testing.T) {
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	const mss = 1448
	tests := []struct {
		name     string
		vlan     uint16 // tag the kernel stripped into the metadata
		inFrame  uint16 // tag left in the frame
		ecn      bool
		segments int
	}{
		{name: "untagged", segments: 4},
		{name: "tag in metadata", vlan: 100, segments: 4},
		{name: "tag in frame", inFrame: 200, segments: 4},
		{name: "ECN", ecn: true, segments: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			super := tcpFrame(t, tt.inFrame, 1000, 5_000_000, func(tcp *layers.TCP) {
				tcp.ACK, tcp.PSH, tcp.FIN, tcp.CWR, tcp.ECE = true, true, true, tt.ecn, tt.ecn
			}, payload, false)
			gt := uint8(vnetGSOTCPv4)
			if tt.ecn {
				gt |= vnetGSOECN
			}
			var status uint32 = 1 | unix.TP_STATUS_CSUMNOTREADY
			if tt.vlan != 0 {
				status |= unix.TP_STATUS_VLAN_VALID
			}
			h := gsoEntry(super, gt, mss, status, tt.vlan)
			var g gsoTCP4
			if !parseGSO(h, &g) {
				t.Fatal("not recognized as TCP/IPv4 GSO")
			}
			if g.segs != tt.segments {
				t.Fatalf("segments = %d, want %d", g.segs, tt.segments)
			}
			b := port.NewBatch(g.segs, port.DefaultBufSize)
			for k := 0; k < g.segs; k++ {
				g.segment(b, k, k)
			}
			vlan := tt.vlan + tt.inFrame
			for k := 0; k < g.segs; k++ {
				chunk := payload[k*mss : min((k+1)*mss, len(payload))]
				last := k == g.segs-1
				want := tcpFrame(t, vlan, 1000+uint16(k), 5_000_000+uint32(k*mss), func(tcp *layers.TCP) {
					tcp.ACK, tcp.PSH, tcp.FIN, tcp.CWR, tcp.ECE = true, last, last, tt.ecn && k == 0, tt.ecn
				}, chunk, true)
				if !bytes.Equal(b.Frames[k], want) || b.Lens[k] != len(want) {
					t.Errorf("segment %d:\n got % x\nwant % x", k, b.Frames[k], want)
				}
				// And gopacket agrees it is a well-formed TCP/IPv4 frame.
				pk := gopacket.NewPacket(b.Frames[k], layers.LayerTypeEthernet, gopacket.Default)
				if el := pk.ErrorLayer(); el != nil {
					t.Errorf("segment %d: %v", k, el.Error())
				}
				if tl, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP); tl == nil || len(tl.Payload) != len(chunk) {
					t.Errorf("segment %d: no TCP payload of %d bytes", k, len(chunk))
				}
			}
		})
	}
}

func TestGSONotSegmented(t *testing.T) {
	small := tcpFrame(t, 0, 1, 1, func(tcp *layers.TCP) { tcp.ACK = true }, make([]byte, 1000), false)
	big := tcpFrame(t, 0, 1, 1, func(tcp *layers.TCP) { tcp.ACK = true }, make([]byte, 3000), false)
	udp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: gsoSrc, DstIP: gsoDst}
		u := &layers.UDP{SrcPort: 1, DstPort: 2}
		u.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
			&layers.Ethernet{SrcMAC: gsoSrcMAC, DstMAC: gsoDstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(make([]byte, 3000)))
		return buf.Bytes()
	}()
	truncated := gsoEntry(big, vnetGSOTCPv4, 1448, 1, 0)
	binary.NativeEndian.PutUint32(truncated[phSnaplen:], 2000)
	for _, tc := range []struct {
		name string
		h    []byte
	}{
		{"no GSO", gsoEntry(big, 0, 0, 1, 0)},
		{"TCPv6 GSO", gsoEntry(big, 4, 1448, 1, 0)},
		{"payload within one MSS", gsoEntry(small, vnetGSOTCPv4, 1448, 1, 0)},
		{"tiny gso_size", gsoEntry(big, vnetGSOTCPv4, 4, 1, 0)},
		{"UDP", gsoEntry(udp, vnetGSOTCPv4, 1448, 1, 0)},
		{"truncated", truncated},
		{"outgoing", func() []byte {
			h := gsoEntry(big, vnetGSOTCPv4, 1448, 1, 0)
			h[phSllPkttype] = unix.PACKET_OUTGOING
			return h
		}()},
		{"short", gsoEntry(big, vnetGSOTCPv4, 1448, 1, 0)[:200]},
	} {
		var g gsoTCP4
		if parseGSO(tc.h, &g) {
			t.Errorf("%s: taken for a TCP/IPv4 GSO frame", tc.name)
		}
	}
}

// TestReceiveGSOAcrossBatches runs Receive over an in-memory ring block
// holding a super-frame of 4 segments and an ordinary frame, with batches
// of 3: the cut resumes where the full batch stopped it.
func TestReceiveGSOAcrossBatches(t *testing.T) {
	payload := make([]byte, 4*1000)
	for i := range payload {
		payload[i] = byte(i)
	}
	super := tcpFrame(t, 0, 9, 100, func(tcp *layers.TCP) { tcp.ACK = true }, payload, false)
	plain := tcpFrame(t, 0, 10, 1, func(tcp *layers.TCP) { tcp.ACK = true }, []byte("tail"), true)
	const bs = 1 << 16
	ring := make([]byte, bs)
	binary.NativeEndian.PutUint32(ring[bdStatus:], tpStatusUser)
	binary.NativeEndian.PutUint32(ring[bdNumPkts:], 2)
	binary.NativeEndian.PutUint32(ring[bdFirstPkt:], 64)
	e1 := gsoEntry(super, vnetGSOTCPv4, 1000, 1, 0)
	e2 := gsoEntry(plain, 0, 0, 1, 0)
	off1 := 64
	off2 := off1 + (len(e1)+15)&^15
	binary.NativeEndian.PutUint32(e1[phNextOffset:], uint32(off2-off1))
	copy(ring[off1:], e1)
	copy(ring[off2:], e2)
	p := &Port{name: "mem", cfg: Config{BlockSize: bs, Blocks: 1}}
	p.queues = []*rxQueue{{fd: -1, ring: ring, off: -1, vnet: true, pfd: []unix.PollFd{{Fd: -1}}}}

	var got [][]byte
	b := port.NewBatch(3, port.DefaultBufSize)
	for _, want := range []int{3, 2} {
		n, err := p.Receive(0, b)
		if err != nil || n != want {
			t.Fatalf("Receive = %d, %v; want %d", n, err, want)
		}
		for _, f := range b.Frames[:n] {
			got = append(got, bytes.Clone(f))
		}
	}
	if len(got) != 5 {
		t.Fatalf("%d frames", len(got))
	}
	for k := 0; k < 4; k++ {
		want := tcpFrame(t, 0, 9+uint16(k), 100+uint32(k*1000), func(tcp *layers.TCP) { tcp.ACK = true }, payload[k*1000:(k+1)*1000], true)
		if !bytes.Equal(got[k], want) {
			t.Errorf("segment %d differs", k)
		}
	}
	if !bytes.Equal(got[4], plain) {
		t.Errorf("frame after the super-frame differs")
	}
	if st := p.Stats(); st.RxPackets != 5 {
		t.Errorf("RxPackets = %d, want 5", st.RxPackets)
	}
}

func TestGSOSegmentAllocs(t *testing.T) {
	super := tcpFrame(t, 0, 1, 1, func(tcp *layers.TCP) { tcp.ACK = true }, make([]byte, 60000), false)
	h := gsoEntry(super, vnetGSOTCPv4, 1448, 1, 0)
	b := port.NewBatch(64, port.DefaultBufSize)
	var g gsoTCP4
	allocs := testing.AllocsPerRun(100, func() {
		if parseGSO(h, &g) {
			for k := 0; k < g.segs; k++ {
				g.segment(b, k, k)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per super-frame", allocs)
	}
}

func FuzzParseGSO(f *testing.F) {
	f.Add(gsoEntry(make([]byte, 100), vnetGSOTCPv4, 1448, 1, 0))
	f.Add(make([]byte, 10))
	f.Fuzz(func(t *testing.T, h []byte) {
		var g gsoTCP4
		if !parseGSO(h, &g) {
			return
		}
		b := port.NewBatch(2, 512)
		for k := 0; k < min(g.segs, 2); k++ {
			g.segment(b, k, k)
			if len(b.Frames[k]) > 512-port.Headroom {
				t.Fatal("segment larger than buffer")
			}
		}
	})
}
