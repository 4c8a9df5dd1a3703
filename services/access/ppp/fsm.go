package ppp

import (
	"fmt"
	"sync"
	"time"

	"github.com/erxos/erx/services/access/clock"
)

// State is an RFC 1661 §4.2 automaton state.
type State int

// Automaton states.
const (
	Initial State = iota
	Starting
	Closed
	Stopped
	Closing
	Stopping
	ReqSent
	AckRcvd
	AckSent
	Opened
)

var stateNames = [...]string{"Initial", "Starting", "Closed", "Stopped", "Closing", "Stopping", "Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened"}

// String returns the RFC name of the state.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// OptionHandler is what a control protocol (LCP, IPCP) plugs into the
// automaton: option negotiation and the this-layer actions.
type OptionHandler interface {
	// AppendRequest appends the options of our next Configure-Request.
	AppendRequest(b []byte) []byte
	// ReceiveRequest judges the peer's options. It returns CodeConfigureAck,
	// CodeConfigureNak or CodeConfigureReject and appends the options to
	// send back (for Ack, the caller echoes the request itself). When
	// rejectOnly is set, options that would be Nak'd must be rejected
	// instead (Max-Failure reached).
	ReceiveRequest(opts Options, out []byte, rejectOnly bool) (code uint8, resp []byte)
	// ReceiveAck reports whether an Ack matches what we requested.
	ReceiveAck(opts Options) bool
	// ReceiveNak and ReceiveReject adjust our next request.
	ReceiveNak(opts Options)
	ReceiveReject(opts Options)
	// Up, Down, Started and Finished are tlu, tld, tls and tlf.
	Up()
	Down()
	Started()
	Finished()
}

// configureReply ends an OptionHandler's ReceiveRequest from the options
// it would Nak and those it rejects: with rejectOnly the Nak'd options are
// rejected instead; any rejection makes a Configure-Reject, else any Nak a
// Configure-Nak, else the request is Ack'd.
func configureReply(out, nak, rej []byte, rejectOnly bool) (code uint8, resp []byte) {
	if rejectOnly && len(nak) > 0 {
		Options(nak).Each(func(typ uint8, v []byte) bool {
			rej = AppendOption(rej, typ, v)
			return true
		})
		nak = nak[:0]
	}
	switch {
	case len(rej) > 0:
		return CodeConfigureReject, append(out, rej...)
	case len(nak) > 0:
		return CodeConfigureNak, append(out, nak...)
	}
	return CodeConfigureAck, out
}

// Timing are the RFC 1661 §4.6 counters and timer.
type Timing struct {
	Restart      time.Duration // default 3s
	MaxTerminate int           // default 2
	MaxConfigure int           // default 10
	MaxFailure   int           // default 5
}

func (t *Timing) defaults() {
	if t.Restart <= 0 {
		t.Restart = 3 * time.Second
	}
	if t.MaxTerminate <= 0 {
		t.MaxTerminate = 2
	}
	if t.MaxConfigure <= 0 {
		t.MaxConfigure = 10
	}
	if t.MaxFailure <= 0 {
		t.MaxFailure = 5
	}
}

// FSM is the RFC 1661 option negotiation automaton for one protocol. It is
// not safe for concurrent use: its owner serializes calls, including the
// timer callbacks it schedules through AfterFunc.
type FSM struct {
	proto   uint16
	h       OptionHandler
	send    func(frame []byte)
	after   func(time.Duration, func()) clock.Timer
	timing  Timing
	state   State
	nextID  uint8
	reqID   uint8
	restart int
	naks    int
	timer   clock.Timer
	timerGn uint64
	// extra handles codes the automaton does not know (LCP echo etc.); it
	// returns false to have a Code-Reject sent.
	extra func(p Packet) bool
}

// framePool holds transmit buffers, so idle sessions hold none.
var framePool = sync.Pool{New: func() any { b := make([]byte, 1500); return &b }}

// NewFSM returns an automaton in the Initial state for proto. send
// transmits a full PPP frame (protocol field onward); after schedules the
// restart timer and must run its callback under the owner's lock.
func NewFSM(proto uint16, h OptionHandler, t Timing, send func([]byte), after func(time.Duration, func()) clock.Timer) *FSM {
	t.defaults()
	return &FSM{proto: proto, h: h, timing: t, send: send, after: after, nextID: 1}
}

// State returns the current state.
func (f *FSM) State() State { return f.state }

// SetExtra installs the handler for codes beyond 1-7.
func (f *FSM) SetExtra(fn func(p Packet) bool) { f.extra = fn }

