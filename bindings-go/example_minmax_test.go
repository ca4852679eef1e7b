package atomicperf_test

import (
	"fmt"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleMinMax() {
	queueDepth := atomicperf.MustNewMinMax()
	defer queueDepth.Close()

	_, ok := queueDepth.Max()
	fmt.Println("empty has a max:", ok)

	for _, depth := range []uint64{12, 3, 40, 7} {
		queueDepth.Record(depth)
	}
	lo, _ := queueDepth.Min()
	hi, _ := queueDepth.Max()
	fmt.Println("min:", lo, "max:", hi)

	queueDepth.Reset() // e.g. at the end of each scrape interval
	_, ok = queueDepth.Min()
	fmt.Println("after reset has a min:", ok)
	// Output:
	// empty has a max: false
	// min: 3 max: 40
	// after reset has a min: false
}
