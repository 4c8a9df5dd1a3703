package radius

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"layeh.com/radius"
)

// Defaults of a server entry, as on JunosE.
const (
	DefaultTimeout        = 3 * time.Second
	DefaultRetransmit     = 3
	DefaultMaxOutstanding = 255
)

// Algorithm is the order in which servers are tried.
type Algorithm int

// Server selection algorithms (`radius algorithm direct|round-robin`).
const (
	Direct     Algorithm = iota // the first live server in configured order, others as backup
	RoundRobin                  // start with the next server each request, others as backup
)

// ServerConfig is one `radius authentication|accounting server` entry.
type ServerConfig struct {
	Addr           netip.AddrPort // server address and udp-port
	Secret         string         // key
	Timeout        time.Duration  // per transmission; 0 means DefaultTimeout
	Retransmit     int            // retransmissions after the first try; <0 means none, 0 means DefaultRetransmit
	DeadTime       time.Duration  // how long a server that timed out is skipped; 0: never skipped
	MaxOutstanding int            // max-sessions: bound on outstanding requests; 0 means DefaultMaxOutstanding
}

func (s ServerConfig) withDefaults() ServerConfig {
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	switch {
	case s.Retransmit == 0:
		s.Retransmit = DefaultRetransmit
	case s.Retransmit < 0:
		s.Retransmit = 0
	}
	if s.MaxOutstanding <= 0 || s.MaxOutstanding > 256 {
		s.MaxOutstanding = DefaultMaxOutstanding
	}
	return s
}

// Config is the configuration of one Client: the authentication servers or
// the accounting servers of a virtual router.
type Config struct {
	Servers   []ServerConfig
	Algorithm Algorithm
	NAS       NASIdentity
	Source    netip.Addr // local address requests are sent from (update-source-addr); zero: any
}

// Errors returned by Client.
var (
	ErrNoServer = errors.New("radius: no server answered")
	ErrClosed   = errors.New("radius: client closed")
	errTimeout  = errors.New("radius: timeout")
	errRetired  = errors.New("radius: server removed from configuration")
)

// Client sends Access-Request and Accounting-Request to an ordered list of
// servers. It is safe for concurrent use; Reconfigure may be called while
// requests are outstanding.
type Client struct {
	mu      sync.Mutex
	cfg     Config
	servers []*server
	next    int // round-robin start
	closed  bool
}

