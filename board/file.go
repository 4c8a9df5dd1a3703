package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
)

// File is a decoded host board file (format in the package doc).
type File struct {
	Name       string          `json:"name,omitempty"`
	Model      string          `json:"model,omitempty"`
	Management *FileManagement `json:"management,omitempty"`
	Ports      []FilePort      `json:"ports"`
}

// FileManagement is the board file's management port.
type FileManagement struct {
	Port    string `json:"port,omitempty"`
	NIC     string `json:"nic"`
	Address string `json:"address,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	DHCP    bool   `json:"dhcp,omitempty"`

	address netip.Prefix
	gateway netip.Addr
}

// FilePort maps one data port to a NIC.
type FilePort struct {
	Name string `json:"name"`
	NIC  string `json:"nic"`
}

// ParseFile decodes and validates a board file.
func ParseFile(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("board file: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("board file: data after the JSON object")
	}
	if m := f.Management; m != nil {
		if err := validNIC(m.NIC); err != nil {
			return nil, fmt.Errorf("board file: management: %w", err)
		}
		if m.Port != "" {
			if _, _, _, _, err := ParsePortName(m.Port); err != nil {
				return nil, fmt.Errorf("board file: management: %w", err)
			}
		}
		if m.Address != "" {
			p, err := netip.ParsePrefix(m.Address)
			if err != nil || !p.Addr().Is4() {
				return nil, fmt.Errorf("board file: management: address %q: want an IPv4 address/length", m.Address)
			}
			m.address = p
		}
		if m.Gateway != "" {
			a, err := netip.ParseAddr(m.Gateway)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("board file: management: gateway %q: want an IPv4 address", m.Gateway)
			}
			m.gateway = a
		}
		if m.DHCP && m.Address != "" {
			return nil, fmt.Errorf("board file: management: both dhcp and a static address")
		}
	}
	seenName := map[[3]int]bool{}
	seenNIC := map[string]bool{}
	if f.Management != nil {
		seenNIC[f.Management.NIC] = true
	}
	for i, p := range f.Ports {
		_, s, a, n, err := ParsePortName(p.Name)
		if err != nil {
			return nil, fmt.Errorf("board file: port %d: %w", i, err)
		}
		if s == SRPSlot {
			return nil, fmt.Errorf("board file: port %q: slot %d is the SRP", p.Name, SRPSlot)
		}
		if seenName[[3]int{s, a, n}] {
			return nil, fmt.Errorf("board file: port %q listed twice", p.Name)
		}
		seenName[[3]int{s, a, n}] = true
		if err := validNIC(p.NIC); err != nil {
			return nil, fmt.Errorf("board file: port %q: %w", p.Name, err)
		}
		if seenNIC[p.NIC] {
			return nil, fmt.Errorf("board file: port %q: NIC %s used twice", p.Name, p.NIC)
		}
		seenNIC[p.NIC] = true
	}
	return &f, nil
}

// validNIC checks a Linux interface name.
func validNIC(n string) error {
	if n == "" || len(n) > 15 || n == "." || n == ".." {
		return fmt.Errorf("invalid NIC name %q", n)
	}
	for _, c := range []byte(n) {
		if c <= ' ' || c == '/' || c == ':' || c >= 0x7f {
			return fmt.Errorf("invalid NIC name %q", n)
		}
	}
	return nil
}
