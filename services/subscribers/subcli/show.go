package subcli

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/cli/table"
	"github.com/erxos/erx/services/access/subscriber"
	"github.com/erxos/erx/services/subscribers"
)

var execModes = []command.Mode{command.Exec}

func (s *state) execCommands() []*command.Command {
	return []*command.Command{
		{Syntax: "show subscribers [{username <user:word>|interface <if:interface>|virtual-router <vr:word>|summary}]", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "subscribers": "Subscriber sessions",
				"username": "Sessions of one user", "user": "User name (with domain)", "interface": "Sessions on one interface",
				"if": "Interface", "virtual-router": "Sessions in one virtual router", "vr": "Virtual router name",
				"summary": "Session counts"},
			Run: s.showSubscribers},
		{Syntax: "show pppoe sessions", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "pppoe": "PPPoE information", "sessions": "PPPoE sessions"},
			Run:  s.showPPPoESessions},
		{Syntax: "show ppp interface", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "ppp": "PPP information", "interface": "PPP interfaces"},
			Run:  s.showPPPInterface},
		{Syntax: "show ip local pool [<name:word>]", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "ip": "IP information", "local": "Local address server",
				"pool": "Address pools", "name": "Pool name"},
			Run: s.showPools},
		{Syntax: "show radius {statistics|servers}", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "radius": "RADIUS information",
				"statistics": "Per-server counters", "servers": "Configured servers"},
			Run: s.showRADIUS},
		{Syntax: "show pppoe interface [<if:interface>]", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "pppoe": "PPPoE information",
				"interface": "PPPoE discovery counters of the access interfaces", "if": "Interface"},
			Run: s.showPPPoEInterface},
		{Syntax: "show aaa statistics", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "aaa": "Authentication, authorization, and accounting information",
				"statistics": "Authentication and accounting counters"},
			Run: s.showAAAStatistics},
		{Syntax: "show radius dynamic-request statistics", Modes: execModes, Privilege: 5,
			Help: command.Help{"show": "Display system information", "radius": "RADIUS information",
				"dynamic-request": "RFC 5176 dynamic-request server (CoA, Disconnect)", "statistics": "Request counters"},
			Run: s.showDynamicStatistics},
		{Syntax: "logout subscribers {all|username <user:word>|interface <if:interface>}", Modes: execModes, Privilege: 10,
			Help: command.Help{"logout": "Log out subscribers", "subscribers": "Subscriber sessions", "all": "Every subscriber",
				"username": "Sessions of one user", "user": "User name", "interface": "Sessions on one interface", "if": "Interface"},
			Run: s.logout},
	}
}

func (s *state) showSubscribers(ctx *command.Context, req *command.Request) error {
	e := s.d.Engine
	q := subscribers.Query{}
	switch {
	case req.Has("user"):
		q.Username = req.String("user")
	case req.Has("if"):
		q.Interface = ifName(req.Interface("if"))
	case req.Has("vr"):
		q.VirtualRouter = req.String("vr")
	}
	ss := e.Table().Find(q)
	if req.Keyword("summary") {
		var ppp, ip int
		for _, x := range ss {
			if x.Type == subscribers.TypePPPoE {
				ppp++
			} else {
				ip++
			}
		}
		return table.Render(ctx.Out, []string{"Subscriber Type", "Count"},
			[][]string{{"PPP", strconv.Itoa(ppp)}, {"IP", strconv.Itoa(ip)}, {"Total", strconv.Itoa(len(ss))}})
	}
	if len(ss) == 0 {
		fmt.Fprintln(ctx.Out, "No subscribers found")
		return nil
	}
	var rows [][]string
	for _, x := range ss {
		addr, login := table.Placeholder, table.Placeholder
		if x.Address.IsValid() {
			addr = x.Address.String()
		}
		if !x.LoginTime.IsZero() {
			login = x.LoginTime.Format("Mon Jan 2 15:04:05 2006")
		}
		user := x.Username
		if user == "" {
			user = table.Placeholder
		}
		iface := x.Interface
		if iface == "" {
			iface = x.AccessInterface
		}
		rows = append(rows, []string{user, strings.ToUpper(x.Type.String()), addr, display(iface), vrName(x.VirtualRouter), login})
	}
	return table.Render(ctx.Out, []string{"User Name", "Type", "IP Address", "Interface", "VR", "Login Time"}, rows)
}

