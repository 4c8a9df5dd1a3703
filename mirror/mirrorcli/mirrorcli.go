package mirrorcli

import (
	"errors"
	"fmt"

	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/mirror"
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
//	ip analyzer / no ip analyzer                                  (Interface)
//
// All but mirror-enable are visible only with mirror access.
func Register(in Interpreter, e *mirror.Engine) error {
	if err := in.AddMode(PolicyListMode); err != nil {
		return fmt.Errorf("mirrorcli: %w", err)
	}
	for _, c := range commands(e) {
		if err := in.Tree().Register(c); err != nil {
			return fmt.Errorf("mirrorcli: register %q: %w", c.Syntax, err)
		}
	}
	return nil
}

// commands returns the mirroring commands.
func commands(e *mirror.Engine) []*command.Command {
	exec := []command.Mode{command.Exec}
	config := []command.Mode{command.Config}
	ifModes := []command.Mode{command.ConfigIf, command.ConfigSubif}
	return []*command.Command{{
		Syntax: "mirror-enable", Modes: exec, Privilege: 15,
		Help: command.Help{"mirror-enable": "Enable secure packet mirroring commands for this session"},
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
		Syntax: "show secure policy-list [<name:word>]", Modes: exec, Privilege: 10, Visible: Visible,
		Help: command.Help{"secure": "Display secure packet mirroring information", "policy-list": "Display secure policy lists",
			"name": "Secure policy list name"},
		Run: func(ctx *command.Context, req *command.Request) error {
			return e.WritePolicies(ctx.Out, req.String("name"))
		},
	}, {
		Syntax: "show mirror log", Modes: exec, Privilege: 10, Visible: Visible,
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
		Syntax: "ip analyzer", Modes: ifModes, Privilege: 10, Visible: Visible,
		Help: command.Help{"ip": "Configure IP parameters", "analyzer": "Make the interface a send-only analyzer interface"},
		Run: func(ctx *command.Context, _ *command.Request) error {
			ifn, err := ifName(ctx)
			if err != nil {
				return err
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
