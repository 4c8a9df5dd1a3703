// Package memport provides in-memory port.Port pairs: what one end
// transmits, the other receives. Tests use them to drive the data plane
// without a kernel.
package memport