func (s *state) showPPPoESessions(ctx *command.Context, _ *command.Request) error {
	all := s.d.Engine.PPPoESessions()
	var rows [][]string
	for _, name := range sortedKeys(all) {
		for _, ps := range all[name] {
			rows = append(rows, []string{display(name), strconv.Itoa(int(ps.ID)),
				radius.FormatMAC(net.HardwareAddr(ps.PeerMAC[:]), radius.MACDotted), ps.ServiceName,
				max(s.d.Clock().Sub(ps.Started), 0).Truncate(time.Second).String()})
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(ctx.Out, "No PPPoE sessions")
		return nil
	}
	return table.Render(ctx.Out, []string{"Interface", "Session", "Client MAC", "Service", "Up Time"}, rows)
}

func (s *state) showPPPInterface(ctx *command.Context, _ *command.Request) error {
	var rows [][]string
	for _, p := range s.d.Engine.PPPStates() {
		user := p.Username
		if user == "" {
			user = table.Placeholder
		}
		rows = append(rows, []string{display(p.Interface), user, p.LCP.String(), p.IPCP.String(),
			strconv.FormatUint(p.Counters.EchoSent, 10), strconv.FormatUint(p.Counters.EchoReplies, 10)})
	}
	if len(rows) == 0 {
		fmt.Fprintln(ctx.Out, "No PPP interfaces")
		return nil
	}
	return table.Render(ctx.Out, []string{"Interface", "User Name", "LCP", "IPCP", "Echo Sent", "Echo Replies"}, rows)
}

func (s *state) showPools(ctx *command.Context, req *command.Request) error {
	vr := vrName(ctx.VR)
	srv, ok := s.d.Pools.Lookup(vr)
	if !ok {
		if req.Has("name") {
			return fmt.Errorf("no pool %q", req.String("name"))
		}
		fmt.Fprintln(ctx.Out, "No local address pools")
		return nil
	}
	us := srv.Usage(req.String("name"))
	if len(us) == 0 && req.Has("name") {
		return fmt.Errorf("no pool %q", req.String("name"))
	}
	var rows [][]string
	for _, u := range us {
		for i, r := range u.Ranges {
			name := u.Name
			if i > 0 {
				name = ""
			}
			end := r.End
			if !end.IsValid() {
				end = r.Start
			}
			rows = append(rows, []string{name, r.Start.String(), end.String(), strconv.Itoa(r.Size), strconv.Itoa(r.InUse),
				fmt.Sprintf("%d%%", pct(r.InUse, r.Size))})
		}
	}
	return table.Render(ctx.Out, []string{"Pool", "Start", "End", "Size", "In Use", "Utilization"}, rows)
}

func pct(a, b int) int {
	if b == 0 {
		return 0
	}
	return a * 100 / b
}

func (s *state) showRADIUS(ctx *command.Context, req *command.Request) error {
	auth, acct := s.d.Engine.RADIUSStats()
	if req.Keyword("servers") {
		s.mu.Lock()
		var rows [][]string
		for _, r := range s.servers {
			port := orDefault(r.port, map[string]int{kindAuth: 1812, kindAcct: 1813, kindDynamic: radius.DefaultDynamicPort}[r.kind])
			timeout, retr := strconv.Itoa(orDefault(r.timeout, 3)), "3"
			if r.retransmit >= 0 {
				retr = strconv.Itoa(r.retransmit)
			}
			if r.kind == kindDynamic {
				timeout, retr = table.Placeholder, table.Placeholder
			}
			rows = append(rows, []string{r.addr.String(), r.kind, strconv.Itoa(port), timeout, retr, strconv.Itoa(r.deadtime)})
		}
		s.mu.Unlock()
		if len(rows) == 0 {
			fmt.Fprintln(ctx.Out, "No RADIUS servers configured")
			return nil
		}
		return table.Render(ctx.Out, []string{"Server", "Type", "UDP Port", "Timeout", "Retransmit", "Deadtime"}, rows)
	}
	var rows [][]string
	add := func(kind string, st []radius.ServerStats) {
		for _, x := range st {
			state := "up"
			if x.Dead {
				state = "dead"
			}
			rows = append(rows, []string{x.Addr.String(), kind, state, u(x.Requests), u(x.Retransmits), u(x.Timeouts),
				u(x.Accepts), u(x.Rejects), u(x.AccountingResponses), u(x.BadAuthenticators + x.Malformed), u(x.Pending)})
		}
	}
	add(kindAuth, auth)
	add(kindAcct, acct)
	if len(rows) == 0 {
		fmt.Fprintln(ctx.Out, "No RADIUS servers configured")
	} else if err := table.Render(ctx.Out, []string{"Server", "Type", "State", "Requests", "Retransmits", "Timeouts",
		"Accepts", "Rejects", "Acct Responses", "Bad Replies", "Pending"}, rows); err != nil {
		return err
	}
	if st, ok := s.d.Engine.DynamicStats(); ok {
		fmt.Fprintf(ctx.Out, "Dynamic requests: CoA %d (ACK %d, NAK %d), Disconnect %d (ACK %d, NAK %d), dropped %d\n",
			st.CoARequests, st.CoAACKs, st.CoANAKs, st.DisconnectRequests, st.DisconnectACKs, st.DisconnectNAKs,
			st.UnknownClients+st.BadAuthenticators+st.Malformed+st.UnknownTypes+st.Stale)
		if s.mirrorVisible(ctx) {
			m := st.Mirror
			fmt.Fprintf(ctx.Out, "Mirroring dynamic requests: CoA %d (ACK %d, NAK %d), dropped %d\n",
				m.CoARequests, m.CoAACKs, m.CoANAKs, m.Stale)
		}
	}
	a := s.d.Engine.AccountingStats()
	fmt.Fprintf(ctx.Out, "Accounting records: start %d, interim %d, stop %d, failed %d, dropped %d\n",
		a.Starts, a.Interims, a.Stops, a.Failed, a.Dropped)
	return nil
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

// showPPPoEInterface shows the discovery counters of each PPPoE access
// interface, with what was refused and why.
func (s *state) showPPPoEInterface(ctx *command.Context, req *command.Request) error {
	all := s.d.Engine.PPPoEStats()
	names := make([]string, 0, len(all))
	for n := range all {
		if !req.Has("if") || n == ifName(req.Interface("if")) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		fmt.Fprintln(ctx.Out, "No PPPoE interfaces found")
		return nil
	}
	sort.Strings(names)
	for _, n := range names {
		st := all[n]
		fmt.Fprintf(ctx.Out, "PPPoE interface %s\n", display(n))
		for _, l := range []struct {
			name string
			v    uint64
		}{
			{"PADI received", st.PADIRecv}, {"PADO sent", st.PADOSent}, {"PADR received", st.PADRRecv},
			{"PADS sent", st.PADSSent}, {"PADT received", st.PADTRecv}, {"PADT sent", st.PADTSent},
			{"PADI dropped, rate limit", st.PADIRateDropped}, {"PADR dropped, bad cookie", st.BadCookie},
			{"Rejected, session limit", st.LimitRejected}, {"Rejected, service name", st.ServiceRejected},
			{"Malformed packets", st.Malformed}, {"Unknown session packets", st.UnknownSession},
			{"Send errors", st.SendErrors},
		} {
			fmt.Fprintf(ctx.Out, "  %-25s: %d\n", l.name, l.v)
		}
	}
	return nil
}

// showAAAStatistics shows how authentications ended, per kind (PPP and IP
// subscribers, operator logins), and the accounting records.
func (s *state) showAAAStatistics(ctx *command.Context, _ *command.Request) error {
	var rows [][]string
	for _, st := range s.d.Engine.AAAStats() {
		rows = append(rows, []string{st.Kind.String(), u(st.Requests), u(st.Accepts), u(st.Rejects), u(st.Unavailable),
			u(st.RADIUSTimeouts), u(st.ByMethod[subscribers.MethodRADIUS]), u(st.ByMethod[subscribers.MethodLocal]),
			u(st.ByMethod[subscribers.MethodNone])})
	}
	fmt.Fprintln(ctx.Out, "Authentication statistics:")
	if err := table.Render(ctx.Out, []string{"Type", "Requests", "Accepts", "Rejects", "No Method", "RADIUS Timeouts",
		"By RADIUS", "By Local", "By None"}, rows); err != nil {
		return err
	}
	a := s.d.Engine.AccountingStats()
	fmt.Fprintln(ctx.Out, "Accounting statistics:")
	return table.Render(ctx.Out, []string{"Starts", "Interims", "Stops", "Failed", "Dropped"},
		[][]string{{u(a.Starts), u(a.Interims), u(a.Stops), u(a.Failed), u(a.Dropped)}})
}

// showDynamicStatistics shows the dynamic-request server's counters, the
// requests it dropped by reason.
func (s *state) showDynamicStatistics(ctx *command.Context, _ *command.Request) error {
	st, ok := s.d.Engine.DynamicStats()
	if !ok {
		fmt.Fprintln(ctx.Out, "No RADIUS dynamic-request server configured")
		return nil
	}
	for _, l := range []struct {
		name string
		v    uint64
	}{
		{"CoA requests", st.CoARequests}, {"CoA ACKs", st.CoAACKs}, {"CoA NAKs", st.CoANAKs},
		{"Disconnect requests", st.DisconnectRequests}, {"Disconnect ACKs", st.DisconnectACKs},
		{"Disconnect NAKs", st.DisconnectNAKs}, {"Duplicate requests", st.Duplicates},
		{"Dropped, unknown client", st.UnknownClients}, {"Dropped, bad authenticator", st.BadAuthenticators},
		{"Dropped, malformed", st.Malformed}, {"Dropped, unknown type", st.UnknownTypes},
		{"Dropped, stale Event-Timestamp", st.Stale},
	} {
		fmt.Fprintf(ctx.Out, "%-31s: %d\n", l.name, l.v)
	}
	if !s.mirrorVisible(ctx) {
		return nil
	}
	// The secret section: CoA-Requests carrying intercept VSAs, which
	// the counters above leave out.
	fmt.Fprintln(ctx.Out, "Secure packet mirroring:")
	m := st.Mirror
	for _, l := range []struct {
		name string
		v    uint64
	}{
		{"Mirroring CoA requests", m.CoARequests}, {"Mirroring CoA ACKs", m.CoAACKs}, {"Mirroring CoA NAKs", m.CoANAKs},
		{"Mirroring duplicate requests", m.Duplicates}, {"Mirroring dropped, stale", m.Stale},
	} {
		fmt.Fprintf(ctx.Out, "  %-29s: %d\n", l.name, l.v)
	}
	return nil
}

// mirrorVisible reports whether ctx may see mirroring counters.
func (s *state) mirrorVisible(ctx *command.Context) bool {
	return s.d.MirrorVisible != nil && s.d.MirrorVisible(ctx)
}

func (s *state) logout(ctx *command.Context, req *command.Request) error {
	q := subscribers.Query{}
	switch {
	case req.Has("user"):
		q.Username = req.String("user")
	case req.Has("if"):
		q.Interface = ifName(req.Interface("if"))
	case !req.Keyword("all"):
		return errors.New("nothing selected")
	}
	n := s.d.Engine.Logout(q, subscriber.CauseAdminReset)
	fmt.Fprintf(ctx.Out, "%d subscriber(s) logged out\n", n)
	return nil
}
