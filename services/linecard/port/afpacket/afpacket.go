//go:build linux

package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/services/linecard/port"
)

// Config tunes a port. Zero fields take the defaults given.
type Config struct {
	Queues       int           // receive queues (fanout members); default runtime.NumCPU()
	BlockSize    int           // ring block size, a multiple of the page size; default 256 KiB
	Blocks       int           // ring blocks per queue; default 16
	BlockTimeout time.Duration // hand over a partly filled block after this; default 1 ms (the kernel's minimum)
	// TxRing transmits through a PACKET_TX_RING (TPACKET_V2) per transmit
	// lane: frames are copied into the shared ring and one send(2) per
	// batch hands them all to the kernel. Without it, sendmmsg(2).
	TxRing bool
	// TxFrames is the TX ring size per lane in frames (a multiple of 32);
	// default 256 (512 KiB).
	TxFrames int
	// ShadowMAC hands the host stack a different MAC address for the
	// interface (the port's own with the second-lowest bit of the first
	// octet flipped, i.e. a locally administered twin) while the port keeps
	// answering to the original in promiscuous mode. Every data-plane frame
	// then reaches the kernel's IPv4 input as "other host" and is dropped
	// at once, instead of being routed and answered with an ICMP error by
	// a stack that does not forward (a dst allocation, an RCU free and a
	// rate-limit check per frame on the receiving CPU). Close restores the
	// address; the interface's alias records it meanwhile, so an Open
	// after a crash finds it again. Only for ports the kernel has no
	// addresses on.
	ShadowMAC bool
	// TxLanes is how many transmit lanes get a TX ring, made at Open (in
	// the namespace that owns the interface); higher lanes use sendmmsg.
	// Default 16: enough for the engine's workers, control, ARP and
	// mirror lanes on small boxes.
	TxLanes int
}

func (c *Config) setDefaults() {
	if c.Queues <= 0 {
		c.Queues = runtime.NumCPU()
	}
	if c.BlockSize <= 0 {
		c.BlockSize = 256 << 10
	}
	if c.Blocks <= 0 {
		c.Blocks = 16
	}
	if c.BlockTimeout <= 0 {
		c.BlockTimeout = time.Millisecond
	}
	if c.TxFrames <= 0 {
		c.TxFrames = 256
	}
	if c.TxLanes <= 0 {
		c.TxLanes = 16
	}
	c.TxLanes = min(c.TxLanes, maxLanes)
	c.TxFrames = (c.TxFrames + txFramesPerBlock - 1) / txFramesPerBlock * txFramesPerBlock
}

// Offsets into struct tpacket_block_desc and struct tpacket3_hdr
// (linux/if_packet.h).
const (
	bdStatus      = 8  // hdr.bh1.block_status
	bdNumPkts     = 12 // hdr.bh1.num_pkts
	bdFirstPkt    = 16 // hdr.bh1.offset_to_first_pkt
	phNextOffset  = 0
	phSnaplen     = 12
	phLen         = 16
	phStatus      = 20
	phMac         = 24
	phVlanTCI     = 32
	phVlanTPID    = 36
	phSllPkttype  = 48 + 10 // sockaddr_ll after TPACKET_ALIGN(sizeof(tpacket3_hdr))
	tpStatusUser  = 1
	maxTxBatch    = 256
	maxLanes      = 64
	frameSizeRing = 2048
	hdrRoom       = 64 // tpacket3_hdr + sockaddr_ll, before any frame
)

type rxQueue struct {
	fd     int
	ring   []byte
	block  int // current block
	pkt    int // packets of the current block already consumed
	off    int // offset of the next packet in the current block
	pfd    []unix.PollFd
	closed atomic.Bool
	vnet   bool    // PACKET_VNET_HDR: a virtio_net_hdr precedes every frame
	seg    int     // next segment of the GSO frame being cut (0: none)
	gso    gsoTCP4 // that frame

	packets, bytes atomic.Uint64
}

