package lccli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/arp"
	"github.com/erxos/erx/services/linecard/fib"
	"github.com/erxos/erx/services/mgmt"
)

// execCommands are the show and clear commands.
func (s *state) execCommands() []*command.Command {
	return []*command.Command{
		{Syntax: "show interfaces [<if:interface>]", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "interfaces": "Display interface status and counters", "if": "Interface"},
			Run:  s.showInterfaces},
		{Syntax: "show ip interface [<if:interface>]", Modes: execModes, Privilege: 5,
			Help: command.Help{"ip": "Display IP information", "interface": "Display IP interfaces", "if": "Interface"},
			Run:  s.showIPInterface},
		{Syntax: "show ip interface brief", Modes: execModes, Privilege: 5,
			Help: command.Help{"ip": "Display IP information", "interface": "Display IP interfaces", "brief": "One line per interface"},
			Run:  s.showIPInterfaceBrief},
		{Syntax: "show ip route [<addr:A.B.C.D>]", Modes: execModes, Privilege: 5,
			Help: command.Help{"ip": "Display IP information", "route": "Display the routing table", "addr": "Show the route used for this address"},
			Run:  s.showIPRoute},
		{Syntax: "show arp", Modes: execModes, Privilege: 5,
			Help: command.Help{"arp": "Display the ARP table"},
			Run:  s.showARP},
		{Syntax: "show virtual-router", Modes: execModes, Privilege: 5,
			Help: command.Help{"virtual-router": "Display the virtual routers"},
			Run:  s.showVirtualRouter},
		{Syntax: "clear arp-cache", Modes: execModes, Privilege: 10,
			Help: command.Help{"clear": "Clear or reset functions", "arp-cache": "Clear the dynamic ARP entries of the virtual router"},
			Run:  s.clearARP},
		{Syntax: "clear interfaces [<if:interface>]", Modes: execModes, Privilege: 10,
			Help: command.Help{"clear": "Clear or reset functions", "interfaces": "Clear interface counters", "if": "Interface"},
			Run:  s.clearInterfaces},
	}
}

// lookupLocked finds the interface named by an interface argument.
func (s *state) lookupLocked(n command.InterfaceName) (*ifConf, error) {
	id, err := parseIfID(n)
	if err != nil {
		return nil, err
	}
	c := s.ifs[id.String()]
	if c == nil {
		if id.sub == 0 && id.typ != loopbackType {
			return nil, errInvalidInterface
		}
		return nil, fmt.Errorf("Interface %s does not exist", id)
	}
	return c, nil
}

// status is an interface's operational and administrative state.
type status struct {
	oper  string // Up, Down, LowerLayerDown
	admin string // Up, Down
}

func (s *state) statusLocked(c *ifConf) status {
	st := status{oper: "Up", admin: "Up"}
	if c.shutdown {
		st = status{oper: "Down", admin: "Down"}
	}
	switch c.kind {
	case kindMgmt:
		if s.d.Mgmt == nil || !s.d.Mgmt.State().Up {
			st.oper = "Down"
		}
	case kindSub:
		if st.oper == "Up" {
			if p := s.ifs[c.id.major().String()]; p != nil && p.shutdown {
				st.oper = "LowerLayerDown"
			} else if !c.inEngine() {
				st.oper = "Down"
			}
		}
	}
	return st
}

