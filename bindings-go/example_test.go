package atomicperf_test

import (
	"errors"
	"fmt"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleCounter() {
	requests := atomicperf.MustNewCounter()
	defer requests.Close()

	requests.Inc()
	requests.Add(41)
	// One cgo call for a whole batch, e.g. counts gathered by a worker.
	requests.AddMany([]uint64{100, 200, 300})

	fmt.Println(requests.Get())
	// Output: 642
}

func ExampleGauge() {
	inFlight := atomicperf.MustNewGauge(0)
	defer inFlight.Close()
	peak := atomicperf.MustNewGauge(0)
	defer peak.Close()

	inFlight.Inc()
	inFlight.Inc()
	peak.SetMax(inFlight.Get())
	inFlight.Dec()

	fmt.Println(inFlight.Get(), peak.Get())
	// Output: 1 2
}

func ExampleHistogram() {
	latency, err := atomicperf.NewHistogram() // nanoseconds, 2 significant figures, up to 60 s
	if err != nil {
		panic(err)
	}
	defer latency.Close()

	for i := 1; i <= 100; i++ {
		latency.RecordDuration(time.Duration(i) * time.Millisecond)
	}

	p99, _ := latency.Quantile(0.99)
	minimum, _ := latency.Min()
	maximum, _ := latency.Max()
	fmt.Println("count:", latency.Count())
	fmt.Println("min:", time.Duration(minimum), "max:", time.Duration(maximum))
	fmt.Println("p99 within 1%:", p99 >= 98_010_000 && p99 <= 99_990_000)

	_, err = latency.Quantile(1.5)
	fmt.Println(errors.Is(err, atomicperf.ErrOutOfRange))
	// Output:
	// count: 100
	// min: 1ms max: 100ms
	// p99 within 1%: true
	// true
}

func ExampleHistogram_Snapshot() {
	h := atomicperf.MustNewHistogram()
	defer h.Close()
	h.RecordMany([]uint64{10, 20, 30})

	// Read several statistics from one moment while recording goes on.
	s, err := h.Snapshot()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	h.Record(1000)

	mean, _ := s.Mean()
	fmt.Println(s.Count(), s.Sum(), mean)
	// Output: 3 60 20
}

func ExampleHistogram_Quantile_empty() {
	h := atomicperf.MustNewHistogram()
	defer h.Close()

	_, err := h.Quantile(0.5)
	fmt.Println(errors.Is(err, atomicperf.ErrEmpty))
	// Output: true
}
