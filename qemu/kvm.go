package qemu

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/erxos/erx/internal/syncbuf"
)

// kvmProbeTime bounds the KVM probe. A working KVM prints the kernel's
// first line in well under a second; a broken one prints nothing.
const kvmProbeTime = 2 * time.Second

var kvmCache sync.Map // kernel path -> bool

// KVMWorks reports whether KVM can run kernel on this host. /dev/kvm may
// exist and still hang on the first MSR access of a Linux guest, so the
// probe boots kernel under KVM with no root and waits briefly for its
// "Linux version" banner on the serial port. The answer is cached per
// kernel for the life of the process. ERX_ACCEL=tcg or kvm overrides it.
func KVMWorks(ctx context.Context, binary, kernel string) bool {
	switch os.Getenv("ERX_ACCEL") {
	case "tcg":
		return false
	case "kvm":
		return true
	}
	if v, ok := kvmCache.Load(kernel); ok {
		return v.(bool)
	}
	ok := probeKVM(ctx, binary, kernel)
	kvmCache.Store(kernel, ok)
	return ok
}

func probeKVM(ctx context.Context, binary, kernel string) bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	ctx, cancel := context.WithTimeout(ctx, kvmProbeTime)
	defer cancel()
	var out syncbuf.Buffer
	cmd := exec.CommandContext(ctx, binary, "-accel", "kvm", "-cpu", "host", "-m", "128",
		"-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
		"-kernel", kernel, "-append", "console=ttyS0 panic=-1 earlyprintk=ttyS0")
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		return false
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return strings.Contains(out.String(), "Linux version")
		case <-tick.C:
			if strings.Contains(out.String(), "Linux version") {
				cmd.Process.Kill()
				<-done
				return true
			}
		case <-ctx.Done():
			cmd.Process.Kill()
			<-done
			return false
		}
	}
}