type txLane struct {
	msgs []mmsghdr
	iovs []unix.Iovec

	// TX ring (Config.TxRing); fd < 0 when the lane uses sendmmsg.
	fd     int
	ring   []byte
	head   int // next frame slot to fill
	frames int
}

// mmsghdr mirrors struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// Port is an AF_PACKET port. It implements port.Port.
type Port struct {
	name    string
	ifindex int
	mac     [6]byte
	mtu     int
	cfg     Config
	queues  []*rxQueue
	txfd    int
	lanes   [maxLanes]atomic.Pointer[txLane]
	closeMu sync.Mutex
	closed  bool
	shadow  bool // the kernel's MAC was changed (Config.ShadowMAC)

	txPackets, txBytes, txErrors, rxDropped atomic.Uint64
}

// Open opens the host interface name. Call it in the network namespace
// that owns the interface; the sockets stay bound to it.
func Open(name string, cfg Config) (*Port, error) {
	cfg.setDefaults()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("afpacket: %w", err)
	}
	p := &Port{name: name, ifindex: ifi.Index, mtu: ifi.MTU, cfg: cfg, txfd: -1}
	copy(p.mac[:], ifi.HardwareAddr)
	fanoutID := (os.Getpid()*131 + ifi.Index*7919) & 0xffff
	for q := 0; q < cfg.Queues; q++ {
		rq, err := p.openRx(fanoutID)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("afpacket: %s queue %d: %w", name, q, err)
		}
		p.queues = append(p.queues, rq)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("afpacket: %s tx socket: %w", name, err)
	}
	p.txfd = fd
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: p.ifindex}); err != nil {
		p.Close()
		return nil, fmt.Errorf("afpacket: %s bind tx: %w", name, err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	if cfg.ShadowMAC {
		own, err := ownMAC(p.ifindex, p.mac)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.mac = own
		if err := setLinkAlias(p.ifindex, shadowAliasPrefix+net.HardwareAddr(own[:]).String()); err != nil {
			p.Close()
			return nil, err
		}
		if err := p.setKernelMAC(shadowOf(p.mac)); err != nil {
			p.Close()
			return nil, err
		}
		p.shadow = true
	}
	if cfg.TxRing {
		for i := 0; i < cfg.TxLanes; i++ {
			l := newTxLane()
			if err := p.openTxRing(l); err != nil {
				p.Close()
				return nil, fmt.Errorf("afpacket: %s TX ring %d: %w", name, i, err)
			}
			p.lanes[i].Store(l)
		}
	}
	return p, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (p *Port) openRx(fanoutID int) (*rxQueue, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	rq := &rxQueue{fd: fd, pfd: []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}}}
	fail := func(what string, err error) (*rxQueue, error) {
		unix.Close(fd)
		if rq.ring != nil {
			unix.Munmap(rq.ring)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("PACKET_VERSION", err)
	}
	// A virtio_net_hdr in front of every received frame says how to cut
	// a GSO super-frame from a same-host sender (gso.go). Best effort: a
	// kernel without it leaves those frames giants.
	rq.vnet = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1) == nil
	req := unix.TpacketReq3{
		Block_size:     uint32(p.cfg.BlockSize),
		Block_nr:       uint32(p.cfg.Blocks),
		Frame_size:     frameSizeRing,
		Frame_nr:       uint32(p.cfg.BlockSize / frameSizeRing * p.cfg.Blocks),
		Retire_blk_tov: uint32(max(1, p.cfg.BlockTimeout.Milliseconds())),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("PACKET_RX_RING", err)
	}
	ring, err := unix.Mmap(fd, 0, p.cfg.BlockSize*p.cfg.Blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail("mmap", err)
	}
	rq.ring = ring
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: p.ifindex}); err != nil {
		return fail("bind", err)
	}
	// Best effort: older kernels lack it; the pkttype check below covers them.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	mreq := unix.PacketMreq{Ifindex: int32(p.ifindex), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("promiscuous mode", err)
	}
	if p.cfg.Queues > 1 { // a single queue needs no fanout (and no flow hash per frame)
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, fanoutID|unix.PACKET_FANOUT_HASH<<16); err != nil {
			return fail("PACKET_FANOUT", err)
		}
	}
	rq.off = -1
	return rq, nil
}

