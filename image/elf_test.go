package image

import (
	"bytes"
	"encoding/binary"
)

// fakeModule returns a minimal ELF64 relocatable object whose only
// contents are a .modinfo section holding the given NUL-separated fields,
// which is all that module staging reads.
func fakeModule(fields ...string) []byte {
	var modinfo []byte
	for _, f := range fields {
		modinfo = append(modinfo, f...)
		modinfo = append(modinfo, 0)
	}
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := uint64(ehsize)
	strOff := modOff + uint64(len(modinfo))
	shOff := strOff + uint64(len(shstr))
	shOff = (shOff + 7) &^ 7

	var b bytes.Buffer
	le := binary.LittleEndian
	ident := [16]byte{0x7f, 'E', 'L', 'F', 2 /*64-bit*/, 1 /*LE*/, 1 /*version*/}
	b.Write(ident[:])
	binary.Write(&b, le, uint16(1))  // e_type ET_REL
	binary.Write(&b, le, uint16(62)) // e_machine EM_X86_64
	binary.Write(&b, le, uint32(1))  // e_version
	binary.Write(&b, le, uint64(0))  // e_entry
	binary.Write(&b, le, uint64(0))  // e_phoff
	binary.Write(&b, le, shOff)      // e_shoff
	binary.Write(&b, le, uint32(0))  // e_flags
	binary.Write(&b, le, uint16(ehsize))
	binary.Write(&b, le, uint16(0)) // e_phentsize
	binary.Write(&b, le, uint16(0)) // e_phnum
	binary.Write(&b, le, uint16(shentsize))
	binary.Write(&b, le, uint16(3)) // e_shnum
	binary.Write(&b, le, uint16(2)) // e_shstrndx
	b.Write(modinfo)
	b.Write(shstr)
	for uint64(b.Len()) < shOff {
		b.WriteByte(0)
	}
	section := func(name, typ uint32, off, size uint64) {
		binary.Write(&b, le, name)
		binary.Write(&b, le, typ)
		binary.Write(&b, le, uint64(0)) // flags
		binary.Write(&b, le, uint64(0)) // addr
		binary.Write(&b, le, off)
		binary.Write(&b, le, size)
		binary.Write(&b, le, uint32(0)) // link
		binary.Write(&b, le, uint32(0)) // info
		binary.Write(&b, le, uint64(1)) // addralign
		binary.Write(&b, le, uint64(0)) // entsize
	}
	section(0, 0, 0, 0)
	section(1, 1 /*PROGBITS*/, modOff, uint64(len(modinfo)))
	section(10, 3 /*STRTAB*/, strOff, uint64(len(shstr)))
	return b.Bytes()
}
