package mgmt

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// Register adds the management port's configuration commands to tree:
//
//	interface fastEthernet 6/0/0        (the board's management port)
//	 ip address A.B.C.D MASK            (static address; `no ip address` returns to the board default)
//
// port is the management port's input-form name ("fastEthernet 6/0/0");
// base is the board's own setting (DHCP or a static address), used when
// the configuration sets nothing.
//
// Deprecated: the management port is now one of the interfaces of the
// single `interface` command in services/linecard/lccli (Deps.Management
// and Deps.Mgmt). Register and lccli.Register cannot both be used on one
// tree (their `interface` commands clash); Register stays only until
// routerd calls lccli.Register, and is then to be deleted.
func Register(tree *command.Tree, p *Port, port string, base Config) error {
	if port == "" {
		return nil
	}
	var static netip.Prefix // configured address; zero when none
	apply := func() {
		cfg := base
		if static.IsValid() {
			cfg.DHCP, cfg.Address = false, static
			if cfg.Gateway.IsValid() && !static.Contains(cfg.Gateway) {
				cfg.Gateway = netip.Addr{}
			}
		}
		p.Set(cfg)
	}
	isMgmt := func(ctx *command.Context) bool {
		n, ok := ctx.ModeValue.(command.InterfaceName)
		return ok && strings.EqualFold(n.String(), port)
	}
	cmds := []*command.Command{{
		Syntax:    "interface <if:interface>",
		Modes:     []command.Mode{command.Config},
		Privilege: 10,
		Help:      command.Help{"interface": "Select an interface to configure", "if": "Interface"},
		Run: func(ctx *command.Context, req *command.Request) error {
			n := req.Interface("if")
			if !strings.EqualFold(n.String(), port) {
				return fmt.Errorf("interface %s does not exist", n)
			}
			ctx.EnterMode(command.ConfigIf, n)
			return nil
		},
	}, {
		Syntax:    "ip address <addr:A.B.C.D> <mask:mask>",
		Modes:     []command.Mode{command.ConfigIf},
		Privilege: 10,
		Help: command.Help{"ip": "Configure IP parameters", "address": "Set the IP address of an interface",
			"addr": "IP address", "mask": "IP subnet mask"},
		Run: func(ctx *command.Context, req *command.Request) error {
			if !isMgmt(ctx) {
				return fmt.Errorf("not supported on this interface")
			}
			bits, ok := maskBits(req.Addr("mask"))
			if !ok {
				return fmt.Errorf("invalid mask %s", req.Addr("mask"))
			}
			static = netip.PrefixFrom(req.Addr("addr"), bits)
			apply()
			return nil
		},
		NoSyntax: "ip address [<addr:A.B.C.D> <mask:mask>]",
		No: func(ctx *command.Context, req *command.Request) error {
			static = netip.Prefix{}
			apply()
			return nil
		},
	}}
	for _, c := range cmds {
		if err := tree.Register(c); err != nil {
			return fmt.Errorf("register %q: %w", c.Syntax, err)
		}
	}
	return tree.AddConfig(command.ConfigSection{
		Order: command.OrderInterfaces,
		Name:  "mgmt",
		Write: func(w io.Writer) error {
			if !static.IsValid() {
				return nil
			}
			_, err := fmt.Fprintf(w, "interface %s\n ip address %s %s\n", port, static.Addr(), maskString(static.Bits()))
			return err
		},
	})
}

// maskBits converts a dotted mask to a prefix length; a non-contiguous
// mask is refused.
func maskBits(m netip.Addr) (int, bool) {
	if !m.Is4() {
		return 0, false
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

func maskString(bits int) string {
	v := ^uint32(0) << (32 - bits)
	if bits == 0 {
		v = 0
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}