// Name implements port.Port.
func (p *Port) Name() string { return p.name }

// HardwareAddr implements port.Port.
func (p *Port) HardwareAddr() [6]byte { return p.mac }

// MTU implements port.Port.
func (p *Port) MTU() int { return p.mtu }

// Queues implements port.Port.
func (p *Port) Queues() int { return len(p.queues) }

func (rq *rxQueue) blockStatus(b []byte) *uint32 {
	return (*uint32)(unsafe.Pointer(&b[bdStatus]))
}

// Receive implements port.Port. It copies frames out of the ring block
// by block and returns each block to the kernel once consumed.
func (p *Port) Receive(q int, b *port.Batch) (int, error) {
	rq := p.queues[q]
	n := 0
	bs := p.cfg.BlockSize
	polled := false
	for n < len(b.Bufs) {
		if rq.closed.Load() {
			return n, port.ErrClosed
		}
		blk := rq.ring[rq.block*bs : (rq.block+1)*bs]
		st := rq.blockStatus(blk)
		if atomic.LoadUint32(st)&tpStatusUser == 0 {
			if n > 0 || polled {
				return n, nil
			}
			polled = true
			rq.pfd[0].Revents = 0
			if _, err := unix.Poll(rq.pfd, int(port.PollTimeout/time.Millisecond)); err != nil && !errors.Is(err, unix.EINTR) {
				return 0, fmt.Errorf("afpacket: poll %s: %w", p.name, err)
			}
			if ev := rq.pfd[0].Revents; ev&unix.POLLIN == 0 && ev&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				// A pending socket error (for example the link went down):
				// consume it and back off instead of spinning on poll.
				_, _ = unix.GetsockoptInt(rq.fd, unix.SOL_SOCKET, unix.SO_ERROR)
				time.Sleep(port.PollTimeout)
			}
			continue
		}
		numPkts := int(binary.NativeEndian.Uint32(blk[bdNumPkts:]))
		if rq.off < 0 {
			rq.off = int(binary.NativeEndian.Uint32(blk[bdFirstPkt:]))
			rq.pkt = 0
		}
		for rq.pkt < numPkts && n < len(b.Bufs) {
			if rq.off < 0 || rq.off+hdrRoom > len(blk) {
				rq.pkt = numPkts // corrupt offset: give the block back
				break
			}
			h := blk[rq.off:]
			if rq.vnet && (rq.seg > 0 || parseGSO(h, &rq.gso)) {
				for rq.seg < rq.gso.segs && n < len(b.Bufs) {
					rq.gso.segment(b, n, rq.seg)
					rq.packets.Add(1)
					rq.bytes.Add(uint64(b.Lens[n]))
					n++
					rq.seg++
				}
				if rq.seg < rq.gso.segs {
					break // the batch is full: cut the rest on the next call
				}
				rq.seg = 0
			} else if fillFrame(b, n, h) {
				rq.packets.Add(1)
				rq.bytes.Add(uint64(b.Lens[n]))
				n++
			}
			rq.pkt++
			rq.off += int(binary.NativeEndian.Uint32(h[phNextOffset:]))
		}
		if rq.pkt >= numPkts {
			atomic.StoreUint32(st, 0) // TP_STATUS_KERNEL
			rq.block = (rq.block + 1) % p.cfg.Blocks
			rq.off = -1
		}
	}
	return n, nil
}

