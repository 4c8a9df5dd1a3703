package command

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// ArgType is the type of a command argument: how it is shown in `?` help
// and how a token is turned into a typed value.
type ArgType interface {
	// Syntax is the placeholder shown in help, e.g. "A.B.C.D" or "<1-255>".
	Syntax() string
	// Help is the description used when a command gives none.
	Help() string
	// Parse converts one token into the argument's value.
	Parse(tok string) (any, error)
}

// restOfLine marks an ArgType that takes the raw remainder of the line.
type restOfLine interface{ restOfLine() }

var (
	typesMu sync.RWMutex
	types   = map[string]ArgType{
		"A.B.C.D":   ipv4Type{},
		"mask":      maskType{},
		"A.B.C.D/N": prefixType{},
		"word":      wordType{},
		"string":    wordType{},
		"line":      lineType{},
		"hex":       hexType{},
		"location":  locationType{},
	}
)

// RegisterType makes an argument type available to syntax strings as
// <name:typeName>. It fails if the name is taken.
func RegisterType(typeName string, t ArgType) error {
	typesMu.Lock()
	defer typesMu.Unlock()
	if _, ok := types[typeName]; ok || typeName == "interface" {
		return fmt.Errorf("argument type %q already registered", typeName)
	}
	types[typeName] = t
	return nil
}

func lookupType(name string) (ArgType, error) {
	if lo, hi, ok := parseRange(name); ok {
		return IntRange{Min: lo, Max: hi}, nil
	}
	typesMu.RLock()
	defer typesMu.RUnlock()
	t, ok := types[name]
	if !ok {
		return nil, fmt.Errorf("unknown argument type %q", name)
	}
	return t, nil
}

func parseRange(s string) (int64, int64, bool) {
	i := strings.IndexByte(s[min(1, len(s)):], '-')
	if i < 0 {
		return 0, 0, false
	}
	i++
	lo, err1 := strconv.ParseInt(s[:i], 10, 64)
	hi, err2 := strconv.ParseInt(s[i+1:], 10, 64)
	if err1 != nil || err2 != nil || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// IntRange is an integer argument within [Min, Max]; its value is an int.
type IntRange struct{ Min, Max int64 }

// Syntax implements ArgType.
func (r IntRange) Syntax() string { return fmt.Sprintf("<%d-%d>", r.Min, r.Max) }

// Help implements ArgType.
func (r IntRange) Help() string { return "Number" }

// Parse implements ArgType.
func (r IntRange) Parse(tok string) (any, error) {
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || n < r.Min || n > r.Max {
		return nil, fmt.Errorf("not a number in %d-%d", r.Min, r.Max)
	}
	return int(n), nil
}

type ipv4Type struct{}

func (ipv4Type) Syntax() string { return "A.B.C.D" }
func (ipv4Type) Help() string   { return "IP address" }
func (ipv4Type) Parse(tok string) (any, error) {
	a, err := netip.ParseAddr(tok)
	if err != nil || !a.Is4() {
		return nil, errors.New("not an IPv4 address")
	}
	return a, nil
}

type maskType struct{}

func (maskType) Syntax() string { return "A.B.C.D" }
func (maskType) Help() string   { return "IP mask" }
func (maskType) Parse(tok string) (any, error) {
	a, err := netip.ParseAddr(tok)
	if err != nil || !a.Is4() {
		return nil, errors.New("not an IPv4 mask")
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if bits.OnesCount32(v) != bits.LeadingZeros32(^v) {
		return nil, errors.New("mask is not contiguous")
	}
	return a, nil
}

// MaskBits returns the prefix length of a contiguous dotted mask.
func MaskBits(mask netip.Addr) int {
	b := mask.As4()
	return bits.LeadingZeros32(^(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])))
}

type prefixType struct{}

func (prefixType) Syntax() string { return "A.B.C.D/N" }
func (prefixType) Help() string   { return "IP prefix" }
func (prefixType) Parse(tok string) (any, error) {
	p, err := netip.ParsePrefix(tok)
	if err != nil || !p.Addr().Is4() {
		return nil, errors.New("not an IPv4 prefix")
	}
	return p, nil
}

type wordType struct{}

func (wordType) Syntax() string { return "WORD" }
func (wordType) Help() string   { return "A word" }
func (wordType) Parse(tok string) (any, error) {
	if tok == "" {
		return nil, errors.New("empty word")
	}
	return tok, nil
}

type lineType struct{}

func (lineType) Syntax() string                { return "LINE" }
func (lineType) Help() string                  { return "Text to end of line" }
func (lineType) Parse(tok string) (any, error) { return tok, nil }
func (lineType) restOfLine()                   {}

type hexType struct{}

func (hexType) Syntax() string { return "HEX" }
func (hexType) Help() string   { return "Hexadecimal string" }
func (hexType) Parse(tok string) (any, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(tok, "0x"), "0X")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("not a hex string")
	}
	return b, nil
}

// InterfaceName is the value of an interface argument: the canonical type
// keyword and the location as typed, e.g. {"gigabitEthernet", "2/0/1.100"}.
type InterfaceName struct {
	Type     string
	Location string
}

// String is the input form, e.g. "gigabitEthernet 2/0/1.100".
func (n InterfaceName) String() string { return n.Type + " " + n.Location }

// IsSubinterface reports whether the location has a .N suffix.
func (n InterfaceName) IsSubinterface() bool { return strings.Contains(n.Location, ".") }

// InterfaceTypes are the interface type keywords accepted by an interface
// argument, with their help text. numbered types take a single number
// instead of a slot/port location.
var InterfaceTypes = []struct {
	Name, Help string
	Numbered   bool
}{
	{"atm", "ATM interface", false},
	{"fastEthernet", "Fast Ethernet interface", false},
	{"gigabitEthernet", "Gigabit Ethernet interface", false},
	{"loopback", "Loopback interface", true},
	{"null", "Null interface", true},
	{"pos", "Packet over SONET interface", false},
	{"serial", "Serial interface", false},
	{"tenGigabitEthernet", "Ten Gigabit Ethernet interface", false},
}

type locationType struct{}

func (locationType) Syntax() string { return "S/A/P[.N]" }
func (locationType) Help() string   { return "Slot/adapter/port[.subinterface]" }
func (locationType) Parse(tok string) (any, error) {
	if !validLocation(tok) {
		return nil, errors.New("not an interface location")
	}
	return tok, nil
}

// validLocation accepts S/P or S/A/P, each a decimal number, optionally
// followed by .N or .N.M.
func validLocation(s string) bool {
	main, sub, _ := strings.Cut(s, ".")
	parts := strings.Split(main, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if !decimal(p) {
			return false
		}
	}
	if sub == "" {
		return !strings.Contains(s, ".")
	}
	subs := strings.Split(sub, ".")
	if len(subs) > 2 {
		return false
	}
	for _, p := range subs {
		if !decimal(p) {
			return false
		}
	}
	return true
}

func decimal(s string) bool {
	if s == "" || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type numberType struct{}

func (numberType) Syntax() string { return "<0-2147483647>" }
func (numberType) Help() string   { return "Interface number" }
func (numberType) Parse(tok string) (any, error) {
	if !decimal(tok) {
		return nil, errors.New("not an interface number")
	}
	if _, err := strconv.ParseInt(tok, 10, 32); err != nil {
		return nil, errors.New("interface number out of range")
	}
	return tok, nil
}
