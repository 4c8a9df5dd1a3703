package ppp

import (
	"testing"
	"time"

	"github.com/erxos/erx/services/access/clock"
)

type nopTransport struct{}

func (nopTransport) SendPPP([]byte) error { return nil }

func FuzzDecoders(f *testing.F) {
	f.Add([]byte{1, 1, 0, 14, 1, 4, 5, 0xd4, 5, 6, 1, 2, 3, 4})
	f.Add([]byte{1, 7, 0, 16, 5, 'a', 'l', 'i', 'c', 'e', 3, 'p', 'w', 'd', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			return
		}
		if int(p.Length()) != len(p) {
			t.Fatal("length")
		}
		Options(p.Data()).Each(func(uint8, []byte) bool { return true })
		ParsePAPRequest(p.Data())
		ParsePAPMessage(p.Data())
		ParseCHAPValue(p.Data())
		l := NewLCP(LCPConfig{Auth: []AuthProtocol{AuthCHAP}, Accept: []AuthProtocol{AuthPAP}})
		var out [256]byte
		if Options(p.Data()).Valid() {
			l.ReceiveRequest(Options(p.Data()), out[:0], false)
			l.ReceiveNak(Options(p.Data()))
			l.ReceiveReject(Options(p.Data()))
			c := &IPCP{Peer: mp("10.0.0.2"), Local: mp("10.0.0.1")}
			c.ReceiveRequest(Options(p.Data()), out[:0], true)
			cc := &IPCP{Client: true}
			cc.ReceiveRequest(Options(p.Data()), out[:0], false)
			cc.ReceiveNak(Options(p.Data()))
		}
	})
}

// FuzzSession feeds arbitrary frames to a session in every phase reachable
// without the peer's cooperation.
func FuzzSession(f *testing.F) {
	f.Add([]byte{0xc0, 0x21, 1, 1, 0, 10, 1, 4, 5, 0xd4, 5, 6})
	f.Add([]byte{0xc0, 0x23, 1, 1, 0, 6, 0, 0})
	f.Add([]byte{0xc2, 0x23, 2, 1, 0, 5, 0})
	f.Add([]byte{0x80, 0x21, 1, 1, 0, 10, 3, 6, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		clk := clock.NewFake(time.Unix(0, 0))
		s := NewSession(Config{Auth: []AuthProtocol{AuthPAP}, Clock: clk, Authenticator: fakeAuth{}}, nopTransport{})
		s.Start()
		s.Input(b)
		s.Input(b)
		clk.Advance(time.Minute)
		s.LowerDown(0)
		s.Wait()
	})
}