// fillFrame copies the frame described by tpacket3_hdr h into slot i of
// b, reinserting a stripped VLAN tag. It reports false for frames to skip.
func fillFrame(b *port.Batch, i int, h []byte) bool {
	if len(h) < hdrRoom {
		return false
	}
	if h[phSllPkttype] == unix.PACKET_OUTGOING {
		return false
	}
	status := binary.NativeEndian.Uint32(h[phStatus:])
	mac := int(binary.NativeEndian.Uint16(h[phMac:]))
	snap := int(binary.NativeEndian.Uint32(h[phSnaplen:]))
	wire := int(binary.NativeEndian.Uint32(h[phLen:]))
	if mac+snap > len(h) || snap < 12 {
		return false
	}
	frame := h[mac : mac+snap]
	if status&unix.TP_STATUS_VLAN_VALID == 0 {
		b.Fill(i, frame)
		b.Lens[i] = wire
		if status&unix.TP_STATUS_CSUMNOTREADY != 0 {
			finishChecksum(b.Frames[i])
		}
		return true
	}
	tpid := uint16(0x8100)
	if status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
		tpid = binary.NativeEndian.Uint16(h[phVlanTPID:])
	}
	tci := uint16(binary.NativeEndian.Uint32(h[phVlanTCI:]))
	buf := b.Bufs[i][port.Headroom:]
	if len(buf) < 16 {
		return false
	}
	copy(buf, frame[:12])
	binary.BigEndian.PutUint16(buf[12:], tpid)
	binary.BigEndian.PutUint16(buf[14:], tci)
	c := copy(buf[16:], frame[12:])
	b.Frames[i] = buf[:16+c]
	b.Lens[i] = wire + 4
	if status&unix.TP_STATUS_CSUMNOTREADY != 0 {
		finishChecksum(b.Frames[i])
	}
	return true
}

func (p *Port) lane(i int) *txLane {
	i %= maxLanes
	if l := p.lanes[i].Load(); l != nil {
		return l
	}
	// A lane without a TX ring (sendmmsg on the port's socket, which was
	// opened in the interface's namespace; sockets opened here would land
	// in the calling thread's namespace).
	l := newTxLane()
	if p.lanes[i].CompareAndSwap(nil, l) {
		return l
	}
	return p.lanes[i].Load()
}

func newTxLane() *txLane {
	l := &txLane{msgs: make([]mmsghdr, maxTxBatch), iovs: make([]unix.Iovec, maxTxBatch), fd: -1}
	for j := range l.msgs {
		l.msgs[j].hdr.Iov = &l.iovs[j]
		l.msgs[j].hdr.Iovlen = 1
	}
	return l
}

// TX ring layout (TPACKET_V2): frames of frameSizeRing bytes, each a
// struct tpacket2_hdr followed by the frame data at txDataOff
// (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
const (
	txStatus          = 0  // tp_status
	txLen             = 4  // tp_len
	txDataOff         = 32 // struct virtio_net_hdr, then the frame
	vnetHdrLen        = 10 // sizeof(struct virtio_net_hdr)
	vnetHdrLenOff     = 2  // hdr_len: bytes the kernel copies into the skb's linear area
	txFramesPerBlock  = 32
	txBlockSize       = txFramesPerBlock * frameSizeRing
	txStatusAvailable = unix.TP_STATUS_AVAILABLE
	txStatusSend      = unix.TP_STATUS_SEND_REQUEST
)

// openTxRing gives lane l its own socket with a PACKET_TX_RING.
func (p *Port) openTxRing(l *txLane) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) error {
		unix.Close(fd)
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return fail("PACKET_VERSION", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_LOSS, 1) // skip malformed frames instead of stalling
	// A virtio_net_hdr in front of every frame lets us say how much of it
	// the kernel copies into the skb (hdr_len): all of it. Without, only
	// the Ethernet header is copied and the rest is attached as pages of
	// the ring marked zero-copy, which a veth (or any path that keeps the
	// skb) must copy into freshly allocated pages: a page allocation per
	// frame, slower than the copy it saves.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
		return fail("PACKET_VNET_HDR", err)
	}
	req := unix.TpacketReq{Block_size: txBlockSize, Block_nr: uint32(p.cfg.TxFrames / txFramesPerBlock),
		Frame_size: frameSizeRing, Frame_nr: uint32(p.cfg.TxFrames)}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		return fail("PACKET_TX_RING", err)
	}
	ring, err := unix.Mmap(fd, 0, p.cfg.TxFrames*frameSizeRing, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail("mmap", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: p.ifindex}); err != nil {
		unix.Munmap(ring)
		return fail("bind", err)
	}
	l.fd, l.ring, l.frames = fd, ring, p.cfg.TxFrames
	return nil
}

