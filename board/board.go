package board

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Board is the chassis a router presents and the map of its ports to NICs.
type Board struct {
	Name        string     // board name: qemu, x86 or host
	Model       string     // chassis model the CLI shows, e.g. "E320-QEMU"
	Slots       []Slot     // occupied slots, by number
	Ports       []Port     // data ports, in slot/adapter/port order
	Management  Management // the management port (NIC empty: none)
	Modules     []string   // kernel modules the board needs, by name
	FlashDevice string     // block device of the flash; empty: a directory
	InImage     bool       // routerd is the image's init child
}

// Slot is one chassis slot holding a module.
type Slot struct {
	Number int
	Type   string // module type, e.g. "SRP-320" or "GE-8"
	State  string // "online"
}

// Port is one data port.
type Port struct {
	Name    string // CLI input form, "gigabitEthernet 2/0/0"
	Display string // display form, "GigabitEthernet2/0/0"
	Slot    int
	Adapter int
	Port    int
	NIC     string           // kernel interface name
	MAC     net.HardwareAddr // nil if unknown
}

// Management is the management port, owned by the kernel stack.
type Management struct {
	Port    string // CLI input form, "fastEthernet 6/0/0"
	Display string // "FastEthernet6/0/0"
	NIC     string // kernel interface name; empty: no management port
	MAC     net.HardwareAddr
	DHCP    bool         // address by DHCPv4
	Address netip.Prefix // static address when valid
	Gateway netip.Addr   // static default route when valid
}

// SRPSlot is the slot of the switch route processor.
const SRPSlot = 6

// ManagementPort is the management port's CLI name.
const ManagementPort = "fastEthernet 6/0/0"

// Port returns the port with the given CLI name (any case and spacing
// accepted by ParsePortName), or nil.
func (b *Board) Port(name string) *Port {
	_, s, a, p, err := ParsePortName(name)
	if err != nil {
		return nil
	}
	for i := range b.Ports {
		if b.Ports[i].Slot == s && b.Ports[i].Adapter == a && b.Ports[i].Port == p {
			return &b.Ports[i]
		}
	}
	return nil
}

// interface types accepted in port names, in canonical input form.
var portTypes = []string{"gigabitEthernet", "fastEthernet", "tenGigabitEthernet"}

// ParsePortName parses "gigabitEthernet 2/0/0" (type case-insensitive, the
// space optional) into its canonical type and numbers.
func ParsePortName(name string) (typ string, slot, adapter, port int, err error) {
	s := strings.TrimSpace(name)
	i := strings.IndexAny(s, "0123456789")
	if i <= 0 {
		return "", 0, 0, 0, fmt.Errorf("board: invalid port name %q", name)
	}
	t := strings.TrimSpace(s[:i])
	for _, pt := range portTypes {
		if strings.EqualFold(t, pt) {
			typ = pt
		}
	}
	if typ == "" {
		return "", 0, 0, 0, fmt.Errorf("board: invalid port name %q: unknown type %q", name, t)
	}
	nums := strings.Split(s[i:], "/")
	if len(nums) != 3 {
		return "", 0, 0, 0, fmt.Errorf("board: invalid port name %q: want slot/adapter/port", name)
	}
	var n [3]int
	for k, f := range nums {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 255 || f != strconv.Itoa(v) {
			return "", 0, 0, 0, fmt.Errorf("board: invalid port name %q: bad number %q", name, f)
		}
		n[k] = v
	}
	if n[0] > 16 {
		return "", 0, 0, 0, fmt.Errorf("board: invalid port name %q: slot %d out of range 0-16", name, n[0])
	}
	return typ, n[0], n[1], n[2], nil
}

// PortName returns the CLI input form, "gigabitEthernet 2/0/0".
func PortName(typ string, slot, adapter, port int) string {
	return fmt.Sprintf("%s %d/%d/%d", typ, slot, adapter, port)
}

// DisplayName returns the display form, "GigabitEthernet2/0/0".
func DisplayName(typ string, slot, adapter, port int) string {
	if typ == "" {
		return ""
	}
	return fmt.Sprintf("%s%s%d/%d/%d", strings.ToUpper(typ[:1]), typ[1:], slot, adapter, port)
}

// moduleType is the line module shown for ports of an interface type.
func moduleType(typ string) string {
	switch typ {
	case "fastEthernet":
		return "FE-8"
	case "tenGigabitEthernet":
		return "10GE"
	default:
		return "GE-8"
	}
}

// MissingNICError says a configured port names a NIC the kernel lacks.
type MissingNICError struct {
	Port, NIC string
}

// Error says which port lacks which NIC.
func (e *MissingNICError) Error() string {
	return fmt.Sprintf("board: port %s: NIC %s not found", e.Port, e.NIC)
}
