package atomicperf_test

import (
	"fmt"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleRateTracker() {
	requests, failures := atomicperf.MustNewCounter(), atomicperf.MustNewCounter()
	defer requests.Close()
	defer failures.Close()

	rates, err := atomicperf.NewRateTracker([]string{"requests", "failures"},
		[]*atomicperf.Counter{requests, failures})
	if err != nil {
		panic(err)
	}
	defer rates.Close()

	rates.Rates() // the first call starts the interval and reports zeros
	requests.Add(500)
	failures.Add(3)

	// Call Rates periodically, e.g. once per second from a reporter goroutine; PerSecond is
	// Delta over the time since the previous call.
	current, err := rates.Rates()
	if err != nil {
		panic(err)
	}
	for _, r := range current {
		fmt.Println(r.Name, r.Delta) // and r.PerSecond
	}
	// Output:
	// requests 500
	// failures 3
}
