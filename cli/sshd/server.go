package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/term"
	"github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Authenticator checks logins; it returns the user's privilege level
// (0-15) or an error. The lead implements it from aaa/local (later RADIUS).
type Authenticator interface {
	Password(user, password string, remote net.Addr) (privilege int, err error)
	PublicKey(user string, key gossh.PublicKey, remote net.Addr) (privilege int, err error)
}

// MethodAuthenticator is implemented by an Authenticator that can check
// logins against methods other than local and none (radius, ...). The
// server walks the login method list of the vty line (cli
// Interpreter.LoginMethods): "local" calls Authenticator.Password,
// "none" admits the user at privilege 1, and any other method calls
// PasswordMethod when Auth implements this interface. A method that
// returns an error matching ErrMethodUnavailable (or that Auth does not
// implement) is skipped and the next one is tried; any other error
// rejects the login.
type MethodAuthenticator interface {
	PasswordMethod(method, user, password string, remote net.Addr) (privilege int, err error)
}

// ErrMethodUnavailable tells the server to try the next login method (a
// RADIUS server that does not answer).
var ErrMethodUnavailable = errors.New("authentication method unavailable")

// closeGrace is how long a cleared or timed-out session's peer has to
// close its channel before the connection is dropped.
const closeGrace = 2 * time.Second

// Defaults for Options.
const (
	DefaultMaxSessions     = 30
	DefaultMaxAuthFailures = 5
	DefaultLockout         = 5 * time.Minute
	DefaultKeepAlive       = 30 * time.Second
)

// Options configure a Server.
type Options struct {
	// Addr is where ListenAndServe listens, e.g. ":22".
	Addr string
	// KeyStore holds the host keys. Required.
	KeyStore KeyStore
	// Auth checks passwords and keys. Required.
	Auth Authenticator
	// Interp runs the sessions. Required.
	Interp *cli.Interpreter
	// MaxSessions caps concurrent sessions (vty 0..MaxSessions-1);
	// 0 means DefaultMaxSessions; values above cli.MaxVTY (30) are
	// lowered to it: every session holds one of the 30 vty lines.
	MaxSessions int
	// MaxConnections caps TCP connections, authenticated or not; more are
	// closed at once. 0 means 2*MaxSessions.
	MaxConnections int
	// IdleTimeout closes an interactive session without input for this
	// long; 0 means never. An exec-timeout configured for the session's
	// vty (line vty N / exec-timeout) takes precedence.
	IdleTimeout time.Duration
	// MaxAuthFailures failed logins from one address lock it out for
	// Lockout. 0 means the defaults.
	MaxAuthFailures int
	Lockout         time.Duration
	// KeepAlive is the interval of SSH keepalive requests; a peer that
	// misses three is disconnected, and a connection (also one still in
	// its handshake) silent for four intervals is closed. 0 means
	// DefaultKeepAlive; negative disables both.
	KeepAlive time.Duration
	// Logger receives login, lockout and session events; nil: slog.Default.
	Logger *slog.Logger
}

// Server is the SSH server. It implements cli.Lines.
type Server struct {
	opts Options
	log  *slog.Logger
	srv  *ssh.Server
	lock *lockout

	mu      sync.Mutex
	lines   []*line // index = vty number; nil = free
	closing bool    // set when Serve ends; no new handlers start
	conns   map[*trackedConn]struct{}
	wg      sync.WaitGroup

	// pendingKeys are host keys generated once Serve runs (see
	// loadStartupKeys).
	pendingKeys []hostKeyType
}

// trackedConn is an accepted TCP connection, counted until closed.
type trackedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// accept admits a new connection unless the server is closing or full.
func (s *Server) accept(_ ssh.Context, c net.Conn) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.conns) >= s.opts.MaxConnections {
		s.log.Warn("ssh connection refused: too many connections", "remote", c.RemoteAddr())
		return nil
	}
	if !s.anyLinePermits(addrOf(c.RemoteAddr())) {
		s.log.Warn("ssh connection refused by access-class: no vty line admits the address", "remote", c.RemoteAddr())
		return nil
	}
	tc := &trackedConn{Conn: c, s: s}
	s.conns[tc] = struct{}{}
	return tc
}

