package ppp

import (
	"testing"
	"unsafe"
)

// TestSessionSize keeps the per-subscriber PPP state small: a router holds
// tens of thousands of sessions (frames are built in pooled buffers, not
// in a buffer of each session).
func TestSessionSize(t *testing.T) {
	if n := unsafe.Sizeof(Session{}); n > 1024 {
		t.Fatalf("ppp.Session is %d bytes", n)
	}
}
