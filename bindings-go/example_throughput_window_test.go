package atomicperf_test

import (
	"errors"
	"fmt"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleThroughputWindow() {
	// Events over the last 10 s in 1 s buckets; a request slower than 100 ms breaks the SLA.
	w, err := atomicperf.NewThroughputWindow(10*time.Second, 10, 100*time.Millisecond)
	if err != nil {
		panic(err)
	}
	defer w.Close()

	for _, latency := range []time.Duration{20 * time.Millisecond, 50 * time.Millisecond,
		250 * time.Millisecond, 80 * time.Millisecond} {
		w.Record(latency)
	}
	s := w.Stats()
	fmt.Println("events:", s.Events, "violations:", s.Violations, "ratio:", s.ViolationRatio)

	_, err = atomicperf.NewThroughputWindow(10*time.Second, 0, time.Second)
	fmt.Println(errors.Is(err, atomicperf.ErrOutOfRange))
	// Output:
	// events: 4 violations: 1 ratio: 0.25
	// true
}
