// Package aaa authenticates operator logins to the CLI through the
// configured methods. Local users (package local) answer today; RADIUS
// joins the method list when subscriber AAA lands.
package aaa
