package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/erxos/erx/cli/command"
)

// scriptKey marks a context that runs a configuration script, so that a
// script cannot run another (or itself).
type scriptKey struct{}

// configureFile runs a script from flash through the same interpreter, at
// the session's privilege level and in its virtual router, as if typed in
// Global Configuration. Failing lines are reported with their number and
// the rest is applied; the result is committed once at the end (unless
// manual commit).
func (in *Interpreter) configureFile(ctx *command.Context, req *command.Request) error {
	if ctx.Value(scriptKey{}) != nil {
		return errors.New("configure file cannot run inside a script")
	}
	name := req.String("file")
	data, err := in.readUserFile(name)
	if err != nil {
		return err
	}
	if len(data) > MaxUserFile {
		return fmt.Errorf("%s is larger than %d bytes", name, MaxUserFile)
	}
	sub := &command.Context{Out: io.Discard, Level: ctx.Level, Mode: command.Config, VR: ctx.VR, User: ctx.User}
	sub.SetValue(scriptKey{}, true)
	failed := 0
	err = in.replay(sub, bytes.NewReader(data), func(n int, line string, err error) {
		failed++
		prefix := fmt.Sprintf("%s line %d: ", name, n)
		fmt.Fprintf(ctx.Out, "%s%s\n", prefix, line)
		var pe *command.ParseError
		if errors.As(err, &pe) {
			io.WriteString(ctx.Out, pe.Render(len(prefix)))
			return
		}
		io.WriteString(ctx.Out, errorText(err))
	})
	if err != nil {
		return err
	}
	in.cfgMu.Lock()
	if !in.manualCommit {
		err = in.autoCommitLocked()
	}
	in.cfgMu.Unlock()
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d lines of %s failed; the others were applied", failed, name)
	}
	return nil
}
