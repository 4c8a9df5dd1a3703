package image

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

func TestParseModinfo(t *testing.T) {
	ko := fakeModule("license=GPL", "depends=virtio,virtio_ring", "name=virtio_pci", "vermagic=6.1.0 SMP")
	info, err := ParseModinfo(ko)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"license": "GPL", "depends": "virtio,virtio_ring", "name": "virtio_pci", "vermagic": "6.1.0 SMP"}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("ParseModinfo = %v, want %v", info, want)
	}
	if _, err := ParseModinfo([]byte("not an elf")); err == nil {
		t.Error("ParseModinfo(garbage) succeeded")
	}
}

func TestSplitDepends(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"virtio", []string{"virtio"}},
		{"virtio,net-failover,", []string{"virtio", "net_failover"}},
	} {
		if got := splitDepends(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitDepends(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolveOrder(t *testing.T) {
	graph := map[string][]string{
		"virtio_net":   {"virtio", "virtio_ring", "net_failover"},
		"net_failover": {"failover"},
		"failover":     nil,
		"virtio":       {"virtio_ring"},
		"virtio_ring":  nil,
		"virtio_blk":   {"virtio", "virtio_ring"},
		"a":            {"b"},
		"b":            {"a"},
	}
	builtin := map[string]bool{"ext4": true}
	lookup := func(name string) (Module, bool, error) {
		if builtin[name] {
			return Module{}, true, nil
		}
		deps, ok := graph[name]
		if !ok {
			return Module{}, false, os.ErrNotExist
		}
		return Module{Name: name, Rel: name + ".ko", Depends: deps}, false, nil
	}
	names := func(ms []Module) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{"single", []string{"virtio_ring"}, []string{"virtio_ring"}, ""},
		{"closure", []string{"virtio_net"}, []string{"virtio_ring", "virtio", "failover", "net_failover", "virtio_net"}, ""},
		{"shared deps once", []string{"virtio_blk", "virtio_net"}, []string{"virtio_ring", "virtio", "virtio_blk", "failover", "net_failover", "virtio_net"}, ""},
		{"builtin skipped", []string{"ext4", "virtio-ring"}, []string{"virtio_ring"}, ""},
		{"missing", []string{"e1000"}, nil, "not exist"},
		{"cycle", []string{"a"}, nil, "cycle"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveOrder(tt.in, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveOrder(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names(got), tt.want) {
				t.Errorf("resolveOrder(%q) = %q, want %q", tt.in, names(got), tt.want)
			}
		})
	}
}

// writeTree lays out a fake lib/modules/<version> tree.
func writeTree(t *testing.T) (*Kernel, string) {
	t.Helper()
	root := t.TempDir()
	const version = "6.1.0-99-test"
	dir := filepath.Join(root, "lib", "modules", version)
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kernel/drivers/virtio/virtio_ring.ko", fakeModule("depends="))
	write("kernel/drivers/virtio/virtio_pci.ko", fakeModule("depends=virtio_ring"))
	var xzBuf bytes.Buffer
	w, err := xz.NewWriter(&xzBuf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(fakeModule("depends=virtio_pci,crc32c"))
	w.Close()
	write("kernel/drivers/block/virtio-blk.ko.xz", xzBuf.Bytes())
	write("modules.builtin", []byte("kernel/lib/crc32c.ko\nkernel/fs/ext4/ext4.ko\n"))
	return &Kernel{Version: version, ModulesDir: dir}, root
}

func TestStageModules(t *testing.T) {
	k, _ := writeTree(t)
	dest := t.TempDir()
	load, err := StageModules(k, []string{"virtio_blk", "ext4"}, dest)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/lib/modules/6.1.0-99-test/kernel/drivers/virtio/virtio_ring.ko",
		"/lib/modules/6.1.0-99-test/kernel/drivers/virtio/virtio_pci.ko",
		"/lib/modules/6.1.0-99-test/kernel/drivers/block/virtio-blk.ko",
	}
	if !reflect.DeepEqual(load, want) {
		t.Errorf("load order = %q, want %q", load, want)
	}
	list, err := os.ReadFile(filepath.Join(dest, "lib", "modules", "erx.load"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(list); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("erx.load = %q", got)
	}
	// The .ko.xz is staged decompressed.
	ko, err := os.ReadFile(filepath.Join(dest, "lib/modules/6.1.0-99-test/kernel/drivers/block/virtio-blk.ko"))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := ParseModinfo(ko); err != nil || info["depends"] != "virtio_pci,crc32c" {
		t.Errorf("staged virtio-blk.ko modinfo = %v, %v", info, err)
	}

	if _, err := StageModules(k, []string{"e1000"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "neither built in nor present") {
		t.Errorf("staging a missing module: err = %v", err)
	}
}

func FuzzParseModinfo(f *testing.F) {
	f.Add(fakeModule("depends=a,b", "name=c"))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseModinfo(b)
		if err == nil {
			splitDepends(info["depends"])
		}
	})
}
