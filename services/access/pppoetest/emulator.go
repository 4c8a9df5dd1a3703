package pppoetest

import (
	"sync"

	"github.com/erxos/erx/services/linecard/header"
)

// MAC is a 48-bit Ethernet address.
type MAC = header.MAC

// frameHandler is one emulated subscriber's receive path. It runs on the
// emulator's reader goroutine and must not block.
type frameHandler interface {
	handleFrame(f header.Ethernet)
}

// Emulator multiplexes many emulated subscribers, each with its own MAC
// address, over one Link.
type Emulator struct {
	link Link

	mu       sync.Mutex
	handlers map[MAC][]frameHandler
	wg       sync.WaitGroup
}

// NewEmulator starts reading link. Close stops it and closes the link.
func NewEmulator(link Link) *Emulator {
	e := &Emulator{link: link, handlers: make(map[MAC][]frameHandler)}
	e.wg.Add(1)
	go e.read()
	return e
}

// Close closes the link and waits for the reader to stop.
func (e *Emulator) Close() error {
	err := e.link.Close()
	e.wg.Wait()
	return err
}

func (e *Emulator) register(mac MAC, h frameHandler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handlers[mac] = append(e.handlers[mac], h)
}

func (e *Emulator) unregister(mac MAC, h frameHandler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	hs := e.handlers[mac]
	for i, x := range hs {
		if x == h {
			hs = append(hs[:i:i], hs[i+1:]...)
			break
		}
	}
	if len(hs) == 0 {
		delete(e.handlers, mac)
	} else {
		e.handlers[mac] = hs
	}
}

func (e *Emulator) send(frame []byte) error { return e.link.WriteFrame(frame) }

func (e *Emulator) read() {
	defer e.wg.Done()
	buf := make([]byte, 2048)
	var targets []frameHandler
	for {
		n, err := e.link.ReadFrame(buf)
		if err != nil {
			return
		}
		f := header.Ethernet(buf[:n])
		if f.Validate() != nil {
			continue
		}
		targets = targets[:0]
		e.mu.Lock()
		if dst := MAC(f.Destination()); dst == header.Broadcast {
			for _, hs := range e.handlers {
				targets = append(targets, hs...)
			}
		} else {
			targets = append(targets, e.handlers[dst]...)
		}
		e.mu.Unlock()
		for _, h := range targets {
			h.handleFrame(f)
		}
	}
}
