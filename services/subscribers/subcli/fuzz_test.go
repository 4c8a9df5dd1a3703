package subcli

import (
	"io"
	"testing"
)

// FuzzCommands runs arbitrary lines through the package's commands in
// every mode they live in: nothing panics, whatever is typed.
func FuzzCommands(f *testing.F) {
	for _, l := range configLines {
		f.Add(l)
	}
	for _, l := range []string{"show subscribers username", "logout subscribers interface gigabitEthernet 9/9/9", "ppp authentication chap pap",
		"no ip local pool x 1.1.1.1", "aaa authentication ip default radius radius radius", "udp-port 99999", "show ip local pool \"\""} {
		f.Add(l)
	}
	r := newRig(f) // one rig for every input: building one per input would dominate the run
	f.Fuzz(func(t *testing.T, line string) {
		for _, prefix := range [][]string{nil, {"configure terminal"}, {"configure terminal", "radius authentication server 10.9.9.9"},
			{"configure terminal", "interface gigabitEthernet 1/0/0.100"}} {
			s := r.session()
			for _, p := range prefix {
				s.Exec(p, io.Discard)
			}
			s.Exec(line, io.Discard)
			s.Exec("no "+line, io.Discard)
		}
		if _, err := r.in.RunningConfig(); err != nil {
			t.Fatal(err)
		}
	})
}
