package table

import "testing"

func TestShowVersionSlotTable(t *testing.T) {
	want := "" +
		"slot state     type     admin  spare  running release    slot uptime  \n" +
		"---- ------ ---------- ------- ----- ----------------- ---------------\n" +
		"0    online SRP310-10G enabled  ---  erx310_10-3-0.rel 373d17h:19m:28s\n" +
		"1     ---      ---       ---    ---         ---              ---      \n" +
		"2    online GE-HDE-8   enabled  ---  erx310_10-3-0.rel 373d17h:19m:02s\n"
	got := String(
		[]string{"slot", "state", "type", "admin", "spare", "running release", "slot uptime"},
		[][]string{
			{"0", "online", "SRP310-10G", "enabled", "---", "erx310_10-3-0.rel", "373d17h:19m:28s"},
			{"1", "---", "---", "---", "---", "---", "---"},
			{"2", "online", "GE-HDE-8", "enabled", "---", "erx310_10-3-0.rel", "373d17h:19m:02s"},
		})
	if got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		rows   [][]string
		want   string
	}{
		{"no rows", []string{"a", "bb"}, nil, "a bb\n- --\n"},
		{"short row", []string{"ab", "c"}, [][]string{{"x"}}, "ab c\n-- -\nx   \n"},
		{"long cell widens", []string{"a"}, [][]string{{"abcd"}}, " a  \n----\nabcd\n"},
	} {
		if got := String(tc.header, tc.rows); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
	}
}
