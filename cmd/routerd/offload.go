package main

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Legacy ethtool ioctl commands (linux/ethtool.h).
const (
	ethtoolGGRO = 0x2b
	ethtoolSGRO = 0x2c
)

// disableGRO turns generic receive offload off on a data port: a router
// must see the frames as they were on the wire, not coalesced TCP
// super-frames larger than the MTU (which its buffers would drop as
// giants). NICs without GRO answer EOPNOTSUPP, which is fine.
func disableGRO(nic string) error {
	if err := ethtoolValue(nic, ethtoolSGRO, new(uint32)); err != nil && err != unix.EOPNOTSUPP {
		return fmt.Errorf("%s: disable GRO: %w", nic, err)
	}
	return nil
}

// groEnabled reports whether GRO is on for nic.
func groEnabled(nic string) (bool, error) {
	var v uint32
	if err := ethtoolValue(nic, ethtoolGGRO, &v); err != nil {
		return false, err
	}
	return v != 0, nil
}

// ethtoolValue runs a legacy ethtool_value ioctl: for a set command *v is
// the new value, for a get command it receives the current one.
func ethtoolValue(nic string, cmd uint32, v *uint32) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	val := struct{ cmd, data uint32 }{cmd, *v}
	var ifr [unix.IFNAMSIZ + 24]byte
	copy(ifr[:unix.IFNAMSIZ-1], nic)
	*(*uintptr)(unsafe.Pointer(&ifr[unix.IFNAMSIZ])) = uintptr(unsafe.Pointer(&val))
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(&val)
	if errno != 0 {
		return errno
	}
	*v = val.data
	return nil
}