func (l *txLane) closeRing() error {
	if l.fd < 0 {
		return nil
	}
	err := errors.Join(unix.Munmap(l.ring), unix.Close(l.fd))
	l.fd, l.ring = -1, nil
	return err
}

// slotStatus returns the tp_status word of TX ring slot i.
func (l *txLane) slotStatus(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&l.ring[i*frameSizeRing+txStatus]))
}

// kick asks the kernel to send every frame marked TP_STATUS_SEND_REQUEST.
func (l *txLane) kick() unix.Errno {
	for {
		_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(l.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		if errno != unix.EINTR {
			return errno
		}
	}
}

// transmitRing copies frames into the lane's TX ring and kicks the
// kernel once. A frame finding its slot still in flight kicks first; if
// the slot stays busy the rest of the batch is dropped.
func (p *Port) transmitRing(l *txLane, frames [][]byte) (int, error) {
	sent, kicked := 0, false
	var bytes uint64
	for _, f := range frames {
		if len(f) > frameSizeRing-txDataOff-vnetHdrLen || len(f) == 0 {
			p.txErrors.Add(1)
			continue
		}
		st := l.slotStatus(l.head)
		if atomic.LoadUint32(st) != txStatusAvailable {
			if !kicked {
				l.kick()
				kicked = true
			}
			if atomic.LoadUint32(st) != txStatusAvailable {
				break
			}
		}
		slot := l.ring[l.head*frameSizeRing : (l.head+1)*frameSizeRing]
		vh := slot[txDataOff : txDataOff+vnetHdrLen]
		clear(vh)                                                         // no checksum offload, no GSO
		binary.LittleEndian.PutUint16(vh[vnetHdrLenOff:], uint16(len(f))) // virtio is little-endian here
		copy(slot[txDataOff+vnetHdrLen:], f)
		binary.NativeEndian.PutUint32(slot[txLen:], uint32(vnetHdrLen+len(f)))
		atomic.StoreUint32(st, txStatusSend)
		l.head++
		if l.head == l.frames {
			l.head = 0
		}
		sent++
		bytes += uint64(len(f))
	}
	if errno := l.kick(); errno != 0 && errno != unix.EAGAIN && errno != unix.ENOBUFS {
		// The frames stay queued in the ring for the next kick.
		p.txErrors.Add(uint64(len(frames) - sent))
		p.txPackets.Add(uint64(sent))
		p.txBytes.Add(bytes)
		return sent, fmt.Errorf("afpacket: send %s: %w", p.name, errno)
	}
	p.txPackets.Add(uint64(sent))
	p.txBytes.Add(bytes)
	if sent < len(frames) {
		p.txErrors.Add(uint64(len(frames) - sent))
	}
	return sent, nil
}

// Transmit implements port.Port with sendmmsg(2), up to 256 frames per
// system call, or through the lane's TX ring (Config.TxRing). Lanes at or above 64 share lane buffers and must not be
// used concurrently.
func (p *Port) Transmit(lane int, frames [][]byte) (int, error) {
	l := p.lane(lane)
	if l.fd >= 0 {
		return p.transmitRing(l, frames)
	}
	sent := 0
	for sent < len(frames) {
		k := min(len(frames)-sent, maxTxBatch)
		for j := 0; j < k; j++ {
			f := frames[sent+j]
			l.iovs[j].Base = &f[0]
			l.iovs[j].SetLen(len(f))
		}
		// A raw system call: with MSG_DONTWAIT it never blocks, and it keeps
		// the Go scheduler from handing this worker's P to another thread
		// (and back) around every batch.
		r, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(p.txfd), uintptr(unsafe.Pointer(&l.msgs[0])), uintptr(k), unix.MSG_DONTWAIT, 0, 0)
		if errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			if errno == unix.EAGAIN || errno == unix.ENOBUFS {
				p.txErrors.Add(uint64(len(frames) - sent))
				return sent, nil
			}
			p.txErrors.Add(uint64(len(frames) - sent))
			return sent, fmt.Errorf("afpacket: sendmmsg %s: %w", p.name, errno)
		}
		for j := 0; j < int(r); j++ {
			p.txBytes.Add(uint64(len(frames[sent+j])))
		}
		p.txPackets.Add(uint64(r))
		sent += int(r)
		if r == 0 {
			p.txErrors.Add(uint64(len(frames) - sent))
			break
		}
	}
	return sent, nil
}

