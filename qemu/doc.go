// Package qemu launches erx images under QEMU: it turns a Config (kernel
// or ISO, flash disk, management and data NICs, console) into an exec.Cmd,
// picks KVM only when it really works on this host and TCG otherwise, and
// provides a boot harness for tests (Boot, WaitSSHBanner) that puts the
// tail of the serial console into every failure message.
package qemu
