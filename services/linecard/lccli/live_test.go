package lccli

import (
	"net/netip"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// peerHost answers on the far side of an in-memory link: ARP and ICMP
// echo for its own address, and as a router hop in front of far (it
// sends time exceeded for TTL 1, then answers for far itself).
type peerHost struct {
	port      *memport.Port
	mac       [6]byte
	addr, far netip.Addr
}

func (h *peerHost) run(stop <-chan struct{}) {
	b := port.NewBatch(16, port.DefaultBufSize)
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, err := h.port.Receive(0, b)
		if err != nil {
			return
		}
		for i := 0; i < n; i++ {
			if f := h.answer(b.Frames[i]); f != nil {
				h.port.Transmit(0, [][]byte{f})
			}
		}
	}
}

// answer returns the frame h sends in reply to f, or nil.
func (h *peerHost) answer(f []byte) []byte {
	if len(f) < header.EthernetHeaderLen {
		return nil
	}
	eth := header.Ethernet(f)
	out := make([]byte, 2048)
	src := [6]byte(eth.Source())
	ef := header.EthernetFields{Destination: src, Source: h.mac, EtherType: eth.EtherType()}
	switch eth.EtherType() {
	case header.EtherTypeARP:
		a := header.ARP(f[header.EthernetHeaderLen:])
		if a.Validate() != nil || a.Operation() != header.ARPRequest || a.TargetProtocolAddress() != h.addr {
			return nil
		}
		ef.Marshal(out)
		af := header.ARPFields{Operation: header.ARPReply, SenderHardware: h.mac, SenderProtocol: h.addr,
			TargetHardware: [6]byte(a.SenderHardwareAddress()), TargetProtocol: a.SenderProtocolAddress()}
		return out[:header.EthernetHeaderLen+af.Marshal(out[header.EthernetHeaderLen:])]
	case header.EtherTypeIPv4:
		ip := header.IPv4(f[header.EthernetHeaderLen:])
		if ip.Validate() != nil {
			return nil
		}
		dst := ip.Destination()
		quote := ip[:min(len(ip), ip.HeaderLength()+8)]
		switch {
		case dst == h.far && ip.TTL() == 1:
			return h.icmp(out, ef, h.addr, ip.Source(), header.ICMPv4TimeExceeded, 0, [2]uint16{}, quote)
		case dst != h.addr && dst != h.far:
			return nil
		case ip.Protocol() == header.ProtocolUDP:
			return h.icmp(out, ef, dst, ip.Source(), header.ICMPv4DestUnreachable, 3, [2]uint16{}, quote)
		case ip.Protocol() == header.ProtocolICMP:
			m := header.ICMPv4(ip.Payload())
			if len(m) < header.ICMPv4HeaderLen || m.Type() != header.ICMPv4EchoRequest {
				return nil
			}
			return h.icmp(out, ef, dst, ip.Source(), header.ICMPv4EchoReply, 0, [2]uint16{m.Ident(), m.Sequence()}, m[header.ICMPv4HeaderLen:])
		}
	}
	return nil
}

func (h *peerHost) icmp(out []byte, ef header.EthernetFields, from, to netip.Addr, typ, code uint8, rest [2]uint16, payload []byte) []byte {
	off := ef.Marshal(out)
	mf := header.ICMPv4Fields{Type: typ, Code: code, RestOfHeader: rest}
	n := mf.Marshal(out[off+header.IPv4MinHeaderLen:], payload)
	ipf := header.IPv4Fields{TotalLength: uint16(header.IPv4MinHeaderLen + n), TTL: 64, Protocol: header.ProtocolICMP, Source: from, Destination: to}
	ipf.Marshal(out[off:])
	return out[:off+header.IPv4MinHeaderLen+n]
}

var (
	rttTriple = regexp.MustCompile(`= \d+/\d+/\d+ ms`)
	rttOne    = regexp.MustCompile(` \d+ ms`)
)

// TestLivePingTraceroute pings and traces through the real engine: probes
// leave by SendIPv4, the peer answers over the in-memory link, and the
// engine punts the answers to the PuntProber.
func TestLivePingTraceroute(t *testing.T) {
	pp := NewPuntProber(nil)
	r := buildRig(t, pp)
	h := &peerHost{port: r.peers[0], mac: [6]byte{0x02, 0xee, 0, 0, 2, 0},
		addr: netip.MustParseAddr("10.0.0.2"), far: netip.MustParseAddr("10.9.0.5")}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.run(stop) }()
	t.Cleanup(func() { close(stop); wg.Wait() })
	r.configure(t, "interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0",
		"interface loopback 0", "ip address 192.0.2.1 255.255.255.255", "exit",
		"ip route 10.9.0.0 255.255.0.0 10.0.0.2")
	got := transcript(r.session(),
		"ping 10.0.0.2 count 3 timeout 30",
		"ping 192.0.2.1 count 2",
		"ping 10.0.0.2 count 1 size 1500 timeout 30",
		"traceroute 10.9.0.5 timeout 30",
		"ping 203.0.113.1 count 1",
	)
	got = rttOne.ReplaceAllString(rttTriple.ReplaceAllString(got, "= N/N/N ms"), " N ms")
	want := "host1#ping 10.0.0.2 count 3 timeout 30\n" +
		"Sending 3, 100-byte ICMP Echos to 10.0.0.2, timeout is 30 seconds:\n!!!\n" +
		"Success rate = 100% (3/3), round-trip min/avg/max = N/N/N ms\n" +
		"host1#ping 192.0.2.1 count 2\n" +
		"Sending 2, 100-byte ICMP Echos to 192.0.2.1, timeout is 2 seconds:\n!!\n" +
		"Success rate = 100% (2/2), round-trip min/avg/max = N/N/N ms\n" +
		"host1#ping 10.0.0.2 count 1 size 1500 timeout 30\n" +
		"Sending 1, 1500-byte ICMP Echos to 10.0.0.2, timeout is 30 seconds:\n!\n" +
		"Success rate = 100% (1/1), round-trip min/avg/max = N/N/N ms\n" +
		"host1#traceroute 10.9.0.5 timeout 30\n" +
		"Tracing the route to 10.9.0.5, 30 hops max, 3 probes per hop, timeout is 30 seconds\n" +
		"  1 10.0.0.2 N ms N ms N ms\n" +
		"  2 10.9.0.5 N ms N ms N ms\n" +
		"host1#ping 203.0.113.1 count 1\n" +
		"Sending 1, 100-byte ICMP Echos to 203.0.113.1, timeout is 2 seconds:\n" +
		"% No route to 203.0.113.1 in virtual router default\n" +
		"host1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestLiveCounters drives traffic into a port and checks show interfaces
