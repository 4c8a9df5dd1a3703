package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/erxos/erx/board"
	"github.com/erxos/erx/cli"
	"github.com/erxos/erx/cli/command"
	"github.com/erxos/erx/firmware"
	"github.com/erxos/erx/firmware/flash"
	"github.com/erxos/erx/internal/lab"
	"github.com/erxos/erx/mirror/mirrorcli"
)

// secretRE matches what a session without mirror-enable must never see:
// mirroring words in any case, the configured names and values of the
// secure configuration below, and "LI" as a word (mirror-enable itself,
// and its help line, visible to everyone allowed to run it, are taken
// out before matching).
var secretRE = regexp.MustCompile(`(?i)mirror|secure|analy[sz]er|intercept|spl_|mediation|30030|192\.0\.2\.9\b|sub1@erx|LI-SECRET|(?-i:\bLI\b)`)

func leaks(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		// Only the command's own name and help text are taken out: the
		// rest of the line is still matched.
		l = strings.ReplaceAll(l, mirrorEnableHelp, "")
		l = strings.ReplaceAll(l, "mirror-enable", "")
		out = append(out, secretRE.FindAllString(l, -1)...)
	}
	return out
}

// mirrorEnableHelp is mirror-enable's help line, shown by `?` to sessions
// allowed to run it.
const mirrorEnableHelp = "Enable secure packet mirroring commands for this session"

// TestLeaksSeesLinesWithMirrorEnable: a leak on a line that also names
// mirror-enable is still found.
func TestLeaksSeesLinesWithMirrorEnable(t *testing.T) {
	for _, tc := range []struct {
		line string
		want int
	}{
		{"  mirror-enable        " + mirrorEnableHelp, 0},
		{"host1#mirror-enable", 0},
		{"mirror-enable refused: policy LI-SECRET on analyzer 192.0.2.9", 3},
	} {
		if got := leaks(tc.line); len(got) != tc.want {
			t.Errorf("leaks(%q) = %q, want %d matches", tc.line, got, tc.want)
		}
	}
}

// treeRouter is routerd's router as newRouter composes it (every feature's
// commands and configuration sections), on a board without data ports and
// a flash in a temporary directory.
func treeRouter(t *testing.T) *router {
	t.Helper()
	store, err := flash.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRouter(t, store, io.Discard)
	if err := r.mirror.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.mirror.Stop)
	return r
}

