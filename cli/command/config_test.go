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

// TestSecretConfigSection: a section with Visible is written only for a
// session it admits, and never into the running configuration; the
// other sections' text is byte for byte the same either way.
func TestSecretConfigSection(t *testing.T) {
	type key struct{}
	tr := NewTree()
	line := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := fmt.Fprintln(w, s); return err }
	}
	secret := func(ctx *Context) bool { return ctx.Value(key{}) != nil }
	for _, s := range []ConfigSection{
		{Order: OrderSystem, Name: "sys", Write: line("hostname h")},
		{Order: OrderInterfaces, Name: "ifs", Write: line("interface gigabitEthernet 2/0/0\n ip address 10.0.0.1 255.255.255.0")},
		{Order: OrderInterfaces + 60, Name: "secret-ifs", Category: "interfaces", Visible: secret,
			Write: line("interface gigabitEthernet 2/0/0\n ip policy secure-input LI")},
		{Order: OrderRouting + 10, Name: "secret-vr", Visible: secret,
			WriteVR: func(w io.Writer, vr string) error {
				_, err := fmt.Fprintf(w, "mirror username u-%s ip secure-policy-list LI\n", vr)
				return err
			}},
	} {
		if err := tr.AddConfig(s); err != nil {
			t.Fatal(err)
		}
	}
	tr.SetVirtualRouters(func() []string { return []string{"vr1"} })
	plain := &Context{}
	enabled := &Context{}
	enabled.SetValue(key{}, true)
	const base = "hostname h\ninterface gigabitEthernet 2/0/0\n ip address 10.0.0.1 255.255.255.0\nvirtual-router vr1\n"
	for _, tc := range []struct {
		name string
		f    ConfigFilter
		want string
	}{
		{"running configuration", ConfigFilter{}, base},
		{"session without access", ConfigFilter{Session: plain}, base},
		{"session with access", ConfigFilter{Session: enabled}, "hostname h\ninterface gigabitEthernet 2/0/0\n ip address 10.0.0.1 255.255.255.0\n" +
			"interface gigabitEthernet 2/0/0\n ip policy secure-input LI\nmirror username u-default ip secure-policy-list LI\n" +
			"virtual-router vr1\nmirror username u-vr1 ip secure-policy-list LI\n"},
		{"category, without access", ConfigFilter{Category: "interfaces", Session: plain}, "interface gigabitEthernet 2/0/0\n ip address 10.0.0.1 255.255.255.0\n"},
		{"category, with access", ConfigFilter{Category: "interfaces", Session: enabled},
			"interface gigabitEthernet 2/0/0\n ip address 10.0.0.1 255.255.255.0\ninterface gigabitEthernet 2/0/0\n ip policy secure-input LI\n"},
		{"virtual router, without access", ConfigFilter{VR: "vr1", Session: plain}, "virtual-router vr1\n"},
		{"virtual router, with access", ConfigFilter{VR: "vr1", Session: enabled}, "virtual-router vr1\nmirror username u-vr1 ip secure-policy-list LI\n"},
		{"routing category of a VR without access", ConfigFilter{Category: "routing", Session: plain}, ""},
	} {
		var b strings.Builder
		if err := tr.WriteConfigFiltered(&b, tc.f); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.name, b.String(), tc.want)
		}
	}
	var b strings.Builder
	if err := tr.WriteConfig(&b); err != nil || b.String() != base {
		t.Errorf("WriteConfig: %v\n%s", err, b.String())
	}
}
