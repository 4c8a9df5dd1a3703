package lccli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
)

// Prober sends router-originated probes for ping and traceroute and waits
// for their answers. PuntProber implements it over the data plane's
// SendIPv4 and punted frames; a native data-plane implementation can
// replace it without touching the commands.
type Prober interface {
	// Probe sends p and waits for its answer until ctx ends. It returns
	// an error wrapping ErrNoAnswer (or ctx.Err()) when nothing came back
	// in time, and another error when the probe could not be sent (for
	// example linecard.ErrNoRoute).
	Probe(ctx context.Context, p Probe) (Answer, error)
}

// ProbeKind is what a probe is.
type ProbeKind uint8

// Probe kinds.
const (
	ProbeEcho ProbeKind = iota // ICMP echo request (ping)
	ProbeUDP                   // UDP datagram to Probe.Port (traceroute)
)

// Probe is one packet the router originates.
type Probe struct {
	VR   string     // virtual router to route it in
	Kind ProbeKind  // echo or UDP
	Dst  netip.Addr // destination
	Src  netip.Addr // source; invalid: the egress interface's primary address
	TTL  uint8      // IP TTL; 0 means 64
	Size int        // IP datagram size in bytes, headers included
	Seq  int        // sequence number within the command (echo sequence, or UDP port offset)
	Port uint16     // UDP destination port (ProbeUDP)
}

// AnswerKind is what came back.
type AnswerKind uint8

// Answer kinds.
const (
	AnswerEchoReply    AnswerKind = iota // ICMP echo reply from the destination
	AnswerTimeExceeded                   // ICMP time exceeded from a hop
	AnswerUnreachable                    // ICMP destination unreachable; Code says why
)

// Answer is the reply to a probe.
type Answer struct {
	Kind AnswerKind
	From netip.Addr    // who answered
	Code uint8         // ICMP code (for AnswerUnreachable: 3 = port unreachable)
	RTT  time.Duration // time from sending to the answer
}

// ErrNoAnswer says a probe was sent but nothing answered in time.
var ErrNoAnswer = errors.New("no answer")

// ICMP destination-unreachable codes the commands interpret.
const (
	codeNetUnreachable  = 0
	codeHostUnreachable = 1
	codePortUnreachable = 3
)

// Defaults of ping and traceroute.
const (
	pingCount        = 5
	pingSize         = 100
	pingTimeout      = 2
	traceMaxTTL      = 30
	traceProbes      = 3
	traceTimeout     = 3
	traceBasePort    = 33434
	traceDefaultSize = 40
)

// probeCommands are ping and traceroute.
func (s *state) probeCommands() []*command.Command {
	return []*command.Command{
		{Syntax: "ping <addr:A.B.C.D> [count <count:1-1000>] [size <size:36-1500>] [timeout <timeout:1-60>]", Modes: execModes, Privilege: 1,
			Help: command.Help{"ping": "Send ICMP echo requests from the router", "addr": "Destination address",
				"count": "Number of echo requests (default 5)", "size": "Datagram size in bytes (default 100)",
				"timeout": "Seconds to wait for each reply (default 2)"},
			Run: s.ping},
		{Syntax: "traceroute <addr:A.B.C.D> [max-ttl <ttl:1-255>] [timeout <timeout:1-60>]", Modes: execModes, Privilege: 1,
			Help: command.Help{"traceroute": "Trace the route to a destination", "addr": "Destination address",
				"max-ttl": "Largest TTL to try (default 30)", "timeout": "Seconds to wait for each answer (default 3)"},
			Run: s.traceroute},
	}
}

// probe sends one probe with a timeout.
func (s *state) probe(p Probe, timeout time.Duration) (Answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	a, err := s.d.Prober.Probe(ctx, p)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = ErrNoAnswer
	}
	return a, err
}