func (f *FSM) startTimer() {
	f.stopTimer()
	gen := f.timerGn
	f.timer = f.after(f.timing.Restart, func() {
		if gen == f.timerGn {
			f.timeout()
		}
	})
}

func (f *FSM) stopTimer() {
	f.timerGn++
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
}

func (f *FSM) setState(s State) {
	f.state = s
	switch s {
	case Closing, Stopping, ReqSent, AckRcvd, AckSent:
	default:
		f.stopTimer()
	}
}

// Packet builders.

func (f *FSM) sendPacket(code, id uint8, data []byte) {
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	n, err := MarshalPacket(*bp, f.proto, code, id, data)
	if err != nil {
		return
	}
	f.send((*bp)[:n])
}

func (f *FSM) irc(n int) { f.restart = n }

func (f *FSM) scr() {
	var ob [256]byte
	opts := f.h.AppendRequest(ob[:0])
	f.reqID = f.nextID
	f.nextID++
	f.restart--
	f.sendPacket(CodeConfigureRequest, f.reqID, opts)
	f.startTimer()
}

func (f *FSM) str() {
	f.restart--
	id := f.nextID
	f.nextID++
	f.sendPacket(CodeTerminateRequest, id, nil)
	f.startTimer()
}

func (f *FSM) sta(id uint8) { f.sendPacket(CodeTerminateAck, id, nil) }

// SendCodeReject sends a Code-Reject carrying the rejected packet.
func (f *FSM) scj(p Packet) {
	id := f.nextID
	f.nextID++
	data := []byte(p)
	if len(data) > 1400 {
		data = data[:1400]
	}
	f.sendPacket(CodeCodeReject, id, data)
}

// NextID returns a fresh identifier for packets sent outside the automaton.
func (f *FSM) NextID() uint8 {
	id := f.nextID
	f.nextID++
	return id
}

// Up is the lower-layer-up event.
func (f *FSM) Up() {
	switch f.state {
	case Initial:
		f.setState(Closed)
	case Starting:
		f.irc(f.timing.MaxConfigure)
		f.naks = 0
		f.scr()
		f.setState(ReqSent)
	}
}

// Down is the lower-layer-down event.
func (f *FSM) Down() {
	switch f.state {
	case Closed, Closing:
		f.setState(Initial)
	case Stopped:
		f.setState(Starting)
		f.h.Started()
	case Stopping, ReqSent, AckRcvd, AckSent:
		f.setState(Starting)
	case Opened:
		f.setState(Starting)
		f.h.Down()
	}
}

// Open is the administrative Open event.
func (f *FSM) Open() {
	switch f.state {
	case Initial:
		f.setState(Starting)
		f.h.Started()
	case Closed:
		f.irc(f.timing.MaxConfigure)
		f.naks = 0
		f.scr()
		f.setState(ReqSent)
	case Closing:
		f.setState(Stopping)
	}
}

// Close is the administrative Close event.
func (f *FSM) Close() {
	switch f.state {
	case Starting:
		f.setState(Initial)
		f.h.Finished()
	case Stopped:
		f.setState(Closed)
	case Stopping:
		f.setState(Closing)
	case ReqSent, AckRcvd, AckSent:
		f.irc(f.timing.MaxTerminate)
		f.str()
		f.setState(Closing)
	case Opened:
		f.h.Down()
		f.irc(f.timing.MaxTerminate)
		f.str()
		f.setState(Closing)
	}
}

func (f *FSM) timeout() {
	if f.restart > 0 {
		switch f.state {
		case Closing, Stopping:
			f.str()
		case ReqSent, AckRcvd:
			f.scr()
			f.setState(ReqSent)
		case AckSent:
			f.scr()
		}
		return
	}
	switch f.state {
	case Closing:
		f.setState(Closed)
		f.h.Finished()
	case Stopping, ReqSent, AckRcvd, AckSent:
		f.setState(Stopped)
		f.h.Finished()
	}
}

// Input processes one control packet (Information field of a frame of
// this protocol). Malformed packets are silently discarded.
func (f *FSM) Input(b []byte) {
	p, err := ParsePacket(b)
	if err != nil {
		return
	}
	if f.state == Initial || f.state == Starting {
		return
	}
	switch p.Code() {
	case CodeConfigureRequest:
		f.rcr(p)
	case CodeConfigureAck:
		if p.Identifier() != f.reqID || !Options(p.Data()).Valid() {
			return
		}
		f.rca(p)
	case CodeConfigureNak, CodeConfigureReject:
		if p.Identifier() != f.reqID || !Options(p.Data()).Valid() {
			return
		}
		f.rcn(p)
	case CodeTerminateRequest:
		f.rtr(p)
	case CodeTerminateAck:
		f.rta()
	case CodeCodeReject:
		if len(p.Data()) >= 1 && p.Data()[0] >= CodeConfigureRequest && p.Data()[0] <= CodeTerminateAck {
			f.RejectFatal()
		}
		// RXJ+ otherwise: nothing to do but stay (Ack-Rcvd → Req-Sent).
		if f.state == AckRcvd {
			f.setState(ReqSent)
		}
	default:
		if f.extra == nil || !f.extra(p) {
			f.scj(p)
		}
	}
}