// line is one occupied vty.
type line struct {
	vty      int
	user     string
	remote   string
	lastSeen atomic.Int64 // unix nanoseconds of the last input
	close    func()
}

type ctxKey int

const (
	privilegeKey ctxKey = iota
	methodKey
)

// New loads (or creates) the host keys and returns a server; it does not
// listen yet. It registers the server with the interpreter for show users
// and clear line.
func New(opts Options) (*Server, error) {
	if opts.KeyStore == nil || opts.Auth == nil || opts.Interp == nil {
		return nil, errors.New("sshd: KeyStore, Auth and Interp are required")
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	opts.MaxSessions = min(opts.MaxSessions, cli.MaxVTY)
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 2 * opts.MaxSessions
	}
	if opts.Addr == "" {
		opts.Addr = ":22"
	}
	if opts.MaxAuthFailures <= 0 {
		opts.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if opts.Lockout <= 0 {
		opts.Lockout = DefaultLockout
	}
	if opts.KeepAlive == 0 {
		opts.KeepAlive = DefaultKeepAlive
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		opts:  opts,
		log:   opts.Logger,
		lock:  &lockout{max: opts.MaxAuthFailures, duration: opts.Lockout, now: time.Now, entries: map[string]*lockEntry{}},
		lines: make([]*line, opts.MaxSessions),
		conns: map[*trackedConn]struct{}{},
	}
	keys, pending, err := loadStartupKeys(opts.KeyStore, s.log.Warn)
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	s.pendingKeys = pending
	s.srv = &ssh.Server{
		Addr:             opts.Addr,
		Handler:          s.handle,
		PasswordHandler:  s.password,
		PublicKeyHandler: s.publicKey,
		ConnCallback:     s.accept,
		ServerConfigCallback: func(ssh.Context) *gossh.ServerConfig {
			return &gossh.ServerConfig{MaxAuthTries: 6, ServerVersion: "SSH-2.0-erx"}
		},
	}
	if opts.KeepAlive > 0 {
		s.srv.IdleTimeout = 4 * opts.KeepAlive
	}
	for _, k := range keys {
		s.srv.AddHostKey(k)
	}
	opts.Interp.SetLines(s)
	return s, nil
}

// ListenAndServe listens on Options.Addr and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sshd: listen: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l until ctx ends, then closes every
// connection and waits for the session handlers to finish. A Server
// serves once.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	var keygen sync.WaitGroup
	defer keygen.Wait()
	for _, k := range s.pendingKeys {
		keygen.Go(func() {
			signer, err := loadOrCreate(s.opts.KeyStore, k.name, k.gen, s.log.Warn)
			if err != nil {
				s.log.Error("ssh host key", "err", err)
				return
			}
			s.srv.AddHostKey(signer)
			s.log.Info("ssh host key ready", "file", k.name)
		})
	}
	s.pendingKeys = nil
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.srv.Close()
		case <-done:
		}
	}()
	err := s.srv.Serve(l)
	close(done)
	s.mu.Lock()
	s.closing = true
	var pending []*trackedConn
	for c := range s.conns {
		pending = append(pending, c)
	}
	s.mu.Unlock()
	s.srv.Close()
	for _, c := range pending {
		c.Close() // connections still in their handshake
	}
	s.wg.Wait()
	if errors.Is(err, ssh.ErrServerClosed) || ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("sshd: %w", err)
}

// addrOf is the IP address of a remote address (the zero Addr if it has
// none).
func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// anyLinePermits reports whether some vty line would take a connection
// from addr (busy or not). Called with s.mu held.
func (s *Server) anyLinePermits(addr netip.Addr) bool {
	for i := range s.lines {
		if s.opts.Interp.VTYAccess(i, addr) {
			return true
		}
	}
	return false
}

