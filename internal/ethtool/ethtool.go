// Package ethtool sets and reads a NIC's offload features through the
// legacy ethtool_value ioctls (linux/ethtool.h), so neither routerd nor
// the tests need the ethtool program.
package ethtool

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Legacy ethtool commands.
const (
	GetGRO = 0x2b // ETHTOOL_GGRO
	SetGRO = 0x2c // ETHTOOL_SGRO
	GetTSO = 0x1e // ETHTOOL_GTSO
	SetTSO = 0x1f // ETHTOOL_STSO
	SetGSO = 0x24 // ETHTOOL_SGSO
)

// Value runs one ethtool_value command on nic in the calling thread's
// network namespace: for a set command v is the new value; it returns the
// value the kernel leaves in the struct (the current one for a get).
func Value(nic string, cmd, v uint32) (uint32, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	val := struct{ cmd, data uint32 }{cmd, v}
	var ifr [unix.IFNAMSIZ + 24]byte
	copy(ifr[:unix.IFNAMSIZ-1], nic)
	*(*uintptr)(unsafe.Pointer(&ifr[unix.IFNAMSIZ])) = uintptr(unsafe.Pointer(&val))
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(&val)
	if errno != 0 {
		return 0, errno
	}
	return val.data, nil
}
