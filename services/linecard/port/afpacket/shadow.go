//go:build linux

package afpacket

import (
	"fmt"
	"net"
	"strings"

	"github.com/jsimonetti/rtnetlink/v2"
)

// shadowAliasPrefix starts the interface alias (IFLA_IFALIAS) a port with
// Config.ShadowMAC records its own MAC address in while the kernel carries
// the shadow. The alias lives with the interface, so a routerd that died
// without Close (a crash, SIGKILL) finds its address again at the next
// Open instead of taking the shadow for its own and shadowing that.
const shadowAliasPrefix = "erx: shadow of "

// ownMAC is the port's own address: the one the alias records when the
// kernel still carries its shadow, else the kernel's current one.
func ownMAC(ifindex int, current [6]byte) ([6]byte, error) {
	alias, err := linkAlias(ifindex)
	if err != nil {
		return current, err
	}
	s, ok := strings.CutPrefix(alias, shadowAliasPrefix)
	if !ok {
		return current, nil
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return current, nil
	}
	if own := [6]byte(hw); shadowOf(own) == current {
		return own, nil
	}
	return current, nil
}

// linkAlias reads the interface's alias ("" when it has none).
func linkAlias(ifindex int) (string, error) {
	c, err := rtnetlink.Dial(nil)
	if err != nil {
		return "", fmt.Errorf("afpacket: rtnetlink: %w", err)
	}
	defer c.Close()
	m, err := c.Link.Get(uint32(ifindex))
	if err != nil {
		return "", fmt.Errorf("afpacket: link %d: %w", ifindex, err)
	}
	if m.Attributes == nil || m.Attributes.Alias == nil {
		return "", nil
	}
	return *m.Attributes.Alias, nil
}

// setLinkAlias sets the interface's alias; "" removes it.
func setLinkAlias(ifindex int, alias string) error {
	c, err := rtnetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("afpacket: rtnetlink: %w", err)
	}
	defer c.Close()
	if err := c.Link.Set(&rtnetlink.LinkMessage{Index: uint32(ifindex), Attributes: &rtnetlink.LinkAttributes{Alias: &alias}}); err != nil {
		return fmt.Errorf("afpacket: set alias of link %d: %w", ifindex, err)
	}
	return nil
}
