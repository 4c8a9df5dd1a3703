package main

import (
	"context"
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
func TestLabPADIFlood(t *testing.T) {
	l := lab.New(t, lab.Config{Ports: []string{"gigabitEthernet 2/0/0"}})
	lab.Run(t, "ip", "netns", "exec", l.Neighbours[0], "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	l.Start()
	l.MustSSH("configure terminal\n" +
		"username pppuser password 0 ppp-pw\n" +
		"interface gigabitEthernet 2/0/0\n ip address 10.1.0.1 255.255.255.0\n encapsulation pppoe\n ppp authentication chap\n exit\n" +
		"ip local pool SUBS 100.64.0.10 100.64.0.50\n" +
		"aaa authentication ppp default local\n")
	var link, flood pppoetest.Link
	if err := lab.InNetns(l.Neighbours[0], func() (err error) {
		if link, err = pppoetest.OpenPacket("eth0"); err != nil {
			return err
		}
		flood, err = pppoetest.OpenPacket("eth0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	emu := pppoetest.NewEmulator(link)
	t.Cleanup(func() { emu.Close() })

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
	storm := 0
	if m := regexp.MustCompile(`broadcast-storm (\d+)`).FindStringSubmatch(ifOut); m != nil {
		storm, _ = strconv.Atoi(m[1])
	}
	dropped, pado := counter(t, out, "PADI dropped, rate limit"), counter(t, out, "PADO sent")
	if storm+dropped < sent*9/10 || dropped == 0 || pado > 100 {
		t.Errorf("flood of %d PADIs: %d dropped as broadcast storm, %d by the PADI rate limit, %d PADOs sent:\n%s\n%s",
			sent, storm, dropped, pado, ifOut, out)
	}
	if out := l.MustSSH("show subscribers"); !regexp.MustCompile(`pppuser`).MatchString(out) {
		t.Errorf("show subscribers after the flood:\n%s", out)
	}
}
