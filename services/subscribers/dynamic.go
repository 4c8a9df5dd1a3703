package subscribers

import (
	"context"
	"errors"
	"net/netip"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	erxradius "github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/services/access/subscriber"
)

// requestQuery extracts the session identification attributes of a
// dynamic request (Acct-Session-Id, User-Name, Framed-IP-Address); ok is
// false when it has none.
func requestQuery(p *radius.Packet) (q Query, csid, nasPortID string, ok bool) {
	q.AcctSessionID = rfc2866.AcctSessionID_GetString(p)
	q.Username = rfc2865.UserName_GetString(p)
	if ip := rfc2865.FramedIPAddress_Get(p); ip != nil {
		q.Address, _ = netip.AddrFromSlice(ip.To4())
	}
	csid = rfc2865.CallingStationID_GetString(p)
	nasPortID = erxNASPortID(p)
	return q, csid, nasPortID, q.AcctSessionID != "" || q.Username != "" || q.Address.IsValid()
}

func erxNASPortID(p *radius.Packet) string {
	if v := p.Get(87); v != nil { // NAS-Port-Id
		return string(v)
	}
	return ""
}

// HandleDisconnect implements radius.DynamicHandler: it ends every session
// matching the request's Acct-Session-Id, User-Name and Framed-IP-Address
// (all given ones must match). No identifying attribute: NAK 402; no such
// session: NAK 503.
func (e *Engine) HandleDisconnect(ctx context.Context, req *erxradius.DynamicRequest) (bool, erxradius.ErrorCause, radius.Attributes) {
	q, _, _, ok := requestQuery(req.Packet)
	if !ok {
		return false, erxradius.CauseMissingAttribute, nil
	}
	ss := e.table.Find(q)
	n := 0
	for _, s := range ss {
		if e.Disconnect(s.ID, subscriber.CauseAdminReset) {
			n++
		}
	}
	if n == 0 {
		return false, erxradius.CauseSessionContextNotFound, nil
	}
	return true, 0, nil
}

// HandleCoA implements radius.DynamicHandler. A CoA-Request carrying
// lawful-intercept VSAs goes to the mirroring hook (which finds the
// session itself and answers ACK or NAK 402/404/503); erx changes nothing
// else by CoA yet, so any other CoA-Request is NAKed: 503 when no session
// matches, else 405 (Unsupported Service).
func (e *Engine) HandleCoA(ctx context.Context, req *erxradius.DynamicRequest) (bool, erxradius.ErrorCause, radius.Attributes) {
	q, csid, nasPortID, ok := requestQuery(req.Packet)
	m, err := req.Mirror()
	e.mu.Lock()
	h := e.mirror
	e.mu.Unlock()
	if err != nil && errors.Is(err, erxradius.ErrBadMirror) && h == nil {
		return false, erxradius.CauseInvalidRequest, nil
	}
	// A malformed VSA (m.Err) goes to the hook too: it answers 404 and
	// keeps the failure in the secure mirror log.
	if (err == nil || errors.Is(err, erxradius.ErrBadMirror)) && m.Present() {
		if h == nil {
			return false, erxradius.CauseUnsupportedService, nil
		}
		vr, _ := erxradius.ERXString(req.Packet, erxradius.ERXVirtualRouterName)
		ack, cause := h(CoARequest{AcctSessionID: q.AcctSessionID, Username: q.Username, Address: q.Address,
			CallingStationID: csid, NASPortID: nasPortID, VirtualRouter: vr, Mirror: m, From: req.Source})
		return ack, cause, nil
	}
	if !ok {
		return false, erxradius.CauseMissingAttribute, nil
	}
	if len(e.table.Find(q)) == 0 {
		return false, erxradius.CauseSessionContextNotFound, nil
	}
	return false, erxradius.CauseUnsupportedService, nil
}
