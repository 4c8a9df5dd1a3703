// Package cli owns CLI sessions: modes and prompts exactly as JunosE prints
// them, privilege levels (enable/disable), the core Exec and configuration
// commands (configure, exit, end, do/run, terminal, show version, show
// history, show users, show privilege, show hardware, show configuration,
// write memory, reload, hostname, service manual-commit, enable secret,
// line vty / exec-timeout, privilege), the running configuration built
// from every feature's sections, automatic commit through a Committer, and
// replay of a saved configuration through the same parser.
//
// Landing level: a user whose configured privilege is 15 starts an
// interactive session in Privileged Exec at level 15 (host1#); any other
// user starts in User Exec at level 1 (level 0 for privilege 0) and may `enable` up to their
// own privilege without a password, and above it with the enable secret of
// that level. An exec request (ssh host 'show version') runs at the user's
// configured privilege.
package cli
