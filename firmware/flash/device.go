package flash

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// Outcome says what MountDevice found on the flash.
type Outcome int

// Outcomes of MountDevice.
const (
	OK                   Outcome = iota // an ext4 flash mounted as it was
	FormattedEmpty                      // the device was blank and was formatted
	RecoveredFromCorrupt                // unmountable: raw image kept, then formatted
)

// String names the outcome as the console shows it.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case FormattedEmpty:
		return "formatted-empty"
	case RecoveredFromCorrupt:
		return "recovered-from-corrupt"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Report says what MountDevice did, for the console and the log.
type Report struct {
	Outcome       Outcome
	Device        string
	RecoveredFile string // store name of the saved raw image, if any
	RawBytes      int64  // bytes of the corrupt device read
	SavedBytes    int64  // compressed bytes kept in RecoveredFile
	Truncated     bool   // the saved image is incomplete (see Detail)
	Detail        string // why the flash was judged corrupt, and any loss
}

// String is one line for the console.
func (r Report) String() string {
	s := fmt.Sprintf("flash %s: %s", r.Device, r.Outcome)
	if r.Outcome == RecoveredFromCorrupt {
		if r.RecoveredFile != "" {
			s += fmt.Sprintf("; old contents saved as %s (%d raw bytes, %d compressed)", r.RecoveredFile, r.RawBytes, r.SavedBytes)
		} else {
			s += "; old contents could NOT be saved"
		}
		if r.Truncated {
			s += " (INCOMPLETE)"
		}
	}
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s
}

// Limits bound the raw image kept of a corrupt flash.
const (
	MaxRawRead   = 4 << 30  // bytes of the device read at most
	MaxSavedSize = 64 << 20 // compressed bytes kept in memory at most
	blankCheck   = 64 << 10 // leading bytes that must be zero for "blank"
)

// DeviceWait is how long MountDevice waits for the device node.
var DeviceWait = 10 * time.Second

