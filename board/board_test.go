package board

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNIC is one interface in a fake sysfs tree.
type fakeNIC struct {
	name   string
	device string // path under devices/, empty for a virtual interface
	mac    string
	typ    string
}

// fakeSys builds /sys/class/net with device links into /sys/devices.
func fakeSys(t *testing.T, nics []fakeNIC) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range nics {
		var ifdir string
		if n.device != "" {
			dev := filepath.Join(root, "devices", n.device)
			ifdir = filepath.Join(dev, "net", n.name)
			os.MkdirAll(ifdir, 0o755)
			if err := os.Symlink(dev, filepath.Join(ifdir, "device")); err != nil {
				t.Fatal(err)
			}
		} else {
			ifdir = filepath.Join(root, "devices", "virtual", "net", n.name)
			os.MkdirAll(ifdir, 0o755)
		}
		os.WriteFile(filepath.Join(ifdir, "address"), []byte(n.mac+"\n"), 0o644)
		typ := n.typ
		if typ == "" {
			typ = "1"
		}
		os.WriteFile(filepath.Join(ifdir, "type"), []byte(typ+"\n"), 0o644)
		os.MkdirAll(filepath.Join(root, "class", "net"), 0o755)
		if err := os.Symlink(ifdir, filepath.Join(root, "class", "net", n.name)); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "class", "net"), 0o755)
	os.MkdirAll(filepath.Join(root, "block"), 0o755)
	return root
}

func TestDiscoverQEMU(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nics  []fakeNIC
		mgmt  string
		ports string // "name=nic,..."
		slots string
	}{
		{
			name: "three virtio NICs out of name order",
			nics: []fakeNIC{
				{"eth0", "pci0000:00/0000:00:05.0/virtio2", "52:54:00:00:00:02", ""},
				{"eth1", "pci0000:00/0000:00:03.0/virtio0", "52:54:00:00:00:00", ""},
				{"eth2", "pci0000:00/0000:00:04.0/virtio1", "52:54:00:00:00:01", ""},
				{"lo", "", "00:00:00:00:00:00", "772"},
				{"veth0", "", "aa:00:00:00:00:01", ""},
			},
			mgmt:  "eth1 52:54:00:00:00:00",
			ports: "gigabitEthernet 2/0/0=eth2,gigabitEthernet 2/0/1=eth0",
			slots: "2:GE-8 6:SRP-320",
		},
		{
			name: "behind a PCI bridge",
			nics: []fakeNIC{
				{"enp1s0", "pci0000:00/0000:00:1c.0/0000:01:00.0", "00:11:22:33:44:01", ""},
				{"eno1", "pci0000:00/0000:00:19.0", "00:11:22:33:44:00", ""},
			},
			mgmt:  "eno1 00:11:22:33:44:00",
			ports: "gigabitEthernet 2/0/0=enp1s0",
			slots: "2:GE-8 6:SRP-320",
		},
		{
			name:  "management only",
			nics:  []fakeNIC{{"eth0", "pci0000:00/0000:00:03.0/virtio0", "52:54:00:00:00:00", ""}},
			mgmt:  "eth0 52:54:00:00:00:00",
			slots: "6:SRP-320",
		},
		{name: "no NICs", mgmt: " ", slots: "6:SRP-320"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := fakeSys(t, tc.nics)
			b, err := LoadEnv(Env{SysRoot: sys, DevRoot: t.TempDir()}, QEMU, "")
			if err != nil {
				t.Fatal(err)
			}
			if !b.InImage || b.Model != "E320-QEMU" || b.FlashDevice != "/dev/vda" || !b.Management.DHCP || b.Management.Port != "fastEthernet 6/0/0" || b.Management.Display != "FastEthernet6/0/0" {
				t.Fatalf("board = %+v", b)
			}
			mac := ""
			if b.Management.MAC != nil {
				mac = b.Management.MAC.String()
			}
			if got := b.Management.NIC + " " + mac; got != tc.mgmt {
				t.Errorf("management = %q, want %q", got, tc.mgmt)
			}
			var ports, slots []string
			for _, p := range b.Ports {
				ports = append(ports, p.Name+"="+p.NIC)
				if p.Display != strings.Replace("G"+p.Name[1:], " ", "", 1) {
					t.Errorf("display %q for %q", p.Display, p.Name)
				}
			}
			for _, s := range b.Slots {
				slots = append(slots, fmt.Sprintf("%d:%s", s.Number, s.Type))
			}
			if strings.Join(ports, ",") != tc.ports || strings.Join(slots, " ") != tc.slots {
				t.Errorf("ports %v slots %v", ports, slots)
			}
			if len(b.Ports) > 0 && b.Port("GigabitEthernet2/0/0") != &b.Ports[0] {
				t.Errorf("Port lookup failed")
			}
		})
	}
}

