package lccli

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/mgmt"
)

var (
	ifModes     = []command.Mode{command.ConfigIf, command.ConfigSubif}
	configModes = []command.Mode{command.Config}
	execModes   = []command.Mode{command.Exec}
)

// maxDescription bounds `description` text.
const maxDescription = 255

// configCommands are the Global and Interface Configuration commands.
func (s *state) configCommands() []*command.Command {
	return []*command.Command{
		{Syntax: "interface <if:interface>", Modes: configModes, Privilege: 10,
			Help: command.Help{"interface": "Select an interface to configure", "if": "Interface"},
			Run:  s.cmdInterface, No: s.cmdNoInterface},
		{Syntax: "ip address <addr:A.B.C.D> <mask:mask> [secondary]", Modes: ifModes, Privilege: 10,
			Help: command.Help{"ip": "Configure IP parameters", "address": "Set the IP address of an interface",
				"addr": "IP address", "mask": "IP subnet mask", "secondary": "Add a secondary address"},
			Run:      s.cmdIPAddress,
			NoSyntax: "ip address [<addr:A.B.C.D> <mask:mask> [secondary]]",
			No:       s.cmdNoIPAddress},
		{Syntax: "ip mtu <bytes:68-65535>", Modes: ifModes, Privilege: 10,
			Help:     command.Help{"mtu": "Set the IP maximum transmission unit", "ip": "Configure IP parameters", "bytes": "MTU in bytes"},
			Run:      func(ctx *command.Context, req *command.Request) error { return s.cmdMTU(ctx, req.Int("bytes"), true) },
			NoSyntax: "ip mtu [<bytes:68-65535>]",
			No:       func(ctx *command.Context, _ *command.Request) error { return s.cmdMTU(ctx, 0, true) }},
		{Syntax: "mtu <bytes:68-65535>", Modes: ifModes, Privilege: 10,
			Help:     command.Help{"mtu": "Set the interface maximum transmission unit", "bytes": "MTU in bytes"},
			Run:      func(ctx *command.Context, req *command.Request) error { return s.cmdMTU(ctx, req.Int("bytes"), false) },
			NoSyntax: "mtu [<bytes:68-65535>]",
			No:       func(ctx *command.Context, _ *command.Request) error { return s.cmdMTU(ctx, 0, false) }},
		{Syntax: "shutdown", Modes: ifModes, Privilege: 10,
			Help: command.Help{"shutdown": "Administratively disable the interface"},
			Run:  func(ctx *command.Context, _ *command.Request) error { return s.cmdShutdown(ctx, true) },
			No:   func(ctx *command.Context, _ *command.Request) error { return s.cmdShutdown(ctx, false) }},
		{Syntax: "description <text:line>", Modes: ifModes, Privilege: 10,
			Help: command.Help{"description": "Describe the interface", "text": "Description text"},
			Run: func(ctx *command.Context, req *command.Request) error {
				return s.cmdDescription(ctx, req.String("text"))
			},
			NoSyntax: "description [<text:line>]",
			No:       func(ctx *command.Context, _ *command.Request) error { return s.cmdDescription(ctx, "") }},
		{Syntax: "encapsulation vlan", Modes: []command.Mode{command.ConfigIf}, Privilege: 10,
			Help: command.Help{"encapsulation": "Set the encapsulation of the interface", "vlan": "IEEE 802.1Q VLAN major interface"},
			Run:  func(ctx *command.Context, _ *command.Request) error { return s.cmdEncap(ctx, true) },
			No:   func(ctx *command.Context, _ *command.Request) error { return s.cmdEncap(ctx, false) }},
		{Syntax: "vlan id <id:1-4094>", Modes: []command.Mode{command.ConfigSubif}, Privilege: 10,
			Help: command.Help{"vlan": "Configure the VLAN subinterface", "id": "Set the VLAN ID"},
			Run:  s.cmdVLANID},
		{Syntax: "ip route <prefix:A.B.C.D> <mask:mask> {<nexthop:A.B.C.D>|<if:interface>} [<distance:1-255>]", Modes: configModes, Privilege: 10,
			Help: command.Help{"ip": "Configure IP parameters", "route": "Establish static routes", "prefix": "Destination prefix",
				"mask": "Destination mask", "nexthop": "Next-hop address", "if": "Outgoing interface", "distance": "Administrative distance (default 1)"},
			Run:      s.cmdRoute,
			NoSyntax: "ip route <prefix:A.B.C.D> <mask:mask> [{<nexthop:A.B.C.D>|<if:interface>} [<distance:1-255>]]",
			No:       s.cmdNoRoute},
		{Syntax: "virtual-router <name:word>", Modes: configModes, Privilege: 10,
			Help: command.Help{"virtual-router": "Select (and create) a virtual router", "name": "Virtual router name"},
			Run:  s.cmdVirtualRouter, No: s.cmdNoVirtualRouter},
		{Syntax: "virtual-router <name:word>", Modes: execModes, Privilege: 1,
			Help: command.Help{"virtual-router": "Change the virtual router context", "name": "Virtual router name"},
			Run:  s.execVirtualRouter},
		{Syntax: "arp <addr:A.B.C.D> <mac:word>", Modes: configModes, Privilege: 10,
			Help:     command.Help{"arp": "Add a static ARP entry", "addr": "IP address", "mac": "MAC address (xxxx.xxxx.xxxx)"},
			Run:      s.cmdARP,
			NoSyntax: "arp <addr:A.B.C.D> [<mac:word>]",
			No:       s.cmdNoARP},
	}
}