func waitForDevice(dev string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(dev); err == nil || time.Now().After(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// device is what MountDevice does to the hardware; tests fake it.
type device interface {
	Open(dev string) (io.ReadCloser, error)
	Format(dev string) error
	Mount(dev, mountpoint string) error
}

// MkfsPath is the mke2fs staged into the image (docs/CONTRACTS.md).
var MkfsPath = "/sbin/mke2fs"

// MountDevice mounts the flash device dev at mountpoint and opens it. A
// blank device (all zero at the start) is formatted as ext4 labelled
// erx-flash. A device that does not mount as ext4 is corrupt: its raw
// contents are read (bounded), gzip-compressed into memory, the device is
// formatted and mounted, and the image is written to
// recovered/flash-<UTC time>.img.gz so the operator can recover it. The
// Report says what happened; an error means the flash is unusable.
//
// The device node may appear a moment after its driver loaded: MountDevice
// waits up to DeviceWait for it.
func MountDevice(dev, mountpoint string, log *slog.Logger) (*Dir, Report, error) {
	waitForDevice(dev, DeviceWait)
	return mountDevice(realDevice{}, dev, mountpoint, log, time.Now, MaxRawRead, MaxSavedSize)
}

func mountDevice(d device, dev, mountpoint string, log *slog.Logger, now func() time.Time, maxRaw, maxSaved int64) (*Dir, Report, error) {
	rep := Report{Device: dev}
	if err := os.MkdirAll(mountpoint, 0o755); err != nil {
		return nil, rep, fmt.Errorf("flash: %w", err)
	}
	blank, err := isBlank(d, dev)
	if err != nil {
		return nil, rep, fmt.Errorf("flash: reading %s: %w", dev, err)
	}
	if blank {
		log.Info("flash is blank; formatting", "device", dev)
		rep.Outcome = FormattedEmpty
		return formatAndOpen(d, dev, mountpoint, rep)
	}
	merr := d.Mount(dev, mountpoint)
	if notCorrupt(merr) {
		// Busy, missing driver, no device: reformatting would not help and
		// might destroy a good file system.
		return nil, rep, fmt.Errorf("flash: mounting %s: %w", dev, merr)
	}
	if merr == nil {
		dir, err := Open(mountpoint)
		if err != nil {
			return nil, rep, err
		}
		rep.Outcome = OK
		return dir, rep, nil
	}
	rep.Outcome = RecoveredFromCorrupt
	rep.Detail = fmt.Sprintf("mount failed: %v", merr)
	log.Error("flash is corrupt; saving its raw image and reformatting", "device", dev, "err", merr)

	img, raw, complete, rerr := saveRaw(d, dev, maxRaw, maxSaved)
	rep.RawBytes = raw
	if rerr != nil {
		rep.Detail += fmt.Sprintf("; reading the raw device stopped after %d bytes: %v", raw, rerr)
		complete = false
	} else if !complete {
		rep.Detail += fmt.Sprintf("; raw image limited to the first %d bytes", raw)
	}
	rep.Truncated = !complete

	dir, rep, err := formatAndOpen(d, dev, mountpoint, rep)
	if err != nil {
		return nil, rep, err
	}
	name := "recovered/flash-" + now().UTC().Format("20060102T150405Z") + ".img.gz"
	saved, werr := writeShrinking(dir, name, img)
	if werr != nil {
		rep.Detail += fmt.Sprintf("; could not save the raw image: %v", werr)
		log.Error("flash: raw image of the corrupt flash lost", "err", werr)
	} else {
		rep.RecoveredFile, rep.SavedBytes = name, int64(saved)
		if saved < len(img) {
			rep.Truncated = true
			rep.Detail += fmt.Sprintf("; only %d of %d compressed bytes fit on the flash", saved, len(img))
		}
	}
	log.Warn(rep.String())
	return dir, rep, nil
}

// notCorrupt tells mount errors that say nothing about the file system.
func notCorrupt(err error) bool {
	for _, e := range []error{unix.EBUSY, unix.ENODEV, unix.ENOENT, unix.ENOTBLK, unix.EACCES, unix.EPERM, unix.ENXIO, unix.ENOMEDIUM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func formatAndOpen(d device, dev, mountpoint string, rep Report) (*Dir, Report, error) {
	if err := d.Format(dev); err != nil {
		return nil, rep, fmt.Errorf("flash: formatting %s: %w", dev, err)
	}
	if err := d.Mount(dev, mountpoint); err != nil {
		return nil, rep, fmt.Errorf("flash: mounting %s after formatting: %w", dev, err)
	}
	dir, err := Open(mountpoint)
	return dir, rep, err
}

// isBlank reports whether the device's first blankCheck bytes (or all of a
// smaller device) are zero.
func isBlank(d device, dev string) (bool, error) {
	r, err := d.Open(dev)
	if err != nil {
		return false, err
	}
	defer r.Close()
	buf := make([]byte, blankCheck)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	for _, b := range buf[:n] {
		if b != 0 {
			return false, nil
		}
	}
	return true, nil
}

// saveRaw streams up to maxRaw bytes of dev through gzip into memory,
// keeping at most maxSaved compressed bytes. complete is false if the
// device was not read to its end.
func saveRaw(d device, dev string, maxRaw, maxSaved int64) (img []byte, raw int64, complete bool, err error) {
	r, err := d.Open(dev)
	if err != nil {
		return nil, 0, false, err
	}
	defer r.Close()
	var out bytes.Buffer
	cw := &capWriter{w: &out, max: maxSaved}
	zw, _ := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	buf := make([]byte, 1<<20)
	complete = true
	for {
		if raw >= maxRaw {
			// Is there more?
			var one [1]byte
			if n, _ := r.Read(one[:]); n > 0 {
				complete = false
			}
			break
		}
		chunk := buf
		if rem := maxRaw - raw; rem < int64(len(chunk)) {
			chunk = chunk[:rem]
		}
		n, rerr := r.Read(chunk)
		if n > 0 {
			if _, werr := zw.Write(chunk[:n]); werr != nil {
				complete = false
				break
			}
			raw += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	// After the memory limit is hit the gzip stream has no trailer: it is
	// still readable (zcat prints what there is, then complains).
	if cerr := zw.Close(); cerr != nil || cw.hit {
		complete = false
	}
	return out.Bytes(), raw, complete, err
}

// capWriter keeps at most max bytes and fails writes past them.
type capWriter struct {
	w      io.Writer
	max, n int64
	hit    bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.hit || c.n+int64(len(p)) > c.max {
		if !c.hit && c.max > c.n {
			k := c.max - c.n // keep what fits
			c.w.Write(p[:k])
			c.n += k
		}
		c.hit = true
		return 0, errors.New("flash: raw image exceeds the memory limit")
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeShrinking writes img as name, retrying with halves of it when the
// new flash has no room, and returns how many bytes were kept.
func writeShrinking(dir *Dir, name string, img []byte) (int, error) {
	n := len(img)
	for {
		err := dir.WriteFile(name, img[:n], 0o600)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, unix.ENOSPC) || n < 4096 {
			return 0, err
		}
		n /= 2
	}
}

// realDevice is the running kernel.
type realDevice struct{}

func (realDevice) Open(dev string) (io.ReadCloser, error) { return os.Open(dev) }

func (realDevice) Format(dev string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mkfs := MkfsPath
	if _, err := os.Stat(mkfs); err != nil {
		if p, lerr := exec.LookPath("mke2fs"); lerr == nil {
			mkfs = p
		}
	}
	out, err := exec.CommandContext(ctx, mkfs, "-q", "-t", "ext4", "-F", "-L", "erx-flash", dev).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", mkfs, err, bytes.TrimSpace(out))
	}
	return nil
}

func (realDevice) Mount(dev, mountpoint string) error {
	return unix.Mount(dev, mountpoint, "ext4", unix.MS_NOATIME|unix.MS_NODEV|unix.MS_NOSUID, "")
}
