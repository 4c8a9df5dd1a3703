// Package command owns the one E Series command tree: every CLI command of
// the router is declared here as data (keywords, typed arguments, help text,
// modes, privilege level, visibility, no/default forms, handler), and the
// parser, `?` help, TAB completion, abbreviation rules and error markers are
// all derived from that one structure. There is no second parser.
//
// A feature registers its commands with a syntax string. Tokens are
//
//	keyword            a literal word; users may abbreviate it to any unique prefix
//	<name:type>        a typed argument (never abbreviated), see below
//	[ ... ]            optional part
//	{ a | b c | ... }  exactly one of the alternatives
//
// Argument types: A.B.C.D (IPv4 address), mask (dotted IPv4 mask),
// A.B.C.D/N (IPv4 prefix), N-M (integer range, e.g. 1-255), word (one
// word or "quoted string"), line (the rest of the line, raw), hex (hex
// digits), interface (an interface type keyword followed by its location,
// e.g. gigabitEthernet 2/0/1.100), location (S/A/P[.N[.M]] or S/P).
// Other packages may add types with RegisterType.
//
// Example, as a routing package would register a static route:
//
//	err := tree.Register(&command.Command{
//		Syntax: "ip route <prefix:A.B.C.D> <mask:mask> <nexthop:A.B.C.D> [<distance:1-255>]",
//		Modes:  []command.Mode{command.Config},
//		Help: command.Help{
//			"ip":       "Configure IP parameters",
//			"route":    "Establish static routes",
//			"prefix":   "Destination prefix",
//			"mask":     "Destination mask",
//			"nexthop":  "Next-hop address",
//			"distance": "Administrative distance",
//		},
//		Privilege: 10,
//		Run: func(ctx *command.Context, req *command.Request) error {
//			return routes.Add(ctx.VR, req.Addr("prefix"), req.Addr("mask"), req.Addr("nexthop"), req.IntOr("distance", 1))
//		},
//		NoSyntax: "ip route <prefix:A.B.C.D> <mask:mask> [<nexthop:A.B.C.D>]",
//		No: func(ctx *command.Context, req *command.Request) error { ... },
//	})
//
// and contribute its lines to the running configuration with AddConfig.
//
// Parsing (Tree.Parse) is pure: it yields a Request holding the matched
// Command and typed argument values. Tree.Execute runs the handler, which
// writes its output to Context.Out.
package command
