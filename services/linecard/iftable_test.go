package linecard

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSubscriberPublishedComplete: a subscriber interface is in the
// index table (where workers reach it through routes and delivery paths)
// only with its parent, peer and session set. A reader walking the table
// the way a worker dereferences an index races the login under -race if
// a field is written after the interface becomes visible.
func TestSubscriberPublishedComplete(t *testing.T) {
	for _, tc := range []struct {
		name  string
		login func(e *Engine, i int) error
		check func(ifc *iface) bool
	}{
		{"pppoe", func(e *Engine, i int) error {
			return e.AddPPPoEInterface(fmt.Sprintf("ge-0.0.%d", i+1), "ge-0", uint16(i+1), macSub)
		}, func(ifc *iface) bool { return ifc.parent != nil && ifc.sid != 0 && ifc.peer == macSub }},
		{"ipoe", func(e *Engine, i int) error {
			a := netip.AddrFrom4([4]byte{10, 0, 1, byte(10 + i)})
			return e.AddIPoEInterface(fmt.Sprintf("ge-0.0.%d", 1073741825+i), "ge-0", a, macSub)
		}, func(ifc *iface) bool { return ifc.parent != nil && ifc.peerAddr.IsValid() && ifc.peer == macSub }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			var stop atomic.Bool
			var incomplete atomic.Int64
			var wg sync.WaitGroup
			var seen atomic.Int64 // subscriber interfaces met while logins ran
			running := make(chan struct{})
			wg.Go(func() {
				for pass := 0; !stop.Load(); pass++ {
					if pass == 1 {
						close(running)
					}
					for i := range *l.e.ifaces.Load() {
						ifc := l.e.ifaceByIndex(uint32(i))
						if ifc != nil && !ifc.resolvesNeighbors() {
							seen.Add(1)
							if !tc.check(ifc) || !ifc.canSend() {
								incomplete.Add(1)
							}
						}
					}
				}
			})
			<-running // the reader walks the table while the logins run
			for i := range 100 {
				must(t, tc.login(l.e, i))
			}
			stop.Store(true)
			wg.Wait()
			if n := incomplete.Load(); n != 0 {
				t.Errorf("%d incomplete subscriber interfaces seen in the index table", n)
			}
			if seen.Load() == 0 {
				t.Error("the reader never met a subscriber interface: the test checked nothing")
			}
		})
	}
}

// TestTimerListSkipsSubscribers: the ARP timer tick walks the physical,
// VLAN and loopback interfaces only, however many subscribers logged in
// and out, and follows interface deletion.
func TestTimerListSkipsSubscribers(t *testing.T) {
	l := newLab(t)
	timed := func() map[string]bool {
		out := map[string]bool{}
		for _, ifc := range *l.e.timed.Load() {
			out[ifc.name] = true
		}
		return out
	}
	must(t, l.e.AddVLANInterface("ge-0.100", "ge-0", 100))
	must(t, l.e.AddLoopback("loopback 0"))
	for i := range 50 {
		name := fmt.Sprintf("ge-0.0.%d", i+1)
		must(t, l.e.AddPPPoEInterface(name, "ge-0", uint16(i+1), macSub))
		must(t, l.e.AddIPoEInterface(fmt.Sprintf("ge-0.0.%d", 1073741825+i), "ge-0", netip.AddrFrom4([4]byte{10, 0, 1, byte(10 + i)}), macSub))
		if i%2 == 0 {
			must(t, l.e.DeleteInterface(name))
		}
	}
	for _, tc := range []struct {
		name string
		do   func()
		want []string
	}{
		{"after logins", func() {}, []string{"ge-0", "ge-1", "ge-0.100", "loopback 0"}},
		{"vlan deleted", func() { must(t, l.e.DeleteInterface("ge-0.100")) }, []string{"ge-0", "ge-1", "loopback 0"}},
		{"loopback deleted", func() { must(t, l.e.DeleteInterface("loopback 0")) }, []string{"ge-0", "ge-1"}},
	} {
		tc.do()
		got := timed()
		if len(got) != len(tc.want) {
			t.Errorf("%s: timer list %v, want %v", tc.name, got, tc.want)
		}
		for _, n := range tc.want {
			if !got[n] {
				t.Errorf("%s: %q not in the timer list %v", tc.name, n, got)
			}
		}
	}
	l.e.tickTimers() // runs over the list without the deleted interfaces
}

// BenchmarkTickTimers is one 100 ms ARP timer tick with 30,000 PPPoE
// subscribers logged in (and as many logged out before).
func BenchmarkTickTimers(b *testing.B) {
	l := newLab(b)
	for sid := 1; sid <= 30000; sid++ {
		must(b, l.e.AddPPPoEInterface(fmt.Sprintf("ge-0.0.%d", sid), "ge-0", uint16(sid), macSub))
		must(b, l.e.DeleteInterface(fmt.Sprintf("ge-0.0.%d", sid)))
		must(b, l.e.AddPPPoEInterface(fmt.Sprintf("ge-0.0.%d", sid), "ge-0", uint16(sid), macSub))
	}
	b.ResetTimer()
	for range b.N {
		l.e.tickTimers()
	}
}
