// Package sshd owns the router's SSH server, the only way into the CLI:
// host keys (Ed25519 and RSA 3072, generated on first start and kept in
// OpenSSH PEM format through a KeyStore), password and public-key
// authentication through an Authenticator, a per-source-address lockout
// after repeated failed logins, vty line allocation for show users and
// clear line, idle timeout, and keepalives so a dead peer is noticed.
//
// Lines: as on JunosE there are 30 vty lines (0-29); every session, also
// an exec request, holds one, so at most 30 sessions run at once and the
// next client is told "% All vty lines are in use" (MaxSessions may lower
// the cap, not raise it). A connection gets the first free line whose
// access class (line vty N / access-class ACL in, checked by the
// interpreter's VTYAccess) admits its source address; an address that no
// line admits is refused when it connects, before authentication. Lines
// removed with `no line vty N` take no connections.
//
// Login methods: the server walks the login method list of the line the
// connection would get (Interpreter.LoginMethods: `login authentication
// LIST` on the line, `aaa authentication login LIST METHOD...`, else
// local). "local" asks the Authenticator, "none" admits the user at
// privilege 1, other methods (radius) are asked of the Authenticator if
// it implements MethodAuthenticator and are skipped as unavailable
// otherwise. Public keys are local accounts: a key is accepted only when
// the list starts with local.
//
// A session with a pty runs the interactive CLI (cli.Session.Run); an exec
// request (ssh host 'show version') runs the command line once at the
// user's privilege and exits with status 0, or 1 if the command failed.
package sshd
