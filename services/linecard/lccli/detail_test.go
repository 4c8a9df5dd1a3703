package lccli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/port/memport"
)

// TestIPInterfaceDetail: the IPInterfaceDetail hook adds its lines at the
// end of each interface's show ip interface entry, with the interface's
// engine name and counters, and the session it is shown to; a hook that
// writes nothing leaves the output as it was.
func TestIPInterfaceDetail(t *testing.T) {
	type key struct{}
	var pcs []linecard.PortConfig
	for i, p := range testPorts {
		a, _ := memport.Pair(fmt.Sprintf("dp%d", i), [6]byte{0x02, 0, 0, 0, byte(p.Slot), byte(p.Port)},
			fmt.Sprintf("peer%d", i), [6]byte{0x02, 0xee, 0, 0, byte(p.Slot), byte(p.Port)})
		pcs = append(pcs, linecard.PortConfig{Port: a, Interface: p.Name})
	}
	eng, err := linecard.New(linecard.Config{Clock: func() time.Time { return testClock }}, pcs...)
	if err != nil {
		t.Fatal(err)
	}
	in, err := cli.New(cli.Options{System: fakeSystem{}, Now: func() time.Time { return testClock }})
	if err != nil {
		t.Fatal(err)
	}
	detail := func(ctx *command.Context, w io.Writer, ifname string, c linecard.Counters) error {
		if ctx.Value(key{}) == nil {
			return nil
		}
		_, err := fmt.Fprintf(w, "  Detail for %s: in %d\n", ifname, c.InPackets)
		return err
	}
	if err := Register(in.Tree(), Deps{Engine: eng, Ports: testPorts, Management: board.Management(testManagement),
		IPInterfaceDetail: detail}); err != nil {
		t.Fatal(err)
	}
	s := in.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
	var out bytes.Buffer
	for _, l := range []string{"configure terminal", "interface gigabitEthernet 2/0/0", "ip address 10.1.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/1", "ip address 10.2.0.1 255.255.255.0", "end"} {
		if err := s.Exec(l, &out); err != nil {
			t.Fatalf("%q: %v\n%s", l, err, out.String())
		}
	}
	show := func() string {
		out.Reset()
		if err := s.Exec("show ip interface", &out); err != nil {
			t.Fatalf("show ip interface: %v\n%s", err, out.String())
		}
		return out.String()
	}
	plain := show()
	if strings.Contains(plain, "Detail") {
		t.Fatalf("hook printed for a session it refuses:\n%s", plain)
	}
	s.Context().SetValue(key{}, true)
	got := show()
	want := strings.Replace(plain, "\nGigabitEthernet2/0/1", "\n  Detail for gigabitEthernet 2/0/0: in 0\nGigabitEthernet2/0/1", 1) +
		"  Detail for gigabitEthernet 2/0/1: in 0\n"
	if got != want {
		t.Errorf("with the hook:\n%s\nwant:\n%s", got, want)
	}
}
