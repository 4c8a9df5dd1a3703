package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/erxos/erx/cli/command"
)

// banner is a configured banner as typed: the delimiter and the raw text
// between the delimiters ("\n" written as backslash-n).
type banner struct {
	delim string
	text  string
}

// display is the banner as printed: "\n" sequences become line breaks.
func (b banner) display() string { return strings.ReplaceAll(b.text, `\n`, "\n") }

// maxBanner bounds a banner's text.
const maxBanner = 4096

// parseBanner splits "DELIM text DELIM": the first character is the
// delimiter and the text runs to its next occurrence.
func parseBanner(s string) (banner, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return banner{}, errors.New("% Incomplete command.")
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return banner{}, errors.New("invalid banner delimiter")
	}
	d := s[:size]
	end := strings.Index(s[size:], d)
	if end < 0 {
		return banner{}, fmt.Errorf("banner text must end with the delimiter %s (enter it on one line; \\n starts a new line)", d)
	}
	text := s[size : size+end]
	if rest := strings.TrimSpace(s[size+end+size:]); rest != "" {
		return banner{}, fmt.Errorf("unexpected text %q after the closing delimiter", rest)
	}
	if len(text) > maxBanner {
		return banner{}, fmt.Errorf("banner longer than %d characters", maxBanner)
	}
	for _, c := range text {
		if c < ' ' || c == 0x7f {
			return banner{}, errors.New("banner text may not contain control characters")
		}
	}
	return banner{delim: d, text: text}, nil
}

func (in *Interpreter) registerBanners() error {
	return in.tree.Register(&command.Command{
		Syntax: "banner {motd|exec} <text:line>", Modes: []command.Mode{command.Config}, Privilege: 10,
		Help: command.Help{"banner": "Define a login banner", "motd": "Message of the day, shown at login",
			"exec": "Banner shown when the EXEC starts, after the motd",
			"text": "c text c, where c is a delimiting character (\\n starts a new line)"},
		Run: func(_ *command.Context, req *command.Request) error {
			b, err := parseBanner(req.String("text"))
			if err != nil {
				return err
			}
			in.banners[bannerKind(req)] = b
			return nil
		},
		NoSyntax: "banner {motd|exec}",
		No: func(_ *command.Context, req *command.Request) error {
			delete(in.banners, bannerKind(req))
			return nil
		},
	})
}

func bannerKind(req *command.Request) string {
	if req.Keyword("exec") {
		return "exec"
	}
	return "motd"
}

func (in *Interpreter) writeBanners(w io.Writer) {
	for _, k := range []string{"motd", "exec"} {
		if b, ok := in.banners[k]; ok {
			fmt.Fprintf(w, "banner %s %s%s%s\n", k, b.delim, b.text, b.delim)
		}
	}
}

// loginBanners returns the motd and exec banners a session on vty prints
// after the login lines (empty when none, or switched off on the line).
func (in *Interpreter) loginBanners(vty int) (motd, exec string) {
	lc := in.lineConfig(vty)
	in.cfgMu.Lock()
	defer in.cfgMu.Unlock()
	if lc.motdBanner {
		if b, ok := in.banners["motd"]; ok {
			motd = b.display()
		} else {
			motd = in.opts.Banner
		}
	}
	if lc.execBanner {
		if b, ok := in.banners["exec"]; ok {
			exec = b.display()
		}
	}
	return motd, exec
}