func TestHostBoard(t *testing.T) {
	sys := fakeSys(t, []fakeNIC{
		{"veth-m0", "", "02:00:00:00:00:01", ""},
		{"veth-r0", "", "02:00:00:00:00:02", ""},
		{"veth-r1", "", "02:00:00:00:00:03", ""},
	})
	env := Env{SysRoot: sys, DevRoot: t.TempDir()}
	write := func(s string) string {
		p := filepath.Join(t.TempDir(), "ports.json")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	good := write(`{"name":"lab1","management":{"nic":"veth-m0","address":"192.0.2.2/24","gateway":"192.0.2.1"},
		"ports":[{"name":"gigabitEthernet 3/0/0","nic":"veth-r1"},{"name":"GigabitEthernet2/0/0","nic":"veth-r0"}]}`)
	b, err := LoadEnv(env, Host, good)
	if err != nil {
		t.Fatal(err)
	}
	if b.InImage || b.Name != "lab1" || b.FlashDevice != "" || b.Management.NIC != "veth-m0" ||
		b.Management.Address != netip.MustParsePrefix("192.0.2.2/24") || b.Management.Gateway != netip.MustParseAddr("192.0.2.1") ||
		b.Management.MAC.String() != "02:00:00:00:00:01" || b.Management.Port != ManagementPort {
		t.Fatalf("board = %+v", b)
	}
	if len(b.Ports) != 2 || b.Ports[0].Name != "gigabitEthernet 2/0/0" || b.Ports[0].NIC != "veth-r0" || b.Ports[1].Display != "GigabitEthernet3/0/0" {
		t.Fatalf("ports = %+v", b.Ports)
	}
	if len(b.Slots) != 3 || b.Slots[0].Number != 2 || b.Slots[1].Number != 3 || b.Slots[2].Type != "SRP-320" {
		t.Fatalf("slots = %+v", b.Slots)
	}

	missing := write(`{"ports":[{"name":"gigabitEthernet 2/0/0","nic":"veth-r0"},{"name":"gigabitEthernet 2/0/1","nic":"eth2"}]}`)
	_, err = LoadEnv(env, Host, missing)
	var me *MissingNICError
	if !errors.As(err, &me) || err.Error() != "board: port gigabitEthernet 2/0/1: NIC eth2 not found" {
		t.Fatalf("missing NIC: %v", err)
	}
	if _, err := LoadEnv(env, Host, ""); err == nil {
		t.Fatal("host board without a file accepted")
	}
	if _, err := LoadEnv(env, "e120", ""); err == nil {
		t.Fatal("unknown board accepted")
	}
}

func TestParseFile(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{`{"ports":[]}`, ""},
		{`{"management":{"nic":"m0","dhcp":true},"ports":[{"name":"fastEthernet 4/1/7","nic":"x"}]}`, ""},
		{`{"ports":[{"name":"gigabitEthernet 2/0/0","nic":"a"},{"name":"gigabitethernet 2/0/0","nic":"b"}]}`, "listed twice"},
		{`{"ports":[{"name":"gigabitEthernet 2/0/0","nic":"a"},{"name":"gigabitEthernet 2/0/1","nic":"a"}]}`, "used twice"},
		{`{"ports":[{"name":"gigabitEthernet 6/0/0","nic":"a"}]}`, "SRP"},
		{`{"ports":[{"name":"serial 2/0/0","nic":"a"}]}`, "unknown type"},
		{`{"ports":[{"name":"gigabitEthernet 2/0","nic":"a"}]}`, "slot/adapter/port"},
		{`{"ports":[{"name":"gigabitEthernet 2/0/01","nic":"a"}]}`, "bad number"},
		{`{"ports":[{"name":"gigabitEthernet 2/0/0","nic":"../x"}]}`, "invalid NIC"},
		{`{"ports":[{"name":"gigabitEthernet 2/0/0","nic":"averyveryverylongname"}]}`, "invalid NIC"},
		{`{"management":{"nic":"m0","address":"192.0.2.2"},"ports":[]}`, "address"},
		{`{"management":{"nic":"m0","address":"192.0.2.2/24","dhcp":true},"ports":[]}`, "both"},
		{`{"management":{"nic":"m0","gateway":"::1"},"ports":[]}`, "gateway"},
		{`{"prots":[]}`, "unknown field"},
		{`{"ports":[]} {}`, "after the JSON"},
		{`not json`, "invalid"},
	} {
		_, err := ParseFile([]byte(tc.in))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseFile(%s) = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"name":"lab1","management":{"nic":"veth-m0","address":"192.0.2.2/24","gateway":"192.0.2.1"},"ports":[{"name":"gigabitEthernet 2/0/0","nic":"veth-r0"}]}`))
	f.Add([]byte(`{"ports":[{"name":"tenGigabitEthernet 16/255/255","nic":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data)
		if err != nil {
			return
		}
		for _, p := range file.Ports {
			typ, s, a, n, err := ParsePortName(p.Name)
			if err != nil {
				t.Fatalf("accepted bad port name %q", p.Name)
			}
			// The canonical name parses back to the same port.
			typ2, s2, a2, n2, err := ParsePortName(PortName(typ, s, a, n))
			if err != nil || typ2 != typ || s2 != s || a2 != a || n2 != n {
				t.Fatalf("round trip of %q failed", p.Name)
			}
		}
	})
}

