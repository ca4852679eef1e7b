package atomicperf

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// The suite is run for 5 ms per cell on one thread, counter workload only: a check of the
// schema and of every cell, never of timings.
func TestBenchRunsTheSuite(t *testing.T) {
	rep, err := Bench(BenchOptions{Threads: []int{1}, Duration: 5 * time.Millisecond, Filter: []string{"counter"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Schema != "atomicperf-bench/1" || rep.Version == "" || rep.CPUs < 1 {
		t.Errorf("header: schema %q version %q cpus %d", rep.Schema, rep.Version, rep.CPUs)
	}
	if len(rep.Threads) != 1 || rep.Threads[0] != 1 || rep.CellSeconds != 0.005 || rep.TotalSeconds <= 0 {
		t.Errorf("threads %v cell_seconds %v total_seconds %v", rep.Threads, rep.CellSeconds, rep.TotalSeconds)
	}
	// The counter workload: striped Counter, one atomic and the Mutex baseline.
	if len(rep.Cells) != 3 {
		t.Fatalf("%d cells, want 3: %+v", len(rep.Cells), rep.Cells)
	}
	designs, baselines := map[string]bool{}, 0
	for _, c := range rep.Cells {
		if c.Workload != "counter" || c.Threads != 1 || c.Description == "" || c.Design == "" {
			t.Errorf("cell %+v", c)
		}
		if c.Ops == 0 || c.Seconds <= 0 || c.OpsPerSec <= 0 || c.NsPerOp <= 0 || c.Speedup <= 0 {
			t.Errorf("cell without measurements: %+v", c)
		}
		if c.P99Ns < c.P50Ns {
			t.Errorf("p99 %d < p50 %d", c.P99Ns, c.P50Ns)
		}
		if c.Baseline {
			baselines++
			if c.Speedup != 1 {
				t.Errorf("baseline speed-up %v, want 1", c.Speedup)
			}
		}
		designs[c.Design] = true
	}
	if len(designs) != 3 || baselines != 1 {
		t.Errorf("designs %v, %d baselines", designs, baselines)
	}
	if len(rep.Published) == 0 || rep.Published[0].Source == "" || rep.Published[0].AnsweredBy == "" {
		t.Errorf("published %+v", rep.Published)
	}
}

func TestBenchJSONIsTheLibrarysReport(t *testing.T) {
	data, err := BenchJSON(BenchOptions{Threads: []int{1, 2}, Duration: time.Millisecond, Filter: []string{"gauge", "minmax"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "version", "cpus", "threads", "cell_seconds", "total_seconds", "cells", "published"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	seen := map[[2]any]bool{}
	for _, c := range doc["cells"].([]any) {
		c := c.(map[string]any)
		seen[[2]any{c["workload"], c["threads"]}] = true
	}
	for _, w := range []string{"gauge", "minmax"} {
		for _, n := range []float64{1, 2} {
			if !seen[[2]any{w, n}] {
				t.Errorf("no cell of %s at %v threads", w, n)
			}
		}
	}
}

func TestBenchErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opts BenchOptions
		want error
	}{
		{"zero threads", BenchOptions{Threads: []int{0}, Duration: time.Millisecond, Filter: []string{"counter"}}, ErrOutOfRange},
		{"too many threads", BenchOptions{Threads: []int{257}, Duration: time.Millisecond, Filter: []string{"counter"}}, ErrOutOfRange},
		{"negative duration", BenchOptions{Threads: []int{1}, Duration: -time.Second, Filter: []string{"counter"}}, ErrOutOfRange},
		{"filter matching nothing", BenchOptions{Threads: []int{1}, Duration: time.Millisecond, Filter: []string{"no_such_workload"}}, ErrOutOfRange},
		{"comma in filter", BenchOptions{Threads: []int{1}, Duration: time.Millisecond, Filter: []string{"counter,gauge"}}, ErrInvalidArgument},
		{"empty filter entry", BenchOptions{Threads: []int{1}, Duration: time.Millisecond, Filter: []string{""}}, ErrInvalidArgument},
		{"invalid UTF-8 filter", BenchOptions{Threads: []int{1}, Duration: time.Millisecond, Filter: []string{"\xff"}}, ErrInvalidArgument},
	} {
		rep, err := Bench(c.opts)
		if !errors.Is(err, c.want) || rep != nil {
			t.Errorf("%s: got %v, %v; want %v", c.name, rep, err, c.want)
		}
	}
}
