package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/erxos/erx/cli/command"
)

// LogReader reads the system log for show log data. routerd implements
// it: flush the console+flash logger (LogHandler.Sync), then return
// log/system.log.1 followed by log/system.log from the flash.
type LogReader interface {
	// SystemLog returns the system log text, oldest line first.
	SystemLog() ([]byte, error)
}

// logSeverities are the severity words of the log lines
// ("2026-11-27 20:01:02 INFO sshd: ..."), least severe first.
var logSeverities = []string{"DEBUG", "INFO", "WARN", "ERROR"}

func severityIndex(word string) int {
	for i, s := range logSeverities {
		if strings.EqualFold(s, word) {
			return i
		}
	}
	return -1
}

func (in *Interpreter) registerLog() error {
	return in.tree.Register(&command.Command{
		Syntax: "show log [data] [severity {debug|info|warn|error}]", Modes: []command.Mode{command.Exec}, Privilege: 5,
		Help: command.Help{"log": "Display the system log", "data": "Display the system log messages",
			"severity": "Only messages of this severity or above", "debug": "Debugging messages",
			"info": "Informational messages", "warn": "Warnings", "error": "Errors"},
		Run: func(ctx *command.Context, req *command.Request) error {
			if in.opts.Log == nil {
				return errors.New("system log not available")
			}
			data, err := in.opts.Log.SystemLog()
			if err != nil {
				return fmt.Errorf("read system log: %w", err)
			}
			min := 0
			for i, s := range logSeverities {
				if req.Keyword(strings.ToLower(s)) {
					min = i
				}
			}
			for _, l := range strings.SplitAfter(string(data), "\n") {
				if l == "" {
					continue
				}
				if min > 0 {
					f := strings.Fields(l)
					if len(f) < 3 || severityIndex(f[2]) < min {
						continue
					}
				}
				if !strings.HasSuffix(l, "\n") {
					l += "\n"
				}
				if _, err := ctx.Out.Write([]byte(l)); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
