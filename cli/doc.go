// Package cli owns CLI sessions: modes and prompts exactly as JunosE prints
// them, privilege levels (enable/disable), the core Exec and configuration
// commands, the running configuration built from every feature's
// sections, automatic commit through a Committer, and replay of a saved
// configuration through the same parser.
//
// Core commands: configure [terminal], exit, end, do/run, terminal
// length|width, show version|history|users|privilege|hardware|environment|
// clock|log|boot|line vty|access-list, show configuration [interface IF |
// virtual-router VR | category WORDS] (alias show running-configuration),
// output redirection (show ... > FILE, >> FILE) and filters (| include,
// exclude, begin, count), write memory, reload, clear line vty; the flash
// files: dir, delete, copy running-configuration FILE, copy FILE FILE,
// rename, configure file FILE; in configuration: hostname, service
// manual-commit, enable secret, privilege, banner motd|exec, clock
// timezone, boot config, access-list (standard IP, package acl),
// aaa authentication login, and line vty N [M] with exec-timeout,
// access-class, login authentication, motd-banner, exec-banner.
//
// Files are plain names on the flash with the extensions .scr .cnf .log
// .txt .pub (ValidFileName); the saved configuration (system.cnf) and the
// file chosen with boot config cannot be overwritten or deleted from the
// CLI. boot config is recorded in boot.cfg on the flash, not in the
// running configuration; routerd calls LoadStartup at boot.
//
// Landing level: a user whose configured privilege is 15 starts an
// interactive session in Privileged Exec at level 15 (host1#); any other
// user starts in User Exec at level 1 (level 0 for privilege 0) and may `enable` up to their
// own privilege without a password, and above it with the enable secret of
// that level. An exec request (ssh host 'show version') runs at the user's
// configured privilege.
package cli
