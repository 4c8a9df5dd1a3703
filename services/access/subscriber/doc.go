// Package subscriber holds the vocabulary the access protocols share with
// AAA and the subscriber table: the attributes an authentication grants and
// the causes a subscriber session ends with, mapped to RADIUS
// Acct-Terminate-Cause values (RFC 2866 §5.10).
package subscriber
