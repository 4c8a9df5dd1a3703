package pppoetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/erxos/erx/services/linecard/header"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// DHCPConfig describes one emulated IPoE subscriber.
type DHCPConfig struct {
	MAC      MAC
	Hostname string
	// Retries and RetryInterval govern retransmission (defaults 5, 1s).
	Retries       int
	RetryInterval time.Duration
}

// DHCPLease is what an emulated IPoE subscriber obtained.
type DHCPLease struct {
	Address, Server, Router netip.Addr
	PrefixLen               int
	DNS                     []netip.Addr
	LeaseTime               time.Duration
	Latency                 time.Duration

	c   *dhcpClient
	ack *dhcpv4.DHCPv4
}

type dhcpClient struct {
	e   *Emulator
	cfg DHCPConfig
	xid dhcpv4.TransactionID

	mu      sync.Mutex
	replies chan *dhcpv4.DHCPv4
}

func (c *dhcpClient) handleFrame(f header.Ethernet) {
	if f.EtherType() != header.EtherTypeIPv4 {
		return
	}
	ip := header.IPv4(f.Payload())
	if ip.Validate() != nil || ip.Protocol() != header.ProtocolUDP {
		return
	}
	u := header.UDP(ip.Payload())
	if u.Validate() != nil || u.DestinationPort() != 68 {
		return
	}
	m, err := dhcpv4.FromBytes(u.Payload())
	if err != nil || m.OpCode != dhcpv4.OpcodeBootReply || m.TransactionID != c.xid || MAC(m.ClientHWAddr) != c.cfg.MAC {
		return
	}
	select {
	case c.replies <- m:
	default:
	}
}

func (c *dhcpClient) send(m *dhcpv4.DHCPv4, src, dst netip.Addr, dstMAC MAC) error {
	p := m.ToBytes()
	f := header.UDPFrameFields{Destination: dstMAC, Source: c.cfg.MAC,
		IPv4: header.IPv4Fields{TTL: 64, Source: src, Destination: dst},
		UDP:  header.UDPFields{SourcePort: 68, DestinationPort: 67}}
	buf := make([]byte, header.UDPFrameHeaderLen+len(p))
	n, err := f.Marshal(buf, p)
	if err != nil {
		return err
	}
	return c.e.send(buf[:n])
}

// exchange sends m until a reply of one of the wanted types arrives.
func (c *dhcpClient) exchange(ctx context.Context, m *dhcpv4.DHCPv4, want ...dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	bcast := netip.AddrFrom4([4]byte{255, 255, 255, 255})
	for try := 0; try < c.cfg.Retries; try++ {
		if err := c.send(m, netip.IPv4Unspecified(), bcast, header.Broadcast); err != nil {
			return nil, err
		}
		t := time.NewTimer(c.cfg.RetryInterval)
	wait:
		for {
			select {
			case r := <-c.replies:
				for _, w := range want {
					if r.MessageType() == w {
						t.Stop()
						return r, nil
					}
				}
			case <-t.C:
				break wait
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
	}
	return nil, fmt.Errorf("no answer to %v", m.MessageType())
}

// ErrDHCPNak reports a DHCPNAK.
var ErrDHCPNak = errors.New("pppoetest: DHCPNAK")

// DHCP obtains a lease (DISCOVER, OFFER, REQUEST, ACK) for one subscriber.
func (e *Emulator) DHCP(ctx context.Context, cfg DHCPConfig) (*DHCPLease, error) {
	if cfg.Retries <= 0 {
		cfg.Retries = 5
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	xid, err := dhcpv4.GenerateTransactionID()
	if err != nil {
		return nil, err
	}
	c := &dhcpClient{e: e, cfg: cfg, xid: xid, replies: make(chan *dhcpv4.DHCPv4, 8)}
	e.register(cfg.MAC, c)
	defer e.unregister(cfg.MAC, c)
	start := time.Now()
	mods := []dhcpv4.Modifier{dhcpv4.WithTransactionID(xid), dhcpv4.WithBroadcast(true)}
	if cfg.Hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(cfg.Hostname)))
	}
	disc, err := dhcpv4.NewDiscovery(net.HardwareAddr(cfg.MAC[:]), mods...)
	if err != nil {
		return nil, err
	}
	offer, err := c.exchange(ctx, disc, dhcpv4.MessageTypeOffer)
	if err != nil {
		return nil, &LoginError{Stage: "dhcp-discover", Reason: err.Error()}
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithBroadcast(true))
	if err != nil {
		return nil, err
	}
	ack, err := c.exchange(ctx, req, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	if err != nil {
		return nil, &LoginError{Stage: "dhcp-request", Reason: err.Error()}
	}
	if ack.MessageType() == dhcpv4.MessageTypeNak {
		return nil, &LoginError{Stage: "dhcp-request", Reason: ErrDHCPNak.Error()}
	}
	l := &DHCPLease{c: c, ack: ack, Latency: time.Since(start), LeaseTime: ack.IPAddressLeaseTime(0)}
	l.Address, _ = netip.AddrFromSlice(ack.YourIPAddr.To4())
	l.Server, _ = netip.AddrFromSlice(ack.ServerIdentifier().To4())
	if r := ack.Router(); len(r) > 0 {
		l.Router, _ = netip.AddrFromSlice(r[0].To4())
	}
	if m := ack.SubnetMask(); m != nil {
		l.PrefixLen, _ = m.Size()
	}
	for _, d := range ack.DNS() {
		if a, ok := netip.AddrFromSlice(d.To4()); ok {
			l.DNS = append(l.DNS, a)
		}
	}
	return l, nil
}

// Release sends DHCPRELEASE for the lease (no answer is expected).
func (l *DHCPLease) Release() error {
	rel, err := dhcpv4.NewReleaseFromACK(l.ack)
	if err != nil {
		return err
	}
	return l.c.send(rel, l.Address, l.Server, header.Broadcast)
}
