package board

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Env is where Load looks at the machine; tests point it at fake trees.
type Env struct {
	SysRoot string // sysfs mount, "/sys"
	DevRoot string // device nodes, "/dev"
}

// DefaultEnv is the running machine.
var DefaultEnv = Env{SysRoot: "/sys", DevRoot: "/dev"}

// Names of the boards Load knows.
const (
	QEMU = "qemu"
	X86  = "x86"
	Host = "host"
)

// FlashLabel is the ext4 label of the flash file system.
const FlashLabel = "erx-flash"

// Load builds the named board on the running machine. file is the board
// file of the host board and ignored by the others.
func Load(name, file string) (*Board, error) {
	return LoadEnv(DefaultEnv, name, file)
}

// LoadEnv is Load against env.
func LoadEnv(env Env, name, file string) (*Board, error) {
	switch name {
	case "", QEMU:
		return discovered(env, QEMU, "E320-QEMU", []string{"virtio_pci", "virtio_net", "virtio_blk"}, "/dev/vda")
	case X86:
		b, err := discovered(env, X86, "E320-X86", []string{"virtio_pci", "virtio_net", "virtio_blk", "e1000", "e1000e", "igb", "ixgbe"}, "")
		if err != nil {
			return nil, err
		}
		b.FlashDevice, err = FindFlash(env)
		if err != nil {
			return nil, err
		}
		return b, nil
	case Host:
		if file == "" {
			return nil, errors.New("board: host board needs a board file")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("board: %w", err)
		}
		f, err := ParseFile(data)
		if err != nil {
			return nil, fmt.Errorf("board: %s: %w", file, err)
		}
		return fromFile(env, f)
	default:
		return nil, fmt.Errorf("board: unknown board %q (want qemu, x86 or host)", name)
	}
}

// discovered builds a board whose ports are the machine's NICs in PCI
// order, the first being the management port.
func discovered(env Env, name, model string, modules []string, flashDev string) (*Board, error) {
	nics, err := DiscoverNICs(env.SysRoot)
	if err != nil {
		return nil, err
	}
	b := &Board{
		Name:        name,
		Model:       model,
		Slots:       []Slot{{Number: SRPSlot, Type: "SRP-320", State: "online"}},
		Modules:     modules,
		FlashDevice: flashDev,
		InImage:     true,
		Management: Management{
			Port:    ManagementPort,
			Display: DisplayName("fastEthernet", SRPSlot, 0, 0),
			DHCP:    true,
		},
	}
	if len(nics) == 0 {
		return b, nil
	}
	b.Management.NIC, b.Management.MAC = nics[0].Name, nics[0].MAC
	if len(nics) > 1 {
		b.Slots = append([]Slot{{Number: 2, Type: "GE-8", State: "online"}}, b.Slots...)
	}
	for i, n := range nics[1:] {
		b.Ports = append(b.Ports, Port{
			Name:    PortName("gigabitEthernet", 2, 0, i),
			Display: DisplayName("gigabitEthernet", 2, 0, i),
			Slot:    2, Adapter: 0, Port: i,
			NIC: n.Name, MAC: n.MAC,
		})
	}
	return b, nil
}

// NIC is a network interface found in sysfs.
type NIC struct {
	Name string
	PCI  string // PCI address "0000:00:03.0"; empty if not on PCI
	MAC  net.HardwareAddr
}

var pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

// DiscoverNICs lists the Ethernet NICs backed by a device (virtual ones
// such as lo, veth and bridges are left out), PCI ones first in PCI address
// order, then the others by name.
func DiscoverNICs(sysRoot string) ([]NIC, error) {
	dir := filepath.Join(sysRoot, "class", "net")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("board: discovering NICs: %w", err)
	}
	var nics []NIC
	for _, e := range ents {
		name := e.Name()
		dev, err := filepath.EvalSymlinks(filepath.Join(dir, name, "device"))
		if err != nil {
			continue // no backing device: virtual
		}
		if t := readTrim(filepath.Join(dir, name, "type")); t != "" && t != "1" {
			continue // not Ethernet
		}
		n := NIC{Name: name, MAC: readMAC(filepath.Join(dir, name, "address"))}
		for _, elem := range strings.Split(filepath.ToSlash(dev), "/") {
			if pciAddr.MatchString(elem) {
				n.PCI = elem
			}
		}
		nics = append(nics, n)
	}
	sort.SliceStable(nics, func(i, j int) bool {
		a, b := nics[i], nics[j]
		if (a.PCI == "") != (b.PCI == "") {
			return a.PCI != ""
		}
		if a.PCI != b.PCI {
			return a.PCI < b.PCI
		}
		return a.Name < b.Name
	})
	return nics, nil
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readMAC(p string) net.HardwareAddr {
	mac, err := net.ParseMAC(readTrim(p))
	if err != nil {
		return nil
	}
	return mac
}

