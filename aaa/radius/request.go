package radius

import (
	"context"
	"crypto/md5"
	"fmt"
	"net"
	"net/netip"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"
)

// AccessRequest is what subscriber access knows when it authenticates a
// subscriber. Set Password for PAP, or CHAPID/CHAPChallenge/CHAPResponse
// for CHAP.
type AccessRequest struct {
	UserName string
	Password string // PAP

	CHAPID        byte
	CHAPChallenge []byte // the challenge the router sent (CHAP-Challenge, 60)
	CHAPResponse  []byte // the peer's 16-byte response

	Port             *Port  // NAS-Port, NAS-Port-Id, NAS-Port-Type
	CallingStationID string // e.g. FormatMAC(mac, MACDotted)
	ServiceType      rfc2865.ServiceType
	FramedProtocol   rfc2865.FramedProtocol
	Extra            radius.Attributes // appended as they are
}

// Request encodes a as a secret-independent Request.
func (a AccessRequest) Request() (*Request, error) {
	p := radius.New(radius.CodeAccessRequest, nil)
	if err := rfc2865.UserName_SetString(p, a.UserName); err != nil {
		return nil, fmt.Errorf("radius: User-Name: %w", err)
	}
	req := &Request{Code: radius.CodeAccessRequest}
	switch {
	case a.CHAPResponse != nil:
		if len(a.CHAPResponse) != 16 {
			return nil, fmt.Errorf("radius: CHAP response of %d bytes", len(a.CHAPResponse))
		}
		if len(a.CHAPChallenge) == 0 || len(a.CHAPChallenge) > 253 {
			return nil, fmt.Errorf("radius: CHAP challenge of %d bytes", len(a.CHAPChallenge))
		}
		p.Add(rfc2865.CHAPPassword_Type, append([]byte{a.CHAPID}, a.CHAPResponse...))
		p.Add(rfc2865.CHAPChallenge_Type, append([]byte(nil), a.CHAPChallenge...))
	default:
		req.Password = []byte(a.Password)
	}
	if a.ServiceType != 0 {
		_ = rfc2865.ServiceType_Set(p, a.ServiceType)
	}
	if a.FramedProtocol != 0 {
		_ = rfc2865.FramedProtocol_Set(p, a.FramedProtocol)
	}
	if err := setNASPort(p, a.Port); err != nil {
		return nil, fmt.Errorf("radius: NAS port: %w", err)
	}
	if a.CallingStationID != "" {
		if err := rfc2865.CallingStationID_SetString(p, a.CallingStationID); err != nil {
			return nil, fmt.Errorf("radius: Calling-Station-Id: %w", err)
		}
	}
	p.Attributes = append(p.Attributes, a.Extra...)
	req.Attributes = p.Attributes
	return req, nil
}

// Authenticate sends an Access-Request for a. The reply is an
// Access-Accept, Access-Reject or Access-Challenge; inspect resp.Code.
func (c *Client) Authenticate(ctx context.Context, a AccessRequest) (*Response, error) {
	req, err := a.Request()
	if err != nil {
		return nil, err
	}
	return c.Exchange(ctx, req)
}

// CHAPResponse computes the RFC 1994 response MD5(id || secret ||
// challenge), as a CHAP peer does.
func CHAPResponse(id byte, secret string, challenge []byte) []byte {
	h := md5.New()
	h.Write([]byte{id})
	h.Write([]byte(secret))
	h.Write(challenge)
	return h.Sum(nil)
}

// AcctStatus is the Acct-Status-Type of an accounting record.
type AcctStatus = rfc2866.AcctStatusType

// Accounting record kinds.
const (
	AcctStart   = rfc2866.AcctStatusType_Value_Start
	AcctStop    = rfc2866.AcctStatusType_Value_Stop
	AcctInterim = rfc2866.AcctStatusType_Value_InterimUpdate
	AcctOn      = rfc2866.AcctStatusType_Value_AccountingOn
	AcctOff     = rfc2866.AcctStatusType_Value_AccountingOff
)

// TerminateCause is an Acct-Terminate-Cause value (RFC 2866 §5.10).
type TerminateCause = rfc2866.AcctTerminateCause

