//go:build !linux

package linecard

// pinThread is a no-op where thread affinity is not supported.
func pinThread(int) error { return nil }

// niceThread is a no-op where per-thread priorities are not supported.
func niceThread(int) error { return nil }
