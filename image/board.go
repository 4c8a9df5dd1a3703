package image

import (
	"fmt"
	"strings"
)

// Board describes what one hardware target needs from the image.
type Board struct {
	// Name is the value of erx.board on the kernel command line.
	Name string
	// KernelPackage is the Debian kernel metapackage to resolve.
	KernelPackage string
	// Modules are the module names to stage (dependencies are added).
	Modules []string
	// Consoles are the console= arguments, last one is /dev/console.
	Consoles []string
}

// Boards known to the builder.
var (
	// QEMUBoard is the default emulated chassis: the small cloud kernel and
	// virtio devices only.
	QEMUBoard = Board{
		Name:          "qemu",
		KernelPackage: "linux-image-cloud-amd64",
		Modules:       []string{"virtio_pci", "virtio_net", "virtio_blk", "virtio_rng"},
		Consoles:      []string{"ttyS0"},
	}
	// X86Board is a generic x86 PC booted from the ISO: the generic kernel
	// with virtio and the common Intel NIC and disk drivers. That kernel
	// has ext4 as a module, and ext4's metadata checksums need the crc32c
	// crypto driver (an ext4 soft dependency, which staging does not
	// follow), so both are listed.
	X86Board = Board{
		Name:          "x86",
		KernelPackage: "linux-image-amd64",
		Modules: []string{
			"virtio_pci", "virtio_net", "virtio_blk", "virtio_rng",
			"e1000", "e1000e", "igb", "ixgbe",
			"ahci", "sd_mod", "nvme",
			"crc32c_generic", "ext4",
		},
		Consoles: []string{"tty0", "ttyS0"},
	}
)

// BoardByName returns the board called name.
func BoardByName(name string) (Board, error) {
	switch name {
	case "", QEMUBoard.Name:
		return QEMUBoard, nil
	case X86Board.Name:
		return X86Board, nil
	}
	return Board{}, fmt.Errorf("unknown board %q (want qemu or x86)", name)
}

// Cmdline returns the kernel command line for the board.
func (b Board) Cmdline() string {
	var args []string
	for _, c := range b.Consoles {
		args = append(args, "console="+c)
	}
	// panic=-1 reboots at once on a panic (QEMU -no-reboot turns that into
	// an exit); quiet keeps the serial console from slowing the boot.
	args = append(args, "panic=-1", "quiet", "erx.board="+b.Name)
	return strings.Join(args, " ")
}
