package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/erxos/erx/aaa"
	"github.com/erxos/erx/aaa/local"
	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/sshd"
	"github.com/erxos/erx/firmware"
	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/mirror"
	"github.com/erxos/erx/mirror/mirrorcli"
	"github.com/erxos/erx/services/linecard"
	"github.com/erxos/erx/services/linecard/lccli"
	"github.com/erxos/erx/services/linecard/port/afpacket"
	"github.com/erxos/erx/services/mgmt"
	"github.com/erxos/erx/services/subscribers"
)

// router is the composed box: what routerd supervises after boot.
type router struct {
	board   *board.Board
	store   *flash.Dir // nil when the flash is unusable
	log     *slog.Logger
	release firmware.Release
	booted  time.Time
	logs    *firmware.LogHandler

	users    *local.Users
	linecard *linecard.Engine
	ports    []*afpacket.Port // the line card's data ports, closed after every service stopped
	mirror   *mirror.Engine
	subs     *subscribers.Engine
	prober   *lccli.PuntProber
	interp   *cli.Interpreter
	mgmt     *mgmt.Port
	ssh      *sshd.Server

	// leasesResumed: the restored DHCP leases were resumed (once a boot).
	leasesResumed sync.Once
}

func newRouter(b *board.Board, store *flash.Dir, sshAddr string, logs *firmware.LogHandler, log *slog.Logger, booted time.Time) (*router, error) {
	r := &router{
		board:   b,
		store:   store,
		log:     log,
		logs:    logs,
		release: firmware.CurrentRelease(),
		booted:  booted,
		users:   local.NewUsers(),
		mgmt:    mgmt.New(log.With(firmware.ServiceKey, "mgmt")),
	}
	lc, ports, err := openDataPlane(b, log.With(firmware.ServiceKey, "linecard"))
	if err != nil {
		return nil, err
	}
	r.linecard, r.ports = lc, ports
	opts := cli.Options{
		System: r,
		Log:    r,
		Logger: log.With(firmware.ServiceKey, "cli"),
	}
	if store != nil {
		opts.Committer = flashCommitter{store}
		opts.Files = store
	}
	interp, err := cli.New(opts)
	if err != nil {
		return nil, err
	}
	r.interp = interp
	tree := interp.Tree()
	if err := r.users.Register(tree); err != nil {
		return nil, err
	}
	if err := r.newSubscribers(); err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	// Frames for the router go to the ping/traceroute prober first, then
	// to subscriber access.
	r.prober = lccli.NewPuntProber(r.subs)
	r.prober.Attach(lc)
	lc.SetControlPlane(r.prober)
	deps := lccli.Deps{Engine: routeNotifier{lc, r}, Ports: b.Ports, Management: b.Management, Prober: r.prober}
	if b.Management.NIC != "" {
		deps.Mgmt = r.mgmt
	}
	// show ip interface: the secure mirroring section, for a session
	// with mirror access (the engine is created just below).
	deps.IPInterfaceDetail = func(ctx *command.Context, w io.Writer, ifname string, c linecard.Counters) error {
		if r.mirror == nil {
			return nil
		}
		return mirrorcli.ShowIPInterface(r.mirror)(ctx, w, ifname, c)
	}
	if err := lccli.Register(tree, deps); err != nil {
		return nil, err
	}
	if err := r.newMirror(); err != nil {
		return nil, err
	}

	if err := r.replayStartup(); err != nil {
		log.Error("startup configuration", "err", err)
	}
	// Lawful-intercept secrecy: what the secure store could not restore
	// (policy names, interfaces, trigger values) is in the secure mirror
	// log only, readable with mirror-enable; the system log and console
	// get nothing.
	_ = r.mirror.Load()
	if err := firmware.SetHostname(interp.Hostname()); err != nil && !errors.Is(err, firmware.ErrNotInImage) {
		log.Warn("hostname", "err", err)
	}
	if r.users.Len() == 0 {
		log.Warn("no local users are configured: nobody can log in until the flash is seeded (make run does it)")
	}

	keys := keyStore{store}
	srv, err := sshd.New(sshd.Options{
		Addr:     sshAddr,
		KeyStore: keys,
		Auth:     &aaa.Logins{Local: r.users, RADIUS: r.subs}, // radius: the subscribers' servers
		Interp:   interp,
		Logger:   log.With(firmware.ServiceKey, "sshd"),
	})
	if err != nil {
		return nil, err
	}
	r.ssh = srv
	return r, nil
}

// newMirror creates the mirroring engine over the line card and registers
// its (secret) commands. Its configuration lives in its own secure store on
// flash, never in system.cnf.
func (r *router) newMirror() error {
	cfg := mirror.Config{DataPlane: r.linecard, Routes: mirror.FIBRoutes{Source: r.linecard},
		Sessions: subscriberSessions{r.subs}}
	if r.store != nil {
		cfg.Store = r.store
	}
	eng, err := mirror.New(cfg)
	if err != nil {
		return fmt.Errorf("mirroring engine: %w", err)
	}
	r.mirror = eng
	return mirrorcli.Register(r.interp, eng)
}

// runMirror runs the mirroring engine's taps and analyzers until ctx ends.
func (r *router) runMirror(ctx context.Context) error {
	if err := r.startMirror(); err != nil {
		return err
	}
	<-ctx.Done()
	r.mirror.Stop()
	return ctx.Err()
}