// NewClient returns a client for cfg. Call Close when done.
func NewClient(cfg Config) (*Client, error) {
	c := &Client{}
	if err := c.Reconfigure(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// Reconfigure replaces the configuration. Servers kept (same address and
// max-sessions) keep their sockets, counters and outstanding requests;
// requests outstanding on removed servers move on to the next server.
func (c *Client) Reconfigure(cfg Config) error {
	seen := map[netip.AddrPort]bool{}
	for _, s := range cfg.Servers {
		if !s.Addr.IsValid() || s.Addr.Port() == 0 {
			return fmt.Errorf("radius: bad server address %v", s.Addr)
		}
		if s.Secret == "" {
			return fmt.Errorf("radius: server %v has no key", s.Addr)
		}
		if seen[s.Addr] {
			return fmt.Errorf("radius: server %v configured twice", s.Addr)
		}
		seen[s.Addr] = true
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	old := map[netip.AddrPort]*server{}
	for _, s := range c.servers {
		old[s.addr] = s
	}
	var servers []*server
	var created []*server
	for _, sc := range cfg.Servers {
		sc = sc.withDefaults()
		if s, ok := old[sc.Addr]; ok && cap(s.slots) == sc.MaxOutstanding && c.cfg.Source == cfg.Source {
			s.cfg.Store(&sc)
			delete(old, sc.Addr)
			servers = append(servers, s)
			continue
		}
		s, err := newServer(sc, cfg.Source)
		if err != nil {
			c.mu.Unlock()
			for _, s := range created {
				s.close()
			}
			return err
		}
		created = append(created, s)
		servers = append(servers, s)
	}
	c.cfg = cfg
	c.servers = servers
	c.next = 0
	c.mu.Unlock()
	for _, s := range old {
		s.close()
	}
	return nil
}

// Close stops every server's receive loop; outstanding requests fail with
// ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	servers := c.servers
	c.servers, c.closed = nil, true
	c.mu.Unlock()
	for _, s := range servers {
		s.close()
	}
	return nil
}

// Stats returns each configured server's counters, in configured order.
func (c *Client) Stats() []ServerStats {
	c.mu.Lock()
	servers := append([]*server(nil), c.servers...)
	c.mu.Unlock()
	now := time.Now()
	out := make([]ServerStats, 0, len(servers))
	for _, s := range servers {
		out = append(out, s.counters.snapshot(s.addr, s.isDead(now)))
	}
	return out
}

// candidates returns the servers to try for one request, in order.
func (c *Client) candidates() ([]*server, NASIdentity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, NASIdentity{}, ErrClosed
	}
	n := len(c.servers)
	if n == 0 {
		return nil, c.cfg.NAS, fmt.Errorf("%w: none configured", ErrNoServer)
	}
	start := 0
	if c.cfg.Algorithm == RoundRobin {
		start = c.next % n
		c.next = (c.next + 1) % n
	}
	now := time.Now()
	var live []*server
	for i := range n {
		s := c.servers[(start+i)%n]
		if !s.isDead(now) {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		// Every server is dead: refill the list rather than give up.
		for i := range n {
			s := c.servers[(start+i)%n]
			s.deadUntil.Store(0)
			live = append(live, s)
		}
	}
	return live, c.cfg.NAS, nil
}

// Request is a request before it is encoded for one server: the
// attributes that do not depend on the shared secret, and the PAP password
// that does.
type Request struct {
	Code       radius.Code // CodeAccessRequest or CodeAccountingRequest
	Attributes radius.Attributes
	Password   []byte // PAP User-Password in clear; encrypted per server
	// Queued, for an Accounting-Request, is when the record was made: each
	// server's copy carries Acct-Delay-Time = now - Queued (retransmissions
	// to one server repeat the same bytes). Zero: no Acct-Delay-Time.
	Queued time.Time
}

// Response is a verified reply.
type Response struct {
	*radius.Packet
	// RequestAuthenticator is the authenticator of the request this
	// answers, needed to decrypt salt-encrypted attributes.
	RequestAuthenticator [16]byte
	Server               netip.AddrPort
}

// Mirror decrypts the lawful-intercept VSAs of an Access-Accept.
func (r *Response) Mirror() (Mirror, error) {
	return DecodeMirror(r.Packet, r.Secret, r.RequestAuthenticator)
}

// Exchange sends req to the configured servers, in order, until one
// answers with a verified reply. A server that does not answer after its
// retransmissions is marked dead for its dead-time.
func (c *Client) Exchange(ctx context.Context, req *Request) (*Response, error) {
	if req.Code != radius.CodeAccessRequest && req.Code != radius.CodeAccountingRequest {
		return nil, fmt.Errorf("radius: cannot send %v", req.Code)
	}
	var last error
	tried := map[*server]bool{}
	// A server removed by Reconfigure while the request waited on it sends
	// the request on to the current configuration (a few times at most).
	for range 4 {
		servers, nas, err := c.candidates()
		if err != nil {
			return nil, err
		}
		retired := false
		for _, s := range servers {
			if tried[s] {
				continue
			}
			tried[s] = true
			resp, err := s.exchange(ctx, req, nas)
			if err == nil {
				return resp, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			switch {
			case errors.Is(err, errTimeout):
				s.markDead()
			case errors.Is(err, errRetired):
				retired = true
			}
			last = fmt.Errorf("%v: %w", s.addr, err)
		}
		if !retired {
			break
		}
	}
	if last == nil {
		last = errors.New("every server was removed while the request waited")
	}
	return nil, fmt.Errorf("%w: %w", ErrNoServer, last)
}

// server is one server's socket, receive loop and outstanding requests.
type server struct {
	addr      netip.AddrPort
	cfg       atomic.Pointer[ServerConfig]
	conn      *net.UDPConn
	counters  serverCounters
	deadUntil atomic.Int64  // unix nanoseconds
	slots     chan struct{} // one token per outstanding request

	mu      sync.Mutex
	pending [256]*outstanding
	nextID  byte

	done chan struct{}
	wg   sync.WaitGroup
}

type outstanding struct {
	packet []byte         // encoded request
	reply  chan *Response // buffered, receives at most one
	code   radius.Code
	// answered is set by the one reply that completes the request.
	answered atomic.Bool
}

func newServer(sc ServerConfig, source netip.Addr) (*server, error) {
	var laddr *net.UDPAddr
	if source.IsValid() {
		laddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(source, 0))
	}
	conn, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(sc.Addr))
	if err != nil {
		return nil, fmt.Errorf("radius: server %v: %w", sc.Addr, err)
	}
	s := &server{
		addr:  sc.Addr,
		conn:  conn,
		slots: make(chan struct{}, sc.MaxOutstanding),
		done:  make(chan struct{}),
	}
	var idb [1]byte
	_, _ = rand.Read(idb[:])
	s.nextID = idb[0]
	s.cfg.Store(&sc)
	s.wg.Add(1)
	go s.receive()
	return s, nil
}

func (s *server) close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.conn.Close()
	s.wg.Wait()
}

