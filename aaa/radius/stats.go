package radius

import (
	"net/netip"
	"sync/atomic"
)

// ServerStats is a snapshot of one server's counters, for
// `show radius statistics`.
type ServerStats struct {
	Addr netip.AddrPort
	Dead bool // skipped until its dead-time ends

	Requests            uint64 // requests sent (first transmissions)
	Retransmits         uint64 // retransmissions
	Timeouts            uint64 // requests given up on after the last retransmission
	Accepts             uint64 // Access-Accept
	Rejects             uint64 // Access-Reject
	Challenges          uint64 // Access-Challenge
	AccountingResponses uint64 // Accounting-Response
	BadAuthenticators   uint64 // replies with a wrong Response Authenticator or Message-Authenticator
	Malformed           uint64 // replies that do not parse or have an unexpected code
	UnknownResponses    uint64 // replies matching no outstanding request (late, duplicate)
	Pending             uint64 // requests outstanding now
}

type serverCounters struct {
	requests, retransmits, timeouts                atomic.Uint64
	accepts, rejects, challenges, acctResponses    atomic.Uint64
	badAuthenticators, malformed, unknownResponses atomic.Uint64
	pending                                        atomic.Int64
}

func (c *serverCounters) snapshot(addr netip.AddrPort, dead bool) ServerStats {
	return ServerStats{
		Addr:                addr,
		Dead:                dead,
		Requests:            c.requests.Load(),
		Retransmits:         c.retransmits.Load(),
		Timeouts:            c.timeouts.Load(),
		Accepts:             c.accepts.Load(),
		Rejects:             c.rejects.Load(),
		Challenges:          c.challenges.Load(),
		AccountingResponses: c.acctResponses.Load(),
		BadAuthenticators:   c.badAuthenticators.Load(),
		Malformed:           c.malformed.Load(),
		UnknownResponses:    c.unknownResponses.Load(),
		Pending:             uint64(max(c.pending.Load(), 0)),
	}
}
