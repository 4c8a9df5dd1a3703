package radius

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"layeh.com/radius"
)

// typeVendorSpecific is RADIUS attribute 26.
const typeVendorSpecific radius.Type = 26

// VSA is one vendor-specific sub-attribute.
type VSA struct {
	Vendor uint32
	Type   byte
	Value  []byte
}

// ParseVSAs decodes the value of one Vendor-Specific attribute (26) in the
// RFC 2865 §5.26 recommended format: a 4-byte vendor id followed by one or
// more type-length-value sub-attributes.
func ParseVSAs(value []byte) ([]VSA, error) {
	if len(value) < 4 {
		return nil, fmt.Errorf("radius: vendor-specific attribute of %d bytes", len(value))
	}
	vendor := binary.BigEndian.Uint32(value[:4])
	if vendor>>24 != 0 {
		return nil, fmt.Errorf("radius: vendor id %#x has a non-zero high byte", vendor)
	}
	rest := value[4:]
	if len(rest) == 0 {
		return nil, errors.New("radius: vendor-specific attribute without sub-attributes")
	}
	var out []VSA
	for len(rest) > 0 {
		if len(rest) < 2 {
			return nil, errors.New("radius: truncated vendor sub-attribute")
		}
		l := int(rest[1])
		if l < 2 || l > len(rest) {
			return nil, fmt.Errorf("radius: vendor sub-attribute %d has bad length %d", rest[0], l)
		}
		out = append(out, VSA{Vendor: vendor, Type: rest[0], Value: append([]byte(nil), rest[2:l]...)})
		rest = rest[l:]
	}
	return out, nil
}

// EncodeVSA returns the value of a Vendor-Specific attribute holding one
// sub-attribute.
func EncodeVSA(vendor uint32, typ byte, value []byte) (radius.Attribute, error) {
	if len(value) > 247 {
		return nil, fmt.Errorf("radius: vendor sub-attribute %d of %d bytes is too long", typ, len(value))
	}
	b := make([]byte, 6+len(value))
	binary.BigEndian.PutUint32(b, vendor)
	b[4] = typ
	b[5] = byte(2 + len(value))
	copy(b[6:], value)
	return b, nil
}

// ERXValues returns the raw values of every ERX sub-attribute t in p, in
// packet order. Malformed Vendor-Specific attributes are skipped; use
// ValidateVSAs to reject them.
func ERXValues(p *radius.Packet, t ERXType) [][]byte {
	var out [][]byte
	for _, avp := range p.Attributes {
		if avp.Type != typeVendorSpecific {
			continue
		}
		vsas, err := ParseVSAs(avp.Attribute)
		if err != nil {
			continue
		}
		for _, v := range vsas {
			if v.Vendor == VendorERX && v.Type == byte(t) {
				out = append(out, v.Value)
			}
		}
	}
	return out
}

// ValidateVSAs reports the first malformed Vendor-Specific attribute in p.
func ValidateVSAs(p *radius.Packet) error {
	for _, avp := range p.Attributes {
		if avp.Type != typeVendorSpecific {
			continue
		}
		if _, err := ParseVSAs(avp.Attribute); err != nil {
			return err
		}
	}
	return nil
}

// ERXLookup returns the first raw value of ERX attribute t in p.
func ERXLookup(p *radius.Packet, t ERXType) ([]byte, bool) {
	v := ERXValues(p, t)
	if len(v) == 0 {
		return nil, false
	}
	return v[0], true
}

// ERXString returns ERX attribute t as a string.
func ERXString(p *radius.Packet, t ERXType) (string, bool) {
	v, ok := ERXLookup(p, t)
	return string(v), ok
}

// ERXInteger returns ERX attribute t as a 32-bit integer.
func ERXInteger(p *radius.Packet, t ERXType) (uint32, bool, error) {
	v, ok := ERXLookup(p, t)
	if !ok {
		return 0, false, nil
	}
	if len(v) != 4 {
		return 0, true, fmt.Errorf("radius: %v: integer of %d bytes", t, len(v))
	}
	return binary.BigEndian.Uint32(v), true, nil
}

// ERXAddr returns ERX attribute t as an IPv4 address.
func ERXAddr(p *radius.Packet, t ERXType) (netip.Addr, bool, error) {
	v, ok := ERXLookup(p, t)
	if !ok {
		return netip.Addr{}, false, nil
	}
	if len(v) != 4 {
		return netip.Addr{}, true, fmt.Errorf("radius: %v: address of %d bytes", t, len(v))
	}
	return netip.AddrFrom4([4]byte(v)), true, nil
}

// ERXAdd appends ERX attribute t with a raw value to p.
func ERXAdd(p *radius.Packet, t ERXType, value []byte) error {
	a, err := EncodeVSA(VendorERX, byte(t), value)
	if err != nil {
		return fmt.Errorf("%v: %w", t, err)
	}
	p.Add(typeVendorSpecific, a)
	return nil
}

// ERXDel removes every ERX attribute t from p, keeping other vendor
// sub-attributes that shared a Vendor-Specific attribute with it.
func ERXDel(p *radius.Packet, t ERXType) {
	out := p.Attributes[:0]
	for _, avp := range p.Attributes {
		if avp.Type != typeVendorSpecific {
			out = append(out, avp)
			continue
		}
		vsas, err := ParseVSAs(avp.Attribute)
		if err != nil || vsas[0].Vendor != VendorERX {
			out = append(out, avp)
			continue
		}
		for _, v := range vsas {
			if v.Type == byte(t) {
				continue
			}
			a, err := EncodeVSA(v.Vendor, v.Type, v.Value)
			if err == nil {
				out = append(out, &radius.AVP{Type: typeVendorSpecific, Attribute: a})
			}
		}
	}
	p.Attributes = out
}

// ERXSetString replaces ERX attribute t in p with a string value.
func ERXSetString(p *radius.Packet, t ERXType, s string) error {
	ERXDel(p, t)
	return ERXAdd(p, t, []byte(s))
}

// ERXSetInteger replaces ERX attribute t in p with an integer value.
func ERXSetInteger(p *radius.Packet, t ERXType, v uint32) error {
	ERXDel(p, t)
	return ERXAdd(p, t, binary.BigEndian.AppendUint32(nil, v))
}

// ERXSetAddr replaces ERX attribute t in p with an IPv4 address.
func ERXSetAddr(p *radius.Packet, t ERXType, a netip.Addr) error {
	if !a.Is4() {
		return fmt.Errorf("radius: %v: %v is not an IPv4 address", t, a)
	}
	ERXDel(p, t)
	b := a.As4()
	return ERXAdd(p, t, b[:])
}
