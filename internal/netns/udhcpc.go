package netns

import (
	"os"
	"path/filepath"
	"testing"
)

// udhcpcScript configures the interface udhcpc runs on from its lease:
// address, subnet and default route when bound or renewed, no address
// when deconfigured.
const udhcpcScript = `#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$subnet" dev "$interface"
	ip route replace default via "$router" dev "$interface"
	;;
deconfig)
	ip addr flush dev "$interface"
	;;
esac
`

// UdhcpcScript writes the script for udhcpc's -s option into dir and
// returns its path: the real BusyBox udhcpc then configures the
// interface it runs on (in a namespace) from its lease.
func UdhcpcScript(t testing.TB, dir string) string {
	t.Helper()
	script := filepath.Join(dir, "udhcpc.sh")
	if err := os.WriteFile(script, []byte(udhcpcScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}