// newTestRouter is newRouter's router on a board without data ports and
// on store, with a log handler that writes to console and to the flash
// system log of store; it returns the router and the log handler.
func newTestRouter(t *testing.T, store *flash.Dir, console io.Writer) (*router, *firmware.LogHandler) {
	t.Helper()
	logs := firmware.NewLogHandler(console, firmware.LogOptions{})
	t.Cleanup(func() { logs.Close() })
	if err := logs.AttachFlash(store); err != nil {
		t.Fatal(err)
	}
	b := &board.Board{Name: board.Host, Model: "E320-TEST", Slots: []board.Slot{{Number: 0, Type: "SRP-320", State: "online"}}}
	r, err := newRouter(b, store, "127.0.0.1:0", logs, slog.New(logs), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

// walked is what a walk of the tree saw in one mode.
type walked struct {
	help     strings.Builder // every ? listing and every completion
	commands []string        // lines that may end (<cr>)
	nodes    int
}

// argSamples are values tried for an argument shown as display in `?`;
// the first one the tree accepts is used.
func argSamples(display string) []string {
	var lo, hi int
	if n, _ := fmt.Sscanf(display, "<%d-%d>", &lo, &hi); n == 2 {
		return []string{fmt.Sprint(lo), fmt.Sprint(hi)}
	}
	switch display {
	case "A.B.C.D":
		return []string{"10.255.0.1", "255.255.255.0"}
	case "A.B.C.D/N":
		return []string{"10.255.0.0/16"}
	case "S/A/P[.N]":
		return []string{"2/0/0", "2/0/0.10"}
	case "HEX":
		return []string{"0a0b"}
	case "LINE":
		return []string{"text"}
	}
	return []string{"w1", "1", "10.255.0.1", "2/0/0", "x.scr", "0a0b"}
}

// walk lists `?` at line and below it, depth-first, and completes every
// letter at each keyword position of the first levels.
func walk(tr *command.Tree, ctx *command.Context, line string, depth int, w *walked) {
	if depth > 12 || w.nodes > 40000 {
		return
	}
	w.nodes++
	h, err := tr.Help(ctx, line)
	if err != nil {
		var pe *command.ParseError
		if errorsAs(err, &pe) {
			w.help.WriteString(pe.Render(0))
		}
		return
	}
	w.help.WriteString(h)
	if depth <= 2 {
		for c := 'a'; c <= 'z'; c++ {
			l, cands := tr.Complete(ctx, line+string(c))
			w.help.WriteString(l + " " + strings.Join(cands, " ") + "\n")
			if ph, err := tr.Help(ctx, line+string(c)); err == nil {
				w.help.WriteString(ph)
			}
		}
	}
	for _, entry := range strings.Split(strings.TrimRight(h, "\n"), "\n") {
		f := strings.Fields(entry)
		if len(f) == 0 {
			continue
		}
		word := f[0]
		switch {
		case word == "<cr>":
			w.commands = append(w.commands, strings.TrimSpace(line))
		case depth == 0 && ctx.Mode != command.Exec && (word == "do" || word == "run"):
			// the Exec tree, walked on its own
		case isArgDisplay(word):
			for _, v := range argSamples(word) {
				next := line + v + " "
				if _, err := tr.Help(ctx, next); err == nil {
					walk(tr, ctx, next, depth+1, w)
					break
				}
			}
		default:
			walk(tr, ctx, line+word+" ", depth+1, w)
		}
	}
}

func isArgDisplay(word string) bool {
	return strings.HasPrefix(word, "<") || word == "A.B.C.D" || word == "A.B.C.D/N" || word == "WORD" ||
		word == "LINE" || word == "HEX" || word == "S/A/P[.N]" || strings.ToUpper(word) == word && strings.ContainsAny(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

func errorsAs(err error, pe **command.ParseError) bool {
	p, ok := err.(*command.ParseError)
	if ok {
		*pe = p
	}
	return ok
}

// allModes are every command mode of the tree.
var allModes = []command.Mode{command.Exec, command.Config, command.ConfigIf, command.ConfigSubif, command.ConfigLine,
	command.ConfigRadius, command.ConfigRouter, command.ConfigAAAProfile, command.ConfigDomainMap, command.ConfigProfile,
	mirrorcli.PolicyListMode}

// walkAll walks every mode for the session and returns the walks by mode.
func walkAll(tr *command.Tree, ctx *command.Context) map[command.Mode]*walked {
	out := map[command.Mode]*walked{}
	for _, m := range allModes {
		ctx.EnterMode(m, command.InterfaceName{Type: "loopback", Location: "1"})
		w := &walked{}
		walk(tr, ctx, "", 0, w)
		out[m] = w
	}
	ctx.EnterMode(command.Exec, nil)
	return out
}

// TestMirrorSecrecyWholeTree: routerd's whole command tree, with a secure
// configuration in place, rendered for a session without mirror-enable
// and one with it: `?` at every level of every mode, completion at the
// first levels, and the output of every show command. Without
// mirror-enable no mirroring word, name or value appears anywhere (and
// show configuration / show ip interface are what they would be with no
// mirroring at all); with it, the same walk does show them, so the check
// is not vacuous.
func TestMirrorSecrecyWholeTree(t *testing.T) {
	r := treeRouter(t)
	tr := r.interp.Tree()
	plain := r.interp.NewSession(cli.SessionOptions{User: "admin", Privilege: 15})
	run := func(s *cli.Session, lines string) (string, error) {
		var b bytes.Buffer
		err := s.Exec(lines, &b)
		return b.String(), err
	}
	must := func(s *cli.Session, lines string) string {
		t.Helper()
		out, err := run(s, lines)
		if err != nil {
			t.Fatalf("%q: %v\n%s", lines, err, out)
		}
		return out
	}
	must(plain, "configure terminal\nhostname tree1\ninterface loopback 1\nip address 10.255.0.1 255.255.255.255\n"+
		"interface loopback 2\nip address 10.255.0.2 255.255.255.255\nend")
	before := map[string]string{}
	for _, c := range []string{"show configuration", "show ip interface", "show interfaces", "show configuration interface loopback 1"} {
		before[c] = must(plain, c)
	}
	li := r.interp.NewSession(cli.SessionOptions{User: "li-operator", Privilege: 15})
	must(li, "mirror-enable\nconfigure terminal\n"+
		"secure ip policy-list LI-SECRET\nmirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\nexit\n"+
		"interface loopback 1\nip policy secure-input LI-SECRET\nexit\n"+
		"mirror username sub1@erx.test ip secure-policy-list LI-SECRET\n"+
		"end\nclear mirror log\nconfigure terminal\nmirror acct-session-id 42 ip secure-policy-list LI-SECRET\nend")

	// 1. Help and completion everywhere.
	for m, w := range walkAll(tr, plain.Context()) {
		if l := leaks(w.help.String()); len(l) > 0 {
			t.Errorf("mode %s: help/completion without mirror-enable shows %q", m, uniq(l))
			for _, ln := range strings.Split(w.help.String(), "\n") {
				if len(leaks(ln)) > 0 {
					t.Logf("  %q", ln)
				}
			}
		}
		t.Logf("mode %s: %d positions, %d commands", m, w.nodes, len(w.commands))
	}
	withAccess := walkAll(tr, li.Context())
	var seen strings.Builder
	for _, w := range withAccess {
		seen.WriteString(w.help.String())
	}
	for _, want := range []string{"secure", "analyzer", "secure-input", "mirror-identifier", "acct-session-id", "policy-list"} {
		if !strings.Contains(seen.String(), want) {
			t.Errorf("with mirror-enable the walk never saw %q: the secrecy walk would be vacuous", want)
		}
	}

	// 2. Every show command a session without mirror-enable can type.
	exec := walkAll(tr, plain.Context())[command.Exec].commands
	sort.Strings(exec)
	shows := 0
	for _, c := range exec {
		if !strings.HasPrefix(c, "show ") {
			continue
		}
		shows++
		out, _ := run(plain, c)
		if l := leaks(out); len(l) > 0 {
			t.Errorf("%q without mirror-enable shows %q:\n%s", c, uniq(l), out)
		}
	}
	t.Logf("%d show commands run without mirror-enable", shows)
	if shows < 20 {
		t.Errorf("only %d show commands found", shows)
	}
	for c, want := range before {
		if got := must(plain, c); stripVolatile(got) != stripVolatile(want) {
			t.Errorf("%q without mirror-enable changed once mirroring was configured:\n%s\nbefore:\n%s", c, got, want)
		}
	}
	out := must(plain, "show log")
	if l := leaks(out); len(l) > 0 {
		t.Errorf("show log shows %q:\n%s", uniq(l), out)
	}

	// 3. With mirror-enable the same commands show the secure parts.
	cfg := must(li, "show configuration")
	for _, want := range []string{
		"secure ip policy-list LI-SECRET\n mirror analyzer-ip-address 192.0.2.9 analyzer-udp-port 30030 mirror-identifier 16\n",
		"interface loopback 1\n ip policy secure-input LI-SECRET\n",
		"mirror acct-session-id 42 ip secure-policy-list LI-SECRET\nmirror username sub1@erx.test ip secure-policy-list LI-SECRET\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("show configuration with mirror-enable lacks %q:\n%s", want, cfg)
		}
	}
	if got := must(li, "show configuration interface loopback 1"); !strings.Contains(got, "interface loopback 1\n ip policy secure-input LI-SECRET\n") {
		t.Errorf("show configuration interface loopback 1 with mirror-enable:\n%s", got)
	}
	ipIf := must(li, "show ip interface")
	if !strings.Contains(ipIf, "  Packet mirroring:\n    secure-input policy LI-SECRET, mirror action disabled (analyzer unreachable: no route)\n") {
		t.Errorf("show ip interface with mirror-enable lacks the mirroring section:\n%s", ipIf)
	}
	if got := must(li, "show ip interface loopback 2"); strings.Contains(got, "Packet mirroring") {
		t.Errorf("an interface without mirroring has a mirroring section:\n%s", got)
	}
	// no mirror-enable: hidden again in the same session.
	must(li, "no mirror-enable")
	for c, want := range before {
		if got := must(li, c); stripVolatile(got) != stripVolatile(want) {
			t.Errorf("%q after no mirror-enable:\n%s\nwant:\n%s", c, got, want)
		}
	}
}

// stripVolatile drops the lines that change between two runs of a show
// command on an idle router (the configuration's time stamp).
func stripVolatile(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "! Configuration script being generated on") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func uniq(s []string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range s {
		if !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	return out
}

// TestMirrorSecrecyAccess, through routerd over SSH (OpenSSH client):
// with mirror-enable, show configuration carries the static secure
// configuration in its places (also scoped to an interface) and show ip
// interface the mirroring section; without it both are exactly what they
// were before mirroring was configured. mirror-enable follows `privilege`
// re-mapping and the vty line's access class: a session it refuses gets
// the invalid-input answer of an unknown word, sees nothing, and the
// attempt goes to the secure log. Traffic keeps flowing throughout.
func TestMirrorSecrecyAccess(t *testing.T) {
	m := newMirrorLab(t)
	m.Start()
	m.configureForwarding()
	m.ping(2, "b0")
	scoped := []string{"show configuration", "show configuration interface gigabitEthernet 2/0/2",
		"show configuration interface gigabitEthernet 2/0/0", "show configuration category interfaces"}
	before := map[string]string{}
	for _, c := range scoped {
		before[c] = m.ssh(c)
	}
	m.ssh(secureSetup)
	m.ping(3, "b1")

	t.Run("show configuration", func(t *testing.T) {
		m := *m
		m.t = t
		for _, c := range scoped {
			if got := m.ssh(c); stripVolatile(got) != stripVolatile(before[c]) {
				t.Errorf("%q without mirror-enable is not what it was before any mirroring:\n%s\nbefore:\n%s", c, got, before[c])
			}
		}
		cfg := m.ssh("mirror-enable\nshow configuration")
		policy := "secure ip policy-list " + mirPolicy + "\n mirror analyzer-ip-address " + mirAnalyzer + " analyzer-udp-port 30030 mirror-identifier 16\n"
		attach := "interface gigabitEthernet 2/0/0\n ip policy secure-input " + mirPolicy + "\n ip policy secure-output " + mirPolicy + "\n"
		analyzer := "interface gigabitEthernet 2/0/2\n ip analyzer\n"
		for _, want := range []string{policy, attach, analyzer} {
			if !strings.Contains(cfg, want) {
				m.errorf("show configuration with mirror-enable lacks %q:\n%s", want, cfg)
			}
		}
		// Policy lists come before the interfaces, as JunosE lists them.
		if i, j := strings.Index(cfg, policy), strings.Index(cfg, "interface gigabitEthernet 2/0/0\n ip address"); i < 0 || j < 0 || i > j {
			t.Errorf("secure policy list not ahead of the interfaces:\n%s", cfg)
		}
		// Without its secure lines it is the ordinary configuration, to the byte.
		stripped := strings.Replace(strings.Replace(strings.Replace(cfg, policy, "", 1), attach, "", 1), analyzer, "", 1)
		if stripVolatile(stripped) != stripVolatile(before["show configuration"]) {
			t.Errorf("show configuration with mirror-enable, secure lines removed:\n%s\nwant:\n%s", stripped, before["show configuration"])
		}
		if got := m.ssh("mirror-enable\nshow configuration interface gigabitEthernet 2/0/2"); !strings.Contains(got, analyzer) {
			t.Errorf("show configuration interface gigabitEthernet 2/0/2 with mirror-enable:\n%s", got)
		}
	})

	t.Run("show ip interface", func(t *testing.T) {
		m := *m
		m.t = t
		plain := m.ssh("show ip interface")
		m.assertHidden("show ip interface", plain)
		if strings.Contains(plain, "Packet mirroring") {
			t.Errorf("show ip interface without mirror-enable has a mirroring section:\n%s", plain)
		}
		out := m.ssh("mirror-enable\nshow ip interface")
		for _, want := range []string{
			"  Packet mirroring:\n    secure-input policy " + mirPolicy + ", mirror action enabled, analyzer " + mirAnalyzer + ":30030 via gigabitEthernet 2/0/2\n" +
				"    secure-output policy " + mirPolicy + ", mirror action enabled, analyzer " + mirAnalyzer + ":30030 via gigabitEthernet 2/0/2\n    Mirrored packets ",
			"  Packet mirroring:\n    Analyzer interface (send only)\n    Analyzer received and dropped ",
		} {
			if !strings.Contains(out, want) {
				m.errorf("show ip interface with mirror-enable lacks %q:\n%s", want, out)
			}
		}
		if got := m.ssh("mirror-enable\nshow ip interface gigabitEthernet 2/0/1"); strings.Contains(got, "Packet mirroring") {
			t.Errorf("gigabitEthernet 2/0/1 is not mirrored but shows a mirroring section:\n%s", got)
		}
	})

	t.Run("privilege", func(t *testing.T) {
		m := *m
		m.t = t
		const pw = "ops-Pass-17"
		m.ssh("configure terminal\nusername ops privilege 10 password " + pw + "\nprivilege exec level 12 mirror-enable")
		hidden, err1 := m.SSHUser("ops", pw, "mirror-enable\nshow secure policy-list")
		unknown, err2 := m.SSHUser("ops", pw, "xyzzyx-enable\nshow secure policy-list")
		if err1 == nil || err2 == nil || hidden != unknown || !strings.HasPrefix(hidden, "%") {
			m.errorf("mirror-enable below its privilege level (%v):\n%s\nan unknown word (%v):\n%s", err1, hidden, err2, unknown)
		}
		m.assertHidden("mirror-enable at level 10", hidden)
		m.ssh("configure terminal\nusername ops privilege 12 password " + pw)
		out, err := m.SSHUser("ops", pw, "mirror-enable\nshow secure policy-list "+mirPolicy)
		if err != nil || !strings.Contains(out, "Secure policy list "+mirPolicy) {
			m.errorf("mirror-enable at level 12 (%v):\n%s", err, out)
		}
		log := m.ssh("mirror-enable\nshow mirror log")
		if !strings.Contains(log, "MirrorCommandRefused  source cliStatic (ops)  : refused at privilege level 10 (needs 12): mirror-enable") {
			m.errorf("the refused mirror-enable is not in the secure log:\n%s", log)
		}
		m.ping(3, "b2")
	})

	t.Run("access-class", func(t *testing.T) {
		m := *m
		m.t = t
		// One terminal session (vty 0): its line gets an access class that
		// does not admit the client; mirror-enable is gone for it at once.
		out, err := m.Interactive("configure terminal\raccess-list MIRROR-OPS permit host 192.0.2.99\r" +
			"line vty 0\raccess-class MIRROR-OPS in\rend\rmirror-enable\rshow secure policy-list\r")
		if err != nil {
			m.errorf("interactive session: %v\n%s", err, out)
		}
		if strings.Contains(out, "Secure policy list") || !strings.Contains(out, "% ") {
			m.errorf("mirror-enable on a line whose access class refuses the session:\n%s", out)
		}
		// The next session gets another line (vty 0 no longer takes the
		// client), where mirror-enable works; the refusal is logged.
		log := m.ssh("mirror-enable\nshow mirror log")
		if !strings.Contains(log, "MirrorCommandRefused  source cliStatic (admin)  : refused by the vty line's access class: mirror-enable") {
			m.errorf("the refused mirror-enable is not in the secure log:\n%s", log)
		}
		// Admit the operator's address on vty 0: mirror-enable is back there.
		m.ssh("configure terminal\naccess-list MIRROR-OPS permit host " + lab.ClientAddr)
		out, err = m.Interactive("mirror-enable\rshow secure policy-list " + mirPolicy + "\r")
		if err != nil || !strings.Contains(out, "Secure policy list "+mirPolicy) {
			m.errorf("mirror-enable on vty 0 once its access class admits the client (%v):\n%s", err, out)
		}
		m.ping(3, "b3")
	})
}
