package linecard

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/erxos/erx/services/linecard/port/memport"
)

// TestPPPoESessionTable fills a parent with sessions across the table's
// leaves (IDs 1..65534 in steps), checks lookups, duplicate refusal,
// deletion and reuse of one slot, and that deleting the parent removes
// them all.
func TestPPPoESessionTable(t *testing.T) {
	l := newLab(t)
	must(t, l.e.AddVLANInterface("ge-0.7", "ge-0", 7))
	var sids []uint16
	for sid := 1; sid < 0xffff; sid += 97 {
		sids = append(sids, uint16(sid))
	}
	sids = append(sids, 0xfffe)
	name := func(sid uint16) string { return fmt.Sprintf("ge-0.7.%d", sid) }
	for _, sid := range sids {
		must(t, l.e.AddPPPoEInterface(name(sid), "ge-0.7", sid, macSub))
	}
	p, err := l.e.lookup("ge-0.7")
	must(t, err)
	tbl := p.sessions.Load()
	if tbl == nil || tbl.n != len(sids) || len(tbl.all()) != len(sids) {
		t.Fatalf("table holds %v, want %d sessions", tbl, len(sids))
	}
	for _, sid := range sids {
		if sub := tbl.get(sid); sub == nil || sub.name != name(sid) || sub.sid != sid {
			t.Fatalf("session %d: %v", sid, sub)
		}
	}
	if tbl.get(2) != nil || tbl.get(0xffff) != nil {
		t.Fatal("lookup of an unused session ID found an interface")
	}
	if err := l.e.AddPPPoEInterface("dup", "ge-0.7", sids[3], macSub); err == nil {
		t.Fatal("duplicate session ID accepted")
	}
	must(t, l.e.DeleteInterface(name(sids[3])))
	if tbl.get(sids[3]) != nil || tbl.n != len(sids)-1 {
		t.Fatalf("session %d still in the table (n=%d)", sids[3], tbl.n)
	}
	must(t, l.e.AddPPPoEInterface("again", "ge-0.7", sids[3], macSub))
	if sub := tbl.get(sids[3]); sub == nil || sub.name != "again" {
		t.Fatalf("reused slot holds %v", sub)
	}
	must(t, l.e.DeleteInterface("ge-0.7"))
	if tbl.n != 0 || len(tbl.all()) != 0 {
		t.Fatalf("%d sessions left after the parent was deleted", tbl.n)
	}
	for _, sid := range sids {
		if _, err := l.e.Interface(name(sid)); err == nil {
			t.Fatalf("session %d survived its parent", sid)
		}
	}
}

// BenchmarkAddPPPoEInterface is a login's and a logout's data-plane
// work with 30,000 sessions already on the parent.
func BenchmarkAddPPPoEInterface(b *testing.B) {
	l := newLab(b)
	for sid := 1; sid <= 30000; sid++ {
		must(b, l.e.AddPPPoEInterface(fmt.Sprintf("ge-0.0.%d", sid), "ge-0", uint16(sid), macSub))
	}
	b.ResetTimer()
	for range b.N {
		must(b, l.e.AddPPPoEInterface("ge-0.0.40000", "ge-0", 40000, macSub))
		must(b, l.e.DeleteInterface("ge-0.0.40000"))
	}
}

// TestPADIHerdPassesStormControl: with the default broadcast limit, a
// herd of PPPoE clients sending their PADIs at once (as after an outage)
// all reach the control plane, whose PPPoE engine polices PADIs per
// client; only what exceeds a second's worth counts as a storm.
func TestPADIHerdPassesStormControl(t *testing.T) {
	r0, _ := memport.Pair("r0", macR0, "h0", macH0)
	r1, _ := memport.Pair("r1", macR1, "h1", macH1)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // no refill during the herd
	cp := &fakeControl{}
	e, err := New(Config{Control: cp, Clock: func() time.Time { return clock }},
		PortConfig{Port: r0, Interface: "ge-0"}, PortConfig{Port: r1, Interface: "ge-1"})
	must(t, err)
	w := newWorker(e, 0, e.ports[0], 0, 8)
	const herd = 1000
	for i := range herd + 5 {
		src := [6]byte{2, 0x5c, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		f := make([]byte, 14+6+4)
		copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		copy(f[6:], src[:])
		f[12], f[13] = 0x88, 0x63                    // PPPoE discovery
		copy(f[14:], []byte{0x11, 0x09, 0, 0, 0, 4}) // PADI
		copy(f[20:], []byte{0x01, 0x01, 0, 0})       // Service-Name ""
		w.batch.Fill(0, f)
		w.process(1)
	}
	c, _ := e.Counters("ge-0")
	cp.mu.Lock()
	punted := len(cp.punted)
	cp.mu.Unlock()
	if punted != herd || c.Drops[DropBroadcastStorm] != 5 {
		t.Fatalf("%d of %d PADIs punted, %d storm drops (want %d, 5)", punted, herd+5, c.Drops[DropBroadcastStorm], herd)
	}
}

// TestTimersSkipSubscriberInterfaces: the 100 ms timer tick visits the
// interfaces that resolve neighbours, not the subscriber interfaces (whose
// peer MAC is known), so it does not grow with the subscribers. An entry
// planted in a PPPoE subscriber interface's table outlives its timers;
// the same entry on the access interface ages out.
func TestTimersSkipSubscriberInterfaces(t *testing.T) {
	r0, _ := memport.Pair("r0", macR0, "h0", macH0)
	r1, _ := memport.Pair("r1", macR1, "h1", macH1)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := New(Config{Control: &fakeControl{}, Clock: func() time.Time { return clock }},
		PortConfig{Port: r0, Interface: "ge-0"}, PortConfig{Port: r1, Interface: "ge-1"})
	must(t, err)
	must(t, e.AddPPPoEInterface("ge-0.0.1", "ge-0", 1, macSub))
	sub, err := e.lookup("ge-0.0.1")
	must(t, err)
	phys, err := e.lookup("ge-0")
	must(t, err)
	ip := netip.MustParseAddr("10.0.1.9")
	sub.arp.Input(ip, macH0, true, clock)
	phys.arp.Input(ip, macH0, true, clock)
	for range 3 { // reachable → stale → gone, on the ticked table
		clock = clock.Add(24 * time.Hour)
		e.tickTimers()
	}
	if len(phys.arp.Entries()) != 0 {
		t.Fatal("the access interface's entry did not age out")
	}
	if len(sub.arp.Entries()) != 1 {
		t.Fatal("the timer tick visited the PPPoE subscriber interface")
	}
}
