package mirrorcli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/mirror"
	"github.com/erxos/erx/services/linecard"
)

// PolicyListMode is Policy List Configuration mode, entered by `secure ip
// policy-list NAME`.
const PolicyListMode command.Mode = "config-policy-list"

// Interpreter is the part of *cli.Interpreter Register needs.
type Interpreter interface {
	Tree() *command.Tree
	AddMode(command.Mode) error
}

type accessKey struct{}

// Visible reports whether the session has mirror access (`mirror-enable`
// was run in it). Other features' show commands use it to decide whether
// to print mirroring information (secure attachments, mirror counters).
func Visible(ctx *command.Context) bool {
	return ctx != nil && ctx.Value(accessKey{}) != nil
}

// SetAccess grants or removes mirror access for the session.
func SetAccess(ctx *command.Context, on bool) {
	if on {
		ctx.SetValue(accessKey{}, true)
	} else {
		ctx.SetValue(accessKey{}, nil)
	}
}

func who(ctx *command.Context) mirror.Source {
	u := ctx.User
	if u == "" {
		u = "startup"
	}
	return mirror.CLI(u)
}

func ifName(ctx *command.Context) (string, error) {
	n, ok := ctx.ModeValue.(command.InterfaceName)
	if !ok {
		return "", errors.New("no interface selected")
	}
	return n.String(), nil
}

const triggerAlternatives = "{acct-session-id|calling-station-id|ip-address|username|nas-port-id|dhcp-option-82|agent-circuit-id|agent-remote-id}"

var triggerHelp = command.Help{
	"mirror":             "Configure packet mirroring",
	"acct-session-id":    "Mirror the session with this Acct-Session-Id",
	"calling-station-id": "Mirror the session with this Calling-Station-Id",
	"ip-address":         "Mirror the session with this IP address (current virtual router)",
	"username":           "Mirror the session of this user name (current virtual router)",
	"nas-port-id":        "Mirror the session with this NAS-Port-Id",
	"dhcp-option-82":     "Mirror the session with this DHCP option 82 value (hex)",
	"agent-circuit-id":   "Mirror the session with this Agent-Circuit-ID",
	"agent-remote-id":    "Mirror the session with this Agent-Remote-ID",
	"value":              "Trigger value",
	"ip":                 "Mirror IP traffic",
	"secure-policy-list": "Secure policy list that mirrors the traffic",
	"policy":             "Secure policy list name",
	"disable":            "Disable mirroring of the matching session",
}

func triggerType(req *command.Request) (mirror.TriggerType, error) {
	for _, t := range mirror.TriggerTypes() {
		if req.Keyword(t.String()) {
			return t, nil
		}
	}
	return 0, errors.New("no trigger type")
}

// Register adds every mirroring command to the interpreter's tree:
//
//	mirror-enable / no mirror-enable                              (Exec, privilege 15, always visible)
//	show secure policy-list [NAME], show mirror log, clear mirror log   (Exec)
//	secure ip policy-list NAME / no ...                           (Global → Policy List mode)
//	 mirror analyzer-ip-address A [analyzer-udp-port P] [mirror-identifier ID] / no mirror
//	mirror TRIGGER VALUE ip secure-policy-list NAME / no ...      (Global)
//	mirror disable TRIGGER VALUE / no ...                         (Global)
//	ip policy secure-input|secure-output NAME / no ...            (Interface)
//	ip analyzer [default] / no ip analyzer                        (Interface)
//
// All but mirror-enable are visible only with mirror access; mirror-enable
// is visible at privilege 15 (or the level `privilege` re-maps it to) and,
// when the interpreter can tell (*cli.Interpreter's LineAdmits), only to a
// session whose vty line's access class admits it.
//
// It also registers the static secure configuration as secret sections of
// `show configuration` (command.ConfigSection.Visible: shown only to a
// session with mirror access, never in the running configuration), and,
// when the interpreter reports rejected lines (OnRejected), writes every
// mirroring command a session typed but could not use to the secure log.
func Register(in Interpreter, e *mirror.Engine) error {
	if err := in.AddMode(PolicyListMode); err != nil {
		return fmt.Errorf("mirrorcli: %w", err)
	}
	admits := func(*command.Context) bool { return true }
	if lc, ok := in.(lineChecker); ok {
		admits = lc.LineAdmits
	}
	cmds := commands(e, admits)
	for _, c := range cmds {
		if err := in.Tree().Register(c); err != nil {
			return fmt.Errorf("mirrorcli: register %q: %w", c.Syntax, err)
		}
	}
	for _, sec := range configSections(e) {
		if err := in.Tree().AddConfig(sec); err != nil {
			return fmt.Errorf("mirrorcli: %w", err)
		}
	}
	if r, ok := in.(rejecter); ok {
		r.OnRejected(refused(in.Tree(), e, cmds))
	}
	return nil
}

