// Package clock owns the notion of time used by the access protocols: a
// Clock interface with a real implementation and a manually advanced Fake
// for deterministic timer tests.
package clock
