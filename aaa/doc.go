// Package aaa authenticates operator logins to the CLI through the login
// method list of the vty line (`aaa authentication login LIST radius
// local`, `line vty` / `login authentication LIST`), with JunosE's
// semantics: a method that cannot decide (no RADIUS server answers within
// its retransmissions, none configured) passes to the next one; a method
// that refuses (Access-Reject, wrong local password) ends the list.
//
// Local users are package local. The radius method sends an
// Access-Request (Service-Type Login-User, Calling-Station-Id the client's
// address) through the same authentication servers subscribers use, and
// grants the level of the Access-Accept: Service-Type Administrative 10,
// Login or NAS-Prompt 1 (the standard attribute overrides the VSA), else
// the ERX Cli-Initial-Access-Level VSA (26-18), else 1. The
// Virtual-Router VSA is not applied: CLI sessions start in the default
// virtual router. Access-Challenge is treated as a rejection.
package aaa
