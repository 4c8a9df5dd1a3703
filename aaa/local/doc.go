// Package local holds the router's local user accounts: names, privilege
// levels, hashed secrets and SSH public keys, as configured with the
// E Series `username` command. It authenticates CLI logins that are not
// handed to RADIUS. SubscriberDB, apart from them, holds the subscribers'
// local user databases (`aaa local database`, `aaa local username`) that
// the `local` method of PPP and IP subscriber authentication uses.
package local
