package subcli

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/services/access/ppp"
	"github.com/erxos/erx/services/subscribers"
)

var (
	configModes = []command.Mode{command.Config}
	radiusModes = []command.Mode{command.ConfigRadius}
	ifModes     = []command.Mode{command.ConfigIf, command.ConfigSubif}
)

var radiusHelp = command.Help{
	"radius":          "Configure RADIUS parameters",
	"authentication":  "Configure a RADIUS authentication server",
	"accounting":      "Configure a RADIUS accounting server",
	"dynamic-request": "Configure a RADIUS dynamic-request (CoA/Disconnect) client",
	"server":          "RADIUS server",
	"addr":            "IP address of the server",
}

var methodHelp = command.Help{
	"aaa":            "Configure authentication, authorization, and accounting characteristics",
	"authentication": "Configure authentication methods",
	"ppp":            "PPP subscribers",
	"ip":             "IP subscribers",
	"default":        "The default method list",
	"m1":             "radius, local or none",
	"m2":             "radius, local or none",
	"m3":             "radius, local or none",
}

func (s *state) configCommands() []*command.Command {
	var out []*command.Command
	for _, kind := range []string{kindAuth, kindAcct, kindDynamic} {
		out = append(out, &command.Command{
			Syntax: "radius " + kind + " server <addr:A.B.C.D>", Modes: configModes, Privilege: 10, Help: radiusHelp,
			Run: func(ctx *command.Context, req *command.Request) error {
				return s.serverEnter(ctx, kind, req.Addr("addr"))
			},
			No: func(ctx *command.Context, req *command.Request) error { return s.serverRemove(kind, req.Addr("addr")) },
		})
	}
	out = append(out,
		&command.Command{Syntax: "key <secret:word>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"key": "Shared secret", "secret": "The secret"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.key = req.String("secret") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.key = "" }), NoSyntax: "key [<secret:word>]"},
		&command.Command{Syntax: "udp-port <port:1-65535>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"udp-port": "UDP port of the server (1812, 1813; dynamic-request 1700)", "port": "Port number"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.port = req.Int("port") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.port = 0 }), NoSyntax: "udp-port [<port:1-65535>]"},
		&command.Command{Syntax: "timeout <seconds:1-1000>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"timeout": "Seconds to wait for a reply (default 3)", "seconds": "Seconds"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.timeout = req.Int("seconds") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.timeout = 0 }), NoSyntax: "timeout [<seconds:1-1000>]"},
		&command.Command{Syntax: "retransmit <count:0-100>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"retransmit": "Retransmissions before the next server (default 3)", "count": "Retransmissions"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.retransmit = req.Int("count") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.retransmit = -1 }), NoSyntax: "retransmit [<count:0-100>]"},
		&command.Command{Syntax: "deadtime <minutes:0-1440>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"deadtime": "Minutes a server that timed out is skipped (default 0)", "minutes": "Minutes"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.deadtime = req.Int("minutes") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.deadtime = 0 }), NoSyntax: "deadtime [<minutes:0-1440>]"},
		&command.Command{Syntax: "max-sessions <count:1-65535>", Modes: radiusModes, Privilege: 10,
			Help: command.Help{"max-sessions": "Outstanding requests allowed (default 255)", "count": "Requests"},
			Run:  s.radiusSet(func(r *radiusServer, req *command.Request) { r.maxSessions = req.Int("count") }),
			No:   s.radiusSet(func(r *radiusServer, _ *command.Request) { r.maxSessions = 0 }), NoSyntax: "max-sessions [<count:1-65535>]"},
		&command.Command{Syntax: "radius algorithm {direct|round-robin}", Modes: configModes, Privilege: 10,
			Help: command.Help{"radius": "Configure RADIUS parameters", "algorithm": "Order servers are tried in",
				"direct": "Primary first, others as backup (default)", "round-robin": "Rotate the first server"},
			Run: func(ctx *command.Context, req *command.Request) error {
				return s.setAlgorithm(map[bool]radius.Algorithm{true: radius.RoundRobin, false: radius.Direct}[req.Keyword("round-robin")])
			},
			No:       func(ctx *command.Context, req *command.Request) error { return s.setAlgorithm(radius.Direct) },
			NoSyntax: "radius algorithm [{direct|round-robin}]"},
	)
	for _, typ := range []subscribers.Type{subscribers.TypePPPoE, subscribers.TypeIPoE} {
		kw := map[subscribers.Type]string{subscribers.TypePPPoE: "ppp", subscribers.TypeIPoE: "ip"}[typ]
		out = append(out, &command.Command{
			Syntax: "aaa authentication " + kw + " default <m1:word> [<m2:word> [<m3:word>]]", Modes: configModes, Privilege: 10, Help: methodHelp,
			Run: func(ctx *command.Context, req *command.Request) error {
				var ms []subscribers.Method
				for _, a := range []string{"m1", "m2", "m3"} {
					if !req.Has(a) {
						continue
					}
					m, err := subscribers.ParseMethod(req.String(a))
					if err != nil {
						return err
					}
					ms = append(ms, m)
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				s.methods[typ] = ms
				s.d.Engine.SetAuthentication(typ, ms)
				return nil
			},
			NoSyntax: "aaa authentication " + kw + " default [<m1:word> [<m2:word> [<m3:word>]]]",
			No: func(ctx *command.Context, req *command.Request) error {
				s.mu.Lock()
				defer s.mu.Unlock()
				delete(s.methods, typ)
				s.d.Engine.SetAuthentication(typ, nil)
				return nil
			},
		})
	}
	out = append(out,
		&command.Command{Syntax: "aaa accounting ppp default {radius|none}", Modes: configModes, Privilege: 10,
			Help: command.Help{"aaa": methodHelp["aaa"], "accounting": "Configure accounting", "ppp": "PPP and IP subscribers",
				"default": "The default method list", "radius": "Send accounting to RADIUS", "none": "No accounting"},
			Run: func(ctx *command.Context, req *command.Request) error {
				return s.setAccounting(req.Keyword("radius"), true, -1)
			},
			NoSyntax: "aaa accounting ppp default [{radius|none}]",
			No:       func(ctx *command.Context, req *command.Request) error { return s.setAccounting(false, false, -1) }},
		&command.Command{Syntax: "aaa accounting interval <minutes:10-1440>", Modes: configModes, Privilege: 10,
			Help: command.Help{"aaa": methodHelp["aaa"], "accounting": "Configure accounting",
				"interval": "Interim accounting interval", "minutes": "Minutes"},
			Run: func(ctx *command.Context, req *command.Request) error {
				s.mu.Lock()
				on, set := s.acctRadius, s.acctSet
				s.mu.Unlock()
				return s.setAccounting(on, set, req.Int("minutes"))
			},
			NoSyntax: "aaa accounting interval [<minutes:10-1440>]",
			No: func(ctx *command.Context, req *command.Request) error {
				s.mu.Lock()
				on, set := s.acctRadius, s.acctSet
				s.mu.Unlock()
				return s.setAccounting(on, set, 0)
			}},
		&command.Command{Syntax: "aaa dns {primary|secondary} <addr:A.B.C.D>", Modes: configModes, Privilege: 10,
			Help: command.Help{"aaa": methodHelp["aaa"], "dns": "Name servers for PPP subscribers RADIUS gives none",
				"primary": "Primary DNS server", "secondary": "Secondary DNS server", "addr": "IP address of the server"},
			Run: func(ctx *command.Context, req *command.Request) error {
				a := req.Addr("addr")
				return s.setDNS(ctx.VR, func(d *subscribers.DNSServers) {
					if req.Keyword("secondary") {
						d.Secondary = a
					} else {
						d.Primary = a
					}
				})
			},
			NoSyntax: "aaa dns {primary|secondary} [<addr:A.B.C.D>]",
			No: func(ctx *command.Context, req *command.Request) error {
				return s.setDNS(ctx.VR, func(d *subscribers.DNSServers) {
					if req.Keyword("secondary") {
						d.Secondary = netip.Addr{}
					} else {
						d.Primary = netip.Addr{}
					}
				})
			}},
		&command.Command{Syntax: "ip local pool <name:word> <start:A.B.C.D> [<end:A.B.C.D>]", Modes: configModes, Privilege: 10,
			Help: command.Help{"ip": "Configure IP parameters", "local": "Local address server", "pool": "Configure an address pool",
				"name": "Pool name", "start": "First address of the range", "end": "Last address of the range"},
			Run:      s.poolAdd,
			NoSyntax: "ip local pool <name:word> [<start:A.B.C.D> [<end:A.B.C.D>]]",
			No:       s.poolRemove},
		// Interface commands.
		&command.Command{Syntax: "encapsulation pppoe", Modes: ifModes, Privilege: 10,
			Help: command.Help{"encapsulation": "Set the encapsulation", "pppoe": "PPP over Ethernet: accept PPPoE subscribers"},
			Run:  s.ifSet(func(c *ifConf, _ *command.Request) { c.pppoe = true }),
			No:   s.ifSet(func(c *ifConf, _ *command.Request) { *c = ifConf{ipoe: c.ipoe, ipoePool: c.ipoePool} })},
		&command.Command{Syntax: "pppoe auto-configure", Modes: ifModes, Privilege: 10,
			Help: command.Help{"pppoe": "Configure PPPoE", "auto-configure": "Create a dynamic PPP interface per session"},
			Run:  s.ifSet(func(c *ifConf, _ *command.Request) { c.pppoe, c.autoConf = true, true }),
			No:   s.ifSet(func(c *ifConf, _ *command.Request) { c.autoConf = false })},
		&command.Command{Syntax: "pppoe ac-name <name:word>", Modes: ifModes, Privilege: 10,
			Help: command.Help{"pppoe": "Configure PPPoE", "ac-name": "Access concentrator name (AC-Name tag)", "name": "Name"},
			Run:  s.ifSet(func(c *ifConf, req *command.Request) { c.acName = req.String("name") }),
			No:   s.ifSet(func(c *ifConf, _ *command.Request) { c.acName = "" }), NoSyntax: "pppoe ac-name [<name:word>]"},
		&command.Command{Syntax: "pppoe sessions <count:1-65534>", Modes: ifModes, Privilege: 10,
			Help: command.Help{"pppoe": "Configure PPPoE", "sessions": "Maximum PPPoE sessions on the interface", "count": "Sessions"},
			Run:  s.ifSet(func(c *ifConf, req *command.Request) { c.sessions = req.Int("count") }),
			No:   s.ifSet(func(c *ifConf, _ *command.Request) { c.sessions = 0 }), NoSyntax: "pppoe sessions [<count:1-65534>]"},
		&command.Command{Syntax: "pppoe duplicate-protection", Modes: ifModes, Privilege: 10,
			Help: command.Help{"pppoe": "Configure PPPoE", "duplicate-protection": "Allow one PPPoE session per client MAC address"},
			Run:  s.ifSet(func(c *ifConf, _ *command.Request) { c.pppoe, c.dupProt = true, true }),
			No:   s.ifSet(func(c *ifConf, _ *command.Request) { c.dupProt = false })},
		&command.Command{Syntax: "ppp authentication {pap [chap]|chap [pap]}", Modes: ifModes, Privilege: 10,
			Help: command.Help{"ppp": "Configure PPP", "authentication": "Authentication protocols, in preference order",
				"pap": "Password Authentication Protocol", "chap": "Challenge Handshake Authentication Protocol (MD5)"},
			Run: s.ifSet(func(c *ifConf, req *command.Request) { c.auth = authOrder(req) }),
			No:  s.ifSet(func(c *ifConf, _ *command.Request) { c.auth = nil }), NoSyntax: "ppp authentication [{pap [chap]|chap [pap]}]"},
		&command.Command{Syntax: "ip auto-configure ip-subscriber [pool <pool:word>]", Modes: ifModes, Privilege: 10,
			Help: command.Help{"ip": "Configure IP parameters", "auto-configure": "Create subscribers automatically",
				"ip-subscriber": "IP subscribers: DHCP server on the interface", "pool": "Local pool to lease from", "pool:": "Pool name"},
			Run: s.ifSet(func(c *ifConf, req *command.Request) { c.ipoe, c.ipoePool = true, req.String("pool") }),
			No:  s.ifSet(func(c *ifConf, _ *command.Request) { c.ipoe, c.ipoePool = false, "" }), NoSyntax: "ip auto-configure ip-subscriber [pool <pool:word>]"},
	)
	return out
}

// authOrder reads the protocols of `ppp authentication` in typed order:
// the word after "authentication" (possibly abbreviated) comes first.
func authOrder(req *command.Request) []ppp.AuthProtocol {
	toks := command.Tokenize(req.Line)
	first, other := ppp.AuthCHAP, ppp.AuthPAP
	if len(toks) > 2 && strings.HasPrefix(toks[2].Text, "p") {
		first, other = ppp.AuthPAP, ppp.AuthCHAP
	}
	out := []ppp.AuthProtocol{first}
	if req.Keyword(other.String()) {
		out = append(out, other)
	}
	return out
}

func (s *state) serverEnter(ctx *command.Context, kind string, addr netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := serverRef{kind, addr}
	if s.findServerLocked(ref) == nil {
		s.servers = append(s.servers, &radiusServer{kind: kind, addr: addr, retransmit: -1})
		if err := s.applyRADIUSLocked(); err != nil {
			s.servers = s.servers[:len(s.servers)-1]
			return err
		}
	}
	ctx.EnterMode(command.ConfigRadius, ref)
	return nil
}

func (s *state) serverRemove(kind string, addr netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.servers, func(r *radiusServer) bool { return r.kind == kind && r.addr == addr })
	if i < 0 {
		return fmt.Errorf("no %s server %v", kind, addr)
	}
	s.servers = slices.Delete(s.servers, i, i+1)
	return s.applyRADIUSLocked()
}

// radiusSet edits the server of the current (config-radius) mode.
func (s *state) radiusSet(fn func(*radiusServer, *command.Request)) command.Handler {
	return func(ctx *command.Context, req *command.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		r, err := s.radiusCtx(ctx)
		if err != nil {
			return err
		}
		old := *r
		fn(r, req)
		if err := s.applyRADIUSLocked(); err != nil {
			*r = old
			return err
		}
		return nil
	}
}

func (s *state) setAlgorithm(a radius.Algorithm) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.algorithm
	s.algorithm = a
	if err := s.applyRADIUSLocked(); err != nil {
		s.algorithm = old
		return err
	}
	return nil
}

// setAccounting sets `aaa accounting ppp default` (set: configured) and,
// when minutes >= 0, the interim interval.
func (s *state) setAccounting(on, set bool, minutes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acctRadius, s.acctSet = on, set
	if minutes >= 0 {
		s.interval = minutes
	}
	s.d.Engine.SetAccounting(on, time.Duration(s.interval)*time.Minute)
	return nil
}

// setDNS edits the `aaa dns` servers of virtual router vr.
func (s *state) setDNS(vr string, fn func(*subscribers.DNSServers)) error {
	vr = vrName(vr)
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dns[vr]
	fn(&d)
	if d == (subscribers.DNSServers{}) {
		delete(s.dns, vr)
	} else {
		s.dns[vr] = d
	}
	s.d.Engine.SetDNS(vr, d)
	return nil
}

func (s *state) findPoolLocked(vr, name string) (int, *poolConf) {
	for i, p := range s.pools {
		if p.vr == vr && p.name == name {
			return i, p
		}
	}
	return -1, nil
}

func (s *state) poolAdd(ctx *command.Context, req *command.Request) error {
	vr := vrName(ctx.VR)
	start, end := req.Addr("start"), req.Addr("end")
	if end.IsValid() && end.Less(start) {
		return errors.New("the end address is below the start address")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p := s.findPoolLocked(vr, req.String("name"))
	for _, r := range poolRanges(p) {
		if r.start == start && r.end == end {
			return nil // already configured
		}
	}
	if err := s.d.Pools.Server(vr).AddRange(req.String("name"), start, end); err != nil {
		s.d.Pools.Prune(vr)
		return err
	}
	if p == nil {
		p = &poolConf{vr: vr, name: req.String("name")}
		s.pools = append(s.pools, p)
	}
	p.ranges = append(p.ranges, poolRange{start, end})
	return nil
}

func poolRanges(p *poolConf) []poolRange {
	if p == nil {
		return nil
	}
	return p.ranges
}

// poolRemove removes a pool (`no ip local pool NAME`); with a range, only
// that range is removed (the pool is rebuilt from the remaining ranges).
func (s *state) poolRemove(ctx *command.Context, req *command.Request) error {
	vr := vrName(ctx.VR)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, p := s.findPoolLocked(vr, req.String("name"))
	if p == nil {
		return fmt.Errorf("no pool %q", req.String("name"))
	}
	srv := s.d.Pools.Server(vr)
	if err := srv.RemovePool(p.name); err != nil {
		return err
	}
	if req.Has("start") {
		start, end := req.Addr("start"), req.Addr("end")
		p.ranges = slices.DeleteFunc(p.ranges, func(r poolRange) bool { return r.start == start && (!end.IsValid() || r.end == end) })
		for _, r := range p.ranges {
			_ = srv.AddRange(p.name, r.start, r.end)
		}
		if len(p.ranges) > 0 {
			return nil
		}
	}
	s.pools = slices.Delete(s.pools, i, i+1)
	s.d.Pools.Prune(vr)
	return nil
}

// ifSet edits the access configuration of the interface being configured.
func (s *state) ifSet(fn func(*ifConf, *command.Request)) command.Handler {
	return func(ctx *command.Context, req *command.Request) error {
		n, ok := ctx.ModeValue.(command.InterfaceName)
		if !ok {
			return errors.New("not in Interface Configuration mode")
		}
		name := ifName(n)
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.ifLocked(name)
		old := *c
		fn(c, req)
		if err := s.applyIfLocked(name); err != nil {
			*c = old
			_ = s.applyIfLocked(name)
			return err
		}
		return nil
	}
}

// ---- running configuration ----

func (s *state) sections() []command.ConfigSection {
	return []command.ConfigSection{
		{Order: command.OrderAAA + 10, Name: "subcli/aaa", Write: s.writeAAA},
		{Order: command.OrderAAA + 11, Name: "subcli/aaa-dns", WriteVR: s.writeDNS},
		{Order: command.OrderInterfaces + 50, Name: "subcli/interfaces", Write: s.writeInterfaces},
		{Order: command.OrderRouting + 50, Name: "subcli/pools", WriteVR: s.writePools},
		{Order: command.OrderRadius, Name: "subcli/radius", Write: s.writeRADIUS},
	}
}

func (s *state) writeAAA(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, typ := range []subscribers.Type{subscribers.TypePPPoE, subscribers.TypeIPoE} {
		if ms, ok := s.methods[typ]; ok {
			kw := map[subscribers.Type]string{subscribers.TypePPPoE: "ppp", subscribers.TypeIPoE: "ip"}[typ]
			fmt.Fprintf(w, "aaa authentication %s default %s\n", kw, methodsString(ms))
		}
	}
	if s.acctSet {
		m := "none"
		if s.acctRadius {
			m = "radius"
		}
		fmt.Fprintf(w, "aaa accounting ppp default %s\n", m)
	}
	if s.interval > 0 {
		fmt.Fprintf(w, "aaa accounting interval %d\n", s.interval)
	}
	return nil
}

func (s *state) writeDNS(w io.Writer, vr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dns[vrName(vr)]
	if d.Primary.IsValid() {
		fmt.Fprintf(w, "aaa dns primary %v\n", d.Primary)
	}
	if d.Secondary.IsValid() {
		fmt.Fprintf(w, "aaa dns secondary %v\n", d.Secondary)
	}
	return nil
}

func (s *state) writeInterfaces(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range sortedKeys(s.ifs) {
		c := s.ifs[name]
		var lines []string
		if c.pppoe {
			lines = append(lines, "encapsulation pppoe")
			if c.autoConf {
				lines = append(lines, "pppoe auto-configure")
			}
			if c.acName != "" {
				lines = append(lines, "pppoe ac-name "+quote(c.acName))
			}
			if c.sessions != 0 {
				lines = append(lines, fmt.Sprintf("pppoe sessions %d", c.sessions))
			}
			if c.dupProt {
				lines = append(lines, "pppoe duplicate-protection")
			}
			if len(c.auth) > 0 {
				lines = append(lines, "ppp authentication "+authString(c.auth))
			}
		}
		if c.ipoe {
			l := "ip auto-configure ip-subscriber"
			if c.ipoePool != "" {
				l += " pool " + quote(c.ipoePool)
			}
			lines = append(lines, l)
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "interface %s\n", name)
		for _, l := range lines {
			fmt.Fprintf(w, " %s\n", l)
		}
	}
	return nil
}

func (s *state) writePools(w io.Writer, vr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pools {
		if p.vr != vrName(vr) {
			continue
		}
		for _, r := range p.ranges {
			if r.end.IsValid() {
				fmt.Fprintf(w, "ip local pool %s %v %v\n", quote(p.name), r.start, r.end)
			} else {
				fmt.Fprintf(w, "ip local pool %s %v\n", quote(p.name), r.start)
			}
		}
	}
	return nil
}

func (s *state) writeRADIUS(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kind := range []string{kindAuth, kindAcct, kindDynamic} {
		for _, r := range s.servers {
			if r.kind != kind {
				continue
			}
			fmt.Fprintf(w, "radius %s server %v\n", kind, r.addr)
			if r.key != "" {
				fmt.Fprintf(w, " key %s\n", quote(r.key))
			}
			if r.port != 0 {
				fmt.Fprintf(w, " udp-port %d\n", r.port)
			}
			if r.timeout != 0 {
				fmt.Fprintf(w, " timeout %d\n", r.timeout)
			}
			if r.retransmit >= 0 {
				fmt.Fprintf(w, " retransmit %d\n", r.retransmit)
			}
			if r.deadtime != 0 {
				fmt.Fprintf(w, " deadtime %d\n", r.deadtime)
			}
			if r.maxSessions != 0 {
				fmt.Fprintf(w, " max-sessions %d\n", r.maxSessions)
			}
		}
	}
	if s.algorithm == radius.RoundRobin {
		fmt.Fprintln(w, "radius algorithm round-robin")
	}
	return nil
}

// quote writes a word argument so that it reads back as one word.
func quote(s string) string {
	for _, c := range s {
		if c == ' ' || c == '"' || c == '\t' {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
