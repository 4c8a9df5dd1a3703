package lccli

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/services/linecard"
)

var update = flag.Bool("update", false, "print the transcripts instead of comparing them")

// scriptedProber answers the way the named scenario needs.
func scriptedProber(kind string) func(p Probe) (Answer, error) {
	switch kind {
	case "echo":
		return func(p Probe) (Answer, error) {
			rtt := time.Duration(p.Seq+1) * time.Millisecond
			if p.Kind == ProbeUDP {
				if p.TTL < 3 {
					return Answer{Kind: AnswerTimeExceeded, From: netip.AddrFrom4([4]byte{10, 9, 9, p.TTL}), RTT: rtt}, nil
				}
				return Answer{Kind: AnswerUnreachable, Code: codePortUnreachable, From: p.Dst, RTT: rtt}, nil
			}
			return Answer{Kind: AnswerEchoReply, From: p.Dst, RTT: rtt}, nil
		}
	case "unreachable":
		return func(p Probe) (Answer, error) {
			if p.Kind == ProbeUDP && p.TTL == 1 {
				return Answer{Kind: AnswerTimeExceeded, From: netip.MustParseAddr("10.9.9.1"), RTT: time.Millisecond}, nil
			}
			return Answer{Kind: AnswerUnreachable, Code: codeHostUnreachable, From: netip.MustParseAddr("10.9.9.1"), RTT: time.Millisecond}, nil
		}
	case "noroute":
		return func(p Probe) (Answer, error) {
			return Answer{}, fmt.Errorf("linecard: send to %v: %w", p.Dst, linecard.ErrNoRoute)
		}
	}
	return nil
}

func TestTranscripts(t *testing.T) {
	for _, tc := range transcriptCases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.configure(t, tc.setup...)
			r.prober.answer = scriptedProber(tc.prober)
			priv := tc.priv
			if priv == 0 {
				priv = 15
			}
			got := transcript(r.in.NewSession(cli.SessionOptions{User: "u", Privilege: priv}), tc.lines...)
			if *update {
				js, _ := json.Marshal(got)
				fmt.Printf("@@@@ %s\t%s\n", tc.name, js)
				return
			}
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