// lineChecker is implemented by *cli.Interpreter: whether the session's
// vty line's access class admits it now.
type lineChecker interface {
	LineAdmits(*command.Context) bool
}

// rejecter is implemented by *cli.Interpreter: it reports the lines
// sessions typed that did not parse.
type rejecter interface {
	OnRejected(func(ctx *command.Context, line string))
}

// configSections are the static secure configuration's parts of `show
// configuration`, where JunosE shows them: secure policy lists before
// the interfaces, analyzer and secure policy lines in interface blocks,
// trigger rules in the virtual router's global lines.
func configSections(e *mirror.Engine) []command.ConfigSection {
	return []command.ConfigSection{
		{Order: command.OrderInterfaces - 10, Name: "mirror/policy-lists", Category: "interfaces", Visible: Visible, WriteVR: e.WritePolicyConfig},
		{Order: command.OrderInterfaces + 60, Name: "mirror/interfaces", Category: "interfaces", Visible: Visible, Write: e.WriteInterfaceConfig},
		{Order: command.OrderRouting + 60, Name: "mirror/triggers", Category: "routing", Visible: Visible, WriteVR: e.WriteTriggerConfig},
	}
}

// probeKey marks a context being probed by refused: mirror-enable is
// then visible whatever the line says.
type probeKey struct{}

// refused returns the OnRejected hook: a line that failed for the session
// but parses as one of cmds with full mirroring rights (mirror access,
// privilege 15, a line that admits it) is written to the secure log. The
// session's own answer is unchanged: the same invalid-input error as any
// unknown command.
func refused(tree *command.Tree, e *mirror.Engine, cmds []*command.Command) func(*command.Context, string) {
	own := map[*command.Command]bool{}
	for _, c := range cmds {
		own[c] = true
	}
	return func(ctx *command.Context, line string) {
		// An output filter or redirection ("show mirror log | include x",
		// "> FILE") is not part of the command.
		for _, t := range command.Tokenize(line) {
			if !t.Quoted && (t.Text == "|" || t.Text == ">" || t.Text == ">>") {
				line = line[:t.Start]
				break
			}
		}
		had, level := Visible(ctx), ctx.Level
		req, err := probe(tree, ctx, line)
		if err != nil || req == nil || !own[req.Command] {
			return
		}
		reason := "refused without mirror-enable"
		switch {
		case req.Command.Level() > level:
			reason = fmt.Sprintf("refused at privilege level %d (needs %d)", level, req.Command.Level())
		case had || req.Command.Visible == nil || req.Command.Syntax == "mirror-enable":
			reason = "refused by the vty line's access class"
		}
		e.LogRefused(who(ctx), strings.TrimSpace(line), reason)
	}
}

// probe parses line as a session with full mirroring rights would
// (mirror access, privilege 15, mirror-enable admitted on any line). The
// Context's values are per session and cannot be copied, so the
// session's own level and access are raised only for the parse and
// restored by a defer, whatever the parse does.
func probe(tree *command.Tree, ctx *command.Context, line string) (*command.Request, error) {
	had, level := Visible(ctx), ctx.Level
	defer func() {
		ctx.Level = level
		ctx.SetValue(probeKey{}, nil)
		SetAccess(ctx, had)
	}()
	SetAccess(ctx, true)
	ctx.SetValue(probeKey{}, true)
	ctx.Level = 15
	return tree.Parse(ctx, line)
}

