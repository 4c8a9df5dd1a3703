package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// DefaultBinary is the QEMU system emulator used when Config.Binary is empty.
const DefaultBinary = "qemu-system-x86_64"

// OVMF is the UEFI firmware image used for Firmware UEFI.
const OVMF = "/usr/share/ovmf/OVMF.fd"

// Firmware selects how an ISO is booted.
type Firmware int

// Firmware choices.
const (
	// BIOS boots with QEMU's default SeaBIOS.
	BIOS Firmware = iota
	// UEFI boots with OVMF.
	UEFI
)

// Accel is a QEMU accelerator.
type Accel string

// Accelerators.
const (
	// AccelAuto uses KVM when it works on this host (see KVMWorks), else TCG.
	AccelAuto Accel = ""
	// AccelKVM forces KVM.
	AccelKVM Accel = "kvm"
	// AccelTCG forces the TCG emulator.
	AccelTCG Accel = "tcg"
)

// DataPort is one data-plane NIC after the management NIC.
type DataPort struct {
	// TAP is the name of a host TAP device to attach (created by the caller).
	TAP string
	// Netdev is a raw -netdev backend without the id, used when TAP is
	// empty, e.g. "socket,listen=127.0.0.1:7000" or
	// "dgram,local.type=inet,local.host=127.0.0.1,local.port=7001,remote.type=inet,remote.host=127.0.0.1,remote.port=7002".
	Netdev string
	// MAC is the NIC's address; derived from the management port when empty.
	MAC string
}

// Config describes one VM.
type Config struct {
	// Binary is the QEMU binary; DefaultBinary when empty.
	Binary string
	// Kernel, Initrd and Append boot a kernel directly.
	Kernel, Initrd, Append string
	// ISO boots from a CD image instead of Kernel (with Firmware).
	ISO      string
	Firmware Firmware
	// MemoryMiB is the guest RAM (256–512 is plenty); 512 when zero.
	MemoryMiB int
	// CPUs is the number of vCPUs; 1 when zero.
	CPUs int
	// Flash is the raw flash disk image, attached as virtio-blk (/dev/vda).
	Flash string
	// SSHPort is the host port on 127.0.0.1 forwarded to guest port 22 on
	// the management NIC; zero means no forward.
	SSHPort int
	// MgmtMAC is the management NIC's MAC; derived from SSHPort when empty.
	MgmtMAC string
	// DataPorts are the data NICs, in port order after the management NIC.
	DataPorts []DataPort
	// ConsoleLog, when set, is a file receiving the serial console.
	ConsoleLog string
	// Console, when ConsoleLog is empty, receives the serial console.
	// When both are empty the console is the terminal (stdin/stdout) with
	// the QEMU monitor multiplexed: Ctrl-A X quits, Ctrl-A C the monitor.
	Console io.Writer
	// NoReboot makes a guest reboot (or panic with panic=-1) end QEMU.
	NoReboot bool
	// Accel selects the accelerator; AccelAuto probes KVM.
	Accel Accel
	// ExtraArgs are appended to the QEMU command line.
	ExtraArgs []string
}

// terminal reports whether the console is the controlling terminal.
func (c *Config) terminal() bool { return c.ConsoleLog == "" && c.Console == nil }

// mac returns the MAC of NIC index i (0 = management), derived from the
// SSH port so that VMs running side by side differ.
func (c *Config) mac(i int) string {
	if i == 0 && c.MgmtMAC != "" {
		return c.MgmtMAC
	}
	if i > 0 && c.DataPorts[i-1].MAC != "" {
		return c.DataPorts[i-1].MAC
	}
	p := c.SSHPort
	return fmt.Sprintf("52:54:%02x:%02x:%02x:%02x", (p>>8)&0xff, p&0xff, (i>>8)&0xff, i&0xff)
}

