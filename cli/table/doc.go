// Package table owns the one renderer for E Series tables (show version's
// slot table, show users, show ip route, ...), implementing the JunosE
// table layout rule: each column is as wide as its widest header or cell;
// columns are separated by one space; header labels are centred (left pad
// = floor of half the slack) and padded to the full width; a line of dashes
// as wide as each column follows the header; values are left-aligned except
// the placeholder "---", which is centred; every cell is padded, so lines
// end in spaces.
package table