// (drops by reason, ICMP), that the secret mirror counters stay hidden,
// and clear interfaces.
func TestLiveCounters(t *testing.T) {
	pp := NewPuntProber(nil)
	r := buildRig(t, pp)
	h := &peerHost{port: r.peers[0], mac: [6]byte{0x02, 0xee, 0, 0, 2, 0}, addr: netip.MustParseAddr("10.0.0.2")}
	r.configure(t, "interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0")
	d, err := r.eng.NewDelivery(linecard.DefaultVirtualRouter, plainCopy{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetNextHop(h.addr); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.SetTap("gigabitEthernet 2/0/0", linecard.Ingress, &linecard.Tap{Delivery: d, MirrorID: 1, SessionID: 1}); err != nil {
		t.Fatal(err)
	}
	dpMAC := [6]byte{0x02, 0, 0, 0, 2, 0}
	frame := func(et uint16, payload []byte) []byte {
		f := make([]byte, header.EthernetHeaderLen+len(payload))
		ef := header.EthernetFields{Destination: dpMAC, Source: h.mac, EtherType: et}
		ef.Marshal(f)
		copy(f[header.EthernetHeaderLen:], payload)
		return f
	}
	echo := make([]byte, 28)
	mf := header.ICMPv4Fields{Type: header.ICMPv4EchoRequest, RestOfHeader: [2]uint16{7, 1}}
	mf.Marshal(echo[20:], nil)
	ipf := header.IPv4Fields{TotalLength: 28, TTL: 64, Protocol: header.ProtocolICMP, Source: h.addr, Destination: netip.MustParseAddr("10.0.0.1")}
	ipf.Marshal(echo)
	bad := append([]byte(nil), echo...)
	bad[10] ^= 0xff // header checksum
	tagged := make([]byte, 4+len(echo))
	copy(tagged, []byte{0, 77, 0x08, 0x00})
	copy(tagged[4:], echo)
	frames := [][]byte{
		frame(header.EtherTypeIPv4, echo),
		frame(header.EtherTypeIPv4, bad),
		frame(header.EtherTypeVLAN, tagged),
		frame(header.EtherTypeIPv6, make([]byte, 40)),
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.run(stop) }()
	t.Cleanup(func() { close(stop); wg.Wait() })
	r.peers[0].Transmit(0, frames)
	// Wait (without a time limit of our own) until the engine has seen it all.
	for {
		c, err := r.eng.Counters("gigabitEthernet 2/0/0")
		if err != nil {
			t.Fatal(err)
		}
		if c.ICMPSent == 1 && c.DropsTotal() == 3 && c.MirrorCopies > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	got := transcript(r.session(), "show interfaces gigabitEthernet 2/0/0", "clear interfaces gigabitEthernet 2/0/0", "show interfaces gigabitEthernet 2/0/0")
	got = regexp.MustCompile(`Packets \d+, Bytes \d+`).ReplaceAllString(got, "Packets N, Bytes N")
	want := "host1#show interfaces gigabitEthernet 2/0/0\n" +
		"GigabitEthernet2/0/0 is Up, Administrative status is Up\n" +
		"  Hardware is Ethernet, address is 0200.0000.0200\n" +
		"  MTU: Operational 1500, Administrative 1500\n" +
		"  In:  Packets N, Bytes N\n" +
		"  Out: Packets N, Bytes N\n" +
		"  To control plane 0, ICMP sent 1, ICMP rate-limited 0\n" +
		"  Drops: 3 (unknown-ethertype 1, unknown-vlan 1, bad-checksum 1)\n" +
		"host1#clear interfaces gigabitEthernet 2/0/0\n" +
		"host1#show interfaces gigabitEthernet 2/0/0\n" +
		"GigabitEthernet2/0/0 is Up, Administrative status is Up\n" +
		"  Hardware is Ethernet, address is 0200.0000.0200\n" +
		"  MTU: Operational 1500, Administrative 1500\n" +
		"  In:  Packets N, Bytes N\n" +
		"  Out: Packets N, Bytes N\n" +
		"  To control plane 0, ICMP sent 0, ICMP rate-limited 0\n" +
		"  Drops: 0\n" +
		"host1#"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// plainCopy is a mirror copy encoder that delivers the packet unchanged.
type plainCopy struct{}

func (plainCopy) Encode(buf []byte, _ int, _, _ uint32, pkt []byte) (int, error) {
	return copy(buf, pkt), nil
}
