// Package radiustest helps tests that need a RADIUS server.
//
// FakeServer is an in-process server on loopback UDP with programmable
// users: each user is accepted (with reply attributes, including
// salt-encrypted ERX mirroring VSAs), rejected, or silently dropped to
// exercise timeouts and failover. It also keeps the accounting requests it
// receives.
//
// FreeRADIUS starts the real FreeRADIUS 3 server (`freeradius -f -X`) from
// a copy of /etc/freeradius/3.0 in a temporary directory, with its own
// clients, users file, log, accounting and run directories and free
// loopback ports; its debug log is attached to the test on failure. Its
// accounting detail files are read back with ParseDetail, and Radclient runs
// radclient (for example CoA and Disconnect requests against the router's
// dynamic-request server) and parses what it prints.
//
// Tests that use FreeRADIUS fail, not skip, when the binaries are missing:
// the Makefile installs them.
package radiustest
