package atomicperf_test

import (
	"errors"
	"fmt"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleTimer() {
	rule, err := atomicperf.NewTimer() // 2 significant figures, up to 60 s
	if err != nil {
		panic(err)
	}
	defer rule.Close()

	// Durations measured elsewhere, e.g. from a trace.
	rule.Record(150*time.Microsecond, true)
	rule.Record(250*time.Microsecond, false) // failed execution
	rule.Record(200*time.Microsecond, true)

	s := rule.Stats()
	fmt.Println("count:", s.Count, "errors:", s.Errors)
	fmt.Println("total:", s.Total, "min:", s.Min, "max:", s.Max, "mean:", s.Mean)
	// Output:
	// count: 3 errors: 1
	// total: 600µs min: 150µs max: 250µs mean: 200µs
}

func ExampleTimer_Start() {
	handler := atomicperf.MustNewTimer()
	defer handler.Close()

	serve := func(fail bool) {
		sw := handler.Start()
		if fail {
			sw.Fail() // counted as an error
			return
		}
		sw.Stop()
	}
	serve(false)
	serve(true)
	func() {
		defer handler.Start().Stop() // times the rest of the function
	}()

	s := handler.Stats()
	fmt.Println(s.Count, s.Errors)
	// Output: 3 1
}

func ExampleTimer_Time() {
	query := atomicperf.MustNewTimer()
	defer query.Close()

	errNotFound := errors.New("not found")
	lookup := func(key string) error {
		return query.Time(func() error {
			if key == "" {
				return errNotFound
			}
			return nil
		})
	}
	fmt.Println(lookup("user:1"), lookup(""))

	s := query.Stats()
	fmt.Println(s.Count, s.Errors)
	// Output:
	// <nil> not found
	// 2 1
}

func ExampleTimer_Quantile() {
	t := atomicperf.MustNewTimerWithPrecision(3, time.Second) // within 0.1%, up to 1 s
	defer t.Close()
	for i := 1; i <= 1000; i++ {
		t.Record(time.Duration(i)*time.Microsecond, true)
	}
	p99, _ := t.Quantile(0.99)
	fmt.Println(p99.Round(10 * time.Microsecond))

	_, err := t.Quantile(2)
	fmt.Println(errors.Is(err, atomicperf.ErrOutOfRange))
	// Output:
	// 990µs
	// true
}