// probeVR checks that ping/traceroute can run in the session's VR.
func (s *state) probeVR(ctx *command.Context, cmd string) error {
	if s.d.Prober == nil {
		return fmt.Errorf("%s is not available: the data plane cannot originate probes", cmd)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.vrExistsLocked(ctx.VR) {
		return fmt.Errorf("Virtual router %s does not exist", ctx.VR)
	}
	return nil
}

func (s *state) ping(ctx *command.Context, req *command.Request) error {
	if err := s.probeVR(ctx, "ping"); err != nil {
		return err
	}
	dst := req.Addr("addr")
	count, size, timeout := req.IntOr("count", pingCount), req.IntOr("size", pingSize), req.IntOr("timeout", pingTimeout)
	w := ctx.Out
	fmt.Fprintf(w, "Sending %d, %d-byte ICMP Echos to %s, timeout is %d seconds:\n", count, size, dst, timeout)
	var marks strings.Builder
	ok := 0
	var minRTT, maxRTT, sum time.Duration
	for i := 0; i < count; i++ {
		a, err := s.probe(Probe{VR: ctx.VR, Kind: ProbeEcho, Dst: dst, Size: size, Seq: i}, time.Duration(timeout)*time.Second)
		switch {
		case errors.Is(err, ErrNoAnswer):
			marks.WriteByte('.')
		case err != nil:
			if marks.Len() > 0 {
				fmt.Fprintln(w, marks.String())
			}
			return probeErr(ctx.VR, dst, err)
		case a.Kind == AnswerEchoReply:
			marks.WriteByte('!')
			if ok == 0 || a.RTT < minRTT {
				minRTT = a.RTT
			}
			maxRTT = max(maxRTT, a.RTT)
			sum += a.RTT
			ok++
		case a.Kind == AnswerUnreachable:
			marks.WriteByte('U')
		default:
			marks.WriteByte('.')
		}
	}
	fmt.Fprintln(w, marks.String())
	fmt.Fprintf(w, "Success rate = %d%% (%d/%d)", ok*100/count, ok, count)
	if ok > 0 {
		fmt.Fprintf(w, ", round-trip min/avg/max = %d/%d/%d ms", minRTT.Milliseconds(), (sum / time.Duration(ok)).Milliseconds(), maxRTT.Milliseconds())
	}
	fmt.Fprintln(w)
	return nil
}

func (s *state) traceroute(ctx *command.Context, req *command.Request) error {
	if err := s.probeVR(ctx, "traceroute"); err != nil {
		return err
	}
	dst := req.Addr("addr")
	maxTTL, timeout := req.IntOr("ttl", traceMaxTTL), req.IntOr("timeout", traceTimeout)
	w := ctx.Out
	fmt.Fprintf(w, "Tracing the route to %s, %d hops max, %d probes per hop, timeout is %d seconds\n", dst, maxTTL, traceProbes, timeout)
	seq := 0
	for ttl := 1; ttl <= maxTTL; ttl++ {
		fmt.Fprintf(w, "%3d", ttl)
		var from netip.Addr
		done := false
		for i := 0; i < traceProbes; i++ {
			a, err := s.probe(Probe{VR: ctx.VR, Kind: ProbeUDP, Dst: dst, TTL: uint8(ttl), Size: traceDefaultSize,
				Seq: seq, Port: uint16(traceBasePort + seq)}, time.Duration(timeout)*time.Second)
			seq++
			switch {
			case errors.Is(err, ErrNoAnswer):
				fmt.Fprint(w, " *")
				continue
			case err != nil:
				fmt.Fprintln(w)
				return probeErr(ctx.VR, dst, err)
			}
			if a.From != from {
				from = a.From
				fmt.Fprintf(w, " %s", from)
			}
			switch {
			case a.Kind == AnswerEchoReply, a.Kind == AnswerUnreachable && a.Code == codePortUnreachable:
				fmt.Fprintf(w, " %d ms", a.RTT.Milliseconds())
				done = true
			case a.Kind == AnswerUnreachable:
				fmt.Fprint(w, unreachableMark(a.Code))
				done = true
			default:
				fmt.Fprintf(w, " %d ms", a.RTT.Milliseconds())
			}
		}
		fmt.Fprintln(w)
		if done {
			return nil
		}
	}
	return nil
}

// probeErr is the answer to a probe that could not be sent.
func probeErr(vr string, dst netip.Addr, err error) error {
	if errors.Is(err, linecard.ErrNoRoute) {
		return fmt.Errorf("No route to %s in virtual router %s", dst, vr)
	}
	return engineErr(err)
}

// unreachableMark is how traceroute flags an unreachable answer.
func unreachableMark(code uint8) string {
	switch code {
	case codeNetUnreachable:
		return " !N"
	case codeHostUnreachable:
		return " !H"
	}
	return fmt.Sprintf(" !<%d>", code)
}