// startMirror starts the mirroring engine, which subscribes it to the
// subscribers' session events, and then lets the IP subscribers restored
// from flash log in again (ResumeLeases, once a boot; the configuration
// is replayed by then), so that the mirroring triggers see them log in
// (seed Table 2). The leases are resumed also when Start fails or
// panics: their clients' REQUESTs would be ignored until they expire.
func (r *router) startMirror() error {
	defer r.leasesResumed.Do(r.subs.ResumeLeases)
	if err := r.mirror.Start(); err != nil {
		return fmt.Errorf("mirroring engine: %w", err)
	}
	return nil
}

// replayStartup runs the configuration chosen by `boot config` (normally
// system.cnf) through the interpreter; a line that fails is reported on
// the console and the log, and the rest still applies.
func (r *router) replayStartup() error {
	failed := 0
	name, err := r.interp.LoadStartup(func(file string, n int, line string, err error) {
		failed++
		r.log.Error(fmt.Sprintf("%s line %d: %q: %v", file, n, line, err))
	})
	if err != nil {
		return err
	}
	if name == "" {
		r.log.Info("no startup configuration on flash; running with defaults")
		return nil
	}
	r.log.Info(fmt.Sprintf("startup configuration %s applied (%d failed lines)", name, failed))
	return nil
}

// SystemLog implements cli.LogReader: the flash log (rotated part first),
// after flushing what is queued.
func (r *router) SystemLog() ([]byte, error) {
	if r.store == nil {
		return nil, errors.New("no flash: the log is on the console only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.logs.Sync(ctx)
	old, err := r.store.ReadFile(firmware.RotatedLogFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	cur, err := r.store.ReadFile(firmware.LogFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return append(old, cur...), nil
}

// run supervises the services until ctx ends.
func (r *router) run(ctx context.Context) error {
	sup := firmware.NewSupervisor(r.log)
	m := r.board.Management
	svcs := []firmware.Service{
		{Name: "sshd", Run: r.ssh.ListenAndServe},
		{Name: "linecard", Run: func(ctx context.Context) error { return runDataPlane(ctx, r.linecard) }},
		{Name: "mirror", Run: r.runMirror},
		{Name: "subscribers", Run: func(ctx context.Context) error { <-ctx.Done(); return r.subs.Close() }},
	}
	if m.NIC != "" {
		svcs = append(svcs, firmware.Service{Name: "mgmt", Run: func(ctx context.Context) error {
			return r.mgmt.Run(ctx, mgmt.Config{NIC: m.NIC, DHCP: m.DHCP, Address: m.Address, Gateway: m.Gateway})
		}})
	}
	for _, s := range svcs {
		if err := sup.Add(s); err != nil {
			return err
		}
	}
	r.log.Info(fmt.Sprintf("%s on board %s: up in %s", r.release.File(), r.board.Name, time.Since(r.booted).Round(time.Millisecond)))
	err := sup.Run(ctx)
	// Every service has returned: nothing transmits any more (the
	// subscribers' PADTs at shutdown go through the line card's control
	// lane), so the data ports can close and give the kernel its MAC
	// addresses back.
	for _, p := range r.ports {
		p.Close()
	}
	return err
}

// Identity implements cli.System.
func (r *router) Identity() cli.Identity {
	return cli.Identity{
		Product:     "erx Edge Routing Switch " + r.board.Model,
		Copyright:   "Copyright (c) 2026 erx authors.  All rights reserved.",
		ReleaseFile: r.release.File(),
		Version:     r.release.Version + " release-0.0",
		BuildID:     r.release.BuildID,
		BuildTime:   r.release.Built,
	}
}

// Slots implements cli.System: every slot up to the highest occupied one
// (at least the two SRP slots), empty ones included, as JunosE lists them.
func (r *router) Slots() []cli.Slot {
	last := 7
	occupied := map[int]board.Slot{}
	for _, s := range r.board.Slots {
		occupied[s.Number] = s
		last = max(last, s.Number)
	}
	up := time.Since(r.booted)
	out := make([]cli.Slot, 0, last+1)
	for n := 0; n <= last; n++ {
		s, ok := occupied[n]
		if !ok {
			out = append(out, cli.Slot{Number: n, Empty: true})
			continue
		}
		out = append(out, cli.Slot{
			Number: n, State: s.State, Type: s.Type, Admin: "enabled",
			Release: r.release.File(), Uptime: up,
		})
	}
	return out
}

// BootTime implements cli.System.
func (r *router) BootTime() time.Time { return r.booted }

// Reload implements cli.System: flush the log, then reboot. On the host
// board there is nothing to reboot; the request is refused.
func (r *router) Reload() error {
	r.log.Warn("reload requested from the CLI")
	if !firmware.InImage() {
		return errors.New("reload is not available on the host board")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	r.logs.Sync(ctx)
	cancel()
	return firmware.Reboot()
}

// flashCommitter writes the running configuration to flash atomically.
type flashCommitter struct{ store *flash.Dir }

func (c flashCommitter) Commit(cfg []byte) error {
	return c.store.WriteFile(cli.DefaultStartupFile, cfg, 0o600)
}

// keyStore keeps the SSH host keys on flash; without a flash the keys live
// in memory only (a new key at every boot, and the console says so).
type keyStore struct{ store *flash.Dir }

func (k keyStore) ReadFile(name string) ([]byte, error) {
	if k.store == nil {
		return nil, fs.ErrNotExist
	}
	return k.store.ReadFile(name)
}

func (k keyStore) WriteFile(name string, data []byte) error {
	if k.store == nil {
		return errors.New("no flash: host key not persisted")
	}
	return k.store.WriteFile(name, data, 0o600)
}