// Args returns the QEMU arguments (without the binary) for c, with the
// accelerator already resolved to accel.
func (c *Config) Args(accel Accel) ([]string, error) {
	if (c.Kernel == "") == (c.ISO == "") {
		return nil, errors.New("qemu config: set exactly one of Kernel and ISO")
	}
	if c.Kernel == "" && (c.Initrd != "" || c.Append != "") {
		return nil, errors.New("qemu config: Initrd and Append need Kernel")
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 512
	}
	cpus := c.CPUs
	if cpus == 0 {
		cpus = 1
	}
	a := []string{"-nodefaults", "-display", "none", "-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus)}
	switch accel {
	case AccelKVM:
		a = append(a, "-accel", "kvm", "-cpu", "host")
	case AccelTCG:
		a = append(a, "-accel", "tcg", "-cpu", "max")
	default:
		return nil, fmt.Errorf("qemu config: unresolved accelerator %q", accel)
	}
	if c.Kernel != "" {
		a = append(a, "-kernel", c.Kernel)
		if c.Initrd != "" {
			a = append(a, "-initrd", c.Initrd)
		}
		if c.Append != "" {
			a = append(a, "-append", c.Append)
		}
	} else {
		if c.Firmware == UEFI {
			a = append(a, "-bios", OVMF)
		}
		a = append(a, "-drive", "file="+c.ISO+",media=cdrom,readonly=on,if=ide,index=2", "-boot", "order=d")
	}
	if c.Flash != "" {
		if strings.Contains(c.Flash, ",") {
			return nil, fmt.Errorf("qemu config: flash path %q contains a comma", c.Flash)
		}
		a = append(a, "-drive", "file="+c.Flash+",if=virtio,format=raw,cache=writeback")
	}
	// Management NIC first, so the guest sees it as the first interface.
	mgmt := "user,id=mgmt"
	if c.SSHPort != 0 {
		mgmt += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:22", c.SSHPort)
	}
	a = append(a, "-netdev", mgmt, "-device", "virtio-net-pci,netdev=mgmt,mac="+c.mac(0))
	for i, p := range c.DataPorts {
		id := fmt.Sprintf("dp%d", i)
		var nd string
		switch {
		case p.TAP != "":
			nd = "tap,id=" + id + ",ifname=" + p.TAP + ",script=no,downscript=no"
		case p.Netdev != "":
			kind, rest, _ := strings.Cut(p.Netdev, ",")
			nd = kind + ",id=" + id
			if rest != "" {
				nd += "," + rest
			}
		default:
			return nil, fmt.Errorf("qemu config: data port %d has neither TAP nor Netdev", i)
		}
		a = append(a, "-netdev", nd, "-device", "virtio-net-pci,netdev="+id+",mac="+c.mac(i+1))
	}
	a = append(a, "-device", "virtio-rng-pci")
	switch {
	case c.ConsoleLog != "":
		a = append(a, "-serial", "file:"+c.ConsoleLog, "-monitor", "none")
	case c.Console != nil:
		a = append(a, "-serial", "stdio", "-monitor", "none")
	default:
		a = append(a, "-serial", "mon:stdio")
	}
	if c.NoReboot {
		a = append(a, "-no-reboot")
	}
	return append(a, c.ExtraArgs...), nil
}

// Command returns the QEMU command for c. With AccelAuto it probes KVM
// first (see KVMWorks). The caller starts and waits for the command.
func (c *Config) Command(ctx context.Context) (*exec.Cmd, error) {
	accel := c.Accel
	if accel == AccelAuto {
		accel = AccelTCG
		if probe := c.Kernel; probe != "" && KVMWorks(ctx, c.binary(), probe) {
			accel = AccelKVM
		}
	}
	args, err := c.Args(accel)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, c.binary(), args...)
	switch {
	case c.terminal():
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	case c.Console != nil && c.ConsoleLog == "":
		cmd.Stdout = c.Console
	}
	return cmd, nil
}

func (c *Config) binary() string {
	if c.Binary != "" {
		return c.Binary
	}
	return DefaultBinary
}
