// Package subscribers owns the subscriber sessions of the router: the
// session table every other part reads (one entry per PPPoE or IPoE
// subscriber, with its E Series identity: user name, interface, MAC,
// Calling-Station-Id, NAS-Port-Id, Acct-Session-Id, address, virtual
// router, option 82, RADIUS Class), the event bus that publishes each
// session's Login, AddressAssigned and Logout once to whoever subscribed
// (accounting, the mirroring engine, the CLI), the AAA front end
// (`aaa authentication ppp default radius|local|none`, accounting Start /
// Interim-Update / Stop, the CoA/Disconnect handler) and the glue Engine
// that receives punted PPPoE and DHCP frames from the line card
// (linecard.ControlPlane), drives the pppoe, ppp and dhcp engines and
// installs every subscriber in the data plane: a PPPoE subscriber
// interface with a host route, or for IPoE a host route and an ARP entry.
package subscribers
