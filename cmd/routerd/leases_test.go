package main

import (
	"context"
	"testing"
)

// TestLeasesResumeWithoutMirror: the DHCP leases restored from flash
// wait for the configuration to be replayed and the mirroring engine to
// start, and are resumed also when the engine fails to start.
func TestLeasesResumeWithoutMirror(t *testing.T) {
	r := treeRouter(t) // its mirroring engine is started: runMirror's Start fails
	if !r.subs.LeasesHeld() {
		t.Fatal("restored leases not held while the configuration is replayed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.runMirror(ctx); err == nil {
		t.Fatal("the mirroring engine started twice")
	}
	if r.subs.LeasesHeld() {
		t.Fatal("restored leases still held after the mirroring engine failed to start")
	}
}