// candidateLine is the vty a login from addr would get now: the first
// free line whose access class admits addr, else the first admitting line
// (the session will then find all lines busy), else -1.
func (s *Server) candidateLine(addr netip.Addr) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := -1
	for i, l := range s.lines {
		if !s.opts.Interp.VTYAccess(i, addr) {
			continue
		}
		if l == nil {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// RemoteHost is the IP address of a remote address (the address alone
// if it has no port), "" for none: what the server names a client by
// (lockouts, a line's remote) and aaa sends as Calling-Station-Id.
func RemoteHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

func (s *Server) password(ctx ssh.Context, pw string) bool {
	host := RemoteHost(ctx.RemoteAddr())
	if s.lock.locked(host) {
		s.log.Warn("ssh login refused: address locked out", "user", ctx.User(), "remote", host)
		return false
	}
	vty := s.candidateLine(addrOf(ctx.RemoteAddr()))
	if vty < 0 {
		s.log.Warn("ssh login refused by access-class", "user", ctx.User(), "remote", host)
		return false
	}
	priv, method, err := s.checkPassword(s.opts.Interp.LoginMethods(vty), ctx.User(), pw, ctx.RemoteAddr())
	if err != nil {
		s.log.Info("ssh login failed", "user", ctx.User(), "remote", host, "method", "password")
		if s.lock.fail(host) {
			s.log.Warn("ssh login lockout", "remote", host, "failures", s.opts.MaxAuthFailures, "for", s.opts.Lockout)
		}
		return false
	}
	s.lock.success(host)
	ctx.SetValue(privilegeKey, priv)
	ctx.SetValue(methodKey, method)
	return true
}

// checkPassword walks a login method list; it returns the privilege and
// the method that admitted the user.
func (s *Server) checkPassword(methods []string, user, pw string, remote net.Addr) (int, string, error) {
	for _, m := range methods {
		switch m {
		case "local":
			priv, err := s.opts.Auth.Password(user, pw, remote)
			if err != nil {
				return 0, "", err
			}
			return priv, m, nil
		case "none":
			return 1, m, nil
		default:
			ma, ok := s.opts.Auth.(MethodAuthenticator)
			if !ok {
				continue
			}
			priv, err := ma.PasswordMethod(m, user, pw, remote)
			if errors.Is(err, ErrMethodUnavailable) {
				continue
			}
			if err != nil {
				return 0, "", err
			}
			return priv, m, nil
		}
	}
	return 0, "", errors.New("no login method available")
}

// publicKey admits a key only when the line's method list has local
// (keys are local accounts) ahead of any method that could decide.
func (s *Server) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	host := RemoteHost(ctx.RemoteAddr())
	if s.lock.locked(host) {
		return false
	}
	vty := s.candidateLine(addrOf(ctx.RemoteAddr()))
	if vty < 0 {
		return false
	}
	for _, m := range s.opts.Interp.LoginMethods(vty) {
		if m != "local" {
			// none or radius decide with a password: let the client
			// fall back to password authentication.
			return false
		}
		priv, err := s.opts.Auth.PublicKey(ctx.User(), key, ctx.RemoteAddr())
		if err != nil {
			return false
		}
		ctx.SetValue(privilegeKey, priv)
		ctx.SetValue(methodKey, "local")
		return true
	}
	return false
}

// allocLine takes the lowest free vty whose access class admits addr, or
// returns -1 when there is none.
func (s *Server) allocLine(l *line, addr netip.Addr) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.lines {
		if x == nil && s.opts.Interp.VTYAccess(i, addr) {
			l.vty = i
			s.lines[i] = l
			return i
		}
	}
	return -1
}

func (s *Server) freeLine(l *line) {
	s.mu.Lock()
	if l.vty >= 0 && l.vty < len(s.lines) && s.lines[l.vty] == l {
		s.lines[l.vty] = nil
	}
	s.mu.Unlock()
}

// Users implements cli.Lines.
func (s *Server) Users() []cli.LineInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var out []cli.LineInfo
	for _, l := range s.lines {
		if l == nil {
			continue
		}
		out = append(out, cli.LineInfo{VTY: l.vty, User: l.user, Remote: l.remote, Idle: now.Sub(time.Unix(0, l.lastSeen.Load()))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VTY < out[j].VTY })
	return out
}

// ClearLine implements cli.Lines: it ends the session on vty n.
func (s *Server) ClearLine(n int) error {
	s.mu.Lock()
	var l *line
	if n >= 0 && n < len(s.lines) {
		l = s.lines[n]
	}
	s.mu.Unlock()
	if l == nil {
		return fmt.Errorf("line vty %d is not in use", n)
	}
	l.close()
	s.log.Info("ssh session cleared", "vty", n, "user", l.user)
	return nil
}

