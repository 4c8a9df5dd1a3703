// Package firmware owns what routerd does as the image's init child: mount
// the basic file systems, load the staged kernel modules, set the hostname
// and the sysctls a router needs, supervise the long-lived services, log to
// the console and the flash, and reboot. Duties that only make sense inside
// the image are refused or skipped unless SetInImage(true) was called, so
// routerd on the host board never touches the host's mounts, hostname or
// power state.
package firmware
