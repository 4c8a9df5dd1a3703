package mirror

import (
	"errors"
	"testing"
)

func FuzzTriggerValue(f *testing.F) {
	f.Add(2, "10.0.0.1", "vr1")
	f.Add(5, "0x0104ab", "")
	f.Add(0, "0000000a12345678", "")
	f.Fuzz(func(t *testing.T, typ int, value, vr string) {
		k, err := canonicalTrigger(vr, TriggerType(typ), value)
		if err != nil {
			if !errors.Is(err, ErrBadTrigger) {
				t.Fatalf("error %v does not wrap ErrBadTrigger", err)
			}
			return
		}
		// Canonical values are fixed points.
		k2, err := canonicalTrigger(k.vr, k.typ, k.value)
		if err != nil || k2 != k {
			t.Fatalf("canonical %+v -> %+v %v", k, k2, err)
		}
		_ = SessionIDFromAcct(value)
	})
}

func TestAnalyzerInterfaceTypes(t *testing.T) {
	r := newRig(t, nil)
	for _, n := range []string{"loopback 0", "null 0", "SRP 1/0"} {
		if err := r.e.SetAnalyzerInterface(n, true, admin); !errors.Is(err, ErrNotAnalyzerCapable) {
			t.Errorf("%s: %v", n, err)
		}
	}
	r.must(r.e.SetAnalyzerInterface("tunnel gre:1", true, admin))
}

func TestLoginLIOffIsNoop(t *testing.T) {
	r := newRig(t, nil)
	r.setupLI1()
	li := LIRequest{HasAction: true, Action: LIOff}
	r.e.HandleSessionEvent(SessionEvent{Type: SessionLogin, Session: sub1(), LI: &li})
	if r.hasEvent(EventRADIUSFailure, "") {
		t.Error("LI-Action off at login logged as a failure")
	}
}
