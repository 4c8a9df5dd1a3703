package memport

import (
	"testing"

	"github.com/erxos/erx/services/linecard/port"
)

func TestPair(t *testing.T) {
	a, b := Pair("a", [6]byte{1}, "b", [6]byte{2})
	var _ port.Port = a
	frames := [][]byte{[]byte("one"), []byte("two")}
	if n, err := a.Transmit(0, frames); n != 2 || err != nil {
		t.Fatalf("Transmit = %d, %v", n, err)
	}
	batch := port.NewBatch(1, port.DefaultBufSize)
	for _, want := range []string{"one", "two"} {
		n, err := b.Receive(0, batch)
		if n != 1 || err != nil || string(batch.Frames[0]) != want {
			t.Fatalf("Receive = %d %v %q, want %q", n, err, batch.Frames[0], want)
		}
	}
	if n, err := b.Receive(0, batch); n != 0 || err != nil {
		t.Fatalf("idle Receive = %d, %v", n, err)
	}
	if s := a.Stats(); s.TxPackets != 2 || s.TxBytes != 6 {
		t.Fatalf("stats %+v", s)
	}
	b.Close()
	if _, err := b.Receive(0, batch); err != port.ErrClosed {
		t.Fatalf("Receive after Close = %v", err)
	}
	if _, err := a.Transmit(0, frames); err != port.ErrClosed {
		t.Fatalf("Transmit to closed peer = %v", err)
	}
}

func TestOverflowDrops(t *testing.T) {
	a, b := Pair("a", [6]byte{1}, "b", [6]byte{2})
	f := [][]byte{make([]byte, 60)}
	for i := 0; i < Capacity+5; i++ {
		a.Transmit(0, f)
	}
	if s := b.Stats(); s.RxDropped != 5 || b.Pending() != Capacity {
		t.Fatalf("stats %+v pending %d", s, b.Pending())
	}
}
