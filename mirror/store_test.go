package mirror

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStoreRoundTrip(t *testing.T) {
	store := &memStore{}
	r := newRig(t, store)
	r.setupLI1()
	r.must(r.e.CreatePolicy("vr2", "LI-2", admin)) // no rule: default rule
	r.must(r.e.Attach("default", "gigabitEthernet 2/0/0.100", Input, "LI-1", admin))
	r.must(r.e.Attach("default", "gigabitEthernet 2/0/0.100", Output, "LI-1", admin))
	r.must(r.e.AddTrigger("vr2", TriggerUsername, "sub1@erx.test", "LI-1", false, admin))
	r.must(r.e.AddTrigger("default", TriggerDHCPOption82, "0x0104AB", "LI-2", false, admin))
	r.must(r.e.AddTrigger("default", TriggerNASPortID, "ge-2/0/0", "", true, admin))
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1()})
	if res := r.e.HandleCoA(Identity{AcctSessionID: sub1().AcctSessionID}, liOn("40000010"), "coa"); !res.ACK {
		t.Fatal(res.Err)
	}
	var before bytes.Buffer
	r.must(r.e.WriteConfig(&before))
	want := "! secure mirroring configuration\n" +
		"secure ip policy-list LI-1\n" +
		" mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\n" +
		"secure ip policy-list LI-2\n" +
		"interface gigabitEthernet 2/0/0.100\n" +
		" ip policy secure-input LI-1\n" +
		" ip policy secure-output LI-1\n" +
		"interface gigabitEthernet 2/0/2\n" +
		" ip analyzer\n" +
		"virtual-router vr2\n" +
		"mirror username sub1@erx.test ip secure-policy-list LI-1\n" +
		"mirror nas-port-id ge-2/0/0\n" // placeholder, fixed below
	want = strings.Replace(want, "mirror nas-port-id ge-2/0/0\n", "mirror disable nas-port-id ge-2/0/0\nmirror dhcp-option-82 0104ab ip secure-policy-list LI-2\n", 1)
	if before.String() != want {
		t.Errorf("secure config:\n%s\nwant:\n%s", before.String(), want)
	}
	if strings.Contains(string(store.files[DefaultStoreFile]), "spl_") {
		t.Error("dynamic policy saved")
	}

	// "Reload": a new engine over the same store.
	r2 := newRig(t, store)
	var after bytes.Buffer
	r2.must(r2.e.WriteConfig(&after))
	if after.String() != before.String() {
		t.Errorf("after reload:\n%s\nbefore:\n%s", after.String(), before.String())
	}
	for _, p := range mustPolicies(t, r2.e) {
		if strings.HasPrefix(p.Name, "spl_") {
			t.Errorf("dynamic policy %s survived the reload", p.Name)
		}
	}
	if r2.dp.tap("gigabitEthernet 2/0/0.100", Output) == nil {
		t.Error("interface mirror not restarted after reload")
	}
	if !r2.e.IsAnalyzer("gigabitEthernet 2/0/2") {
		t.Error("analyzer mode lost")
	}
	// The secure log is volatile: the new engine only knows the restore.
	if n := len(r2.e.Log()); n == 0 || r2.e.Log()[0].Cause != "secure configuration restored" {
		t.Errorf("log after reload: %+v", r2.e.Log())
	}
}

func TestStoreErrors(t *testing.T) {
	store := &memStore{files: map[string][]byte{DefaultStoreFile: []byte("{not json")}}
	dp := newFakeDP(t)
	e, err := New(Config{DataPlane: dp, Routes: &fakeRoutes{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(); err == nil {
		t.Error("corrupt store loaded")
	}
	store.files[DefaultStoreFile] = []byte(`{"version":2}`)
	if err := e.Load(); err == nil {
		t.Error("unknown version loaded")
	}
	store.files[DefaultStoreFile] = []byte(`{"version":1,"attachments":[{"interface":"x","policy":"missing"}],"triggers":[{"type":"bogus","value":"v"}]}`)
	if err := e.Load(); err == nil {
		t.Error("dangling references accepted silently")
	}
	store.fail = errors.New("disk full")
	if err := e.CreatePolicy("default", "P", admin); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write failure: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without data plane")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"version":1,"analyzers":["a"],"policies":[{"name":"P","vr":"default","has_rule":true,"analyzer":"192.0.2.9","port":1}],"triggers":[{"type":"username","value":"u","policy":"P"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		store := &memStore{files: map[string][]byte{DefaultStoreFile: b}}
		e, err := New(Config{DataPlane: newFakeDP(t), Routes: &fakeRoutes{}, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		_ = e.Load()
		var buf bytes.Buffer
		if err := e.WriteConfig(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
