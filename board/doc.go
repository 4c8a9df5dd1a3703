// Package board describes the chassis a router presents — the slots and
// modules the CLI shows — and maps its ports to the kernel's NICs.
//
// Three boards exist:
//
//   - qemu (the default): NICs are discovered in /sys/class/net and ordered
//     by PCI address. The first is the management port fastEthernet 6/0/0
//     (DHCP); the others are gigabitEthernet 2/0/0 … 2/0/N-1 on a GE-8 line
//     module in slot 2. Kernel modules virtio_pci, virtio_net, virtio_blk;
//     the flash is /dev/vda.
//   - x86 (appliances): ports as on qemu, with the drivers e1000, e1000e,
//     igb, ixgbe and virtio. The flash is found by this rule, over the whole
//     disks in /sys/block (loop, ram, zram, sr, dm and md devices excluded),
//     in name order: first, a disk whose ext4 superblock (at byte 1024)
//     carries the label erx-flash; otherwise, the first disk that is not the
//     boot medium (no ISO 9660 signature at byte 32769) and whose first MiB
//     is all zero. No such disk leaves FlashDevice empty.
//   - host: routerd as an ordinary process (InImage false) with ports
//     described by a JSON board file; the flash directory comes from
//     routerd's -flash flag.
//
// # Board file (host board)
//
//	{
//	  "name": "lab1",                    // optional, default "host"
//	  "model": "E320-HOST",              // optional
//	  "management": {                    // optional: no management port
//	    "port": "fastEthernet 6/0/0",    // optional, this default
//	    "nic": "veth-m0",
//	    "address": "192.0.2.2/24",       // static address, or
//	    "gateway": "192.0.2.1",          //   optional default route
//	    "dhcp": false                    // true: DHCPv4 instead
//	  },
//	  "ports": [
//	    {"name": "gigabitEthernet 2/0/0", "nic": "veth-r0"},
//	    {"name": "gigabitEthernet 2/0/1", "nic": "veth-r1"}
//	  ]
//	}
//
// (JSON has no comments; they only explain the fields here.) Port names are
// "gigabitEthernet", "fastEthernet" or "tenGigabitEthernet" followed by
// slot/adapter/port; slot 6 is the SRP. Unknown fields are errors. A NIC
// that does not exist makes Load fail with a *MissingNICError.
package board
