package linecard

import (
	"github.com/erxos/erx/services/linecard/header"
	"github.com/erxos/erx/services/linecard/port"
)

// fragment splits packet p into fragments of at most mtu bytes (RFC 791
// section 3.2) in the worker's fragment buffers and sends each. Options
// without the copied flag go only into the first fragment. When the
// buffers run out or the options are malformed, the packet is dropped.
func (w *worker) fragment(out *iface, nh uint32, p header.IPv4, mtu int) {
	hl := p.HeaderLength()
	var opts [header.IPv4MaxHeaderLen - header.IPv4MinHeaderLen]byte
	nopts, ok := copiedOptions(p.Options(), opts[:])
	if !ok {
		w.drop(out, DropFragmentation)
		return
	}
	restHL := header.IPv4MinHeaderLen + (nopts+3)&^3
	payload := p[hl:]
	baseOff := p.FragmentOffset()
	moreAfter := p.Flags()&header.IPv4FlagMF != 0
	need := 0
	for done, h := 0, hl; done < len(payload); h = restHL {
		done += min(len(payload)-done, (mtu-h)&^7)
		need++
	}
	if w.fragUsed+need > len(w.frags) {
		w.drop(out, DropFragmentation)
		return
	}
	off := port.Headroom + maxL2
	for done, first := 0, true; done < len(payload); first = false {
		buf := w.frags[w.fragUsed]
		w.fragUsed++
		h := restHL
		if first {
			h = hl
			copy(buf[off:], p[:hl])
		} else {
			copy(buf[off:], p[:header.IPv4MinHeaderLen])
			clear(buf[off+header.IPv4MinHeaderLen : off+restHL])
			copy(buf[off+header.IPv4MinHeaderLen:], opts[:nopts])
			buf[off] = 0x40 | byte(restHL/4)
		}
		size := min(len(payload)-done, (mtu-h)&^7)
		copy(buf[off+h:], payload[done:done+size])
		f := header.IPv4(buf[off : off+h+size])
		flags := p.Flags() &^ header.IPv4FlagMF
		if done+size < len(payload) || moreAfter {
			flags |= header.IPv4FlagMF
		}
		f.SetFlagsFragmentOffset(flags, baseOff+done)
		f.SetTotalLength(uint16(h + size))
		f.SetChecksum(0)
		f.SetChecksum(f.CalculateChecksum())
		done += size
		w.resolveAndEmit(out, nh, buf, off, h+size)
	}
}

// copiedOptions copies the options of opts that carry the copied flag
// into dst and returns their length; ok is false for malformed options.
func copiedOptions(opts, dst []byte) (n int, ok bool) {
	for i := 0; i < len(opts); {
		switch t := opts[i]; t {
		case 0: // end of option list
			return n, true
		case 1: // no operation
			i++
		default:
			if i+1 >= len(opts) {
				return 0, false
			}
			l := int(opts[i+1])
			if l < 2 || i+l > len(opts) {
				return 0, false
			}
			if t&0x80 != 0 {
				n += copy(dst[n:], opts[i:i+l])
			}
			i += l
		}
	}
	return n, true
}
