package atomicperf_test

import (
	"fmt"
	"os"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleSharedRegistry() {
	// A name is the file /dev/shm/atomicperf-<name> (here in a directory of its own); every
	// process that opens it, in any language, shares these metrics.
	dir, _ := os.MkdirTemp("", "shared-example")
	defer os.RemoveAll(dir)
	opts := &atomicperf.SharedOptions{Dir: dir}
	metrics, err := atomicperf.OpenSharedRegistry("jobs", opts)
	if err != nil {
		panic(err)
	}
	defer metrics.Close()

	// The metrics are the package's own types: Inc, Set and Record write the segment directly.
	done := metrics.MustCounter("jobs_done", "Jobs done.", atomicperf.Labels{"queue": "mail"})
	busy := metrics.MustGauge("workers_busy", "Busy workers.", nil, atomicperf.GaugeModeLiveSum)
	done.Inc()
	busy.Set(1)

	// Another process (here another registry value in this one) opens the segment by name
	// and counts into the same series.
	worker := atomicperf.MustOpenSharedRegistry("jobs", &atomicperf.SharedOptions{Dir: dir, OpenExisting: true})
	worker.MustCounter("jobs_done", "", atomicperf.Labels{"queue": "mail"}).Add(2)
	worker.Close()

	// Any process exports every process's values, combined.
	text, _ := metrics.Export(atomicperf.FormatPrometheus)
	fmt.Print(string(text))
	_ = metrics.Unlink() // removes the file; the metrics keep working
	// Output:
	// # HELP jobs_done_total Jobs done.
	// # TYPE jobs_done_total counter
	// jobs_done_total{queue="mail"} 3
	// # HELP workers_busy Busy workers.
	// # TYPE workers_busy gauge
	// workers_busy 1
}
