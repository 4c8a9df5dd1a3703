package pppoetest

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/erxos/erx/services/access/ppp"
)

// LoadConfig drives many emulated PPPoE subscribers.
type LoadConfig struct {
	// Sessions is how many subscribers to log in.
	Sessions int
	// Rate is logins started per second (0: all at once).
	Rate float64
	// Concurrency bounds the logins in flight (0: no bound). With Rate 0
	// it makes a closed loop: a new login starts as soon as one ends, so
	// the run measures the access server's login rate.
	Concurrency int
	// BaseMAC is the first subscriber's MAC; the others count up from it.
	BaseMAC MAC
	// Credentials returns subscriber i's user name and password.
	Credentials func(i int) (user, password string)
	// Accept is the authentication protocols subscribers agree to.
	Accept []ppp.AuthProtocol
	// PingTarget, if valid, gets Pings ICMP echo requests from every
	// session after login.
	PingTarget netip.Addr
	Pings      int
	// UDPTarget, if valid, gets UDPPackets datagrams of UDPSize bytes from
	// every session after login (sent, not awaited).
	UDPTarget  netip.AddrPort
	UDPPackets int
	UDPSize    int
	// Retries and RetryInterval are passed to each PPPoEConfig.
	Retries       int
	RetryInterval time.Duration
}

// LoadResult summarizes a load run.
type LoadResult struct {
	// Up are the sessions that logged in, in subscriber order.
	Up []*PPPoESession
	// Failures counts failed logins by "stage: reason".
	Failures map[string]int
	// Latencies are the login latencies of the sessions that came up,
	// sorted ascending.
	Latencies []time.Duration
	// PingsSent and PingsAnswered count traffic after login.
	PingsSent, PingsAnswered int
	// UDPSent counts datagrams sent.
	UDPSent int
}

// MACAdd returns base plus n, counting in the low three octets.
func MACAdd(base MAC, n int) MAC {
	v := int(base[3])<<16 | int(base[4])<<8 | int(base[5])
	v += n
	base[3], base[4], base[5] = byte(v>>16), byte(v>>8), byte(v)
	return base
}

// RunLoad logs cfg.Sessions subscribers in at cfg.Rate and optionally
// sends traffic through each. Sessions that came up stay up; log them out
// with LogoutAll.
func RunLoad(ctx context.Context, e *Emulator, cfg LoadConfig) *LoadResult {
	res := &LoadResult{Failures: make(map[string]int)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	up := make([]*PPPoESession, cfg.Sessions)
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	var inflight chan struct{}
	if cfg.Concurrency > 0 {
		inflight = make(chan struct{}, cfg.Concurrency)
	}
	for i := 0; i < cfg.Sessions; i++ {
		if i > 0 && interval > 0 {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
			}
		}
		token := false
		if inflight != nil {
			select {
			case inflight <- struct{}{}:
				token = true
			case <-ctx.Done(): // DialPPPoE fails at once
			}
		}
		user, pass := "", ""
		if cfg.Credentials != nil {
			user, pass = cfg.Credentials(i)
		}
		pc := PPPoEConfig{MAC: MACAdd(cfg.BaseMAC, i), User: user, Password: pass, Accept: cfg.Accept,
			Retries: cfg.Retries, RetryInterval: cfg.RetryInterval}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := e.DialPPPoE(ctx, pc)
			if token {
				<-inflight
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				key := err.Error()
				var le *LoginError
				if errors.As(err, &le) {
					key = le.Stage + ": " + le.Reason
				}
				res.Failures[key]++
				return
			}
			up[i] = s
			res.Latencies = append(res.Latencies, s.LoginLatency())
			if cfg.UDPTarget.IsValid() {
				payload := make([]byte, cfg.UDPSize)
				for range cfg.UDPPackets {
					if s.SendUDP(cfg.UDPTarget, payload) == nil {
						res.UDPSent++
					}
				}
			}
			if cfg.PingTarget.IsValid() {
				for seq := 0; seq < cfg.Pings; seq++ {
					res.PingsSent++
					mu.Unlock()
					pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err := s.Ping(pctx, cfg.PingTarget, uint16(seq))
					cancel()
					mu.Lock()
					if err == nil {
						res.PingsAnswered++
					}
				}
			}
		}(i)
	}
	wg.Wait()
	for _, s := range up {
		if s != nil {
			res.Up = append(res.Up, s)
		}
	}
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res
}

// LogoutAll closes every session that came up, concurrently.
func (r *LoadResult) LogoutAll() {
	var wg sync.WaitGroup
	for _, s := range r.Up {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Close()
		}()
	}
	wg.Wait()
}
