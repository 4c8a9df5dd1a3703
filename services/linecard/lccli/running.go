package lccli

import (
	"bufio"
	"fmt"
	"io"
	"slices"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
)

// sections are the running-configuration sections. "lccli/interfaces"
// writes every interface block in canonical order with its layer-2 lines
// and, for interfaces of the default virtual router, its IP lines; its
// WriteVR writes, for another virtual router, the blocks of the
// interfaces whose IP is there (IP lines only). "lccli/routing" writes
// each virtual router's static routes and ARP entries. The tree puts the
// default virtual router's parts first and each other virtual router's
// after a `virtual-router NAME` line (see vrList).
func (s *state) sections() []command.ConfigSection {
	return []command.ConfigSection{
		{Order: command.OrderInterfaces, Name: "lccli/interfaces", Write: s.writeInterfaces, WriteVR: s.writeVRInterfaces},
		{Order: command.OrderRouting, Name: "lccli/routing", WriteVR: s.writeVRRouting},
	}
}

// vrList names the virtual routers other than default, for the tree.
func (s *state) vrList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	vrs := make([]string, 0, len(s.vrs))
	for vr := range s.vrs {
		vrs = append(vrs, vr)
	}
	slices.Sort(vrs)
	return vrs
}

func (s *state) writeInterfaces(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, c := range s.sortedLocked() {
		var lines []string
		if c.kind == kindSub && c.vlan != 0 {
			lines = append(lines, fmt.Sprintf("vlan id %d", c.vlan))
		}
		if c.desc != "" {
			lines = append(lines, "description "+c.desc)
		}
		if c.mtu != 0 {
			lines = append(lines, fmt.Sprintf("mtu %d", c.mtu))
		}
		if c.encap {
			lines = append(lines, "encapsulation vlan")
		}
		if c.vr == linecard.DefaultVirtualRouter {
			lines = append(lines, ipLines(c)...)
		}
		if c.shutdown {
			lines = append(lines, "shutdown")
		}
		if len(lines) == 0 && c.kind != kindLoopback {
			// A port with defaults, or a subinterface that never got a
			// VLAN ID (its `vlan id` failed): nothing to replay.
			continue
		}
		fmt.Fprintf(bw, "interface %s\n", c.id)
		for _, l := range lines {
			fmt.Fprintf(bw, " %s\n", l)
		}
	}
	return bw.Flush()
}

// ipLines are an interface's IP-layer sub-commands.
func ipLines(c *ifConf) []string {
	var out []string
	for i, p := range c.addrs {
		l := fmt.Sprintf("ip address %s %s", p.Addr(), maskString(p.Bits()))
		if i > 0 {
			l += " secondary"
		}
		out = append(out, l)
	}
	if c.ipMTU != 0 {
		out = append(out, fmt.Sprintf("ip mtu %d", c.ipMTU))
	}
	return out
}

// writeVRInterfaces writes the IP lines of the interfaces in virtual
// router vr; the default virtual router's are in writeInterfaces.
func (s *state) writeVRInterfaces(w io.Writer, vr string) error {
	if vr == linecard.DefaultVirtualRouter {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, c := range s.sortedLocked() {
		if c.vr != vr {
			continue
		}
		if lines := ipLines(c); len(lines) > 0 {
			fmt.Fprintf(bw, "interface %s\n", c.id)
			for _, l := range lines {
				fmt.Fprintf(bw, " %s\n", l)
			}
		}
	}
	return bw.Flush()
}

// writeVRRouting writes the static routes and ARP entries of one virtual
// router.
func (s *state) writeVRRouting(w io.Writer, vr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, r := range s.routes[vr] {
		via := r.nextHop.String()
		if r.iface != "" {
			via = r.iface
		}
		fmt.Fprintf(bw, "ip route %s %s %s", r.prefix.Addr(), maskString(r.prefix.Bits()), via)
		if r.distance != 0 {
			fmt.Fprintf(bw, " %d", r.distance)
		}
		fmt.Fprintln(bw)
	}
	for _, a := range s.arps[vr] {
		fmt.Fprintf(bw, "arp %s %s\n", a.addr, formatMAC(a.mac))
	}
	return bw.Flush()
}
