package jmirror

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/erxos/erx/services/linecard/header"
)

var (
	src      = netip.MustParseAddr("192.0.2.1")
	analyzer = netip.MustParseAddr("192.0.2.9")
)

// inner returns a serialized IPv4/UDP packet from 10.0.0.2 to 198.51.100.7.
func inner(t testing.TB, payload int) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 0, 0, 2).To4(), DstIP: net.IPv4(198, 51, 100, 7).To4()}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 53}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, udp, gopacket.Payload(bytes.Repeat([]byte{0x5a}, payload)))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encode(t testing.TB, mid, sid uint32, pkt []byte) []byte {
	t.Helper()
	buf := make([]byte, 2048)
	n, err := NewEncoder(src, analyzer, 0).Encode(buf, 0, mid, sid, pkt)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func TestRoundTripGopacket(t *testing.T) {
	pkt := inner(t, 33)
	b := encode(t, 0x300, 0x90, pkt)
	if len(b) != PrependLen+len(pkt) {
		t.Fatalf("length %d", len(b))
	}
	gp := gopacket.NewPacket(b, layers.LayerTypeIPv4, gopacket.Default)
	ip, _ := gp.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp, _ := gp.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if ip == nil || udp == nil {
		t.Fatalf("gopacket layers: %v", gp)
	}
	if ip.TTL != 255 || ip.Protocol != layers.IPProtocolUDP || !ip.SrcIP.Equal(net.IPv4(192, 0, 2, 1)) ||
		!ip.DstIP.Equal(net.IPv4(192, 0, 2, 9)) || int(ip.Length) != len(b) || ip.IHL != 5 || ip.Flags != 0 {
		t.Errorf("IPv4 %+v", ip)
	}
	// Recompute the header checksum with gopacket and compare.
	want := ip.Checksum
	sb := gopacket.NewSerializeBuffer()
	ip2 := *ip
	if err := ip2.SerializeTo(sb, gopacket.SerializeOptions{ComputeChecksums: true}); err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint16(sb.Bytes()[10:12]); got != want {
		t.Errorf("checksum %#04x, gopacket computes %#04x", want, got)
	}
	if udp.SrcPort != DefaultPort || udp.DstPort != DefaultPort || udp.Checksum != 0 || int(udp.Length) != len(b)-20 {
		t.Errorf("UDP %+v", udp)
	}
	// The mirror header and the payload, by hand.
	h := udp.Payload
	if !bytes.Equal(h[:8], []byte{0, 0, 3, 0, 0, 0, 0, 0x90}) {
		t.Errorf("mirror header % x", h[:8])
	}
	if !bytes.Equal(h[8:], pkt) {
		t.Error("payload differs from the mirrored packet")
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Header().MHV() != 0 || p.Header().MirrorID() != 0x300 || p.Header().SessionID() != 0x90 || p.IPv4().TTL() != TTL ||
		p.IPv4().Source() != src || p.IPv4().Destination() != analyzer || p.UDP().SourcePort() != DefaultPort || p.UDP().Checksum() != 0 ||
		!bytes.Equal(p.Payload(), pkt) || p.IPv4().ID() != 1 {
		t.Errorf("view: mhv %d mid %#x sid %#x", p.Header().MHV(), p.Header().MirrorID(), p.Header().SessionID())
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Prepend
		buf  int
		n    int
		want error
	}{
		{"short buffer", Prepend{Source: src, Analyzer: analyzer}, 35, 0, ErrShort},
		{"mirror id", Prepend{Source: src, Analyzer: analyzer, MirrorID: 1 << 30}, 36, 0, ErrMirrorID},
		{"no source", Prepend{Analyzer: analyzer}, 36, 0, ErrNoAddress},
		{"ipv6 analyzer", Prepend{Source: src, Analyzer: netip.IPv6Loopback()}, 36, 0, ErrNoAddress},
		{"too big", Prepend{Source: src, Analyzer: analyzer}, 36, MaxPayload + 1, ErrTooBig},
		{"negative", Prepend{Source: src, Analyzer: analyzer}, 36, -1, ErrTooBig},
		{"max id", Prepend{Source: src, Analyzer: analyzer, MirrorID: MaxMirrorID}, 36, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.h.Marshal(make([]byte, tc.buf), tc.n)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := NewEncoder(src, analyzer, 0).Encode(make([]byte, 40), 0, 1, 1, make([]byte, 5)); !errors.Is(err, ErrShort) {
		t.Errorf("encode into short buffer: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	good := encode(t, 7, 8, inner(t, 4))
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	fix := func(b []byte) { // recompute the IPv4 checksum after an edit
		ip := header.IPv4(b)
		ip.SetChecksum(ip.CalculateChecksum())
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"good", good, nil},
		{"trailing bytes ignored", append(append([]byte(nil), good...), 0, 0), nil},
		{"short", good[:35], ErrShort},
		{"version", mod(func(b []byte) { b[0] = 0x65; fix(b) }), ErrNotIPv4},
		{"options", mod(func(b []byte) { b[0] = 0x46; fix(b) }), ErrNotIPv4},
		{"checksum", mod(func(b []byte) { b[10]++ }), ErrChecksum},
		{"total too long", mod(func(b []byte) { binary.BigEndian.PutUint16(b[2:], uint16(len(b)+1)); fix(b) }), ErrLength},
		{"total too short", mod(func(b []byte) { binary.BigEndian.PutUint16(b[2:], 30); fix(b) }), ErrLength},
		{"fragment", mod(func(b []byte) { b[7] = 1; fix(b) }), ErrFragment},
		{"more fragments", mod(func(b []byte) { b[6] = 0x20; fix(b) }), ErrFragment},
		{"tcp", mod(func(b []byte) { b[9] = 6; fix(b) }), ErrNotUDP},
		{"udp length", mod(func(b []byte) { b[25]++ }), ErrLength},
		{"ports", mod(func(b []byte) { b[21]++ }), ErrPorts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.b)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeAllocs(t *testing.T) {
	e := NewEncoder(src, analyzer, 30030)
	pkt := inner(t, 100)
	buf := make([]byte, 2048)
	n := testing.AllocsPerRun(1000, func() {
		if _, err := e.Encode(buf, 3, 1, 2, pkt); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(buf[:PrependLen+len(pkt)]); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per encode+parse", n)
	}
}

func TestIdentificationIncrements(t *testing.T) {
	e := NewEncoder(src, analyzer, 1)
	buf := make([]byte, 100)
	for want := uint16(1); want < 4; want++ {
		n, _ := e.Encode(buf, 0, 0, 0, nil)
		if p, err := Parse(buf[:n]); err != nil || p.IPv4().ID() != want || p.UDP().DestinationPort() != 1 {
			t.Fatalf("packet %d: %v", want, err)
		}
	}
	e.SetSource(analyzer)
	if e.Source() != analyzer {
		t.Error("SetSource")
	}
}

// TestIdentificationPerLane: lanes (workers) encoding copies for the same
// analyzer at once never hand out the same IPv4 ID while the 16-bit space
// lasts, so the analyzer can reassemble fragmented copies; lanes beyond
// the per-lane blocks share the counter.
func TestIdentificationPerLane(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lanes  []int
		copies int // per lane
	}{
		{"one lane", []int{0}, 1000},
		{"two workers", []int{0, 1}, 5000},
		{"many workers", []int{0, 1, 2, 3, 4, 5, 6, 7}, 4000},
		{"lanes beyond the blocks", []int{idLanes - 1, idLanes, idLanes + 5, -1}, 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEncoder(src, analyzer, 0)
			ids := make([][]uint16, len(tc.lanes))
			var wg sync.WaitGroup
			for i, lane := range tc.lanes {
				wg.Go(func() {
					buf := make([]byte, PrependLen)
					for range tc.copies {
						n, err := e.Encode(buf, lane, 1, 1, nil)
						if err != nil {
							t.Error(err)
							return
						}
						p, err := Parse(buf[:n])
						if err != nil {
							t.Error(err)
							return
						}
						ids[i] = append(ids[i], p.IPv4().ID())
					}
				})
			}
			wg.Wait()
			seen := map[uint16]int{}
			for i, l := range ids {
				for _, id := range l {
					if j, dup := seen[id]; dup {
						t.Fatalf("ID %d from lanes %d and %d", id, tc.lanes[j], tc.lanes[i])
					}
					seen[id] = i
				}
			}
		})
	}
}

// TestTshark writes a pcap of analyzer packets and checks that tshark's
// jmirror dissector reads the Mirror-ID, Session-ID and inner packet.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark not installed (make deps installs it)")
	}
	file := filepath.Join(t.TempDir(), "jmirror.pcap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	for i, ids := range [][2]uint32{{16, 0x12345678}, {MaxMirrorID, 1}} {
		b := encode(t, ids[0], ids[1], inner(t, 10+i))
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", file, "-d", "udp.port==30030,jmirror", "-T", "fields",
		"-e", "jmirror.mid", "-e", "jmirror.sid", "-e", "ip.src", "-e", "udp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	want := "0x00000010\t0x12345678\t192.0.2.1,10.0.0.2\t30030,53\n" +
		"0x3fffffff\t0x00000001\t192.0.2.1,10.0.0.2\t30030,53\n"
	if string(out) != want {
		t.Errorf("tshark fields:\n%s\nwant:\n%s", out, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(encode(f, 16, 1, inner(f, 0)))
	f.Add([]byte{0x45})
	f.Add(make([]byte, 36))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		// A valid packet re-encodes to the same prepend (apart from MHV,
		// which Encode always writes as 0).
		h := Prepend{Source: p.IPv4().Source(), Analyzer: p.IPv4().Destination(), Port: p.UDP().DestinationPort(), ID: p.IPv4().ID(),
			MirrorID: p.Header().MirrorID(), SessionID: p.Header().SessionID()}
		buf := make([]byte, PrependLen)
		if _, err := h.Marshal(buf, len(p.Payload())); err != nil {
			t.Fatalf("marshal of parsed packet: %v", err)
		}
		q, err := Parse(append(buf, p.Payload()...))
		if err != nil {
			t.Fatalf("re-encoded packet does not parse: %v", err)
		}
		if q.Header().MirrorID() != p.Header().MirrorID() || q.Header().SessionID() != p.Header().SessionID() ||
			q.IPv4().Source() != p.IPv4().Source() || q.IPv4().Destination() != p.IPv4().Destination() || !bytes.Equal(q.Payload(), p.Payload()) {
			t.Fatal("round trip changed fields")
		}
	})
}
