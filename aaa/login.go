package aaa

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	layeh "layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"golang.org/x/crypto/ssh"

	"github.com/erxos/erx/aaa/local"
	"github.com/erxos/erx/aaa/radius"
	"github.com/erxos/erx/cli/sshd"
)

// RADIUSAuthenticator sends one Access-Request to the configured
// authentication servers (the subscriber engine's RADIUS client: the
// same `radius authentication server` list serves subscribers and
// operators, as on the E Series). A nil *radius.Response with an error
// wrapping radius.ErrNoServer means no server answered.
type RADIUSAuthenticator interface {
	AuthenticateLogin(ctx context.Context, a radius.AccessRequest) (*radius.Response, error)
}

// DefaultLoginTimeout bounds one RADIUS login: every server's timeout ×
// (retransmit + 1) must fit in it for the list to be walked to the end.
const DefaultLoginTimeout = 60 * time.Second

// Logins authenticates CLI logins and returns the privilege level the user
// is granted. It satisfies the SSH server's Authenticator and
// MethodAuthenticator: the "radius" login method sends an Access-Request.
type Logins struct {
	Local *local.Users
	// RADIUS answers the "radius" method; nil: the method is unavailable
	// (the next method of the list is tried).
	RADIUS RADIUSAuthenticator
	// Timeout bounds one RADIUS login; 0 means DefaultLoginTimeout.
	Timeout time.Duration
}

// Password checks a user name and password.
func (l *Logins) Password(user, password string, _ net.Addr) (int, error) {
	return l.Local.AuthPassword(user, password)
}

// PublicKey checks a user name and SSH public key.
func (l *Logins) PublicKey(user string, key ssh.PublicKey, _ net.Addr) (int, error) {
	return l.Local.AuthKey(user, key)
}

// ErrRejected is returned when the RADIUS server refused the login (an
// Access-Reject, or an Access-Challenge, which SSH logins do not answer).
// It ends the method list: JunosE does not fall back on a rejection.
var ErrRejected = errors.New("aaa: login rejected by RADIUS")

// PasswordMethod implements sshd.MethodAuthenticator. For "radius" it
// sends an Access-Request; a server list that does not answer (or is not
// configured) is sshd.ErrMethodUnavailable, so the line's next method
// (local) decides.
func (l *Logins) PasswordMethod(method, user, password string, remote net.Addr) (int, error) {
	if method != "radius" || l.RADIUS == nil {
		return 0, sshd.ErrMethodUnavailable
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req := radius.AccessRequest{UserName: user, Password: password,
		ServiceType: rfc2865.ServiceType_Value_LoginUser, CallingStationID: sshd.RemoteHost(remote)}
	resp, err := l.RADIUS.AuthenticateLogin(ctx, req)
	switch {
	case err != nil && (errors.Is(err, radius.ErrNoServer) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, radius.ErrClosed)):
		return 0, fmt.Errorf("%w: %w", sshd.ErrMethodUnavailable, err)
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrRejected, err)
	case resp.Code != layeh.CodeAccessAccept:
		return 0, fmt.Errorf("%w: %v from %v", ErrRejected, resp.Code, resp.Server)
	}
	return LoginLevel(resp.Packet), nil
}

// LoginLevel is the CLI privilege level an Access-Accept grants, as on
// JunosE: a Service-Type of Administrative gives 10, Login or NAS-Prompt
// gives 1 (the standard attribute overrides the VSA); otherwise the ERX
// Cli-Initial-Access-Level VSA (26-18, a decimal string 0-15) gives the
// level; with neither the user gets 1.
func LoginLevel(p *layeh.Packet) int {
	if st, err := rfc2865.ServiceType_Lookup(p); err == nil {
		switch st {
		case rfc2865.ServiceType_Value_AdministrativeUser:
			return 10
		case rfc2865.ServiceType_Value_LoginUser, rfc2865.ServiceType_Value_NASPromptUser:
			return 1
		}
	}
	if v, ok := radius.ERXString(p, radius.ERXCliInitialAccessLevel); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(v, "\x00"))); err == nil && n >= 0 && n <= local.MaxPrivilege {
			return n
		}
	}
	return 1
}
