package main

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/access/pppoetest"
)

// padiFrame is a broadcast PADI from mac with an empty Service-Name tag.
func padiFrame(mac pppoetest.MAC) []byte {
	f := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	f = append(f, mac[:]...)
	return append(f, 0x88, 0x63, 0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0)
}

// counter reads "  NAME : N" from show output.
func counter(t *testing.T, out, name string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s*: (\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in:\n%s", name, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestLabPADIFlood: 10,000 PADIs in one second from one MAC, sent on the
// wire of a data port of routerd on the host board, are rate-limited
// (few PADOs answer them) and counted in show pppoe interface, while
// another subscriber logs in during the flood; the router stays up.
//
// Only what holds under any load is asserted: how many PADIs reach the
// router at all is not (the kernel's AF_PACKET ring drops the overflow
// uncounted), but those PPPoE receives beyond its per-MAC budget are
// counted as rate-limit drops, and no MAC gets more PADOs than the rate
// allows over the time elapsed, plus the burst.
func TestLabPADIFlood(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0"}})
	l.Start()
	l.MustSSH("configure terminal\n" +
		"aaa local database default\naaa local username pppuser password ppp-pw\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n encapsulation pppoe\n ppp authentication chap\n exit\n" +
		"ip local pool SUBS 100.64.0.10 100.64.0.50\n" +
		"aaa authentication ppp default local\n")
	emu := neighbourEmulator(t, l.Neighbours[0])
	flood := openPacket(t, l.Neighbours[0])
	defer flood.Close()

	ctx, cancel := context.WithTimeout(context.Background(), loginLimit)
	defer cancel()
	type result struct {
		s   *pppoetest.PPPoESession
		err error
	}
	done := make(chan result, 1)
	go func() {
		time.Sleep(200 * time.Millisecond) // into the flood
		s, err := emu.DialPPPoE(ctx, pppoetest.PPPoEConfig{MAC: pppoetest.MAC{2, 0x5b, 0, 0, 2, 1}, User: "pppuser",
			Password: "ppp-pw", Accept: []ppp.AuthProtocol{ppp.AuthCHAP}, Retries: 10, RetryInterval: 500 * time.Millisecond})
		done <- result{s, err}
	}()
	padi := padiFrame(pppoetest.MAC{2, 0xbd, 0, 0, 0, 1})
	sent := 0
	start := time.Now()
	for tick := range 100 { // 100 bursts of 100, one every 10 ms
		for range 100 {
			if err := flood.WriteFrame(padi); err == nil {
				sent++
			}
		}
		time.Sleep(time.Until(start.Add(time.Duration(tick+1) * 10 * time.Millisecond)))
	}
	t.Logf("sent %d PADIs in %v", sent, time.Since(start))
	res := <-done
	if res.err != nil {
		t.Fatalf("login during the flood: %v\nconsole:\n%s", res.err, l.Console())
	}
	if !res.s.Address().IsValid() {
		t.Fatal("no address for the subscriber logged in during the flood")
	}
	// Two limits act, each counted where it acts: the line card's
	// broadcast-storm control (show interfaces) and PPPoE's per-MAC PADI
	// rate (show pppoe interface).
	out := l.MustSSH("show pppoe interface gigabitEthernet 2/0/0")
	ifOut := l.MustSSH("show interfaces gigabitEthernet 2/0/0")
	elapsed := time.Since(start) // every PADO counted was sent within it
	storm := 0
	if m := regexp.MustCompile(`broadcast-storm (\d+)`).FindStringSubmatch(ifOut); m != nil {
		storm, _ = strconv.Atoi(m[1])
	}
	recv, dropped, pado := counter(t, out, "PADI received"), counter(t, out, "PADI dropped, rate limit"), counter(t, out, "PADO sent")
	// Two MACs sent PADIs (the flood's and the subscriber's), each held
	// to padiRate per second after a burst of padiBurst.
	const padiRate, padiBurst = 10, 10
	maxPADO := 2 * (padiBurst + int(math.Ceil(padiRate*elapsed.Seconds())))
	switch {
	case pado > maxPADO:
		t.Errorf("%d PADOs sent in %v, more than the per-MAC rate allows (%d):\n%s", pado, elapsed, maxPADO, out)
	case recv > maxPADO && dropped == 0:
		t.Errorf("%d PADIs received, %d answered, none counted as dropped by the rate limit:\n%s", recv, pado, out)
	case storm+dropped == 0:
		t.Errorf("flood of %d PADIs: nothing dropped (broadcast storm %d, rate limit %d):\n%s\n%s", sent, storm, dropped, ifOut, out)
	}
	t.Logf("flood of %d PADIs: %d received by PPPoE, %d dropped by the rate limit, %d as broadcast storm, %d PADOs in %v",
		sent, recv, dropped, storm, pado, elapsed)
	if out := l.MustSSH("show subscribers"); !regexp.MustCompile(`pppuser`).MatchString(out) {
		t.Errorf("show subscribers after the flood:\n%s", out)
	}
}
