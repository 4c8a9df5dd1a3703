package firmware

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Version is erx's software version.
const Version = "0.1.0"

// ReleaseFile is where the image build records what it built.
const ReleaseFile = "/etc/erx-release"

// Release identifies the running software build.
type Release struct {
	Version string    // "0.1.0"
	BuildID int       // a number that differs between builds
	Built   time.Time // when the image was built
}

// File is the release file name as show version prints it: erx_0-1-0.rel.
func (r Release) File() string {
	return "erx_" + strings.ReplaceAll(r.Version, ".", "-") + ".rel"
}

// Marshal renders r in the release-file format: key=value lines.
func (r Release) Marshal() []byte {
	return fmt.Appendf(nil, "version=%s\nbuild=%d\nbuilt=%s\n", r.Version, r.BuildID, r.Built.UTC().Format(time.RFC3339))
}

// ParseRelease reads the release-file format. Unknown keys are ignored;
// a malformed value is an error.
func ParseRelease(data []byte) (Release, error) {
	r := Release{Version: Version}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		switch k {
		case "version":
			r.Version = v
		case "build":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Release{}, fmt.Errorf("release: bad build %q", v)
			}
			r.BuildID = n
		case "built":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return Release{}, fmt.Errorf("release: bad built time %q", v)
			}
			r.Built = t
		}
	}
	return r, sc.Err()
}

// CurrentRelease describes the running build: from ReleaseFile in the
// image, else (host board, tests) from the executable's modification time.
func CurrentRelease() Release {
	if b, err := os.ReadFile(ReleaseFile); err == nil {
		if r, err := ParseRelease(b); err == nil {
			return r
		}
	}
	r := Release{Version: Version}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			r.Built = st.ModTime()
		}
	}
	return r
}
