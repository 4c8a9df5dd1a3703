package pppoe

import (
	"testing"

	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/linecard/header"
)

type nopSink struct{}

func (nopSink) SendFrame(string, []byte) error          { return nil }
func (nopSink) SessionStarted(*Session)                 {}
func (nopSink) SessionPPP(*Session, []byte)             {}
func (nopSink) SessionEnded(*Session, subscriber.Cause) {}

func FuzzParse(f *testing.F) {
	f.Add(discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil})[14:])
	f.Add([]byte{0x11, 0, 0, 1, 0, 2, 0xc0, 0x21})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		_ = h.Code().String()
		if int(h.Length()) != len(h.Payload()) {
			t.Fatal("length mismatch")
		}
		var tags []Tag
		Tags(h.Payload()).Each(func(typ TagType, v []byte) bool {
			tags = append(tags, Tag{typ, v})
			return true
		})
		d := Discovery{Code: h.Code(), SessionID: h.SessionID(), Tags: tags}
		buf := make([]byte, d.Len())
		if _, err := d.Marshal(buf); err != nil {
			t.Fatal(err)
		}
		h2, err := Parse(buf)
		if err != nil || h2.SessionID() != h.SessionID() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzEngine(f *testing.F) {
	f.Add(discovery(header.Broadcast, mac1, CodePADI, 0, Tag{TagServiceName, nil}))
	f.Add(discovery(acMAC, mac1, CodePADR, 0, Tag{TagServiceName, nil}, Tag{TagACCookie, make([]byte, 16)}))
	f.Fuzz(func(t *testing.T, frame []byte) {
		e, err := NewEngine(Config{
			PortMAC: func(string) (MAC, bool) { return acMAC, true },
			Sender:  nopSink{}, Handler: nopSink{},
		})
		if err != nil {
			t.Fatal(err)
		}
		e.HandleFrame("p", frame)
	})
}