// shadowOf returns the kernel's address for a port with MAC mac.
func shadowOf(mac [6]byte) [6]byte {
	mac[0] ^= 0x02
	return mac
}

// setKernelMAC sets the interface's address as the host stack sees it
// (SIOCSIFHWADDR through the port's socket, so in its namespace).
func (p *Port) setKernelMAC(mac [6]byte) error {
	var ifr [40]byte // struct ifreq: name[16], then struct sockaddr
	copy(ifr[:unix.IFNAMSIZ-1], p.name)
	binary.NativeEndian.PutUint16(ifr[16:], unix.ARPHRD_ETHER)
	copy(ifr[18:], mac[:])
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(p.txfd), unix.SIOCSIFHWADDR, uintptr(unsafe.Pointer(&ifr[0]))); errno != 0 {
		return fmt.Errorf("afpacket: set kernel MAC of %s: %w", p.name, errno)
	}
	return nil
}

// Carrier reports whether the interface is operationally up (IFF_RUNNING:
// administratively up with carrier). It asks the kernel through the
// port's own socket, so it works from any network namespace; call it on a
// timer, not per packet.
func (p *Port) Carrier() (bool, error) {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return false, port.ErrClosed
	}
	ifr, err := unix.NewIfreq(p.name)
	if err != nil {
		return false, fmt.Errorf("afpacket: %s: %w", p.name, err)
	}
	if err := unix.IoctlIfreq(p.txfd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return false, fmt.Errorf("afpacket: SIOCGIFFLAGS %s: %w", p.name, err)
	}
	return ifr.Uint16()&unix.IFF_RUNNING != 0, nil
}

// Stats implements port.Port.
func (p *Port) Stats() port.Stats {
	var s port.Stats
	for _, q := range p.queues {
		s.RxPackets += q.packets.Load()
		s.RxBytes += q.bytes.Load()
		if !q.closed.Load() {
			if st, err := unix.GetsockoptTpacketStatsV3(q.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
				p.rxDropped.Add(uint64(st.Drops))
			}
		}
	}
	s.RxDropped = p.rxDropped.Load()
	s.TxPackets, s.TxBytes, s.TxErrors = p.txPackets.Load(), p.txBytes.Load(), p.txErrors.Load()
	return s
}

// Close implements port.Port. Call it after the workers using the port
// have stopped.
func (p *Port) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.shadow {
		// The alias goes only once the address is back: while the kernel
		// still has the shadow, the next Open needs it.
		if err := p.setKernelMAC(p.mac); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, setLinkAlias(p.ifindex, ""))
		}
	}
	for _, q := range p.queues {
		q.closed.Store(true)
		errs = append(errs, unix.Munmap(q.ring), unix.Close(q.fd))
	}
	if p.txfd >= 0 {
		errs = append(errs, unix.Close(p.txfd))
	}
	for i := range p.lanes {
		if l := p.lanes[i].Load(); l != nil {
			errs = append(errs, l.closeRing())
		}
	}
	return errors.Join(errs...)
}