// enter registers a running handler; false once the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) handle(sess ssh.Session) {
	if !s.enter() {
		sess.Exit(1)
		return
	}
	defer s.wg.Done()
	ctx := sess.Context()
	priv, _ := ctx.Value(privilegeKey).(int)
	// Closing a session asks the peer to close the channel too; a peer
	// that never answers would keep the handler (and its vty line) for
	// ever, so after closeGrace the whole connection is dropped.
	ended := make(chan struct{})
	defer close(ended)
	conn, _ := ctx.Value(ssh.ContextKeyConn).(gossh.Conn)
	l := &line{user: sess.User(), remote: RemoteHost(sess.RemoteAddr()), close: func() {
		sess.Close()
		if conn == nil {
			return
		}
		go func() {
			t := time.NewTimer(closeGrace)
			defer t.Stop()
			select {
			case <-ended:
			case <-t.C:
				conn.Close()
			}
		}()
	}}
	l.lastSeen.Store(time.Now().UnixNano())
	if s.allocLine(l, addrOf(sess.RemoteAddr())) < 0 {
		io.WriteString(sess.Stderr(), "% All vty lines are in use\r\n")
		s.log.Warn("ssh session refused: all lines busy", "user", sess.User(), "remote", l.remote)
		sess.Exit(1)
		return
	}
	defer s.freeLine(l)
	method, _ := ctx.Value(methodKey).(string)
	s.log.Info("ssh session start", "vty", l.vty, "user", l.user, "remote", l.remote, "login", method)
	defer s.log.Info("ssh session end", "vty", l.vty, "user", l.user)

	stop := make(chan struct{})
	defer close(stop)
	if s.opts.KeepAlive > 0 {
		if conn != nil {
			go s.keepAlive(conn, stop)
		}
	}

	pty, winch, isPty := sess.Pty()
	cs := s.opts.Interp.NewSession(cli.SessionOptions{
		User: sess.User(), Privilege: priv, VTY: l.vty, Via: "SSH", Remote: l.remote,
		Height: pty.Window.Height, Width: pty.Window.Width,
	})
	if cmd := sess.RawCommand(); cmd != "" {
		code := 0
		var out io.Writer = sess
		if isPty {
			out = term.CRLF(sess)
		}
		if err := cs.Exec(cmd, out); err != nil {
			code = 1
		}
		// Free the line before the client learns the exit status, so a
		// client that runs commands one after another finds it free.
		s.freeLine(l)
		sess.Exit(code)
		return
	}
	if !isPty {
		io.WriteString(sess.Stderr(), "% A terminal is required: use ssh -t\r\n")
		sess.Exit(1)
		return
	}
	go func() {
		for w := range winch {
			cs.SetWindow(w.Width)
		}
	}()
	idle := s.opts.IdleTimeout
	if d := s.opts.Interp.ExecTimeout(l.vty); d > 0 {
		idle = d
	}
	in := &activityReader{r: sess, l: l, idle: idle}
	if idle > 0 {
		in.timer = time.AfterFunc(idle, func() {
			s.log.Info("ssh session idle timeout", "vty", l.vty, "user", l.user)
			l.close()
		})
		defer in.timer.Stop()
	}
	err := cs.Run(struct {
		io.Reader
		io.Writer
	}{in, sess})
	if err != nil && !errors.Is(err, io.EOF) {
		s.log.Debug("ssh session ended with error", "vty", l.vty, "err", err)
	}
	s.freeLine(l)
	sess.Exit(0)
}

// keepAlive sends keepalive requests; when three in a row get no answer
// the connection is closed.
func (s *Server) keepAlive(conn gossh.Conn, stop <-chan struct{}) {
	t := time.NewTicker(s.opts.KeepAlive)
	defer t.Stop()
	var missed atomic.Int32
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if missed.Add(1) > 3 {
			s.log.Warn("ssh peer not responding, closing", "remote", conn.RemoteAddr())
			conn.Close()
			return
		}
		go func() {
			if _, _, err := conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
				missed.Store(0)
			}
		}()
	}
}

// activityReader records input time for show users and resets the idle
// timer.
type activityReader struct {
	r     io.Reader
	l     *line
	timer *time.Timer
	idle  time.Duration
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.l.lastSeen.Store(time.Now().UnixNano())
		if a.timer != nil {
			a.timer.Reset(a.idle)
		}
	}
	return n, err
}
