package pppoetest

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// packetLink is an AF_PACKET raw socket bound to one interface.
type packetLink struct {
	f *os.File
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// OpenPacket opens an AF_PACKET socket on the named interface in
// promiscuous mode (the emulator answers for many MAC addresses). Frames
// the host itself transmits are not returned by ReadFrame. Requires
// CAP_NET_RAW.
func OpenPacket(ifname string) (Link, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("pppoetest: %w", err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("pppoetest: packet socket: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pppoetest: bind %s: %w", ifname, err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pppoetest: promiscuous %s: %w", ifname, err)
	}
	return &packetLink{f: os.NewFile(uintptr(fd), "packet:"+ifname)}, nil
}

// ReadFrame implements Link.
func (l *packetLink) ReadFrame(buf []byte) (int, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	for {
		err = rc.Read(func(fd uintptr) bool {
			var from unix.Sockaddr
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			if rerr == unix.EAGAIN {
				return false
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				n = -1 // our own transmission: skip
			}
			return true
		})
		if err != nil {
			return 0, ErrClosed
		}
		if rerr != nil {
			return 0, fmt.Errorf("pppoetest: recv: %w", rerr)
		}
		if n >= 0 {
			return n, nil
		}
	}
}

// WriteFrame implements Link.
func (l *packetLink) WriteFrame(frame []byte) error {
	_, err := l.f.Write(frame)
	return err
}

// Close implements Link.
func (l *packetLink) Close() error { return l.f.Close() }
