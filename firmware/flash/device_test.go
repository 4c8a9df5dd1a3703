package flash

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeDevice is a block device in memory. It mounts when it starts with
// the fake superblock "EXT4", unless mountErr is set.
type fakeDevice struct {
	data      []byte
	mountErr  error
	formatErr error
	formats   int
	mounts    int
}

func (f *fakeDevice) Open(string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

func (f *fakeDevice) Format(string) error {
	if f.formatErr != nil {
		return f.formatErr
	}
	f.formats++
	f.data = append([]byte("EXT4"), make([]byte, len(f.data))...)
	return nil
}

func (f *fakeDevice) Mount(string, string) error {
	if f.mountErr != nil {
		return f.mountErr
	}
	if !bytes.HasPrefix(f.data, []byte("EXT4")) {
		return unix.EINVAL
	}
	f.mounts++
	return nil
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(1)).Read(b)
	return b
}

func gunzipAll(t *testing.T, b []byte) ([]byte, error) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func TestMountDeviceDecisions(t *testing.T) {
	garbage := append([]byte("garbage"), make([]byte, 1<<20)...)
	now := func() time.Time { return time.Date(2026, 11, 27, 20, 1, 2, 0, time.UTC) }
	const recovered = "recovered/flash-20261127T200102Z.img.gz"
	for _, tc := range []struct {
		name             string
		data             []byte
		mountErr         error
		formatErr        error
		maxRaw, maxSaved int64
		want             Outcome
		wantErr          bool
		wantFile         string
		wantTruncated    bool
		wantFormats      int
	}{
		{name: "blank", data: make([]byte, 1<<20), want: FormattedEmpty, wantFormats: 1},
		{name: "empty device", data: nil, want: FormattedEmpty, wantFormats: 1},
		{name: "good", data: append([]byte("EXT4"), garbage...), want: OK},
		{name: "corrupt", data: garbage, want: RecoveredFromCorrupt, wantFile: recovered, wantFormats: 1},
		{name: "corrupt raw limit", data: garbage, maxRaw: 1000, want: RecoveredFromCorrupt, wantFile: recovered, wantTruncated: true, wantFormats: 1},
		{name: "corrupt memory limit", data: randomBytes(256 << 10), maxSaved: 4096, want: RecoveredFromCorrupt, wantFile: recovered, wantTruncated: true, wantFormats: 1},
		{name: "busy is not corrupt", data: garbage, mountErr: unix.EBUSY, wantErr: true},
		{name: "no ext4 driver is not corrupt", data: garbage, mountErr: unix.ENODEV, wantErr: true},
		{name: "format fails", data: make([]byte, 100), formatErr: errors.New("no mke2fs"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]byte(nil), tc.data...)
			dev := &fakeDevice{data: tc.data, mountErr: tc.mountErr, formatErr: tc.formatErr}
			maxRaw, maxSaved := tc.maxRaw, tc.maxSaved
			if maxRaw == 0 {
				maxRaw = MaxRawRead
			}
			if maxSaved == 0 {
				maxSaved = MaxSavedSize
			}
			mp := t.TempDir()
			dir, rep, err := mountDevice(dev, "/dev/fake", mp, discard(), now, maxRaw, maxSaved)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %v", rep)
				}
				if dev.formats != 0 {
					t.Fatalf("formatted %d times after an error", dev.formats)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != tc.want || rep.RecoveredFile != tc.wantFile || rep.Truncated != tc.wantTruncated || dev.formats != tc.wantFormats {
				t.Fatalf("report %+v formats %d", rep, dev.formats)
			}
			if !strings.Contains(rep.String(), tc.want.String()) {
				t.Errorf("String() = %q", rep.String())
			}
			if tc.wantFile == "" {
				return
			}
			img, err := dir.ReadFile(tc.wantFile)
			if err != nil {
				t.Fatal(err)
			}
			raw, zerr := gunzipAll(t, img)
			if !tc.wantTruncated {
				if zerr != nil || !bytes.Equal(raw, orig) {
					t.Fatalf("recovered image differs: %v", zerr)
				}
				return
			}
			// A truncated image still holds a prefix of the device.
			if len(raw) == 0 || !bytes.HasPrefix(orig, raw) {
				t.Fatalf("truncated image is not a prefix (%d bytes, %v)", len(raw), zerr)
			}
			if !strings.Contains(rep.String(), "INCOMPLETE") {
				t.Errorf("String() hides the truncation: %q", rep.String())
			}
		})
	}
}

// TestMountDeviceLoop runs the real thing on a loop device.
func TestMountDeviceLoop(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("requires root (loop devices, mount)")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("requires root and losetup")
	}
	if _, err := exec.LookPath("mke2fs"); err != nil {
		t.Skip("requires root and mke2fs")
	}
	img := filepath.Join(t.TempDir(), "flash.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Skipf("requires root with working loop devices: losetup: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	mp := t.TempDir()
	umount := func() {
		if err := unix.Unmount(mp, 0); err != nil {
			t.Fatalf("unmount: %v", err)
		}
	}

	dir, rep, err := MountDevice(loop, mp, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mp, unix.MNT_DETACH) })
	if rep.Outcome != FormattedEmpty {
		t.Fatalf("blank device: %v", rep)
	}
	if err := dir.WriteFile("system.cnf", []byte("hostname a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	umount()

	dir, rep, err = MountDevice(loop, mp, discard())
	if err != nil || rep.Outcome != OK {
		t.Fatalf("second mount: %v %v", rep, err)
	}
	if b, err := dir.ReadFile("system.cnf"); err != nil || string(b) != "hostname a\n" {
		t.Fatalf("after remount: %q %v", b, err)
	}
	umount()

	// Smash the superblock.
	f, err := os.OpenFile(loop, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(bytes.Repeat([]byte{0xa5}, 4096), 0)
	f.Sync()
	f.Close()
	dir, rep, err = MountDevice(loop, mp, discard())
	if err != nil || rep.Outcome != RecoveredFromCorrupt || rep.RecoveredFile == "" || rep.Truncated {
		t.Fatalf("corrupt: %v %v", rep, err)
	}
	gz, err := dir.ReadFile(rep.RecoveredFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := gunzipAll(t, gz)
	if err != nil || len(raw) != 16<<20 || !bytes.Contains(raw, []byte("hostname a\n")) {
		t.Fatalf("recovered image: %d bytes, %v", len(raw), err)
	}
	umount()
}
