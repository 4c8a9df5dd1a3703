//go:build linux

package linecard

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// pinThread binds the calling OS thread to one CPU.
func pinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("linecard: pin to CPU %d: %w", cpu, err)
	}
	return nil
}

// niceThread sets the nice value of the calling OS thread (on Linux,
// PRIO_PROCESS with a thread ID affects that thread only).
func niceThread(nice int) error {
	if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice); err != nil {
		return fmt.Errorf("linecard: nice %d: %w", nice, err)
	}
	return nil
}