func (s *server) isDead(now time.Time) bool {
	return s.deadUntil.Load() > now.UnixNano()
}

func (s *server) markDead() {
	if d := s.cfg.Load().DeadTime; d > 0 {
		s.deadUntil.Store(time.Now().Add(d).UnixNano())
	}
}

// receive matches replies to outstanding requests until the socket closes.
func (s *server) receive() {
	defer s.wg.Done()
	buf := make([]byte, radius.MaxPacketLength+1)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// ICMP port unreachable surfaces as ECONNREFUSED on a
			// connected socket; the request simply times out.
			continue
		}
		s.handleReply(buf[:n])
	}
}

func (s *server) handleReply(b []byte) {
	if len(b) < 20 {
		s.counters.malformed.Add(1)
		return
	}
	id := b[1]
	s.mu.Lock()
	o := s.pending[id]
	var sent []byte
	if o != nil {
		sent = o.packet
	}
	s.mu.Unlock()
	if sent == nil {
		s.counters.unknownResponses.Add(1)
		return
	}
	secret := []byte(s.cfg.Load().Secret)
	p, err := radius.Parse(b, secret)
	if err != nil || int(b[2])<<8|int(b[3]) != len(b) {
		s.counters.malformed.Add(1)
		return
	}
	if !radius.IsAuthenticResponse(b, sent, secret) {
		s.counters.badAuthenticators.Add(1)
		return
	}
	if _, err := VerifyMessageAuthenticator(b, sent[4:20], secret); err != nil {
		s.counters.badAuthenticators.Add(1)
		return
	}
	var counter *atomic.Uint64
	switch {
	case o.code == radius.CodeAccessRequest && p.Code == radius.CodeAccessAccept:
		counter = &s.counters.accepts
	case o.code == radius.CodeAccessRequest && p.Code == radius.CodeAccessReject:
		counter = &s.counters.rejects
	case o.code == radius.CodeAccessRequest && p.Code == radius.CodeAccessChallenge:
		counter = &s.counters.challenges
	case o.code == radius.CodeAccountingRequest && p.Code == radius.CodeAccountingResponse:
		counter = &s.counters.acctResponses
	default:
		s.counters.malformed.Add(1)
		return
	}
	r := &Response{Packet: p, Server: s.addr}
	copy(r.RequestAuthenticator[:], sent[4:20])
	if !o.answered.CompareAndSwap(false, true) {
		s.counters.unknownResponses.Add(1) // a duplicate reply; the first one won
		return
	}
	counter.Add(1)
	o.reply <- r // buffered for exactly this one reply
}

