// Package term owns the CLI's terminal: a line editor over a raw byte
// stream (the SSH channel) with emacs keys, history, `?` and TAB hooks and
// a bounded line length; the ` --More-- ` pager; and the output filters
// `| include RE`, `| exclude RE`, `| begin RE` and `| count`.
//
// The editor writes CRLF line ends and never holds a lock while writing,
// so a client that stops reading blocks only its own session.
package term
