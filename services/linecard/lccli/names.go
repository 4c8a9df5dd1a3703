package lccli

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// ifID names an interface: a port S/A/P, a subinterface S/A/P.N or a
// loopback N.
type ifID struct {
	typ                 string // canonical type keyword, e.g. "gigabitEthernet", "loopback"
	slot, adapter, port int    // loopback: port holds the number
	sub                 int    // subinterface number; 0 for a major interface
}

const loopbackType = "loopback"

// errInvalidInterface is what JunosE answers for an interface the router
// does not have.
var errInvalidInterface = errors.New("Invalid interface")

// parseIfID turns a parsed interface argument into an ifID. It accepts
// only what this router can have: S/A/P[.N] for Ethernet types and a
// number for loopbacks.
func parseIfID(n command.InterfaceName) (ifID, error) {
	if n.Type == loopbackType {
		v, err := number(n.Location, 0, 32767)
		if err != nil {
			return ifID{}, errInvalidInterface
		}
		return ifID{typ: loopbackType, port: v}, nil
	}
	switch n.Type {
	case "fastEthernet", "gigabitEthernet", "tenGigabitEthernet":
	default:
		return ifID{}, errInvalidInterface
	}
	main, sub, hasSub := strings.Cut(n.Location, ".")
	parts := strings.Split(main, "/")
	if len(parts) != 3 {
		return ifID{}, errInvalidInterface
	}
	var v [3]int
	for i, p := range parts {
		x, err := number(p, 0, 255)
		if err != nil {
			return ifID{}, errInvalidInterface
		}
		v[i] = x
	}
	id := ifID{typ: n.Type, slot: v[0], adapter: v[1], port: v[2]}
	if hasSub {
		x, err := number(sub, 1, 2147483647)
		if err != nil {
			return ifID{}, errInvalidInterface
		}
		id.sub = x
	}
	return id, nil
}

func number(s string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a number in %d-%d", s, lo, hi)
	}
	return v, nil
}

// major returns the major interface of a subinterface.
func (id ifID) major() ifID {
	id.sub = 0
	return id
}

// String is the input form, also the data plane's interface name:
// "gigabitEthernet 2/0/1", "gigabitEthernet 2/0/1.100", "loopback 0".
func (id ifID) String() string {
	if id.typ == loopbackType {
		return fmt.Sprintf("loopback %d", id.port)
	}
	s := fmt.Sprintf("%s %d/%d/%d", id.typ, id.slot, id.adapter, id.port)
	if id.sub != 0 {
		s += fmt.Sprintf(".%d", id.sub)
	}
	return s
}

// Display is the display form: "GigabitEthernet2/0/1.100", "loopback0".
func (id ifID) Display() string {
	if id.typ == loopbackType {
		return fmt.Sprintf("loopback%d", id.port)
	}
	s := fmt.Sprintf("%s%s%d/%d/%d", strings.ToUpper(id.typ[:1]), id.typ[1:], id.slot, id.adapter, id.port)
	if id.sub != 0 {
		s += fmt.Sprintf(".%d", id.sub)
	}
	return s
}

// name is the argument value the sub-modes see as ctx.ModeValue.
func (id ifID) name() command.InterfaceName {
	loc := strings.TrimPrefix(id.String(), id.typ+" ")
	return command.InterfaceName{Type: id.typ, Location: loc}
}

// compareIDs is the canonical configuration order: ports by
// slot/adapter/port with each subinterface after its major, then
// loopbacks by number.
func compareIDs(a, b ifID) int {
	al, bl := a.typ == loopbackType, b.typ == loopbackType
	if al != bl {
		if al {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.slot, b.slot), cmp.Compare(a.adapter, b.adapter), cmp.Compare(a.port, b.port),
		cmp.Compare(a.typ, b.typ), cmp.Compare(a.sub, b.sub))
}
