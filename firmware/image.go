package firmware

import (
	"errors"
	"sync/atomic"
)

var inImage atomic.Bool

// ErrNotInImage is returned by duties that only the image may perform.
var ErrNotInImage = errors.New("firmware: not running inside the image")

// SetInImage records whether routerd runs as the image's init child
// (board.Board.InImage). Until it is called with true, Reboot, SetHostname,
// MountBasics, LoadModules and ApplySysctls do nothing to the host.
func SetInImage(v bool) { inImage.Store(v) }

// InImage reports what SetInImage recorded.
func InImage() bool { return inImage.Load() }
