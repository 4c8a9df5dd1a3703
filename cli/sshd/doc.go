// Package sshd owns the router's SSH server, the only way into the CLI:
// host keys (Ed25519 and RSA 3072, generated on first start and kept in
// OpenSSH PEM format through a KeyStore), password and public-key
// authentication through an Authenticator, a per-source-address lockout
// after repeated failed logins, vty line allocation (0..MaxSessions-1, at
// most 30 by default) for show users and clear line, idle timeout, and
// keepalives so a dead peer is noticed.
//
// A session with a pty runs the interactive CLI (cli.Session.Run); an exec
// request (ssh host 'show version') runs the command line once at the
// user's privilege and exits with status 0, or 1 if the command failed.
package sshd