func (s *state) showInterfaces(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.sortedLocked()
	if req.Has("if") {
		c, err := s.lookupLocked(req.Interface("if"))
		if err != nil {
			return err
		}
		list = []*ifConf{c}
	}
	for _, c := range list {
		if err := s.writeInterfaceLocked(ctx.Out, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) writeInterfaceLocked(w io.Writer, c *ifConf) error {
	st := s.statusLocked(c)
	fmt.Fprintf(w, "%s is %s, Administrative status is %s\n", c.id.Display(), st.oper, st.admin)
	if c.desc != "" {
		fmt.Fprintf(w, "  Description: %s\n", c.desc)
	}
	switch c.kind {
	case kindMgmt:
		if m := s.d.Management.MAC; len(m) == 6 {
			fmt.Fprintf(w, "  Hardware is Ethernet, address is %s\n", formatMAC([6]byte(m)))
		} else {
			fmt.Fprintln(w, "  Hardware is Ethernet")
		}
		fmt.Fprintln(w, "  Management port: served by the kernel, no data-plane counters")
		return nil
	case kindLoopback:
		fmt.Fprintln(w, "  Hardware is Loopback")
	case kindSub:
		if !c.inEngine() {
			fmt.Fprintln(w, "  VLAN ID: not configured")
			return nil
		}
	}
	info, err := s.d.Engine.Interface(c.id.String())
	if err != nil {
		return engineErr(err)
	}
	if c.kind != kindLoopback {
		fmt.Fprintf(w, "  Hardware is Ethernet, address is %s\n", formatMAC(info.MAC))
	}
	if c.kind == kindSub {
		fmt.Fprintf(w, "  VLAN ID: %d\n", c.vlan)
	}
	fmt.Fprintf(w, "  MTU: Operational %d, Administrative %d\n", info.MTU, s.adminMTU(c))
	cnt, err := s.d.Engine.Counters(c.id.String())
	if err != nil {
		return engineErr(err)
	}
	writeCounters(w, &cnt)
	return nil
}

// writeCounters prints the counters anyone may see. The mirror counters
// (MirrorCopies, MirrorDrops) are secret and never printed here.
func writeCounters(w io.Writer, c *linecard.Counters) {
	fmt.Fprintf(w, "  In:  Packets %d, Bytes %d\n", c.InPackets, c.InBytes)
	fmt.Fprintf(w, "  Out: Packets %d, Bytes %d\n", c.OutPackets, c.OutBytes)
	fmt.Fprintf(w, "  To control plane %d, ICMP sent %d, ICMP rate-limited %d\n", c.Punted, c.ICMPSent, c.ICMPRateLimited)
	var reasons []string
	for r := linecard.DropReason(0); r < linecard.NumDropReasons; r++ {
		if n := c.Drops[r]; n != 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
	}
	if len(reasons) == 0 {
		fmt.Fprintln(w, "  Drops: 0")
		return
	}
	fmt.Fprintf(w, "  Drops: %d (%s)\n", c.DropsTotal(), strings.Join(reasons, ", "))
}

// protocolWord is the link protocol show ip interface names.
func protocolWord(c *ifConf) string {
	switch c.kind {
	case kindSub:
		return "VlanSub"
	case kindLoopback:
		return "Loopback"
	}
	return "Ethernet"
}

// ipAddrsLocked returns an interface's addresses as they are now (the
// management port's may come from DHCP).
func (s *state) ipAddrsLocked(c *ifConf) []netip.Prefix {
	if c.kind == kindMgmt {
		if s.d.Mgmt != nil {
			if a := s.d.Mgmt.State().Address; a.IsValid() {
				return []netip.Prefix{a}
			}
		}
		return nil
	}
	return c.addrs
}

// inVR reports whether c is shown in virtual router vr: its IP interface
// is there, or it has no address and vr is the default.
func inVR(c *ifConf, vr string) bool { return c.vr == vr }

func (s *state) showIPInterface(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*ifConf
	if req.Has("if") {
		c, err := s.lookupLocked(req.Interface("if"))
		if err != nil {
			return err
		}
		if !inVR(c, ctx.VR) || len(s.ipAddrsLocked(c)) == 0 {
			return fmt.Errorf("%s has no IP address in virtual router %s", c.id, ctx.VR)
		}
		list = []*ifConf{c}
	} else {
		for _, c := range s.sortedLocked() {
			if inVR(c, ctx.VR) && len(s.ipAddrsLocked(c)) > 0 {
				list = append(list, c)
			}
		}
	}
	w := ctx.Out
	for _, c := range list {
		addrs := s.ipAddrsLocked(c)
		line := "down"
		if s.statusLocked(c).oper == "Up" {
			line = "up"
		}
		fmt.Fprintf(w, "%s line protocol %s is %s, ip is %s\n", c.id.Display(), protocolWord(c), line, line)
		if c.desc != "" {
			fmt.Fprintf(w, "  Description: %s\n", c.desc)
		}
		fmt.Fprintln(w, "  Network Protocols: IP")
		for i, p := range addrs {
			label := "Internet address is"
			if i > 0 {
				label = "Secondary address is"
			}
			fmt.Fprintf(w, "  %s %s/%s\n", label, p.Addr(), maskString(p.Bits()))
		}
		fmt.Fprintf(w, "  Broadcast address is %s\n", broadcast(addrs[0]))
		if c.kind == kindMgmt {
			if s.d.Mgmt != nil && s.d.Mgmt.State().Mode == mgmt.ModeDHCP {
				fmt.Fprintln(w, "  Address assigned by DHCP")
			}
			continue
		}
		info, err := s.d.Engine.Interface(c.id.String())
		if err != nil {
			return engineErr(err)
		}
		fmt.Fprintf(w, "  Operational MTU = %d  Administrative MTU = %d\n", info.MTU, c.ipMTU)
		cnt, err := s.d.Engine.Counters(c.id.String())
		if err != nil {
			return engineErr(err)
		}
		fmt.Fprintf(w, "  In Received Packets %d, Bytes %d\n", cnt.InPackets, cnt.InBytes)
		fmt.Fprintf(w, "  Out Forwarded Packets %d, Bytes %d\n", cnt.OutPackets, cnt.OutBytes)
		if s.d.IPInterfaceDetail != nil {
			if err := s.d.IPInterfaceDetail(ctx, w, c.id.String(), cnt); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *state) showIPInterfaceBrief(ctx *command.Context, _ *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows [][]string
	for _, c := range s.sortedLocked() {
		if !inVR(c, ctx.VR) {
			continue
		}
		addr := "unassigned"
		addrs := s.ipAddrsLocked(c)
		if len(addrs) > 0 {
			addr = addrs[0].Addr().String()
		}
		st := "down"
		if s.statusLocked(c).oper == "Up" {
			st = "up"
		}
		proto := "down"
		if st == "up" && len(addrs) > 0 {
			proto = "up"
		}
		rows = append(rows, []string{c.id.Display(), addr, st, proto})
	}
	return table.Render(ctx.Out, []string{"Interface", "IP-Address", "Status", "Protocol"}, rows)
}

// routeLegend is printed above the routing table.
const routeLegend = "Protocol/Route type codes:\n  C- connected, L- local, S- static, H- host (subscriber access)\n\n"

func typeCode(t fib.Type) string {
	switch t {
	case fib.Connected:
		return "C"
	case fib.Local:
		return "L"
	case fib.Static:
		return "S"
	case fib.Host:
		return "H"
	}
	return t.String()
}

func (s *state) showIPRoute(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(ctx.VR) {
		return fmt.Errorf("Virtual router %s does not exist", ctx.VR)
	}
	all, err := s.d.Engine.Routes(ctx.VR)
	if err != nil {
		return engineErr(err)
	}
	var best []linecard.RouteInfo
	for _, r := range all {
		if r.Best {
			best = append(best, r)
		}
	}
	shown := best
	if req.Has("addr") {
		a := req.Addr("addr")
		var match []linecard.RouteInfo
		for _, r := range best {
			if r.Prefix.Contains(a) && (len(match) == 0 || r.Prefix.Bits() > match[0].Prefix.Bits()) {
				match = []linecard.RouteInfo{r}
			}
		}
		if len(match) == 0 {
			return errors.New("Network not in table")
		}
		shown = match
	}
	rows := make([][]string, 0, len(shown))
	for _, r := range shown {
		rows = append(rows, []string{r.Prefix.String(), typeCode(r.Type), s.nextHopLocked(r), fmt.Sprintf("%d/0", r.Distance), s.routeIfLocked(r, best)})
	}
	io.WriteString(ctx.Out, routeLegend)
	return table.Render(ctx.Out, []string{"Prefix/Length", "Type", "Next Hop", "Dist/Met", "Intf"}, rows)
}

// nextHopLocked is the Next Hop column: the gateway, or for connected
// and local routes the router's own address on that subnet.
func (s *state) nextHopLocked(r linecard.RouteInfo) string {
	if r.NextHop.IsValid() {
		return r.NextHop.String()
	}
	if c := s.ifs[r.Interface]; c != nil && (r.Type == fib.Connected || r.Type == fib.Local) {
		for _, p := range c.addrs {
			if r.Prefix.Contains(p.Addr()) {
				return p.Addr().String()
			}
		}
	}
	return table.Placeholder
}

// routeIfLocked is the Intf column; a route through a next hop shows the
// interface the next hop is reached on.
func (s *state) routeIfLocked(r linecard.RouteInfo, best []linecard.RouteInfo) string {
	name := r.Interface
	if name == "" && r.NextHop.IsValid() {
		bits := -1
		for _, o := range best {
			if o.Interface != "" && o.Type != fib.Local && o.Prefix.Contains(r.NextHop) && o.Prefix.Bits() > bits {
				name, bits = o.Interface, o.Prefix.Bits()
			}
		}
	}
	return s.displayLocked(name)
}

// displayLocked is an engine interface name in display form.
func (s *state) displayLocked(name string) string {
	if name == "" {
		return table.Placeholder
	}
	if c := s.ifs[name]; c != nil {
		return c.id.Display()
	}
	return name
}

func (s *state) showARP(ctx *command.Context, _ *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(ctx.VR) {
		return fmt.Errorf("Virtual router %s does not exist", ctx.VR)
	}
	entries, err := s.d.Engine.ARPEntries(ctx.VR)
	if err != nil {
		return engineErr(err)
	}
	now := s.d.Clock()
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		age, mac := table.Placeholder, formatMAC(e.MAC)
		if e.State != arp.Static {
			age = fmt.Sprint(int(max(now.Sub(e.Updated), 0).Minutes()))
		}
		if e.State == arp.Incomplete {
			mac = "incomplete"
		}
		rows = append(rows, []string{e.Addr.String(), age, mac, s.displayLocked(e.Interface)})
	}
	return table.Render(ctx.Out, []string{"Address", "Age", "Hardware Addr", "Interface"}, rows)
}

func (s *state) showVirtualRouter(ctx *command.Context, _ *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{linecard.DefaultVirtualRouter}
	for vr := range s.vrs {
		names = append(names, vr)
	}
	slices.Sort(names[1:])
	rows := make([][]string, 0, len(names))
	for _, vr := range names {
		n := 0
		for _, c := range s.ifs {
			if c.vr == vr && len(s.ipAddrsLocked(c)) > 0 {
				n++
			}
		}
		rows = append(rows, []string{vr, fmt.Sprint(n), fmt.Sprint(len(s.routes[vr])), fmt.Sprint(len(s.arps[vr]))})
	}
	return table.Render(ctx.Out, []string{"Virtual Router", "IP Interfaces", "Static Routes", "Static ARP"}, rows)
}

func (s *state) clearARP(ctx *command.Context, _ *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(ctx.VR) {
		return fmt.Errorf("Virtual router %s does not exist", ctx.VR)
	}
	for _, c := range s.sortedLocked() {
		if c.vr == ctx.VR && c.inEngine() {
			if err := s.d.Engine.ClearARP(c.id.String()); err != nil {
				return engineErr(err)
			}
		}
	}
	return nil
}

func (s *state) clearInterfaces(ctx *command.Context, req *command.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := ""
	if req.Has("if") {
		c, err := s.lookupLocked(req.Interface("if"))
		if err != nil {
			return err
		}
		if c.kind == kindMgmt {
			return errors.New("The management port's counters are kept by the kernel")
		}
		if !c.inEngine() {
			return nil
		}
		name = c.id.String()
	}
	if err := s.d.Engine.ClearCounters(name); err != nil {
		return engineErr(err)
	}
	return nil
}
