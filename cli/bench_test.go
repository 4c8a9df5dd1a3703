package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// config10k is a 10,000-line configuration: 2,500 interfaces with an
// address (5,000 lines) and 5 access lists of 1,000 entries.
func config10k() string {
	var b strings.Builder
	b.WriteString("hostname bench\n")
	for l := range 5 {
		for e := range 1000 {
			fmt.Fprintf(&b, "access-list list%d permit host 10.%d.%d.%d\n", l, l, e/250, e%250+1)
		}
	}
	for i := range 2500 {
		fmt.Fprintf(&b, "interface gigabitEthernet %d/%d/%d\n ip address 10.%d.%d.1 255.255.255.0\n", i/100, i/10%10, i%10, 100+i/250, i%250)
	}
	return b.String()
}

// BenchmarkReplay10k measures applying a 10,000-line startup
// configuration through Replay (a fresh interpreter each time).
func BenchmarkReplay10k(b *testing.B) {
	cfg := config10k()
	lines := strings.Count(cfg, "\n")
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		in, err := New(Options{System: &fakeSystem{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		registerInterfaces(b, in)
		b.StartTimer()
		failed := 0
		if err := in.Replay(strings.NewReader(cfg), func(int, string, error) { failed++ }); err != nil || failed > 0 {
			b.Fatalf("replay: %v, %d failed lines", err, failed)
		}
	}
	b.ReportMetric(float64(lines), "lines/op")
}
