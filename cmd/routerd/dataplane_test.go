package main

import (
	"slices"
	"testing"
)

// TestDataPlaneTuning: with two or more CPUs the forwarding workers are
// pinned to all but CPU 0 at nice -19, one receive queue per data-plane
// CPU; one CPU pins nothing; ERX_DATAPLANE_CPUS overrides.
func TestDataPlaneTuning(t *testing.T) {
	for _, tc := range []struct {
		ncpu     int
		override string
		cpus     []int
		nice     int
		queues   int
		err      bool
	}{
		{ncpu: 1, queues: 1},
		{ncpu: 2, cpus: []int{1}, nice: -19, queues: 1},
		{ncpu: 4, cpus: []int{1, 2, 3}, nice: -19, queues: 3},
		{ncpu: 2, override: "none", queues: 2},
		{ncpu: 4, override: " 0, 2 ", cpus: []int{0, 2}, nice: -19, queues: 2},
		{ncpu: 2, override: "2", err: true},
		{ncpu: 2, override: "x", err: true},
		{ncpu: 2, override: "-1", err: true},
	} {
		cfg, queues, err := dataPlaneTuning(tc.ncpu, tc.override)
		if (err != nil) != tc.err {
			t.Errorf("%d CPUs, %q: err %v", tc.ncpu, tc.override, err)
			continue
		}
		if err != nil {
			continue
		}
		if !slices.Equal(cfg.WorkerCPUs, tc.cpus) || cfg.WorkerNice != tc.nice || queues != tc.queues {
			t.Errorf("%d CPUs, %q: CPUs %v nice %d queues %d; want %v %d %d",
				tc.ncpu, tc.override, cfg.WorkerCPUs, cfg.WorkerNice, queues, tc.cpus, tc.nice, tc.queues)
		}
	}
}
