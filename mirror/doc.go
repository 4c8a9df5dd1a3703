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
// attaches them pointing at one bounded copy queue per analyzer. One
// goroutine per analyzer drains its queue, encapsulates every copy with
// the analyzer's Encoder (jmirror UDP prepend, or plain) and sends it
// through the data plane. Original traffic is never touched: copying is
// the data plane's job, and a full queue drops copies only.
//
// The engine knows nothing of the CLI; package mirrorcli registers the
// commands. It imports from other packages only the data plane's tap types;
// the session, RADIUS, route and store sides are small interfaces and
// plain types defined here.
package mirror