// ShowIPInterface is the hook `show ip interface` calls for each
// interface it lists (lccli.Deps.IPInterfaceDetail): the interface's
// packet-mirroring section, for a session with mirror access only.
func ShowIPInterface(e *mirror.Engine) func(ctx *command.Context, w io.Writer, ifname string, c linecard.Counters) error {
	return func(ctx *command.Context, w io.Writer, ifname string, c linecard.Counters) error {
		if !Visible(ctx) {
			return nil
		}
		return e.WriteIPInterface(w, ifname, c)
	}
}

// commands returns the mirroring commands; admits says whether the
// session's line lets it use mirror-enable.
func commands(e *mirror.Engine, admits func(*command.Context) bool) []*command.Command {
	exec := []command.Mode{command.Exec}
	config := []command.Mode{command.Config}
	ifModes := []command.Mode{command.ConfigIf, command.ConfigSubif}
	return []*command.Command{{
		Syntax: "mirror-enable", Modes: exec, Privilege: 15,
		Visible: func(ctx *command.Context) bool { return ctx.Value(probeKey{}) != nil || admits(ctx) },
		Help:    command.Help{"mirror-enable": "Enable secure packet mirroring commands for this session"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			SetAccess(ctx, true)
			e.LogAccess(who(ctx), true)
			return nil
		},
		No: func(ctx *command.Context, _ *command.Request) error {
			if Visible(ctx) {
				e.LogAccess(who(ctx), false)
			}
			SetAccess(ctx, false)
			return nil
		},
	}, {
		Syntax: "show secure policy-list [<name:word>]", Modes: exec, Privilege: 5, Visible: Visible,
		Help: command.Help{"secure": "Display secure packet mirroring information", "policy-list": "Display secure policy lists",
			"name": "Secure policy list name"},
		Run: func(ctx *command.Context, req *command.Request) error {
			return e.WritePolicies(ctx.Out, req.String("name"))
		},
	}, {
		Syntax: "show mirror log", Modes: exec, Privilege: 5, Visible: Visible,
		Help: command.Help{"mirror": "Display packet mirroring information", "log": "Display the secure mirror log"},
		Run:  func(ctx *command.Context, _ *command.Request) error { return e.WriteLog(ctx.Out) },
	}, {
		Syntax: "clear mirror log", Modes: exec, Privilege: 10, Visible: Visible,
		Help: command.Help{"mirror": "Clear packet mirroring information", "log": "Clear the secure mirror log"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			e.ClearLog()
			return nil
		},
	}, {
		Syntax: "secure ip policy-list <name:word>", Modes: config, Privilege: 10, Visible: Visible,
		Help: command.Help{"secure": "Configure secure packet mirroring", "ip": "Secure IP policy", "policy-list": "Configure a secure policy list",
			"name": "Secure policy list name"},
		Run: func(ctx *command.Context, req *command.Request) error {
			name := req.String("name")
			if err := e.CreatePolicy(ctx.VR, name, who(ctx)); err != nil {
				return err
			}
			ctx.EnterMode(PolicyListMode, name)
			return nil
		},
		No: func(ctx *command.Context, req *command.Request) error {
			return e.DeletePolicy(req.String("name"), who(ctx))
		},
	}, {
		Syntax: "mirror analyzer-ip-address <addr:A.B.C.D> [analyzer-udp-port <port:1-65535>] [mirror-identifier <id:0-1073741823>]",
		Modes:  []command.Mode{PolicyListMode}, Privilege: 10, Visible: Visible,
		Help: command.Help{"mirror": "Mirror the traffic to an analyzer", "analyzer-ip-address": "Analyzer (mediation device) address",
			"addr": "Analyzer IP address", "analyzer-udp-port": "Send copies with the UDP mirror header to this port",
			"port": "Analyzer UDP port", "mirror-identifier": "Mirror-ID carried in the mirror header", "id": "Mirror-ID"},
		Run: func(ctx *command.Context, req *command.Request) error {
			name, _ := ctx.ModeValue.(string)
			r := mirror.Rule{Analyzer: req.Addr("addr"), Port: uint16(req.Int("port"))}
			if req.Has("id") {
				r.MirrorID, r.HasMirrorID = uint32(req.Int("id")), true
			}
			return e.SetRule(name, r, who(ctx))
		},
		NoSyntax: "mirror [analyzer-ip-address <addr:A.B.C.D>]",
		No: func(ctx *command.Context, _ *command.Request) error {
			name, _ := ctx.ModeValue.(string)
			return e.ClearRule(name, who(ctx))
		},
	}, {
		Syntax: "mirror " + triggerAlternatives + " <value:word> ip secure-policy-list <policy:word>",
		Modes:  config, Privilege: 10, Visible: Visible, Help: triggerHelp,
		Run: func(ctx *command.Context, req *command.Request) error {
			t, err := triggerType(req)
			if err != nil {
				return err
			}
			return e.AddTrigger(ctx.VR, t, req.String("value"), req.String("policy"), false, trigger(ctx))
		},
		NoSyntax: "mirror " + triggerAlternatives + " <value:word> [ip secure-policy-list <policy:word>]",
		No: func(ctx *command.Context, req *command.Request) error {
			t, err := triggerType(req)
			if err != nil {
				return err
			}
			return e.RemoveTrigger(ctx.VR, t, req.String("value"), false, trigger(ctx))
		},
	}, {
		Syntax: "mirror disable " + triggerAlternatives + " <value:word>",
		Modes:  config, Privilege: 10, Visible: Visible, Help: triggerHelp,
		Run: func(ctx *command.Context, req *command.Request) error {
			t, err := triggerType(req)
			if err != nil {
				return err
			}
			return e.AddTrigger(ctx.VR, t, req.String("value"), "", true, trigger(ctx))
		},
		No: func(ctx *command.Context, req *command.Request) error {
			t, err := triggerType(req)
			if err != nil {
				return err
			}
			return e.RemoveTrigger(ctx.VR, t, req.String("value"), true, trigger(ctx))
		},
	}, {
		Syntax: "ip policy {secure-input|secure-output} <name:word>", Modes: ifModes, Privilege: 10, Visible: Visible,
		Help: command.Help{"ip": "Configure IP parameters", "policy": "Attach a policy list", "secure-input": "Mirror traffic received on the interface",
			"secure-output": "Mirror traffic sent out of the interface", "name": "Secure policy list name"},
		Run: func(ctx *command.Context, req *command.Request) error {
			ifn, err := ifName(ctx)
			if err != nil {
				return err
			}
			return e.Attach(ctx.VR, ifn, direction(req), req.String("name"), who(ctx))
		},
		NoSyntax: "ip policy {secure-input|secure-output} [<name:word>]",
		No: func(ctx *command.Context, req *command.Request) error {
			ifn, err := ifName(ctx)
			if err != nil {
				return err
			}
			return e.Detach(ifn, direction(req), who(ctx))
		},
	}, {
		Syntax: "ip analyzer [default]", Modes: ifModes, Privilege: 10, Visible: Visible,
		Help: command.Help{"ip": "Configure IP parameters", "analyzer": "Make the interface a send-only analyzer interface",
			"default": "Make it the virtual router's default analyzer interface"},
		Run: func(ctx *command.Context, req *command.Request) error {
			ifn, err := ifName(ctx)
			if err != nil {
				return err
			}
			if req.Keyword("default") {
				return e.SetDefaultAnalyzer(ifn, who(ctx))
			}
			return e.SetAnalyzerInterface(ifn, true, who(ctx))
		},
		No: func(ctx *command.Context, _ *command.Request) error {
			ifn, err := ifName(ctx)
			if err != nil {
				return err
			}
			return e.SetAnalyzerInterface(ifn, false, who(ctx))
		},
	}}
}

func trigger(ctx *command.Context) mirror.Source {
	s := who(ctx)
	s.Kind = mirror.SourceCLITrigger
	return s
}

func direction(req *command.Request) mirror.Direction {
	if req.Keyword("secure-output") {
		return mirror.Output
	}
	return mirror.Input
}