// fromFile builds the host board from a parsed board file, checking that
// every NIC exists.
func fromFile(env Env, f *File) (*Board, error) {
	b := &Board{Name: f.Name, Model: f.Model, InImage: false}
	if b.Name == "" {
		b.Name = Host
	}
	if b.Model == "" {
		b.Model = "E320-HOST"
	}
	nicDir := filepath.Join(env.SysRoot, "class", "net")
	exists := func(nic string) bool {
		_, err := os.Stat(filepath.Join(nicDir, nic))
		return err == nil
	}
	b.Slots = []Slot{{Number: SRPSlot, Type: "SRP-320", State: "online"}}
	if m := f.Management; m != nil {
		typ, s, a, p, err := ParsePortName(m.Port)
		if m.Port == "" {
			typ, s, a, p, err = ParsePortName(ManagementPort)
		}
		if err != nil {
			return nil, err
		}
		b.Management = Management{
			Port: PortName(typ, s, a, p), Display: DisplayName(typ, s, a, p),
			NIC: m.NIC, DHCP: m.DHCP, Address: m.address, Gateway: m.gateway,
			MAC: readMAC(filepath.Join(nicDir, m.NIC, "address")),
		}
		if !exists(m.NIC) {
			return nil, &MissingNICError{Port: b.Management.Port, NIC: m.NIC}
		}
	}
	slots := map[int]string{}
	for _, fp := range f.Ports {
		typ, s, a, p, _ := ParsePortName(fp.Name) // validated by ParseFile
		port := Port{
			Name: PortName(typ, s, a, p), Display: DisplayName(typ, s, a, p),
			Slot: s, Adapter: a, Port: p, NIC: fp.NIC,
			MAC: readMAC(filepath.Join(nicDir, fp.NIC, "address")),
		}
		if !exists(fp.NIC) {
			return nil, &MissingNICError{Port: port.Name, NIC: fp.NIC}
		}
		b.Ports = append(b.Ports, port)
		if _, ok := slots[s]; !ok && s != SRPSlot {
			slots[s] = moduleType(typ)
		}
	}
	for s, t := range slots {
		b.Slots = append(b.Slots, Slot{Number: s, Type: t, State: "online"})
	}
	sort.Slice(b.Slots, func(i, j int) bool { return b.Slots[i].Number < b.Slots[j].Number })
	sort.Slice(b.Ports, func(i, j int) bool {
		x, y := b.Ports[i], b.Ports[j]
		if x.Slot != y.Slot {
			return x.Slot < y.Slot
		}
		if x.Adapter != y.Adapter {
			return x.Adapter < y.Adapter
		}
		return x.Port < y.Port
	})
	return b, nil
}

// FindFlash applies the x86 flash rule (see the package doc) and returns
// the device path, or "" when no disk qualifies.
func FindFlash(env Env) (string, error) {
	ents, err := os.ReadDir(filepath.Join(env.SysRoot, "block"))
	if err != nil {
		return "", fmt.Errorf("board: finding the flash: %w", err)
	}
	var disks []string
	for _, e := range ents {
		n := e.Name()
		skip := false
		for _, p := range []string{"loop", "ram", "zram", "sr", "dm-", "md", "fd", "nbd"} {
			if strings.HasPrefix(n, p) {
				skip = true
			}
		}
		if !skip {
			disks = append(disks, n)
		}
	}
	sort.Strings(disks)
	var blank string
	for _, n := range disks {
		dev := filepath.Join(env.DevRoot, n)
		head, err := readHead(dev, 1<<20)
		if err != nil {
			continue
		}
		if label, ok := Ext4Label(head); ok && label == FlashLabel {
			return dev, nil
		}
		if blank == "" && !isISO9660(head) && allZero(head) && len(head) > 0 {
			blank = dev
		}
	}
	return blank, nil
}

func readHead(dev string, n int) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return buf[:m], nil
}

// Ext4Label returns the volume label of the ext2/3/4 superblock in the
// first bytes of a device, and whether there is such a superblock.
func Ext4Label(head []byte) (string, bool) {
	const sb = 1024
	if len(head) < sb+136 {
		return "", false
	}
	if binary.LittleEndian.Uint16(head[sb+56:]) != 0xEF53 {
		return "", false
	}
	label := head[sb+120 : sb+136]
	if i := bytes.IndexByte(label, 0); i >= 0 {
		label = label[:i]
	}
	return string(label), true
}

func isISO9660(head []byte) bool {
	return len(head) >= 32774 && string(head[32769:32774]) == "CD001"
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
