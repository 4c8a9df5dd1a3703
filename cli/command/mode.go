package command

// Mode is a CLI command mode. Exec is the one Exec mode (User Exec and
// Privileged Exec differ only by privilege level); configuration modes are
// named as they appear inside the prompt's parentheses.
type Mode string

// Built-in modes.
const (
	Exec             Mode = "exec"
	Config           Mode = "config"
	ConfigIf         Mode = "config-if"
	ConfigSubif      Mode = "config-subif"
	ConfigLine       Mode = "config-line"
	ConfigRadius     Mode = "config-radius"
	ConfigRouter     Mode = "config-router"
	ConfigAAAProfile Mode = "config-aaa-profile"
	ConfigDomainMap  Mode = "config-domain-map"
	ConfigProfile    Mode = "config-profile"
)

// IsConfig reports whether m is Global Configuration or one of its sub-modes.
func (m Mode) IsConfig() bool { return m != Exec && m != "" }

// PromptSuffix is what the mode adds to the prompt after the host name:
// "" for Exec, "(config-if)" for Interface Configuration.
func (m Mode) PromptSuffix() string {
	if !m.IsConfig() {
		return ""
	}
	return "(" + string(m) + ")"
}

// Parent is the mode `exit` returns to: sub-modes return to Config, Config
// returns to Exec, Exec has no parent ("").
func (m Mode) Parent() Mode {
	switch m {
	case Exec, "":
		return ""
	case Config:
		return Exec
	default:
		return Config
	}
}
