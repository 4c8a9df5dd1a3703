package lab

// Packet helpers shared by the mirroring tests of the host board
// (cmd/routerd) and of the image (qemu/): ICMP echo packets picked out of
// captures and compared across a router hop, and the analyzer's UDP sink.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"testing"
)

// ICMPEchoKey names an IPv4 ICMP echo request or reply by type,
// identifier and sequence ("8/ID/SEQ"); ok is false for anything else.
func ICMPEchoKey(ip []byte) (key string, ok bool) {
	if len(ip) < 20 || ip[9] != 1 {
		return "", false
	}
	ihl := int(ip[0]&0x0f) * 4
	if len(ip) < ihl+8 {
		return "", false
	}
	ic := ip[ihl:]
	if ic[0] != 0 && ic[0] != 8 {
		return "", false
	}
	return fmt.Sprintf("%d/%d/%d", ic[0], binary.BigEndian.Uint16(ic[4:6]), binary.BigEndian.Uint16(ic[6:8])), true
}

// ICMPHasPattern reports whether an ICMP echo packet's payload carries
// pattern, the hex string given to `ping -p` (which fills the payload
// after its timestamp with it).
func ICMPHasPattern(ip []byte, pattern string) bool {
	p := make([]byte, len(pattern)/2)
	for i := range p {
		v, _ := strconv.ParseUint(pattern[2*i:2*i+2], 16, 8)
		p[i] = byte(v)
	}
	return bytes.Contains(ip, bytes.Repeat(p, 8))
}

// WithoutTTL returns a copy of an IPv4 packet with TTL and header checksum
// zeroed, to compare a packet before and after a router hop.
func WithoutTTL(ip []byte) []byte {
	b := append([]byte(nil), ip...)
	b[8], b[10], b[11] = 0, 0, 0
	return b
}

// ICMPEchoByKey indexes, by ICMPEchoKey, the IPv4 ICMP echo packets of
// captured frames that carry pattern.
func ICMPEchoByKey(frames []Frame, pattern string) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range frames {
		ip := IPv4(f.Data)
		if k, ok := ICMPEchoKey(ip); ok && ICMPHasPattern(ip, pattern) {
			out[k] = ip
		}
	}
	return out
}

// UDPSink is a mediation device's application: a UDP socket bound to addr
// in namespace ns that drains whatever arrives, so that the namespace's
// kernel answers the analyzer copies with nothing. It closes when the test
// ends.
func UDPSink(t testing.TB, ns string, addr netip.AddrPort) {
	t.Helper()
	var sink *net.UDPConn
	if err := InNetns(ns, func() (err error) {
		sink, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	}); err != nil {
		t.Fatalf("udp sink %v in %s: %v", addr, ns, err)
	}
	go func() {
		buf := make([]byte, 65535)
		for {
			if _, err := sink.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { sink.Close() })
}