// allocate reserves an identifier for o. The caller holds a slot, so one
// is always free.
func (s *server) allocate(o *outstanding) (byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 256 {
		id := s.nextID
		s.nextID++
		if s.pending[id] == nil {
			s.pending[id] = o
			return id, true
		}
	}
	return 0, false
}

func (s *server) release(id byte) {
	s.mu.Lock()
	s.pending[id] = nil
	s.mu.Unlock()
}

// exchange sends req to this server with retransmissions.
func (s *server) exchange(ctx context.Context, req *Request, nas NASIdentity) (*Response, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, errRetired
	}
	defer func() { <-s.slots }()
	s.counters.pending.Add(1)
	defer s.counters.pending.Add(-1)

	cfg := s.cfg.Load()
	o := &outstanding{reply: make(chan *Response, 1), code: req.Code}
	id, ok := s.allocate(o)
	if !ok {
		return nil, errors.New("radius: no free identifier")
	}
	defer s.release(id)
	b, err := encodeRequest(req, id, []byte(cfg.Secret), nas)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	o.packet = b
	s.mu.Unlock()

	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	s.counters.requests.Add(1)
	for attempt := 0; ; attempt++ {
		if _, err := s.conn.Write(b); err != nil {
			select {
			case <-s.done:
				return nil, errRetired
			default:
			}
			// A send error (e.g. ICMP unreachable reported on a
			// connected socket) is treated like a lost packet.
		}
		select {
		case r := <-o.reply:
			return r, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.done:
			return nil, errRetired
		case <-timer.C:
		}
		if attempt >= cfg.Retransmit {
			s.counters.timeouts.Add(1)
			return nil, errTimeout
		}
		s.counters.retransmits.Add(1)
		timer.Reset(cfg.Timeout)
	}
}

// encodeRequest encodes req for one server.
func encodeRequest(req *Request, id byte, secret []byte, nas NASIdentity) ([]byte, error) {
	p := &radius.Packet{Code: req.Code, Identifier: id, Secret: secret}
	p.Attributes = make(radius.Attributes, 0, len(req.Attributes)+4)
	for _, a := range req.Attributes {
		if a.Type == typeMessageAuthenticator {
			continue
		}
		p.Attributes = append(p.Attributes, a)
	}
	if err := nas.apply(p); err != nil {
		return nil, err
	}
	if req.Code != radius.CodeAccessRequest {
		if !req.Queued.IsZero() {
			delay := max(time.Since(req.Queued), 0) / time.Second
			p.Set(typeAcctDelayTime, binary.BigEndian.AppendUint32(nil, uint32(delay)))
		}
		b, err := p.Encode()
		if err != nil {
			return nil, fmt.Errorf("radius: encode %v: %w", req.Code, err)
		}
		return b, nil
	}
	if _, err := rand.Read(p.Authenticator[:]); err != nil {
		return nil, fmt.Errorf("radius: request authenticator: %w", err)
	}
	if req.Password != nil {
		pw, err := radius.NewUserPassword(req.Password, secret, p.Authenticator[:])
		if err != nil {
			return nil, fmt.Errorf("radius: User-Password: %w", err)
		}
		p.Set(typeUserPassword, pw)
	}
	// Message-Authenticator first, as RFC 3579 recommends and Blast-RADIUS
	// mitigations expect.
	p.Attributes = append(radius.Attributes{{Type: typeMessageAuthenticator, Attribute: make([]byte, 16)}}, p.Attributes...)
	b, err := p.Encode()
	if err != nil {
		return nil, fmt.Errorf("radius: encode %v: %w", req.Code, err)
	}
	if _, err := signMessageAuthenticator(b, secret); err != nil {
		return nil, err
	}
	return b, nil
}

const (
	typeUserPassword  radius.Type = 2
	typeAcctDelayTime radius.Type = 41
)