func (f *FSM) rcr(p Packet) {
	opts := Options(p.Data())
	if !opts.Valid() {
		return
	}
	switch f.state {
	case Closed:
		f.sta(p.Identifier())
		return
	case Closing, Stopping:
		return
	}
	var rb [256]byte
	code, resp := f.h.ReceiveRequest(opts, rb[:0], f.naks >= f.timing.MaxFailure)
	good := code == CodeConfigureAck
	if good {
		resp = p.Data()
	} else if code == CodeConfigureNak {
		f.naks++
	}
	if f.state == Stopped {
		f.irc(f.timing.MaxConfigure)
		f.scr()
	}
	if f.state == Opened {
		f.h.Down()
		f.scr()
	}
	f.sendPacket(code, p.Identifier(), resp)
	switch f.state {
	case Stopped, ReqSent, AckSent, Opened:
		if good {
			f.setState(AckSent)
		} else {
			f.setState(ReqSent)
		}
	case AckRcvd:
		if good {
			f.setState(Opened)
			f.h.Up()
		}
	}
}

func (f *FSM) rca(p Packet) {
	if !f.h.ReceiveAck(Options(p.Data())) {
		return
	}
	switch f.state {
	case Closed, Stopped:
		f.sta(p.Identifier())
	case ReqSent:
		f.irc(f.timing.MaxConfigure)
		f.setState(AckRcvd)
		f.startTimer()
	case AckRcvd:
		f.scr()
		f.setState(ReqSent)
	case AckSent:
		f.irc(f.timing.MaxConfigure)
		f.setState(Opened)
		f.h.Up()
	case Opened:
		f.h.Down()
		f.scr()
		f.setState(ReqSent)
	}
}

func (f *FSM) rcn(p Packet) {
	switch f.state {
	case Closed, Stopped:
		f.sta(p.Identifier())
		return
	case Closing, Stopping:
		return
	}
	if p.Code() == CodeConfigureNak {
		f.h.ReceiveNak(Options(p.Data()))
	} else {
		f.h.ReceiveReject(Options(p.Data()))
	}
	switch f.state {
	case ReqSent, AckSent:
		f.irc(f.timing.MaxConfigure)
		f.scr()
	case AckRcvd:
		f.scr()
		f.setState(ReqSent)
	case Opened:
		f.h.Down()
		f.scr()
		f.setState(ReqSent)
	}
}

func (f *FSM) rtr(p Packet) {
	switch f.state {
	case ReqSent, AckRcvd, AckSent:
		f.sta(p.Identifier())
		f.setState(ReqSent)
	case Opened:
		f.h.Down()
		f.restart = 0
		f.sta(p.Identifier())
		f.setState(Stopping)
		f.startTimer()
	default:
		f.sta(p.Identifier())
	}
}

func (f *FSM) rta() {
	switch f.state {
	case Closing:
		f.setState(Closed)
		f.h.Finished()
	case Stopping:
		f.setState(Stopped)
		f.h.Finished()
	case AckRcvd:
		f.setState(ReqSent)
	case Opened:
		f.h.Down()
		f.scr()
		f.setState(ReqSent)
	}
}

// RejectFatal is the RXJ- event: the peer rejected something this protocol
// cannot do without (a Code-Reject of a configuration code, or a
// Protocol-Reject of this protocol).
func (f *FSM) RejectFatal() {
	switch f.state {
	case Closed, Stopped:
		f.h.Finished()
	case Closing:
		f.setState(Closed)
		f.h.Finished()
	case Stopping, ReqSent, AckRcvd, AckSent:
		f.setState(Stopped)
		f.h.Finished()
	case Opened:
		f.h.Down()
		f.irc(f.timing.MaxTerminate)
		f.str()
		f.setState(Stopping)
	}
}

// Kill stops the restart timer and forces the Initial state without any
// action; used when the session is torn down under the automaton.
func (f *FSM) Kill() {
	f.stopTimer()
	f.state = Initial
}