// AccountingRecord is one Start, Interim-Update or Stop of a subscriber
// session.
type AccountingRecord struct {
	Status           AcctStatus
	SessionID        string // Acct-Session-Id
	UserName         string
	Port             *Port
	CallingStationID string
	FramedIP         netip.Addr
	Class            [][]byte // Class attributes of the Access-Accept, echoed back

	SessionTime   time.Duration // Interim and Stop
	InputOctets   uint64        // from the subscriber; above 32 bits in Acct-Input-Gigawords
	OutputOctets  uint64
	InputPackets  uint64 // above 32 bits in ERX-Input-Gigapkts
	OutputPackets uint64

	TerminateCause TerminateCause // Stop only; 0: not sent
	EventTime      time.Time      // Event-Timestamp; zero: now
	DelayTime      time.Duration  // how long the record waited before this send; Acct-Delay-Time grows from it on failover
	Extra          radius.Attributes
}

// Request encodes r as a Request.
func (r AccountingRecord) Request() (*Request, error) {
	p := radius.New(radius.CodeAccountingRequest, nil)
	_ = rfc2866.AcctStatusType_Set(p, r.Status)
	if err := rfc2866.AcctSessionID_SetString(p, r.SessionID); err != nil {
		return nil, fmt.Errorf("radius: Acct-Session-Id: %w", err)
	}
	if r.UserName != "" {
		if err := rfc2865.UserName_SetString(p, r.UserName); err != nil {
			return nil, fmt.Errorf("radius: User-Name: %w", err)
		}
	}
	if err := setNASPort(p, r.Port); err != nil {
		return nil, fmt.Errorf("radius: NAS port: %w", err)
	}
	if r.CallingStationID != "" {
		if err := rfc2865.CallingStationID_SetString(p, r.CallingStationID); err != nil {
			return nil, fmt.Errorf("radius: Calling-Station-Id: %w", err)
		}
	}
	if r.FramedIP.Is4() {
		a := r.FramedIP.As4()
		_ = rfc2865.FramedIPAddress_Set(p, net.IP(a[:]))
	}
	for _, c := range r.Class {
		if err := rfc2865.Class_Add(p, c); err != nil {
			return nil, fmt.Errorf("radius: Class: %w", err)
		}
	}
	if r.Status == AcctInterim || r.Status == AcctStop {
		_ = rfc2866.AcctSessionTime_Set(p, rfc2866.AcctSessionTime(r.SessionTime/time.Second))
		_ = rfc2866.AcctInputOctets_Set(p, rfc2866.AcctInputOctets(uint32(r.InputOctets)))
		_ = rfc2866.AcctOutputOctets_Set(p, rfc2866.AcctOutputOctets(uint32(r.OutputOctets)))
		_ = rfc2869.AcctInputGigawords_Set(p, rfc2869.AcctInputGigawords(uint32(r.InputOctets>>32)))
		_ = rfc2869.AcctOutputGigawords_Set(p, rfc2869.AcctOutputGigawords(uint32(r.OutputOctets>>32)))
		_ = rfc2866.AcctInputPackets_Set(p, rfc2866.AcctInputPackets(uint32(r.InputPackets)))
		_ = rfc2866.AcctOutputPackets_Set(p, rfc2866.AcctOutputPackets(uint32(r.OutputPackets)))
		if hi := uint32(r.InputPackets >> 32); hi != 0 {
			_ = ERXSetInteger(p, ERXInputGigapkts, hi)
		}
		if hi := uint32(r.OutputPackets >> 32); hi != 0 {
			_ = ERXSetInteger(p, ERXOutputGigapkts, hi)
		}
	}
	if r.Status == AcctStop && r.TerminateCause != 0 {
		_ = rfc2866.AcctTerminateCause_Set(p, r.TerminateCause)
	}
	t := r.EventTime
	if t.IsZero() {
		t = time.Now()
	}
	if err := rfc2869.EventTimestamp_Set(p, t); err != nil {
		return nil, fmt.Errorf("radius: Event-Timestamp: %w", err)
	}
	p.Attributes = append(p.Attributes, r.Extra...)
	return &Request{Code: radius.CodeAccountingRequest, Attributes: p.Attributes, Queued: time.Now().Add(-r.DelayTime)}, nil
}

// Account sends an accounting record and waits for its
// Accounting-Response. When no server answers the record is lost (JunosE
// drops it) and the error says so.
func (c *Client) Account(ctx context.Context, r AccountingRecord) (*Response, error) {
	req, err := r.Request()
	if err != nil {
		return nil, err
	}
	return c.Exchange(ctx, req)
}
