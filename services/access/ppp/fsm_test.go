package ppp

import (
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/services/access/clock"
)

// recHandler is an OptionHandler that accepts everything and records the
// this-layer actions.
type recHandler struct {
	actions []string
	nak     bool
}

func (h *recHandler) AppendRequest(b []byte) []byte { return appendOption16(b, LCPOptMRU, 1492) }
func (h *recHandler) ReceiveRequest(o Options, out []byte, rejectOnly bool) (uint8, []byte) {
	if h.nak {
		if rejectOnly {
			return CodeConfigureReject, append(out, o...)
		}
		return CodeConfigureNak, appendOption16(out, LCPOptMRU, 1492)
	}
	return CodeConfigureAck, out
}
func (h *recHandler) ReceiveAck(Options) bool { return true }
func (h *recHandler) ReceiveNak(Options)      {}
func (h *recHandler) ReceiveReject(Options)   {}
func (h *recHandler) Up()                     { h.actions = append(h.actions, "tlu") }
func (h *recHandler) Down()                   { h.actions = append(h.actions, "tld") }
func (h *recHandler) Started()                { h.actions = append(h.actions, "tls") }
func (h *recHandler) Finished()               { h.actions = append(h.actions, "tlf") }

type fsmRig struct {
	f    *FSM
	h    *recHandler
	clk  *clock.Fake
	sent []uint8 // codes
}

func newFSMRig() *fsmRig {
	r := &fsmRig{h: &recHandler{}, clk: clock.NewFake(time.Unix(0, 0))}
	r.f = NewFSM(ProtoLCP, r.h, Timing{}, func(b []byte) { r.sent = append(r.sent, b[2]) }, r.clk.AfterFunc)
	return r
}

// do runs one event: up, down, open, close, to (restart timer expiry),
// rcr+, rcr-, rca, rcn, rtr, rta, ruc, rxj-.
func (r *fsmRig) do(ev string) {
	pkt := func(code uint8, id uint8, data []byte) []byte {
		b := make([]byte, 6+len(data))
		n, _ := MarshalPacket(b, ProtoLCP, code, id, data)
		return b[2:n]
	}
	switch ev {
	case "up":
		r.f.Up()
	case "down":
		r.f.Down()
	case "open":
		r.f.Open()
	case "close":
		r.f.Close()
	case "to":
		r.clk.Advance(3 * time.Second)
	case "rcr+":
		r.h.nak = false
		r.f.Input(pkt(CodeConfigureRequest, 77, mru(1492)))
	case "rcr-":
		r.h.nak = true
		r.f.Input(pkt(CodeConfigureRequest, 77, mru(9000)))
	case "rca":
		r.f.Input(pkt(CodeConfigureAck, r.f.reqID, r.h.AppendRequest(nil)))
	case "rcn":
		r.f.Input(pkt(CodeConfigureNak, r.f.reqID, mru(1400)))
	case "rtr":
		r.f.Input(pkt(CodeTerminateRequest, 5, nil))
	case "rta":
		r.f.Input(pkt(CodeTerminateAck, 5, nil))
	case "ruc":
		r.f.Input(pkt(42, 5, nil))
	case "rxj-":
		r.f.Input(pkt(CodeCodeReject, 5, []byte{CodeConfigureRequest, 1, 0, 4}))
	}
}

var codeNames = map[uint8]string{
	CodeConfigureRequest: "scr", CodeConfigureAck: "sca", CodeConfigureNak: "scn", CodeConfigureReject: "scj-opt",
	CodeTerminateRequest: "str", CodeTerminateAck: "sta", CodeCodeReject: "scj",
}