func FuzzParsePortName(f *testing.F) {
	f.Add("gigabitEthernet 2/0/0")
	f.Fuzz(func(t *testing.T, s string) {
		typ, sl, a, p, err := ParsePortName(s)
		if err == nil && DisplayName(typ, sl, a, p) == "" {
			t.Fatal("empty display name")
		}
	})
}

func TestFindFlash(t *testing.T) {
	ext4 := func(label string) []byte {
		b := make([]byte, 2048)
		b[1024+56], b[1024+57] = 0x53, 0xEF
		copy(b[1024+120:], label)
		return b
	}
	iso := make([]byte, 40000)
	copy(iso[32769:], "CD001")
	junk := append(make([]byte, 100), 1)
	for _, tc := range []struct {
		name  string
		disks map[string][]byte
		want  string
	}{
		{"label wins over blank", map[string][]byte{"sda": make([]byte, 4096), "sdb": ext4("erx-flash")}, "sdb"},
		{"first blank disk", map[string][]byte{"sda": iso, "sdb": junk, "sdc": make([]byte, 4096), "sdd": make([]byte, 4096)}, "sdc"},
		{"other ext4 is not the flash", map[string][]byte{"sda": ext4("rootfs")}, ""},
		{"blank ISO boot medium skipped, loop ignored", map[string][]byte{"sr0": make([]byte, 10), "loop0": ext4("erx-flash")}, ""},
		{"nothing", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := fakeSys(t, nil)
			dev := t.TempDir()
			for n, data := range tc.disks {
				os.MkdirAll(filepath.Join(sys, "block", n), 0o755)
				os.WriteFile(filepath.Join(dev, n), data, 0o644)
			}
			got, err := FindFlash(Env{SysRoot: sys, DevRoot: dev})
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tc.want != "" {
				want = filepath.Join(dev, tc.want)
			}
			if got != want {
				t.Fatalf("FindFlash = %q, want %q", got, want)
			}
		})
	}
	// The x86 board uses the rule.
	sys := fakeSys(t, []fakeNIC{{"eth0", "pci0000:00/0000:00:19.0", "00:11:22:33:44:00", ""}})
	dev := t.TempDir()
	os.MkdirAll(filepath.Join(sys, "block", "nvme0n1"), 0o755)
	os.WriteFile(filepath.Join(dev, "nvme0n1"), ext4("erx-flash"), 0o644)
	b, err := LoadEnv(Env{SysRoot: sys, DevRoot: dev}, X86, "")
	if err != nil || b.FlashDevice != filepath.Join(dev, "nvme0n1") || b.Management.NIC != "eth0" || len(b.Modules) < 7 {
		t.Fatalf("x86 board = %+v, %v", b, err)
	}
}
