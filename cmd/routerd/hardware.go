package main

import (
	"bufio"
	"cmp"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/erxos/erx/cli"
)

// Hardware implements cli.HardwareReporter from the board. Emulated and
// appliance boards have no serial or assembly numbers: those print as ---.
func (r *router) Hardware() cli.Hardware {
	hw := cli.Hardware{Chassis: r.board.Model}
	ports := map[[2]int]int{}
	for _, p := range r.board.Ports {
		ports[[2]int{p.Slot, p.Adapter}]++
	}
	for _, s := range r.board.Slots {
		m := cli.Module{Slot: s.Number, Type: s.Type, Serial: "---", Assembly: "---", Rev: "---"}
		if strings.HasPrefix(s.Type, "SRP") {
			m.RAMMB = memTotalMB()
		}
		hw.Modules = append(hw.Modules, m)
	}
	for sa, n := range ports {
		hw.Adapters = append(hw.Adapters, cli.Adapter{
			Slot: sa[0], Adapter: sa[1], Type: "GE-IOA", Serial: "---", Assembly: "---", Rev: "---", MACs: n,
		})
	}
	slices.SortFunc(hw.Adapters, func(a, b cli.Adapter) int {
		return cmp.Or(cmp.Compare(a.Slot, b.Slot), cmp.Compare(a.Adapter, b.Adapter))
	})
	return hw
}

// memTotalMB reads the memory the SRP (this machine) has.
func memTotalMB() int {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.Atoi(fields[1])
			return kb / 1024
		}
	}
	return 0
}
