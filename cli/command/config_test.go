package command

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestWriteConfigFiltered(t *testing.T) {
	tr := NewTree()
	line := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := fmt.Fprintln(w, s); return err }
	}
	perVR := func(w io.Writer, vr string) error { _, err := fmt.Fprintf(w, "ip route in %s\n", vr); return err }
	for _, s := range []ConfigSection{
		{Order: OrderSystem, Name: "sys", Write: line("hostname h")},
		{Order: OrderSystem + 1, Name: "priv", Category: "management cli command-privileges", Write: line("privilege exec level 5 show")},
		{Order: OrderRouting, Name: "routes", Write: line("ip route global"), WriteVR: perVR},
		{Order: OrderLines, Name: "lines", Write: line("line vty 0")},
	} {
		if err := tr.AddConfig(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.AddConfig(ConfigSection{Name: "bad", Category: "nonsense", Write: line("x")}); err == nil {
		t.Error("unknown category accepted")
	}
	if err := tr.AddConfig(ConfigSection{Name: "empty"}); err == nil {
		t.Error("section without writer accepted")
	}
	tr.SetVirtualRouters(func() []string { return []string{"vr2", "default", "vr1"} })
	for _, tc := range []struct {
		f    ConfigFilter
		want string
	}{
		{ConfigFilter{}, "hostname h\nprivilege exec level 5 show\nip route global\nip route in default\nline vty 0\n" +
			"virtual-router vr1\nip route in vr1\nvirtual-router vr2\nip route in vr2\n"},
		{ConfigFilter{Category: "management"}, "privilege exec level 5 show\nline vty 0\n"},
		{ConfigFilter{Category: "management cli"}, "privilege exec level 5 show\n"},
		{ConfigFilter{Category: "system"}, "hostname h\n"},
		{ConfigFilter{Category: "routing"}, "ip route global\nip route in default\nvirtual-router vr1\nip route in vr1\nvirtual-router vr2\nip route in vr2\n"},
		{ConfigFilter{VR: "vr1"}, "virtual-router vr1\nip route in vr1\n"},
		{ConfigFilter{VR: "default"}, "ip route in default\n"},
		{ConfigFilter{VR: "vr1", Category: "system"}, "virtual-router vr1\n"},
	} {
		var b strings.Builder
		if err := tr.WriteConfigFiltered(&b, tc.f); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%+v:\ngot:\n%s\nwant:\n%s", tc.f, b.String(), tc.want)
		}
	}
}
