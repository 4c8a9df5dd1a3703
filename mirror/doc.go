// Package mirror is the packet-mirroring (lawful intercept) engine of erx,
// emulating JunosE CLI-based and RADIUS-based secure packet mirroring.
//
// It owns the secure state: secure IP policy lists and their mirror rules,
// `ip policy secure-input|secure-output` attachments, `ip analyzer`
// interfaces, user trigger rules (`mirror <trigger> <value> ip
// secure-policy-list <name>` and `mirror disable ...`), dynamic `spl_`
// policies created from RADIUS Access-Accepts and CoA requests, analyzer
// reachability (route tracking), the secure mirror log, and the secure
// store that keeps the static part across reloads apart from the ordinary
// configuration.
//
// From that state it derives, after every change, which data-plane taps
// must exist (interface directions or subscriber session interfaces), and
// attaches them pointing at one data-plane delivery per analyzer: the
// analyzer's encoder (jmirror UDP prepend, or plain; ERSPAN or ETSI would
// be further linecard.CopyEncoders) and its resolved next hop, kept up to
// date by route tracking. The data-plane worker that sees a packet builds
// and sends the copy itself. Original traffic is never touched or
// delayed: copies that cannot be made or sent are dropped and counted.
//
// The engine knows nothing of the CLI; package mirrorcli registers the
// commands. It imports from other packages only the data plane's tap types;
// the session, RADIUS, route and store sides are small interfaces and
// plain types defined here.
package mirror
