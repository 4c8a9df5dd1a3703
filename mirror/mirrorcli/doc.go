// Package mirrorcli registers the packet-mirroring commands in the CLI's
// command tree and owns the per-session mirror access flag set by
// `mirror-enable`. Every mirroring command is Visible only to sessions
// holding that flag, so for everyone else the commands, their `?` help and
// TAB completion do not exist. The secure configuration is never added to
// the ordinary running configuration: the engine keeps it in its own store.
package mirrorcli
