package image

import "testing"

func TestParseAptDepends(t *testing.T) {
	for _, tt := range []struct {
		name, out, meta, want string
		wantErr               bool
	}{
		{
			name: "cloud",
			out:  "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n",
			meta: "linux-image-cloud-amd64", want: "linux-image-6.1.0-56-cloud-amd64",
		},
		{
			name: "generic with alternatives and virtual",
			out:  "linux-image-amd64\n  Depends: <linux-image-virtual>\n |Depends: linux-image-6.1.0-57-amd64\n  Depends: linux-image-6.1.0-56-amd64\n  Recommends: firmware\n",
			meta: "linux-image-amd64", want: "linux-image-6.1.0-57-amd64",
		},
		{
			name: "skips non-kernel deps",
			out:  "linux-image-amd64\n  Depends: linux-image-amd64-signed\n  Depends: linux-image-6.1.0-56-amd64\n",
			meta: "linux-image-amd64", want: "linux-image-6.1.0-56-amd64",
		},
		{name: "nothing", out: "", meta: "linux-image-amd64", wantErr: true},
		{name: "unknown package", out: "N: Unable to locate package x\n", meta: "x", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAptDepends([]byte(tt.out), tt.meta)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseAptDepends(f *testing.F) {
	f.Add([]byte("linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseAptDepends(b, "linux-image-amd64")
	})
}
