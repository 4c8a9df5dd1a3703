package ppp

import "net/netip"

// IPCP option types (RFC 1332, RFC 1877).
const (
	IPCPOptAddresses    uint8 = 1
	IPCPOptCompression  uint8 = 2
	IPCPOptAddress      uint8 = 3
	IPCPOptPrimaryDNS   uint8 = 129
	IPCPOptSecondaryDNS uint8 = 131
)

// IPCP is the IPCP option handler. In the server role (Client false) it
// requests Local as its own address, acknowledges the peer only for Peer
// (NAKing anything else, including 0.0.0.0) and hands out the DNS servers.
// In the client role it requests Peer (0.0.0.0 at first) and the DNS
// servers, and adopts what the server NAKs.
type IPCP struct {
	// Client selects the client role.
	Client bool
	// Local is our address; Peer is the peer's (assigned, or learned).
	Local, Peer netip.Addr
	// PrimaryDNS and SecondaryDNS are handed out (server) or learned
	// (client; request them by setting them to 0.0.0.0).
	PrimaryDNS, SecondaryDNS netip.Addr

	addrRejected bool
	// OnUp, OnDown, OnStarted, OnFinished are tlu/tld/tls/tlf hooks.
	OnUp, OnDown, OnStarted, OnFinished func()
}

var zero4 = netip.IPv4Unspecified()

func addr4(v []byte) (netip.Addr, bool) {
	if len(v) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(v)), true
}

// AppendRequest implements OptionHandler.
func (c *IPCP) AppendRequest(b []byte) []byte {
	if c.Client {
		if !c.Peer.IsValid() {
			c.Peer = zero4
		}
		b = appendOptionAddr(b, IPCPOptAddress, c.Peer)
		if c.PrimaryDNS.IsValid() {
			b = appendOptionAddr(b, IPCPOptPrimaryDNS, c.PrimaryDNS)
		}
		if c.SecondaryDNS.IsValid() {
			b = appendOptionAddr(b, IPCPOptSecondaryDNS, c.SecondaryDNS)
		}
		return b
	}
	if c.Local.Is4() && !c.reqAddrRejected() {
		b = appendOptionAddr(b, IPCPOptAddress, c.Local)
	}
	return b
}

func (c *IPCP) reqAddrRejected() bool { return c.addrRejected }

// ReceiveRequest implements OptionHandler.
func (c *IPCP) ReceiveRequest(opts Options, out []byte, rejectOnly bool) (uint8, []byte) {
	var nakBuf, rejBuf [64]byte
	nak, rej := nakBuf[:0], rejBuf[:0]
	offer := func(typ uint8, v []byte, want netip.Addr) {
		got, ok := addr4(v)
		switch {
		case !ok || !want.Is4():
			rej = AppendOption(rej, typ, v)
		case got != want:
			nak = appendOptionAddr(nak, typ, want)
		}
	}
	sawAddr := false
	opts.Each(func(typ uint8, v []byte) bool {
		if typ == IPCPOptAddress {
			sawAddr = true
		}
		switch {
		case c.Client && typ == IPCPOptAddress:
			// Accept whatever address the server claims for itself.
			if a, ok := addr4(v); ok && a != zero4 {
				c.Local = a
			} else {
				rej = AppendOption(rej, typ, v)
			}
		case c.Client:
			rej = AppendOption(rej, typ, v)
		case typ == IPCPOptAddress:
			offer(typ, v, c.Peer)
		case typ == IPCPOptPrimaryDNS:
			offer(typ, v, c.PrimaryDNS)
		case typ == IPCPOptSecondaryDNS:
			offer(typ, v, c.SecondaryDNS)
		default:
			rej = AppendOption(rej, typ, v)
		}
		return true
	})
	if !c.Client && !sawAddr && !rejectOnly && c.Peer.Is4() && len(rej) == 0 {
		// The peer did not ask for an address: suggest the assigned one
		// (RFC 1661 §5.3 lets a Nak add options).
		nak = appendOptionAddr(nak, IPCPOptAddress, c.Peer)
	}
	return configureReply(out, nak, rej, rejectOnly)
}

// ReceiveAck implements OptionHandler.
func (c *IPCP) ReceiveAck(opts Options) bool {
	var ob [64]byte
	return string(c.AppendRequest(ob[:0])) == string(opts)
}

// ReceiveNak implements OptionHandler.
func (c *IPCP) ReceiveNak(opts Options) {
	opts.Each(func(typ uint8, v []byte) bool {
		a, ok := addr4(v)
		if !ok || !c.Client {
			return true
		}
		switch typ {
		case IPCPOptAddress:
			c.Peer = a
		case IPCPOptPrimaryDNS:
			c.PrimaryDNS = a
		case IPCPOptSecondaryDNS:
			c.SecondaryDNS = a
		}
		return true
	})
}

// ReceiveReject implements OptionHandler.
func (c *IPCP) ReceiveReject(opts Options) {
	opts.Each(func(typ uint8, v []byte) bool {
		switch typ {
		case IPCPOptAddress:
			if !c.Client {
				c.addrRejected = true
			}
		case IPCPOptPrimaryDNS:
			c.PrimaryDNS = netip.Addr{}
		case IPCPOptSecondaryDNS:
			c.SecondaryDNS = netip.Addr{}
		}
		return true
	})
}

// Up implements OptionHandler.
func (c *IPCP) Up() { call(c.OnUp) }

// Down implements OptionHandler.
func (c *IPCP) Down() { call(c.OnDown) }

// Started implements OptionHandler.
func (c *IPCP) Started() { call(c.OnStarted) }

// Finished implements OptionHandler.
func (c *IPCP) Finished() { call(c.OnFinished) }
