package firmware

import (
	"testing"
	"time"
)

func TestReleaseRoundTrip(t *testing.T) {
	r := Release{Version: "1.2.3", BuildID: 4711, Built: time.Date(2026, 11, 27, 20, 1, 0, 0, time.UTC)}
	got, err := ParseRelease(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Errorf("round trip: got %+v, want %+v", got, r)
	}
	if f := r.File(); f != "erx_1-2-3.rel" {
		t.Errorf("File() = %q", f)
	}
}

func TestParseReleaseBad(t *testing.T) {
	for _, in := range []string{"build=x\n", "build=-1\n", "built=yesterday\n"} {
		if _, err := ParseRelease([]byte(in)); err == nil {
			t.Errorf("ParseRelease(%q) accepted", in)
		}
	}
	r, err := ParseRelease([]byte("garbage\nother=1\n"))
	if err != nil || r.Version != Version {
		t.Errorf("ParseRelease(garbage) = %+v, %v", r, err)
	}
}

func FuzzParseRelease(f *testing.F) {
	f.Add([]byte("version=0.1.0\nbuild=1\nbuilt=2026-11-27T20:01:00Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRelease(b)
		if err != nil {
			return
		}
		if _, err := ParseRelease(r.Marshal()); err != nil {
			t.Fatalf("re-parse of %q: %v", r.Marshal(), err)
		}
	})
}
