package main

import (
	"encoding/hex"
	"io/fs"

	"github.com/erxos/erx/aaa/local"
	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/mirror"
	"github.com/erxos/erx/mirror/mirrorcli"
	"github.com/erxos/erx/services/access/pool"
	"github.com/erxos/erx/services/subscribers"
	"github.com/erxos/erx/services/subscribers/subcli"
)

// newSubscribers creates the subscriber engine (PPPoE and IPoE access, AAA,
// accounting, CoA/Disconnect) as the line card's control plane, and
// registers its commands. CoA requests that carry lawful-intercept
// attributes go to the mirroring engine.
func (r *router) newSubscribers() error {
	pools := &pool.Registry{}
	// Local authentication of subscribers (`aaa authentication ppp
	// default local`) uses the subscribers' own local user databases
	// (`aaa local database`, `aaa local username`), never the operators'
	// `username` accounts: a PPPoE client must not be able to test
	// operator passwords.
	localDB := local.NewSubscriberDB()
	if err := localDB.Register(r.interp.Tree()); err != nil {
		return err
	}
	cfg := subscribers.Config{DataPlane: r.linecard, Pools: pools, Hostname: r.interp.Hostname(), Local: localDB}
	if r.store != nil {
		// The DHCP leases on flash get their sessions back once the
		// configuration is replayed and the mirroring engine listens
		// (runMirror calls ResumeLeases).
		cfg.LeaseStore, cfg.HoldLeases = leaseStore{r.store}, true
	}
	subs, err := subscribers.New(cfg)
	if err != nil {
		return err
	}
	if r.store != nil {
		// Acct-Session-Ids never repeat across restarts of routerd.
		if err := subs.PersistAcctSessionIDs(flashFiles{r.store, "aaa/"}); err != nil {
			r.log.Error("Acct-Session-Id reservation on flash", "err", err)
		}
	}
	r.linecard.SetControlPlane(subs)
	if err := subcli.Register(r.interp.Tree(), subcli.Deps{Engine: subs, Pools: pools, Hostname: r.interp.Hostname,
		MirrorVisible: mirrorcli.Visible}); err != nil {
		return err
	}
	subs.SetMirrorCoA(func(c subscribers.CoARequest) (bool, radius.ErrorCause) {
		res := r.mirror.HandleCoA(mirror.Identity{AcctSessionID: c.AcctSessionID, Username: c.Username,
			Address: c.Address, VirtualRouter: c.VirtualRouter, CallingStationID: c.CallingStationID, NASPortID: c.NASPortID},
			liRequest(c.Mirror), c.From.String())
		return res.ACK, radius.ErrorCause(res.Cause)
	})
	r.subs = subs
	return nil
}

// liRequest converts RADIUS's decoded intercept attributes for the engine.
func liRequest(m radius.Mirror) mirror.LIRequest {
	li := mirror.LIRequest{HasAction: m.HasAction, Action: mirror.LIAction(m.Action),
		HasDevHandle: m.HasDevHandle, DevHandle: m.DevHandle, HasAnalyzer: m.HasAnalyzer,
		Analyzer: m.Analyzer, HasPort: m.HasPort, Port: m.Port}
	if m.Err != nil {
		li.Malformed = m.Err.Error()
	}
	return li
}

// subscriberSessions feeds the subscriber events to the mirroring engine.
// Delivery is synchronous: Login reaches the mirror before the first
// packet is routed to the subscriber.
type subscriberSessions struct{ e *subscribers.Engine }

func (s subscriberSessions) SubscribeSessions(fn func(mirror.SessionEvent)) (cancel func()) {
	return s.e.Subscribe("mirror", func(ev subscribers.Event) {
		x := ev.Session
		me := mirror.SessionEvent{
			Session: mirror.Session{Identity: mirror.Identity{AcctSessionID: x.AcctSessionID,
				CallingStationID: x.CallingStationID, Address: x.Address, Username: x.Username,
				VirtualRouter: x.VirtualRouter, NASPortID: x.NASPortID, DHCPOption82: hex.EncodeToString(x.Option82()),
				AgentCircuitID: string(x.CircuitID), AgentRemoteID: string(x.RemoteID)}, Interface: x.Interface},
			From: x.AuthServer,
		}
		switch ev.Type {
		case subscribers.EventLogin:
			me.Type = mirror.SessionLogin
		case subscribers.EventAddressAssigned:
			me.Type = mirror.SessionAddressAssigned
		case subscribers.EventLogout:
			me.Type, me.Cause = mirror.SessionLogout, ev.Cause.String()
		}
		if m := ev.Mirror; m != nil {
			li := liRequest(*m)
			me.LI = &li
		}
		fn(me)
	}, subscribers.ConsumerOptions{Sync: true})
}

// leaseStore keeps the DHCP leases on flash under dhcp/.
type leaseStore struct{ d *flash.Dir }

func (l leaseStore) ReadFile(name string) ([]byte, error) { return l.d.ReadFile("dhcp/" + name) }

func (l leaseStore) WriteFile(name string, b []byte) error {
	return l.d.WriteFile("dhcp/"+name, b, fs.FileMode(0o600))
}

// flashFiles keeps files on flash under a directory prefix.
type flashFiles struct {
	d      *flash.Dir
	prefix string
}

func (f flashFiles) ReadFile(name string) ([]byte, error) { return f.d.ReadFile(f.prefix + name) }

func (f flashFiles) WriteFile(name string, b []byte) error {
	return f.d.WriteFile(f.prefix+name, b, fs.FileMode(0o600))
}
