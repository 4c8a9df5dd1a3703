package main

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/erxos/erx/internal/ethtool"
)

// disableGRO turns generic receive offload off on a data port: a router
// must see the frames as they were on the wire, not coalesced TCP
// super-frames larger than the MTU (which its buffers would drop as
// giants). NICs without GRO answer EOPNOTSUPP, which is fine.
func disableGRO(nic string) error {
	if _, err := ethtool.Value(nic, ethtool.SetGRO, 0); err != nil && err != unix.EOPNOTSUPP {
		return fmt.Errorf("%s: disable GRO: %w", nic, err)
	}
	return nil
}