func TestFSMTransitions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   string // events to reach the starting state
		events  string // events under test
		want    State
		sent    string // packets sent by the events under test
		actions string // this-layer actions by the events under test
	}{
		{"initial up", "", "up", Closed, "", ""},
		{"initial open", "", "open", Starting, "", "tls"},
		{"starting up", "open", "up", ReqSent, "scr", ""},
		{"starting close", "open", "close", Initial, "", "tlf"},
		{"closed open", "up", "open", ReqSent, "scr", ""},
		{"closed rcr", "up", "rcr+", Closed, "sta", ""},
		{"closed down", "up", "down", Initial, "", ""},
		{"reqsent rcr+", "open up", "rcr+", AckSent, "sca", ""},
		{"reqsent rcr-", "open up", "rcr-", ReqSent, "scn", ""},
		{"reqsent rca", "open up", "rca", AckRcvd, "", ""},
		{"reqsent rcn", "open up", "rcn", ReqSent, "scr", ""},
		{"reqsent to+", "open up", "to", ReqSent, "scr", ""},
		{"reqsent to- after max-configure", "open up", "to to to to to to to to to to", Stopped, "scr scr scr scr scr scr scr scr scr", "tlf"},
		{"reqsent rtr", "open up", "rtr", ReqSent, "sta", ""},
		{"reqsent close", "open up", "close", Closing, "str", ""},
		{"ackrcvd rcr+", "open up rca", "rcr+", Opened, "sca", "tlu"},
		{"ackrcvd rcr-", "open up rca", "rcr-", AckRcvd, "scn", ""},
		{"ackrcvd rca crossed", "open up rca", "rca", ReqSent, "scr", ""},
		{"ackrcvd to", "open up rca", "to", ReqSent, "scr", ""},
		{"acksent rca", "open up rcr+", "rca", Opened, "", "tlu"},
		{"acksent rcr-", "open up rcr+", "rcr-", ReqSent, "scn", ""},
		{"acksent rcn", "open up rcr+", "rcn", AckSent, "scr", ""},
		{"opened rcr+", "open up rcr+ rca", "rcr+", AckSent, "scr sca", "tld"},
		{"opened rca", "open up rcr+ rca", "rca", ReqSent, "scr", "tld"},
		{"opened rtr", "open up rcr+ rca", "rtr", Stopping, "sta", "tld"},
		{"stopping to", "open up rcr+ rca rtr", "to", Stopped, "", "tlf"},
		{"opened close", "open up rcr+ rca", "close", Closing, "str", "tld"},
		{"closing rta", "open up rcr+ rca close", "rta", Closed, "", "tlf"},
		{"closing to+ to-", "open up rcr+ rca close", "to to", Closed, "str", "tlf"},
		{"closing open", "open up rcr+ rca close", "open", Stopping, "", ""},
		{"opened down", "open up rcr+ rca", "down", Starting, "", "tld"},
		{"opened ruc", "open up rcr+ rca", "ruc", Opened, "scj", ""},
		{"opened rxj-", "open up rcr+ rca", "rxj-", Stopping, "str", "tld"},
		{"reqsent rxj-", "open up", "rxj-", Stopped, "", "tlf"},
		{"stopped rcr+", "open up rxj-", "rcr+", AckSent, "scr sca", ""},
		{"stopped close", "open up rxj-", "close", Closed, "", ""},
		{"stopped down", "open up rxj-", "down", Starting, "", "tls"},
		{"max-failure turns nak into reject", "open up", "rcr- rcr- rcr- rcr- rcr- rcr-", ReqSent, "scn scn scn scn scn scj-opt", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFSMRig()
			for _, ev := range strings.Fields(tc.setup) {
				r.do(ev)
			}
			r.sent, r.h.actions = nil, nil
			for _, ev := range strings.Fields(tc.events) {
				r.do(ev)
			}
			var sent []string
			for _, c := range r.sent {
				sent = append(sent, codeNames[c])
			}
			if r.f.State() != tc.want || strings.Join(sent, " ") != tc.sent || strings.Join(r.h.actions, " ") != tc.actions {
				t.Fatalf("state %v sent %q actions %q; want %v %q %q", r.f.State(), sent, r.h.actions, tc.want, tc.sent, tc.actions)
			}
		})
	}
}
