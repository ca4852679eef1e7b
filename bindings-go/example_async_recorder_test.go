package atomicperf_test

import (
	"errors"
	"fmt"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleAsyncRecorder() {
	latency := atomicperf.MustNewHistogram()
	defer latency.Close()

	// Callers push to a queue; a worker thread records into the histogram in batches. A full
	// queue drops the event and counts it: the request path never waits for the metric.
	rec, err := atomicperf.NewHistogramRecorder(latency, &atomicperf.AsyncConfig{
		Capacity: 4096, Workers: 1, Batch: 256, Overflow: atomicperf.OverflowDrop,
	})
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 100; i++ {
		if _, err := rec.Record(uint64(i) * 1000); err != nil {
			panic(err)
		}
	}

	rec.Close() // applies everything queued, then stops the worker
	s := rec.Stats()
	fmt.Println("applied + dropped == enqueued:", s.Applied+s.Dropped == s.Enqueued)
	fmt.Println("histogram count == applied:", latency.Count() == s.Applied)

	_, err = rec.Record(1)
	fmt.Println(errors.Is(err, atomicperf.ErrClosed))
	// Output:
	// applied + dropped == enqueued: true
	// histogram count == applied: true
	// true
}

func ExampleNewTimerRecorder() {
	t := atomicperf.MustNewTimer()
	defer t.Close()
	// nil: the library's defaults (capacity 65536, 1 worker, batches of 256, drop when full).
	rec := atomicperf.MustNewTimerRecorder(t, nil)
	defer rec.Close()

	rec.RecordTimer(2*time.Millisecond, true)
	rec.RecordTimer(4*time.Millisecond, false)
	if !rec.Flush(5 * time.Second) { // wait until both are applied
		panic("flush timed out")
	}
	s := t.Stats()
	fmt.Println(s.Count, s.Errors, s.Total)
	// Output: 2 1 6ms
}

func ExampleNewGaugeRecorder() {
	g := atomicperf.MustNewGauge(0)
	defer g.Close()
	rec := atomicperf.MustNewGaugeRecorder(g, &atomicperf.AsyncConfig{
		Capacity: 1024, Workers: 1, Batch: 64, Overflow: atomicperf.OverflowBlock,
	})

	rec.RecordGauge(atomicperf.GaugeSet, 10)
	rec.RecordGauge(atomicperf.GaugeAdd, -2.5)
	rec.RecordGauge(atomicperf.GaugeSetMax, 5) // 7.5 is already greater
	rec.Close()

	fmt.Println(g.Get())
	// Output: 7.5
}

func ExampleAsyncRecorder_RecordTimeout() {
	c := atomicperf.MustNewCounter()
	defer c.Close()
	rec := atomicperf.MustNewCounterRecorder(c, nil)
	defer rec.Close()

	// Wait at most 10 ms for room, whatever the overflow policy.
	err := rec.RecordTimeout(5, 10*time.Millisecond)
	switch {
	case errors.Is(err, atomicperf.ErrTimeout):
		fmt.Println("queue full: event not queued")
	case err != nil:
		panic(err)
	}
	rec.Flush(5 * time.Second)
	fmt.Println(c.Get())
	// Output: 5
}