// currentLocked returns the interface the sub-mode configures.
func (s *state) currentLocked(ctx *command.Context) (*ifConf, error) {
	n, ok := ctx.ModeValue.(command.InterfaceName)
	if !ok {
		return nil, errors.New("No interface selected")
	}
	id, err := parseIfID(n)
	if err != nil {
		return nil, err
	}
	c := s.ifs[id.String()]
	if c == nil {
		return nil, fmt.Errorf("Interface %s does not exist", id)
	}
	return c, nil
}

func (s *state) vrExistsLocked(vr string) bool {
	return vr == linecard.DefaultVirtualRouter || s.vrs[vr]
}

func (s *state) cmdInterface(ctx *command.Context, req *command.Request) error {
	id, err := parseIfID(req.Interface("if"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mode := command.ConfigIf
	switch {
	case id.typ == loopbackType:
		if s.ifs[id.String()] == nil {
			if err := s.d.Engine.AddLoopback(id.String()); err != nil {
				return engineErr(err)
			}
			c := &ifConf{id: id, kind: kindLoopback, vr: linecard.DefaultVirtualRouter, baseMTU: 65535}
			if info, err := s.d.Engine.Interface(id.String()); err == nil {
				c.baseMTU = info.MTU
			}
			s.ifs[id.String()] = c
		}
	case id.sub != 0:
		major := s.ifs[id.major().String()]
		if major == nil {
			return errInvalidInterface
		}
		if major.kind == kindMgmt {
			return errors.New("The management port cannot carry VLANs")
		}
		if s.ifs[id.String()] == nil {
			s.ifs[id.String()] = &ifConf{id: id, kind: kindSub, vr: linecard.DefaultVirtualRouter, baseMTU: major.baseMTU}
		}
		mode = command.ConfigSubif
	default:
		if s.ifs[id.String()] == nil {
			return errInvalidInterface
		}
	}
	ctx.EnterMode(mode, id.name())
	return nil
}

func (s *state) cmdNoInterface(ctx *command.Context, req *command.Request) error {
	id, err := parseIfID(req.Interface("if"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ifs[id.String()]
	if c == nil {
		if id.sub == 0 && id.typ != loopbackType {
			return errInvalidInterface
		}
		return fmt.Errorf("Interface %s does not exist", id)
	}
	if c.kind == kindPort || c.kind == kindMgmt {
		return fmt.Errorf("Physical interface %s cannot be deleted", id)
	}
	if c.inEngine() {
		if err := s.d.Engine.DeleteInterface(id.String()); err != nil {
			return engineErr(err)
		}
	}
	s.forgetInterfaceLocked(id.String())
	delete(s.ifs, id.String())
	return nil
}

// forgetInterfaceLocked drops the static routes and ARP entries through
// an interface (the data plane already removed them).
func (s *state) forgetInterfaceLocked(name string) {
	for vr, rs := range s.routes {
		s.routes[vr] = slices.DeleteFunc(rs, func(r staticRoute) bool { return r.iface == name })
	}
	for vr, as := range s.arps {
		s.arps[vr] = slices.DeleteFunc(as, func(a staticARP) bool { return a.iface == name })
	}
}

// hostAddress checks that a is usable as an interface address with bits.
func hostAddress(p netip.Prefix) error {
	a := p.Addr()
	if a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a.As4()[0] >= 240 || p.Bits() == 0 {
		return fmt.Errorf("Invalid address %s %s", a, maskString(p.Bits()))
	}
	if p.Bits() <= 30 && (a == p.Masked().Addr() || a == broadcast(p)) {
		return fmt.Errorf("Invalid address %s %s: not a host address of its subnet", a, maskString(p.Bits()))
	}
	return nil
}

func (s *state) cmdIPAddress(ctx *command.Context, req *command.Request) error {
	p := netip.PrefixFrom(req.Addr("addr"), command.MaskBits(req.Addr("mask")))
	if err := hostAddress(p); err != nil {
		return err
	}
	secondary := req.Keyword("secondary")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	if c.kind == kindMgmt {
		if secondary {
			return errors.New("Secondary addresses are not supported on the management port")
		}
		if err := s.overlapLocked(c, linecard.DefaultVirtualRouter, p); err != nil {
			return err
		}
		c.addrs = []netip.Prefix{p}
		s.applyMgmtLocked()
		return nil
	}
	if !c.inEngine() {
		return fmt.Errorf("Configure a VLAN ID on %s first (vlan id)", c.id)
	}
	vr := ctx.VR
	if !s.vrExistsLocked(vr) {
		return fmt.Errorf("Virtual router %s does not exist", vr)
	}
	if len(c.addrs) > 0 && c.vr != vr {
		return fmt.Errorf("Interface %s is in virtual router %s", c.id, c.vr)
	}
	if slices.Contains(c.addrs, p) {
		return nil
	}
	if secondary && len(c.addrs) == 0 {
		return errors.New("Configure the primary address first")
	}
	if err := s.overlapLocked(c, vr, p); err != nil {
		return err
	}
	name := c.id.String()
	if len(c.addrs) == 0 && c.vr != vr {
		if err := s.d.Engine.SetVirtualRouter(name, vr); err != nil {
			return engineErr(err)
		}
		s.forgetRoutesViaLocked(c.vr, name)
		old := c.vr
		c.vr = vr
		if err := s.d.Engine.AddAddress(name, p); err != nil {
			c.vr = old
			_ = s.d.Engine.SetVirtualRouter(name, old)
			return engineErr(err)
		}
		c.addrs = []netip.Prefix{p}
		return nil
	}
	if err := s.d.Engine.AddAddress(name, p); err != nil {
		return engineErr(err)
	}
	if secondary || len(c.addrs) == 0 {
		c.addrs = append(c.addrs, p)
		return nil
	}
	old := c.addrs[0]
	if err := s.d.Engine.DeleteAddress(name, old); err != nil {
		_ = s.d.Engine.DeleteAddress(name, p)
		return engineErr(err)
	}
	c.addrs[0] = p
	s.dropUncoveredARPLocked(c)
	return nil
}

// overlapLocked refuses an address whose subnet overlaps another
// interface's in the same virtual router (the management port counts as
// in the default one with its configured address).
func (s *state) overlapLocked(c *ifConf, vr string, p netip.Prefix) error {
	for _, o := range s.sortedLocked() {
		if o == c || o.vr != vr {
			continue
		}
		for _, q := range o.addrs {
			if q.Overlaps(p) {
				return fmt.Errorf("%s %s overlaps %s %s on %s", p.Addr(), maskString(p.Bits()), q.Addr(), maskString(q.Bits()), o.id)
			}
		}
	}
	return nil
}

func (s *state) forgetRoutesViaLocked(vr, name string) {
	s.routes[vr] = slices.DeleteFunc(s.routes[vr], func(r staticRoute) bool { return r.iface == name })
}

// dropUncoveredARPLocked removes static ARP entries of c that no address
// of c covers any more.
func (s *state) dropUncoveredARPLocked(c *ifConf) {
	name := c.id.String()
	s.arps[c.vr] = slices.DeleteFunc(s.arps[c.vr], func(a staticARP) bool {
		if a.iface != name {
			return false
		}
		for _, p := range c.addrs {
			if p.Contains(a.addr) {
				return false
			}
		}
		_ = s.d.Engine.DeleteARP(name, a.addr)
		return true
	})
}

func (s *state) cmdNoIPAddress(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	var victims []netip.Prefix
	if req.Has("addr") {
		p := netip.PrefixFrom(req.Addr("addr"), command.MaskBits(req.Addr("mask")))
		i := slices.Index(c.addrs, p)
		if i < 0 {
			return fmt.Errorf("Address %s %s is not configured on %s", p.Addr(), maskString(p.Bits()), c.id)
		}
		if i == 0 && len(c.addrs) > 1 {
			return errors.New("Remove the secondary addresses first")
		}
		victims = []netip.Prefix{p}
	} else {
		victims = slices.Clone(c.addrs)
	}
	if c.kind == kindMgmt {
		c.addrs = nil
		s.applyMgmtLocked()
		return nil
	}
	name := c.id.String()
	for i := len(victims) - 1; i >= 0; i-- {
		if err := s.d.Engine.DeleteAddress(name, victims[i]); err != nil && !errors.Is(err, linecard.ErrNoSuchAddress) {
			return engineErr(err)
		}
		c.addrs = slices.DeleteFunc(c.addrs, func(p netip.Prefix) bool { return p == victims[i] })
	}
	s.dropUncoveredARPLocked(c)
	if len(c.addrs) == 0 && c.vr != linecard.DefaultVirtualRouter {
		// An interface without addresses belongs to no virtual router
		// in particular: it returns to the default one.
		if err := s.d.Engine.SetVirtualRouter(name, linecard.DefaultVirtualRouter); err != nil {
			return engineErr(err)
		}
		s.forgetRoutesViaLocked(c.vr, name)
		s.arps[c.vr] = slices.DeleteFunc(s.arps[c.vr], func(a staticARP) bool { return a.iface == name })
		c.vr = linecard.DefaultVirtualRouter
	}
	return nil
}

// applyMgmtLocked gives the management port the board's configuration
// overridden by the configured static address.
func (s *state) applyMgmtLocked() {
	if s.d.Mgmt == nil {
		return
	}
	m := s.d.Management
	cfg := mgmt.Config{NIC: m.NIC, DHCP: m.DHCP, Address: m.Address, Gateway: m.Gateway}
	if c := s.ifs[s.mgmtID.String()]; c != nil && len(c.addrs) > 0 {
		cfg.DHCP, cfg.Address = false, c.addrs[0]
		if cfg.Gateway.IsValid() && !c.addrs[0].Contains(cfg.Gateway) {
			cfg.Gateway = netip.Addr{}
		}
	}
	s.d.Mgmt.Set(cfg)
}

// effectiveMTU is the IP MTU the data plane enforces on c.
func (s *state) effectiveMTU(c *ifConf) int {
	m := c.baseMTU
	for _, v := range []int{c.mtu, c.ipMTU} {
		if v != 0 && v < m {
			m = v
		}
	}
	if c.kind == kindSub {
		if p := s.ifs[c.id.major().String()]; p != nil && p.mtu != 0 && p.mtu < m {
			m = p.mtu
		}
	}
	return m
}

// adminMTU is the interface MTU `show interfaces` gives as
// Administrative: the configured `mtu`, else a subinterface's parent's,
// else the port's own (JunosE shows the value in force, never 0).
func (s *state) adminMTU(c *ifConf) int {
	if c.mtu != 0 {
		return c.mtu
	}
	if c.kind == kindSub {
		if p := s.ifs[c.id.major().String()]; p != nil && p.mtu != 0 {
			return p.mtu
		}
	}
	return c.baseMTU
}

func (s *state) cmdMTU(ctx *command.Context, v int, ip bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	if c.kind == kindMgmt {
		return errors.New("The MTU of the management port is set by the kernel")
	}
	if v > c.baseMTU {
		return fmt.Errorf("MTU %d is out of range 68-%d on %s", v, c.baseMTU, c.id)
	}
	old := *c
	if ip {
		c.ipMTU = v
	} else {
		c.mtu = v
	}
	touched := []*ifConf{c}
	if c.kind == kindPort && !ip {
		for _, o := range s.sortedLocked() {
			if o.kind == kindSub && o.id.major() == c.id {
				touched = append(touched, o)
			}
		}
	}
	for _, o := range touched {
		if !o.inEngine() {
			continue
		}
		if err := s.d.Engine.SetMTU(o.id.String(), s.effectiveMTU(o)); err != nil {
			*c = old
			for _, o := range touched {
				if o.inEngine() {
					_ = s.d.Engine.SetMTU(o.id.String(), s.effectiveMTU(o))
				}
			}
			return engineErr(err)
		}
	}
	return nil
}

func (s *state) cmdShutdown(ctx *command.Context, down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	if c.kind == kindMgmt {
		return errors.New("The management port cannot be shut down from the CLI")
	}
	if c.inEngine() {
		if err := s.d.Engine.SetAdminUp(c.id.String(), !down); err != nil {
			return engineErr(err)
		}
	}
	c.shutdown = down
	return nil
}

func (s *state) cmdDescription(ctx *command.Context, text string) error {
	if len(text) > maxDescription {
		return fmt.Errorf("Description longer than %d characters", maxDescription)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	if c.inEngine() {
		if err := s.d.Engine.SetDescription(c.id.String(), text); err != nil {
			return engineErr(err)
		}
	}
	c.desc = text
	return nil
}

func (s *state) cmdEncap(ctx *command.Context, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	switch c.kind {
	case kindMgmt:
		return errors.New("The management port cannot carry VLANs")
	case kindLoopback, kindSub:
		return fmt.Errorf("VLAN encapsulation is not supported on %s", c.id)
	}
	if !on {
		for _, o := range s.sortedLocked() {
			if o.kind == kindSub && o.id.major() == c.id {
				return fmt.Errorf("Remove the subinterfaces of %s first (%s)", c.id, o.id)
			}
		}
	}
	c.encap = on
	return nil
}

func (s *state) cmdVLANID(ctx *command.Context, req *command.Request) error {
	id := uint16(req.Int("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.currentLocked(ctx)
	if err != nil {
		return err
	}
	if c.kind != kindSub {
		return fmt.Errorf("%s is not a subinterface", c.id)
	}
	major := s.ifs[c.id.major().String()]
	if major == nil || !major.encap {
		return fmt.Errorf("VLAN encapsulation is not configured on %s (encapsulation vlan)", c.id.major())
	}
	if c.vlan == id {
		return nil
	}
	if c.vlan != 0 {
		return fmt.Errorf("VLAN ID %d is already configured on %s; delete the subinterface to change it", c.vlan, c.id)
	}
	for _, o := range s.sortedLocked() {
		if o.kind == kindSub && o.vlan == id && o.id.major() == c.id.major() {
			return fmt.Errorf("VLAN ID %d is already used by %s", id, o.id)
		}
	}
	name := c.id.String()
	if err := s.d.Engine.AddVLANInterface(name, major.id.String(), id); err != nil {
		return engineErr(err)
	}
	undo := func(err error) error {
		_ = s.d.Engine.DeleteInterface(name)
		return engineErr(err)
	}
	info, err := s.d.Engine.Interface(name)
	if err != nil {
		return undo(err)
	}
	c.vlan, c.baseMTU = id, info.MTU
	if c.desc != "" {
		if err := s.d.Engine.SetDescription(name, c.desc); err != nil {
			c.vlan = 0
			return undo(err)
		}
	}
	if m := s.effectiveMTU(c); m != info.MTU {
		if err := s.d.Engine.SetMTU(name, m); err != nil {
			c.vlan = 0
			return undo(err)
		}
	}
	if c.shutdown {
		if err := s.d.Engine.SetAdminUp(name, false); err != nil {
			c.vlan = 0
			return undo(err)
		}
	}
	return nil
}

// sortedLocked returns every interface in canonical order.
func (s *state) sortedLocked() []*ifConf {
	out := make([]*ifConf, 0, len(s.ifs))
	for _, c := range s.ifs {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *ifConf) int { return compareIDs(a.id, b.id) })
	return out
}

// engineErr turns a data-plane error into what the user reads; the
// original error stays reachable with errors.Is.
func engineErr(err error) error { return &engineError{err} }

type engineError struct{ err error }

func (e *engineError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "linecard: ")
	if msg == "" {
		return "Data plane error"
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func (e *engineError) Unwrap() error { return e.err }
